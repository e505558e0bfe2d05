"""Language identification with langdetect: seeded, on prepared text, over a process pool.

langdetect draws n-grams at random; its module-level ``detect`` uses a global seed other
code may change. ``Detector`` seeds every detection itself, so a text always gets the same
answer, in any process. The profiles do not depend on the seed: they load once per process
(~100 MB), and judging runs on ``curate.text.langdetect_fast`` (langdetect's answers, ~1.5x
faster).

``prepare`` turns a chat text into what is worth judging: code blocks, inline code, URLs
and e-mail addresses removed (they read as English whatever the language around them),
whitespace collapsed, and cut to ``max_chars`` (langdetect's cost grows with the length;
past a few hundred characters the answer rarely changes).

>>> detector = Detector(seed=0)
>>> detector.detect("Der schnelle braune Fuchs springt über den faulen Hund.")[0]
'de'
>>> detector.detect("12345 !!!")
('und', 0.0)
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from itertools import islice

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from curate.text.langdetect_fast import FastDetector, Profiles

UNDETERMINED = "und"
CODE_ALIASES = {"zh-cn": "zh", "zh-tw": "zh"}
"""langdetect codes that are not ISO 639-1, mapped onto it."""

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_URL_OR_EMAIL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPACES = re.compile(r"\s+")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")
_LETTER = re.compile(r"[^\W\d_]")
_WIDE_LETTER = re.compile("[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003ffff]")


def supported_languages() -> list[str]:
    """ISO 639-1 codes langdetect can return (after ``CODE_ALIASES``)."""
    return sorted({CODE_ALIASES.get(code, code) for code in _factory().get_lang_list()})


def prepare(text: str, max_chars: int, strip_code: bool = True) -> str:
    """The part of ``text`` worth judging, at most ``max_chars`` long."""
    if strip_code:
        if "```" in text or "~~~" in text:
            text = _FENCED_CODE.sub(" ", text)
        if "`" in text:
            text = _INLINE_CODE.sub(" ", text)
    # Cut before the regexes below so that their cost stays bounded; 4x leaves room for
    # what they remove.
    text = text[: max_chars * 4]
    if "://" in text or "www." in text or "@" in text:
        text = _URL_OR_EMAIL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()[:max_chars]


def letter_weight(text: str) -> int:
    """How much there is to judge: letters, with CJK and Hangul letters counted three times.

    One ideograph carries about as much as a short word; langdetect names Chinese or
    Japanese correctly from ten characters but needs about twenty letters of a Latin script.
    """
    return len(_LETTER.findall(text)) + 2 * len(_WIDE_LETTER.findall(text))


class Detector:
    """Seeded langdetect: ``detect(text) -> (iso_code, probability)``."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.factory = _factory()
        self.profiles = _profiles()

    def detect(self, text: str) -> tuple[str, float]:
        """The most probable language and its probability; ``("und", 0.0)`` with no features.

        langdetect takes short Chinese texts for Korean at times; Korean is written in Hangul,
        so without Hangul the next language is taken.
        """
        detector = FastDetector(self.factory, self.profiles, self.seed)
        detector.append(text)
        try:
            ranked = detector.get_probabilities()
        except LangDetectException:  # no n-gram langdetect knows
            return UNDETERMINED, 0.0
        if ranked and ranked[0].lang == "ko" and not _HANGUL.search(text):
            ranked = ranked[1:]
        if not ranked:
            return UNDETERMINED, 0.0
        best = ranked[0]
        return CODE_ALIASES.get(best.lang, best.lang), float(best.prob)

    def detect_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        return [self.detect(text) for text in texts]


@cache
def _factory() -> DetectorFactory:
    """langdetect's profiles, loaded once per process; its seed stays unset (detectors get theirs)."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    return factory


@cache
def _profiles() -> Profiles:
    return Profiles(_factory())


class DetectorPool:
    """``Detector.detect_many`` spread over worker processes; answers are the same.

    Workers are started with ``spawn`` (forking a process that runs polars can deadlock)
    and load the profiles once each. Close the pool when done.
    """

    def __init__(self, seed: int, workers: int, chunk_size: int = 256) -> None:
        self.chunk_size = chunk_size
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(seed,),
        )

    def detect_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        results: list[tuple[str, float]] = []
        for chunk in self.executor.map(_detect_chunk, _chunks(texts, self.chunk_size)):
            results.extend(chunk)
        return results

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


_worker_detector: Detector | None = None


def _start_worker(seed: int) -> None:
    global _worker_detector
    _worker_detector = Detector(seed)


def _detect_chunk(texts: list[str]) -> list[tuple[str, float]]:
    assert _worker_detector is not None, "the pool's initializer did not run"
    return _worker_detector.detect_many(texts)


def _chunks(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    iterator = iter(texts)
    while chunk := list(islice(iterator, size)):
        yield chunk
