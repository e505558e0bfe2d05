"""Recognizers the stage adds to presidio's, and the rules that keep presidio's precise.

Where presidio falls short on chat logs, and what is here to close the gap (cards and
phones have their own modules, ``cards`` and ``phones``):

- people: the small spaCy model misses names after cues that leave no doubt (``Mr.``,
  ``my name is``, ``call me``, ``Dear``, a sign-off line); ``PersonCueRecognizer`` finds them,
  and names that cues make likely without vouching for them (a speaker of a speech verb,
  ``says Yudina``; the owner of personal data, ``Zlata's address``).
  It also flags numbers, street names and log fragments as people; ``ShapedSpacyRecognizer``
  keeps only spans shaped like a name.
- IP addresses: loopback, link-local, multicast and unspecified addresses and public DNS
  resolvers (8.8.8.8, 1.1.1.1...) point at no host of anyone's and fill networking answers;
  ``PublicIpRecognizer`` skips them. Private (RFC 1918) addresses are found: users paste
  their organisation's configs and logs (``"transport_address": "10.15.192.115:9300"`` of a
  production cluster), which map a network nobody agreed to publish. Inside code they are
  kept, like every finding but e-mail and IBAN (``curate.pii.code``).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import IpRecognizer, SpacyRecognizer

from curate.pii.words import STREET_WORDS

PLACEHOLDER: Final = regex.compile(r"<[A-Z][A-Z0-9_]*(?:_[a-z]{8})?>")
"""What the ``replace`` and ``hash`` actions write; never a finding itself."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NAME_WORD: Final = r"\p{Lu}[\p{L}'’-]*\p{Ll}"
NAME: Final = rf"{NAME_WORD}(?:[ ]{NAME_WORD}){{0,2}}"
NOT_NAMES: Final = _words(
    "All Everyone Team Sir Madam Friend Friends World There Customer Customers Hiring Manager "
    "Colleagues Folks Guys Sirs Reader Readers Professor Doctor Assistant Bot The This That It"
)
NOT_A_NAME: Final = rf"(?!(?:{'|'.join(NOT_NAMES)})\b)"
RELATIONS: Final = _words(
    "wife husband partner son daughter kid child mom mum mother dad father brother sister friend boss "
    "colleague coworker girlfriend boyfriend fiance fiancee grandma grandmother grandpa grandfather "
    "aunt uncle cousin neighbor neighbour teacher manager"
)
CUES: Final = {
    "honorific": r"(?:(?i:\b(?:mr|mrs|ms|mx|dr|prof)\.)|\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Sir|Madam|Dame))[ ]+",
    "name is": r"(?i:\bname(?:[ ]+is|'s|’s|:))[ ]+",
    "call me": r"(?i:\b(?:call|calls|called)[ ]+me|\bgoes[ ]+by|\bnamed(?:[ ]+(?:him|her))?)[ ]+",
    "greeting": r"(?i:\b(?:dear|hi|hello|hey))[ ]+",
    "credit": r"(?i:\b(?:(?:directed|written|produced|composed|painted|authored|narrated|illustrated)[ ]+by"
    r"|starring|featuring))[ ]+",
    "sign-off": r"(?i:\b(?:regards|sincerely|thanks|cheers|best|yours)),?[ \t]*\n[ \t]*",
    "relation": rf"(?i:\bmy[ ]+(?:{'|'.join(RELATIONS)})(?:'s[ ]+name[ ]+is)?,?)[ ]+",
}


KIN: Final = "|".join(
    _words(
        "wife husband son daughter kid kids child children mom mum mother dad father brother sister "
        "girlfriend boyfriend fiance fiancee fiancé fiancée grandma grandmother grandpa grandfather aunt "
        "uncle cousin"
    )
)
PERSONAL_DATA: Final = "|".join(
    _words(
        "address addresses phone number email e-mail mail birthday password passport account contact "
        "contacts details ssn"
    )
)
"""Nouns of personal data: whose they are (``Zlata's address``) is most often a person's."""
OWNED: Final = rf"['’]s[ ]+(?:(?i:new|home|current|private|personal)[ ]+)?(?i:{PERSONAL_DATA})\b"
REQUEST: Final = (
    r"(?:can|could|would|will)[ ]+(?:i|you|we)|please|i[ ]+(?:need|want|would)"
    r"|i'd[ ]+like|tell[ ]+me|help[ ]+me"
)
NOT_ADDRESSEES: Final = _words(
    "yes no ok okay sure great thanks thank sorry hi hello hey please now so well also again next "
    "then alright cool nice perfect good awesome excellent fine right wait hmm and but or however "
    "actually honestly listen "
    "look wow oh ah dear guys bro dude sir madam friend everyone anyway first second finally additionally "
    "otherwise instead today tomorrow yesterday here there this that it what why how when where who which "
    "chat chatgpt gpt assistant bot ai"
)


SPEECH_VERBS: Final = _words("said says asked asks replied replies shouted yelled whispered answered")
SPEECH: Final = "|".join(SPEECH_VERBS)
NOT_SPEAKERS: Final = _words(
    "When Then And But If As So After Before While Because Since Once Until Where Who What How Why The "
    "This That These Those It He She They We You There Here Everyone Someone Nobody Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December"
)
"""Capitalised words before or after a speech verb that are not a speaker (a sentence's first
word, a pronoun, a date): ``When Christof said``, ``said Monday``."""
SPEAKER_WORD: Final = r"\p{Lu}\p{Ll}[\p{L}-]*"
"""A capital, then lower case (not ``I'd``, ``CMake``)."""
SPEAKER: Final = rf"(?=\p{{Lu}})(?!(?:{'|'.join(NOT_SPEAKERS)})\b){SPEAKER_WORD}(?:[ ]{SPEAKER_WORD}){{0,2}}"
UNVOUCHED: Final = frozenset({"speaker", "addressed speaker", "data possessive"})
"""Cues that find a name without vouching for it: the word must still pass the believability
rules (``name_rules.believable``: not a common word, not a listed non-person), since "Python said",
"said Google" and "Google's address" read the same way as "Yudina said" and "Zlata's address"."""

WORDS_OF: Final = {
    "honorific": _words("mr ms mx dr prof miss sir madam dame"),
    "name is": ("name",),
    "call me": _words("call goes named"),
    "greeting": _words("dear hi hello hey"),
    "credit": _words("by starring featuring"),
    "sign-off": _words("regards sincerely thanks cheers best yours"),
    "relation": ("my",),
    "kin possessive": ("'s", "’s"),
    "data possessive": ("'s", "’s"),
    "addressee": (",",),
    "speaker": SPEECH_VERBS,
    "addressed speaker": SPEECH_VERBS,
}
"""Strings every match of a cue's trigger holds, in casefolded text: a look in C before any regex."""


class PersonCueRecognizer(PatternRecognizer):
    """A capitalised name right after a cue that announces one ("my name is", "Dr.", "Dear"),
    before a kinship possessive ("Sumaya's kid"), or addressed at the start of a request
    ("Marisca, can I ..."); and, without vouching for it (``UNVOUCHED``, ``vouches``), the
    speaker of a speech verb ("says Yudina", "Aki shouted") and the owner of personal data
    ("Zlata's address").

    Each pattern opens with a look-behind that the regex engine tries at every position of a
    text, so a pattern runs only where its cue is found first (a part every match of the
    pattern needs: the cue, the possessive and kin word, the comma and request), and the cue
    is looked for only where its words are (``WORDS_OF``): the same spans, most texts skipped."""

    def __init__(self) -> None:
        addressee = rf"(?!(?i:(?:{'|'.join(NOT_ADDRESSEES)})\b)){NAME_WORD}"
        patterns = [
            Pattern(
                cue,
                rf"(?<={cue_regex}){NOT_A_NAME}{NAME}"
                + (r"(?=[ ]*[,!:\n]|[ ]*$)" if cue == "greeting" else r"(?![\p{L}'’-])"),
                0.7,
            )
            for cue, cue_regex in CUES.items()
        ]
        patterns.append(Pattern("kin possessive", rf"(?<![\p{{L}}'’-]){NAME}(?=['’]s[ ]+(?i:{KIN})\b)", 0.7))
        patterns.append(Pattern("data possessive", rf"(?<![\p{{L}}'’-]){SPEAKER}(?={OWNED})", 0.6))
        patterns.append(
            Pattern("addressee", rf"(?:^|(?<=[.!?][ ]+)){addressee}(?=,[ ]*(?i:{REQUEST})\b)", 0.6)
        )
        patterns.append(Pattern("speaker", rf"(?<![\p{{L}}'’-]){SPEAKER}(?=[ ]+(?:{SPEECH})\b)", 0.6))
        patterns.append(
            Pattern("addressed speaker", rf"(?<=\b(?:{SPEECH})[ ]+){SPEAKER}(?![\p{{L}}'’-])", 0.6)
        )
        super().__init__(
            supported_entity="PERSON",
            patterns=patterns,
            name="PersonCueRecognizer",
            global_regex_flags=regex.DOTALL | regex.MULTILINE,
        )
        triggers = {
            **CUES,
            "kin possessive": rf"['’]s[ ]+(?i:{KIN})\b",
            "data possessive": OWNED,
            "addressee": rf",[ ]*(?i:{REQUEST})\b",
            "speaker": rf"\b(?:{SPEECH})\b",
            "addressed speaker": rf"\b(?:{SPEECH})\b",
        }
        self._by_pattern = [
            (
                WORDS_OF[pattern.name],
                regex.compile(triggers[pattern.name], regex.DOTALL | regex.MULTILINE),
                PatternRecognizer(
                    supported_entity="PERSON",
                    patterns=[pattern],
                    global_regex_flags=regex.DOTALL | regex.MULTILINE,
                ),
            )
            for pattern in patterns
        ]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        folded = text.casefold()
        for words, trigger, single in self._by_pattern:
            if any(word in folded for word in words) and trigger.search(text):
                results += single.analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            result.recognition_metadata = {
                RecognizerResult.RECOGNIZER_NAME_KEY: "PersonCueRecognizer",
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            }
        return EntityRecognizer.remove_duplicates(results)

    @staticmethod
    def vouches(result: RecognizerResult) -> bool:
        """True when the cue that found ``result`` leaves no doubt it is a name (``UNVOUCHED``)."""
        explanation = result.analysis_explanation
        return explanation is None or explanation.pattern_name not in UNVOUCHED


NAME_SHAPE: Final = regex.compile(r"^[\p{L}][\p{L}\p{M}'’.-]*(?:[ ][\p{L}\p{M}'’.-]+)*$")
CAMEL: Final = regex.compile(r"^\p{Ll}+\p{Lu}")
STREET_PREFIXES: Final = frozenset(["rue", "via", "calle", "avenida", "strada", "rua", "piazza"])
POSSESSIVE: Final = regex.compile(r"['’]s?$")


class ShapedSpacyRecognizer(SpacyRecognizer):
    """presidio's spaCy recognizer, keeping only spans that could be what they are labelled.

    Every entity needs a letter and no line break; a person also needs the shape of a name
    (letters, spaces, apostrophes, hyphens, periods; no camelCase identifier) and must not end
    in a street word. A trailing possessive is cut (``Ada's`` -> ``Ada``). Spans touching a
    placeholder the stage wrote (``<PERSON>``) are skipped, so scrubbing twice is a no-op.
    """

    def __init__(self, supported_entities: list[str]) -> None:
        super().__init__(supported_entities=supported_entities, name="ShapedSpacyRecognizer")

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        placeholders = [match.span() for match in PLACEHOLDER.finditer(text)]
        kept = []
        for result in super().analyze(text, entities, nlp_artifacts):
            if result.entity_type == "PERSON":
                possessive = POSSESSIVE.search(text[result.start : result.end])
                result.end -= len(possessive.group()) if possessive else 0
                if not self._name_shaped(text[result.start : result.end]):
                    continue
            elif not self._word_shaped(text[result.start : result.end], result.entity_type):
                continue
            if any(start < result.end + 1 and result.start - 1 < end for start, end in placeholders):
                continue
            kept.append(result)
        return kept

    @staticmethod
    def _name_shaped(value: str) -> bool:
        if not NAME_SHAPE.match(value):
            return False
        words = value.split()
        if any(CAMEL.match(word) for word in words) or words[-1].casefold() in STREET_WORDS:
            return False
        return words[0].casefold() not in STREET_PREFIXES

    @staticmethod
    def _word_shaped(value: str, entity: str) -> bool:
        if "\n" in value or "\t" in value:
            return False
        return entity == "DATE_TIME" or any(char.isalpha() for char in value)


NOT_PERSONAL_V4: Final = tuple(
    ipaddress.IPv4Network(net) for net in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16")
)

PUBLIC_RESOLVERS: Final = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "8.8.8.8",
        "8.8.4.4",
        "1.1.1.1",
        "1.0.0.1",
        "9.9.9.9",
        "149.112.112.112",
        "208.67.222.222",
        "208.67.220.220",
        "2001:4860:4860::8888",
        "2001:4860:4860::8844",
        "2606:4700:4700::1111",
    )
)
"""Public DNS resolvers, quoted in every networking answer; they point at no one."""


class PublicIpRecognizer(IpRecognizer):
    """presidio's IP recognizer without addresses that cannot point at a person."""

    def __init__(self) -> None:
        super().__init__(name="PublicIpRecognizer")

    def invalidate_result(self, pattern_text: str) -> bool:
        if super().invalidate_result(pattern_text):
            return True
        try:
            address = ipaddress.ip_interface(pattern_text).ip
        except ValueError:
            return True
        if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
            return True
        if address in PUBLIC_RESOLVERS:
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return isinstance(address, ipaddress.IPv4Address) and any(address in net for net in NOT_PERSONAL_V4)
