"""Finding PII in texts with presidio: the fast path and the plain one it must equal.

``Scanner.findings(texts, modes)`` returns, for each text, the spans presidio's analyzer
(with the stage's recognizers) reports at or above each entity's threshold, minus the allow
list. ``modes[i]`` says how far the search for names goes in ``texts[i]``: ``PATTERNS``
(pattern entities and name cues only), ``NAMES`` (also the name list and, when the text
reads as English, spaCy NER) or ``NAMES_NO_NER`` (the name list only: the row's language is
not English). ``True`` and ``False`` mean ``NAMES`` and ``PATTERNS``.

Each text is first prepared (``prepare``): special spaces and invisible characters are
normalised (``curate.pii.normalize``; findings map back to the original characters), code
is located (``curate.pii.code``) and blanked in the copy NER reads, and English is checked
(``curate.pii.language``). Findings inside code are dropped, except e-mail addresses and
IBANs, which are personal wherever they appear. PERSON candidates from NER, cues and the
name list pass ``curate.pii.names.refine``.

A text longer than a window (``curate.pii.windows``, about 20,000 characters) is prepared
whole, then scanned window by window: each window reports the findings that start in its own
span, mapped back to the text, so neither spaCy nor the slower checks ever see more than a
window at once.

The fast path loads spaCy's ``ner`` component alone, runs it with ``nlp.pipe`` over the
texts that need it (longest first, so batches are even), and gives the rest empty
artifacts. NER is skipped where no span it could produce would survive: a text with no
letter outside code (unless ``DATE_TIME`` is wanted), and a text that does not read as
English. The plain path (``plain=True``) is presidio's own way: the full pipeline, one
``nlp(text)`` per text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from curate.pii.code import IN_CODE, code_regions, inside, masked
from curate.pii.engine import LANGUAGE, DocNlpEngine, EngineSpec, build_analyzer, load_model
from curate.pii.entities import Finding
from curate.pii.language import english_like
from curate.pii.modes import NAMES, PATTERNS
from curate.pii.names import NameCandidate, gazetteer, refine
from curate.pii.normalize import NormalizedText, normalize
from curate.pii.recognizers import PersonCueRecognizer
from curate.pii.windows import Window, windows

PIPE_BATCH: Final = 32


@dataclass(frozen=True)
class Prepared:
    """A text as the recognizers read it: normalised, its code located and blanked for NER."""

    normalized: NormalizedText
    regions: list[tuple[int, int]]
    ner_text: str
    english: bool

    @property
    def text(self) -> str:
        return self.normalized.text

    def window(self, span: Window) -> Prepared:
        """The part of the text ``span`` scans, in its own coordinates (of the normalised text)."""
        start, end = span.start, span.end
        regions = [
            (max(first, start) - start, min(last, end) - start)
            for first, last in self.regions
            if first < end and last > start
        ]
        text = NormalizedText(self.text[start:end])
        return Prepared(text, regions, self.ner_text[start:end], self.english)


def prepare(text: str) -> Prepared:
    normalized = normalize(text)
    regions = code_regions(normalized.text)
    ner_text = masked(normalized.text, regions)
    return Prepared(normalized, regions, ner_text, english_like(ner_text))


class Scanner:
    """presidio's analyzer for one ``EngineSpec``; loads spaCy only when NER is wanted."""

    def __init__(self, spec: EngineSpec, plain: bool = False) -> None:
        self.spec = spec
        self.plain = plain
        nlp = load_model(spec.model, ner_only=not plain) if spec.ner_entities else None
        self.nlp_engine = DocNlpEngine(nlp)
        self.analyzer = build_analyzer(spec, nlp)
        self.allow = frozenset(spec.allow)
        self._cue = next(
            (r for r in self.analyzer.registry.recognizers if isinstance(r, PersonCueRecognizer)), None
        )

    def needs_ner(self, prepared: Prepared, mode: int = NAMES) -> bool:
        """False where NER adds nothing or does harm (see the module docstring)."""
        if mode != NAMES or not self.spec.ner_entities or not prepared.english:
            return False
        if "DATE_TIME" in self.spec.ner_entities:
            return bool(prepared.ner_text.strip())
        return any(char.isalpha() for char in prepared.ner_text)

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
        """The findings of each text; NER runs batch by batch, so few docs are alive at once."""
        if self.plain:
            return [self._plain(p, mode) for p, mode in zip(prepared, modes, strict=True)]
        run = [i for i, (p, mode) in enumerate(zip(prepared, modes, strict=True)) if self.needs_ner(p, mode)]
        ran = set(run)
        found: list[tuple[Finding, ...]] = [()] * len(prepared)
        nlp = self.nlp_engine.nlp
        if run and nlp is not None:
            order = sorted(run, key=lambda i: -len(prepared[i].text))
            docs = nlp.pipe((prepared[i].ner_text for i in order), batch_size=PIPE_BATCH)
            for i, doc in zip(order, docs, strict=True):
                artifacts = self.nlp_engine.artifacts(doc)
                found[i] = self._analyse(prepared[i], artifacts, ner_ran=True, names=modes[i] != PATTERNS)
        for i, p in enumerate(prepared):
            if i not in ran or nlp is None:
                empty = self.nlp_engine.empty()
                found[i] = self._analyse(p, empty, ner_ran=i in ran, names=modes[i] != PATTERNS)
        return found

    def _plain(self, prepared: Prepared, mode: int) -> tuple[Finding, ...]:
        names = mode != PATTERNS
        if self.needs_ner(prepared, mode) and self.nlp_engine.nlp is not None:
            artifacts = self.nlp_engine.process_text(prepared.ner_text, LANGUAGE)
            return self._analyse(prepared, artifacts, ner_ran=True, names=names)
        return self._analyse(prepared, self.nlp_engine.empty(), ner_ran=False, names=names)

    def _analyse(
        self, prepared: Prepared, artifacts: NlpArtifacts, ner_ran: bool, names: bool
    ) -> tuple[Finding, ...]:
        text = prepared.text
        if not text.strip():
            return ()
        entities = self.spec.entities if ner_ran else self.spec.pattern_entities
        if not entities:
            return ()
        results = self.analyzer.analyze(
            text, language=LANGUAGE, entities=list(entities), nlp_artifacts=artifacts
        )
        found = [self._finding(result) for result in results if result.entity_type != "PERSON"]
        cues = self._cue_spans(text) if "PERSON" in entities else set()
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
        found += [Finding("PERSON", c.start, c.end, round(c.score, 6)) for c in refine(text, people)]
        kept = sorted(
            {
                Finding(f.entity, *prepared.normalized.original(f.start, f.end), f.score)
                for f in found
                if not self._allowed(text, f)
                and (f.entity in IN_CODE or not inside(f.start, f.end, prepared.regions))
            }
        )
        return tuple(finding for finding in kept if not _outranked(finding, kept))

    def _cue_spans(self, text: str) -> set[tuple[int, int]]:
        """Spans a cue announced as a name ("call me Mark"): presidio keeps NER's result for the
        same span, so the cue is asked again and vouches for it (``names.believable``)."""
        if self._cue is None:
            return set()
        return {
            (result.start, result.end)
            for result in self._cue.analyze(text, ["PERSON"], self.nlp_engine.empty())
        }

    def _allowed(self, text: str, finding: Finding) -> bool:
        return " ".join(text[finding.start : finding.end].split()).casefold() in self.allow

    @staticmethod
    def _finding(result: RecognizerResult) -> Finding:
        return Finding(result.entity_type, result.start, result.end, round(float(result.score), 6))


@lru_cache(maxsize=4)
def shared_scanner(spec: EngineSpec, plain: bool = False) -> Scanner:
    """One ``Scanner`` per spec in this process: stages and reruns reuse the loaded model."""
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
