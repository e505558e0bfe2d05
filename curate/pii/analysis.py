"""Finding PII in texts with presidio: the fast path and the plain one it must equal.

``Scanner.findings(texts, modes)`` returns, for each text, the spans the stage's recognizers
report at or above each entity's threshold, minus the allow list. ``modes[i]`` says how far
the search for names goes in ``texts[i]`` (``curate.pii.modes``): pattern entities and name
cues only, also the name list, and NER with the model of the row's language (the English
model only where the text reads as English). ``True`` and ``False`` mean ``NAMES`` and
``PATTERNS``.

Each text is first prepared (``prepare``): special spaces and invisible characters are
normalised (``curate.pii.normalize``; findings map back to the original characters); where
a step needs them, code is located (``curate.pii.code``) and blanked in the copy NER reads,
and English is checked (``curate.pii.language``). Findings inside code are dropped, except
e-mail addresses and IBANs, which are personal wherever they appear. PERSON candidates from
NER, cues and the name list pass ``curate.pii.name_rules.refine``.

NER reads, with ``nlp.pipe`` over all texts that need it (longest first, so batches are
even), only the windows of a text that can hold a kept name (``curate.pii.name_windows``), and
not at all a text with no letter outside code (unless ``DATE_TIME`` is wanted) or a text the
model's language does not fit. Both paths make those choices. The fast path loads spaCy's
``ner`` component alone and gives each text only the recognizers that could report something
in it (``curate.pii.gates``); the plain path (``plain=True``) is presidio's own way: the full
pipeline one window at a time, and presidio's ``AnalyzerEngine`` with every recognizer.

A text longer than a scan window (``curate.pii.windows``, about 20,000 characters) is
prepared whole, then scanned window by window: each window reports the findings that start
in its own span, mapped back to the text, so neither spaCy nor the slower checks ever see
more than a window at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Final

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from curate.pii.code import IN_CODE, code_regions, inside, masked
from curate.pii.context import TextContextEnhancer
from curate.pii.engine import (
    LANGUAGE,
    EngineSpec,
    NerSpan,
    build_analyzer,
    build_recognizers,
    load_model,
    ner_artifacts,
    ner_spans,
)
from curate.pii.entities import Finding
from curate.pii.gates import Glance, reach
from curate.pii.language import english_like
from curate.pii.modes import NAMES, PATTERNS, mode_language
from curate.pii.name_rules import refine
from curate.pii.name_windows import name_windows
from curate.pii.names import NameCandidate, gazetteer
from curate.pii.normalize import NormalizedText, normalize
from curate.pii.recognizers import PersonCueRecognizer
from curate.pii.windows import Window, windows

if TYPE_CHECKING:
    from spacy.language import Language

PIPE_BATCH: Final = 256


class Prepared:
    """A text as the recognizers read it: normalised; its code, the copy NER reads and whether
    it reads as English worked out when first asked for."""

    def __init__(self, normalized: NormalizedText) -> None:
        self.normalized = normalized

    @property
    def text(self) -> str:
        return self.normalized.text

    @cached_property
    def regions(self) -> list[tuple[int, int]]:
        return code_regions(self.text)

    @cached_property
    def ner_text(self) -> str:
        return masked(self.text, self.regions)

    @cached_property
    def english(self) -> bool:
        return english_like(self.ner_text)

    def window(self, span: Window) -> Prepared:
        """The part of the text ``span`` scans, in its own coordinates (of the normalised text)."""
        return Prepared(NormalizedText(self.text[span.start : span.end]))


def prepare(text: str) -> Prepared:
    return Prepared(normalize(text))


NerWindow = tuple[int, int, int]
"""A text's index and the characters of it NER reads."""


class Scanner:
    """The stage's recognizers for one ``EngineSpec``; loads a spaCy model when a text needs it."""

    def __init__(self, spec: EngineSpec, plain: bool = False) -> None:
        self.spec = spec
        self.plain = plain
        self.recognizers = build_recognizers(spec)
        self.reaches = [reach(recognizer) for recognizer in self.recognizers]
        self.enhancer = TextContextEnhancer()
        self.analyzer = build_analyzer(self.recognizers)
        self.allow = frozenset(spec.allow)
        self._cue = next((r for r in self.recognizers if isinstance(r, PersonCueRecognizer)), None)
        self._models: dict[str, Language] = {}

    def ner_model(self, prepared: Prepared, mode: int = NAMES) -> str | None:
        """The model NER reads this text with, or None where NER adds nothing or does harm."""
        if not self.spec.ner_entities:
            return None
        if mode == NAMES:
            model = self.spec.model_for(None) if prepared.english else None
        else:
            language = mode_language(mode)
            model = self.spec.model_for(language) if language is not None else None
        if model is None:
            return None
        if "DATE_TIME" in self.spec.ner_entities:
            return model if prepared.ner_text.strip() else None
        return model if any(char.isalpha() for char in prepared.ner_text) else None

    def needs_ner(self, prepared: Prepared, mode: int = NAMES) -> bool:
        return self.ner_model(prepared, mode) is not None

    def windows(self, prepared: Prepared) -> list[tuple[int, int]]:
        """The spans of the text NER reads: windows around possible names, or all of it."""
        if self.spec.name_windows and self.spec.ner_entities == ("PERSON",):
            return name_windows(prepared.ner_text)
        return [(0, len(prepared.ner_text))]

    def findings(self, texts: Sequence[str], modes: Sequence[int]) -> list[tuple[Finding, ...]]:
        """The findings of each text; a long text is scanned in windows (``curate.pii.windows``)."""
        wholes = [prepare(text) for text in texts]
        pieces: list[tuple[int, Window | None, Prepared]] = []
        for index, whole in enumerate(wholes):
            spans = windows(whole.text)
            if len(spans) == 1:
                pieces.append((index, None, whole))
            else:
                pieces += [(index, span, whole.window(span)) for span in spans]
        scanned = self._scan([piece for _, _, piece in pieces], [int(modes[i]) for i, _, _ in pieces])
        found: list[tuple[Finding, ...]] = [()] * len(texts)
        windowed: dict[int, list[Finding]] = {}
        for (index, span, _), findings in zip(pieces, scanned, strict=True):
            if span is None:
                found[index] = findings
                continue
            original = wholes[index].normalized.original
            windowed.setdefault(index, []).extend(
                Finding(f.entity, *original(span.start + f.start, span.start + f.end), f.score)
                for f in findings
                if span.owns(f.start)
            )
        for index, owned in windowed.items():
            found[index] = tuple(sorted(owned))  # each finding is one window's: no duplicate
        return found

    def _scan(self, prepared: Sequence[Prepared], modes: Sequence[int]) -> list[tuple[Finding, ...]]:
        """The findings of each prepared text, NER batched per model over its windows."""
        by_model: dict[str, list[NerWindow]] = defaultdict(list)
        spans: list[list[NerSpan] | None] = [None] * len(prepared)
        for index, (p, mode) in enumerate(zip(prepared, modes, strict=True)):
            model = self.ner_model(p, int(mode))
            if model is not None:
                spans[index] = []
                by_model[model] += [(index, start, end) for start, end in self.windows(p)]
        for model, reads in sorted(by_model.items()):
            for window, found in zip(reads, self._ner(model, prepared, reads), strict=True):
                found_spans = spans[window[0]]
                assert found_spans is not None, "a text with windows has a span list"
                found_spans += found
        return [
            self._analyse(p, spans[index], names=int(modes[index]) != PATTERNS)
            for index, p in enumerate(prepared)
        ]

    def _ner(self, model: str, prepared: Sequence[Prepared], windows: list[NerWindow]) -> list[list[NerSpan]]:
        """NER's spans in each window, in the order given."""
        nlp = self._model(model)
        texts = [prepared[index].ner_text[start:end] for index, start, end in windows]
        if self.plain:
            return [ner_spans(nlp(text), start) for text, (_, start, _) in zip(texts, windows, strict=True)]
        order = sorted(range(len(texts)), key=lambda k: -len(texts[k]))
        found: list[list[NerSpan]] = [[] for _ in texts]
        docs = nlp.pipe((texts[k] for k in order), batch_size=PIPE_BATCH)
        for k, doc in zip(order, docs, strict=True):
            found[k] = ner_spans(doc, windows[k][1])
        return found

    def _model(self, name: str) -> Language:
        if name not in self._models:
            self._models[name] = load_model(name, ner_only=not self.plain)
        return self._models[name]

    def _analyse(self, prepared: Prepared, spans: list[NerSpan] | None, names: bool) -> tuple[Finding, ...]:
        text = prepared.text
        if not text.strip():
            return ()
        entities = self.spec.entities if spans is not None else self.spec.pattern_entities
        if not entities:
            return ()
        artifacts = ner_artifacts(sorted(spans or [], key=lambda span: span.start_char))
        results, cues = self._recognize(text, entities, artifacts)
        found = [self._finding(result) for result in results if result.entity_type != "PERSON"]
        people = [
            NameCandidate(
                result.start, result.end, float(result.score), cue=(result.start, result.end) in cues
            )
            for result in results
            if result.entity_type == "PERSON"
        ]
        if names and "PERSON" in self.spec.entities:
            threshold = self.spec.threshold("PERSON")
            people += [c for c in gazetteer(text, prepared.english) if c.score >= threshold]
        if people:
            found += [Finding("PERSON", c.start, c.end, round(c.score, 6)) for c in refine(text, people)]
        if not found:
            return ()
        kept = sorted(
            {
                Finding(f.entity, *prepared.normalized.original(f.start, f.end), f.score)
                for f in found
                if not self._allowed(text, f)
                and (f.entity in IN_CODE or not inside(f.start, f.end, prepared.regions))
            }
        )
        return tuple(finding for finding in kept if not _outranked(finding, kept))

    def _recognize(
        self, text: str, entities: tuple[str, ...], artifacts: NlpArtifacts
    ) -> tuple[list[RecognizerResult], set[tuple[int, int]]]:
        """The recognizers' results at or above their thresholds, and the spans a name cue
        announced ("call me Mark"): presidio keeps NER's result for such a span, so the cue is
        remembered apart and vouches for it (``name_rules.believable``)."""
        if self.plain:
            return self._presidio(text, entities, artifacts)
        glance = Glance(text)
        wanted, asked = set(entities), list(entities)
        active, raw, cues = [], [], set()
        for recognizer, spans in zip(self.recognizers, self.reaches, strict=True):
            if wanted.isdisjoint(recognizer.supported_entities):
                continue
            found = []
            for start, end in spans(glance):
                found += _shifted(recognizer.analyze(text[start:end], asked, artifacts), start)
            active.append(recognizer)
            for result in found:
                result.recognition_metadata = result.recognition_metadata or {}
                result.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] = recognizer.id
            if recognizer is self._cue:
                cues = {(result.start, result.end) for result in found if self._cue.vouches(result)}
            raw += found
        if not raw:
            return [], cues
        enhanced = self.enhancer.enhance_using_context(text, raw, artifacts, active)
        thresholds = {recognizer.id: recognizer.score_thresholds for recognizer in active}
        kept = [result for result in enhanced if result.score >= _threshold(result, thresholds)]
        return EntityRecognizer.remove_duplicates(kept), cues

    def _presidio(
        self, text: str, entities: tuple[str, ...], artifacts: NlpArtifacts
    ) -> tuple[list[RecognizerResult], set[tuple[int, int]]]:
        """``_recognize`` presidio's way: its analyzer, every recognizer, the cue asked again."""
        results = self.analyzer.analyze(
            text, language=LANGUAGE, entities=list(entities), nlp_artifacts=artifacts
        )
        if self._cue is None or "PERSON" not in entities:
            return results, set()
        found = self._cue.analyze(text, ["PERSON"], artifacts)
        return results, {(cue.start, cue.end) for cue in found if self._cue.vouches(cue)}

    def _allowed(self, text: str, finding: Finding) -> bool:
        return " ".join(text[finding.start : finding.end].split()).casefold() in self.allow

    @staticmethod
    def _finding(result: RecognizerResult) -> Finding:
        return Finding(result.entity_type, result.start, result.end, round(float(result.score), 6))


def _shifted(results: list[RecognizerResult], offset: int) -> list[RecognizerResult]:
    for result in results:
        result.start += offset
        result.end += offset
    return results


def _threshold(result: RecognizerResult, thresholds: dict[str, dict[str, float]]) -> float:
    """presidio's resolution: the recognizer's threshold for the entity, its default, else 0."""
    own = thresholds.get(result.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY]) or {}
    return own.get(result.entity_type, own.get("default", 0.0))


@lru_cache(maxsize=4)
def shared_scanner(spec: EngineSpec, plain: bool = False) -> Scanner:
    """One ``Scanner`` per spec in this process: stages and reruns reuse the loaded models."""
    return Scanner(spec, plain=plain)


def _outranked(finding: Finding, others: Sequence[Finding]) -> bool:
    """True when a finding of another type covers this one with a higher score (an SSN is
    not also a phone number)."""
    return any(
        other.entity != finding.entity
        and other.start <= finding.start
        and finding.end <= other.end
        and other.score > finding.score
        for other in others
    )
