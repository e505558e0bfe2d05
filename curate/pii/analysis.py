"""Finding PII in texts with presidio: the fast path and the plain one it must equal.

``Scanner.findings(texts, ner)`` returns, for each text, the spans presidio's analyzer
(with the stage's recognizers) reports at or above each entity's threshold, minus the allow
list. ``ner[i]`` says whether named-entity recognition runs on ``texts[i]``.

The fast path loads spaCy's ``ner`` component alone, runs it with ``nlp.pipe`` over the
texts that need it (longest first, so batches are even), and gives the rest empty
artifacts. NER is skipped only where no span it could produce would survive
``ShapedSpacyRecognizer``: a text with no letter, unless ``DATE_TIME`` is wanted. The plain
path (``plain=True``) is presidio's own way: the full pipeline, one ``nlp(text)`` per text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from curate.pii.engine import LANGUAGE, DocNlpEngine, EngineSpec, build_analyzer, load_model
from curate.pii.entities import Finding

PIPE_BATCH: Final = 32


class Scanner:
    """presidio's analyzer for one ``EngineSpec``; loads spaCy only when NER is wanted."""

    def __init__(self, spec: EngineSpec, plain: bool = False) -> None:
        self.spec = spec
        self.plain = plain
        nlp = load_model(spec.model, ner_only=not plain) if spec.ner_entities else None
        self.nlp_engine = DocNlpEngine(nlp)
        self.analyzer = build_analyzer(spec, nlp)
        self.allow = frozenset(spec.allow)

    def needs_ner(self, text: str) -> bool:
        """False only where NER provably adds nothing (see the module docstring)."""
        if not self.spec.ner_entities:
            return False
        if "DATE_TIME" in self.spec.ner_entities:
            return bool(text.strip())
        return any(char.isalpha() for char in text)

    def findings(self, texts: Sequence[str], ner: Sequence[bool]) -> list[tuple[Finding, ...]]:
        if self.plain:
            return [self._plain(text, wanted) for text, wanted in zip(texts, ner, strict=True)]
        artifacts = [self.nlp_engine.empty()] * len(texts)
        run = [
            i
            for i, (text, wanted) in enumerate(zip(texts, ner, strict=True))
            if wanted and self.needs_ner(text)
        ]
        if run and self.nlp_engine.nlp is not None:
            order = sorted(run, key=lambda i: -len(texts[i]))
            docs = self.nlp_engine.nlp.pipe((texts[i] for i in order), batch_size=PIPE_BATCH)
            for i, doc in zip(order, docs, strict=True):
                artifacts[i] = self.nlp_engine.artifacts(doc)
        ran = set(run)
        return [self._analyse(text, artifacts[i], ner_ran=i in ran) for i, text in enumerate(texts)]

    def _plain(self, text: str, ner: bool) -> tuple[Finding, ...]:
        if ner and self.nlp_engine.nlp is not None:
            return self._analyse(text, self.nlp_engine.process_text(text, LANGUAGE), ner_ran=True)
        return self._analyse(text, self.nlp_engine.empty(), ner_ran=False)

    def _analyse(self, text: str, artifacts: NlpArtifacts, ner_ran: bool) -> tuple[Finding, ...]:
        if not text.strip():
            return ()
        entities = self.spec.entities if ner_ran else self.spec.pattern_entities
        if not entities:
            return ()
        results = self.analyzer.analyze(
            text, language=LANGUAGE, entities=list(entities), nlp_artifacts=artifacts
        )
        kept = sorted(self._finding(result) for result in results if not self._allowed(text, result))
        return tuple(finding for finding in kept if not _outranked(finding, kept))

    def _allowed(self, text: str, result: RecognizerResult) -> bool:
        return " ".join(text[result.start : result.end].split()).casefold() in self.allow

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
