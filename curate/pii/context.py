"""Context-word scoring from the text itself, so no lemmatizer has to run.

presidio's default enhancer reads spaCy lemmas; without the lemmatizer (and the tagger it
needs) it silently boosts nothing. This enhancer reads the words around a match straight
from the text: a recognizer's context word counts when a nearby word starts with it
("call" matches "calling", "phone" matches "phones"). It applies presidio's arithmetic
(+0.35, at least 0.4, at most 1.0), so recognizer scores keep their meaning.
"""

from __future__ import annotations

from typing import Any, Final

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

WORD: Final = regex.compile(r"[\p{L}]+")
WINDOW_CHARS: Final = 120


class TextContextEnhancer(ContextAwareEnhancer):
    """Boost a result when one of its recognizer's context words is among nearby words."""

    def __init__(self, words_before: int = 5, words_after: int = 2) -> None:
        super().__init__(
            context_similarity_factor=0.35,
            min_score_with_context_similarity=0.4,
            context_prefix_count=words_before,
            context_suffix_count=words_after,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: Any,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_id = {recognizer.id: recognizer for recognizer in recognizers}
        extra = [word.casefold() for word in context or []]
        for result in raw_results:
            metadata = result.recognition_metadata or {}
            recognizer = by_id.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or not recognizer.context:
                continue
            if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            nearby = self.nearby_words(text, result.start, result.end) + extra
            if supporting_word(nearby, recognizer.context) is None:
                continue
            result.score = min(
                max(result.score + self.context_similarity_factor, self.min_score_with_context_similarity),
                ContextAwareEnhancer.MAX_SCORE,
            )
            metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            result.recognition_metadata = metadata
        return raw_results

    def nearby_words(self, text: str, start: int, end: int) -> list[str]:
        """The last words before ``start`` and the first words after ``end``, casefolded."""
        before = WORD.findall(text[max(0, start - WINDOW_CHARS) : start])[-self.context_prefix_count :]
        after = WORD.findall(text[end : end + WINDOW_CHARS])[: self.context_suffix_count]
        return [word.casefold() for word in (*before, *after)]


def supporting_word(nearby: list[str], context: list[str]) -> str | None:
    """The first context word (a phrase counts word by word, in order) found among ``nearby``."""
    for phrase in context:
        parts = phrase.casefold().split()
        if not parts:
            continue
        for index in range(len(nearby) - len(parts) + 1):
            if all(nearby[index + k].startswith(part) for k, part in enumerate(parts)):
                return phrase
    return None
