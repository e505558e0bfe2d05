"""Street addresses typed in chat: a house number and a street, by shape.

presidio has no recognizer for them, and NER tags their words as people or places at
best. ``StreetAddressRecognizer`` looks for the shapes people write:

- **number first** (English): ``1234 Elm Street``, ``221B Baker St``, ``725 5th Avenue``,
  ``1600 W. Main St.``: a house number, one to four capitalised words, a street-type word
  (``STREET_TYPES``, full or abbreviated); 0.7. In lower case (``42 wallaby way``) the
  words must not be function words and the score is 0.4, which a context word nearby
  ("address", "live", "deliver"...) lifts over the threshold;
- **number first** (French): ``29 rue de la Paix``, ``10 bis, avenue Foch``; 0.7;
- **street first**: ``Via Roma 10``, ``Calle Mayor 3``, ``Avenida Paulista 1578``,
  ``Hauptstraße 5``, ``Storgatan 12`` (``Kromwater 38`` has no street word); 0.7.

A match grows over what follows it: a flat or suite number (``Apt. 4B``), a city after a
comma (``, Springfield``), a two-letter state and a postal code (``IL 62704``,
``NW1 6XE``, ``10115 Berlin``). The title of a thing is not an address: a street word with no name before it
(``version 2 Street Fighter``, ``4 Square``) is not one, nor a name starting with a
function word (``Chapter 3 The Long Road``).

>>> text = "Ship it to 221B Baker St, London NW1 6XE please"
>>> [text[r.start : r.end] for r in StreetAddressRecognizer().analyze(text, ["STREET_ADDRESS"])]
['221B Baker St, London NW1 6XE']
"""

from __future__ import annotations

from typing import Final

import regex
from presidio_analyzer import Pattern, PatternRecognizer


def _words(text: str) -> list[str]:
    return text.split()


STREET_TYPES: Final = _words(
    "Street Road Avenue Boulevard Lane Drive Court Place Way Terrace Parkway Highway Circle Square "
    "Crescent Close Row Trail Alley Plaza Walk Grove Gardens Mews Loop Pike Expressway Freeway "
    "St Rd Ave Av Blvd Ln Dr Ct Pl Ter Pkwy Hwy Cir Sq Cres Trl Aly Plz Fwy Expy"
)
LOWER_STREET_TYPES: Final = _words("street road avenue boulevard lane drive court way st rd ave blvd ln dr")
FRENCH_TYPES: Final = _words("rue avenue av boulevard bd place allée allee chemin impasse quai cours route")
LEADING_TYPES: Final = _words(
    "Via Viale Piazza Corso Calle Carrer Avenida Rua Travessa Largo Praça Rue Paseo Ulica Strada"
)
COMPOUND_ENDINGS: Final = _words(
    "straße strasse gasse weg platz allee damm ufer laan straat gracht steenweg dreef plein vej gata "
    "gatan vägen veien katu utca"
)
FUNCTION_WORDS: Final = _words(
    "the a an my your our his her their this that these those of and or in on at to for with by from "
    "is are was be it its"
)
CONTEXT: Final = [
    "address",
    "live",
    "lives",
    "living",
    "moved",
    "located",
    "house",
    "home",
    "apartment",
    "deliver",
    "delivery",
    "ship",
    "shipping",
    "mail",
    "send",
    "visit",
    "come",
    "neighborhood",
    "neighbourhood",
]


def _alternatives(words: list[str]) -> str:
    return "|".join(regex.escape(word) for word in sorted(words, key=len, reverse=True))


NOT_FUNCTION: Final = rf"(?!(?i:{_alternatives(FUNCTION_WORDS)})\b)"
HOUSE: Final = r"(?<![\w.,/:#$€£-])\d{1,5}(?:[A-Za-z]\b|-\d{1,5})?"
NAME: Final = rf"{NOT_FUNCTION}(?:\p{{Lu}}[\p{{L}}\p{{M}}'’.-]*|\d{{1,3}}(?:st|nd|rd|th))"
LOWER_NAME: Final = rf"{NOT_FUNCTION}\p{{Ll}}[\p{{Ll}}\p{{M}}'’-]*"
PARTICLE: Final = r"(?:de|du|des|del|della|di|da|do|dos|das|la|le|les|l'|d'|y|e)"
END: Final = r"(?![\p{L}\p{N}_-])"
REST: Final = (
    r"(?:,?[ ](?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?[ ]?\d{1,5}[A-Za-z]?\b)?"
    r"(?:,[ ]?\p{Lu}\p{Ll}[\p{L}\p{M}'’-]*(?:\.(?=[ ]\p{Lu}))?"
    r"(?:[ ]\p{Lu}\p{Ll}[\p{L}\p{M}'’-]*(?:\.(?=[ ]\p{Lu}))?){0,2}"
    r"(?:,?[ ][A-Z]{2}\b)?)?"
    r"(?:,?[ ](?:\d{5}(?:-\d{4})?|\d{4}|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2})\b"
    r"(?:[ ]\p{Lu}\p{Ll}[\p{L}\p{M}'’-]*(?:[ ]\p{Lu}\p{Ll}[\p{L}\p{M}'’-]*)?)?)?"
)
"""What may follow a street: a flat, a city after a comma (and a state), a postal code (and
the city after it)."""

PATTERNS: Final = [
    Pattern(
        "number, name, street type",
        rf"{HOUSE},?[ ](?:{NAME}[ ]){{1,4}}(?:{_alternatives(STREET_TYPES)})\.?{END}{REST}",
        0.7,
    ),
    Pattern(
        "number, lower-case name, street type",
        rf"{HOUSE}[ ](?:{LOWER_NAME}[ ]){{1,3}}(?:{_alternatives(LOWER_STREET_TYPES)})\.?{END}",
        0.4,
    ),
    Pattern(
        "number, French street type, name",
        rf"{HOUSE}(?:[ ]?(?:bis|ter))?,?[ ](?i:{_alternatives(FRENCH_TYPES)})\.?"
        rf"(?:[ ]{PARTICLE})*(?:[ ]|(?<=')){NAME}(?:[ ](?:{PARTICLE}[ ])*{NAME}){{0,3}}{END}{REST}",
        0.7,
    ),
    Pattern(
        "street type, name, number",
        rf"(?<![\p{{L}}\p{{N}}])(?:{_alternatives(LEADING_TYPES)})(?:[ ]{PARTICLE})*[ ]{NAME}"
        rf"(?:[ ](?:{PARTICLE}[ ])*{NAME}){{0,3}},?[ ]\d{{1,5}}[A-Za-z]?{END}{REST}",
        0.7,
    ),
    Pattern(
        "compound street name, number",
        rf"(?<![\p{{L}}\p{{N}}_-])\p{{Lu}}[\p{{L}}\p{{M}}]*(?:{_alternatives(COMPOUND_ENDINGS)}|str\.)"
        rf"[ ]\d{{1,5}}[A-Za-z]?{END}{REST}",
        0.7,
    ),
]


class StreetAddressRecognizer(PatternRecognizer):
    """House number and street (see the module docstring); 0.4 in lower case until a context
    word is near."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=PATTERNS,
            context=CONTEXT,
            name="StreetAddressRecognizer",
            global_regex_flags=regex.DOTALL | regex.MULTILINE,
        )
