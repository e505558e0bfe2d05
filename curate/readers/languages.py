"""Language names as sources write them, to ISO 639-1 codes.

WildChat, LMSYS-Chat-1M and Chatbot Arena name languages in English ("English", "Chinese",
"Norwegian Bokmal"); OpenAssistant writes BCP 47 tags ("pt-BR"). ``iso_code`` accepts both
and gives ``None`` for a name it does not know (and for "unknown"), so the reader can leave
the source's value in ``meta`` instead of guessing.

>>> iso_code("English"), iso_code("pt-BR"), iso_code("Klingon")
('en', 'pt', None)
>>> meta = {"language": "pt-BR", "turn": 1}
>>> take_language(meta, "language"), meta
('pt', {'language': 'pt-BR', 'turn': 1})
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

NAMES: Final[dict[str, str]] = {
    "afrikaans": "af",
    "albanian": "sq",
    "amharic": "am",
    "arabic": "ar",
    "armenian": "hy",
    "assamese": "as",
    "azerbaijani": "az",
    "basque": "eu",
    "belarusian": "be",
    "bengali": "bn",
    "bangla": "bn",
    "bokmal": "nb",
    "norwegian bokmal": "nb",
    "bosnian": "bs",
    "breton": "br",
    "bulgarian": "bg",
    "burmese": "my",
    "catalan": "ca",
    "chinese": "zh",
    "chinese simplified": "zh",
    "chinese traditional": "zh",
    "chineset": "zh",
    "corsican": "co",
    "croatian": "hr",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "esperanto": "eo",
    "estonian": "et",
    "faroese": "fo",
    "filipino": "tl",
    "tagalog": "tl",
    "finnish": "fi",
    "french": "fr",
    "frisian": "fy",
    "western frisian": "fy",
    "galician": "gl",
    "ganda": "lg",
    "georgian": "ka",
    "german": "de",
    "greek": "el",
    "gujarati": "gu",
    "haitian creole": "ht",
    "hausa": "ha",
    "hebrew": "he",
    "hindi": "hi",
    "hungarian": "hu",
    "icelandic": "is",
    "igbo": "ig",
    "indonesian": "id",
    "interlingua": "ia",
    "irish": "ga",
    "italian": "it",
    "japanese": "ja",
    "javanese": "jv",
    "kannada": "kn",
    "kazakh": "kk",
    "khmer": "km",
    "kinyarwanda": "rw",
    "korean": "ko",
    "kurdish": "ku",
    "kyrgyz": "ky",
    "lao": "lo",
    "latin": "la",
    "latvian": "lv",
    "lithuanian": "lt",
    "luxembourgish": "lb",
    "macedonian": "mk",
    "malagasy": "mg",
    "malay": "ms",
    "malayalam": "ml",
    "maltese": "mt",
    "maori": "mi",
    "marathi": "mr",
    "mongolian": "mn",
    "nepali": "ne",
    "norwegian": "no",
    "nynorsk": "nn",
    "norwegian nynorsk": "nn",
    "occitan": "oc",
    "oriya": "or",
    "odia": "or",
    "pashto": "ps",
    "persian": "fa",
    "farsi": "fa",
    "polish": "pl",
    "portuguese": "pt",
    "punjabi": "pa",
    "quechua": "qu",
    "romanian": "ro",
    "romansh": "rm",
    "russian": "ru",
    "samoan": "sm",
    "scottish gaelic": "gd",
    "serbian": "sr",
    "shona": "sn",
    "sindhi": "sd",
    "sinhala": "si",
    "sinhalese": "si",
    "slovak": "sk",
    "slovene": "sl",
    "slovenian": "sl",
    "somali": "so",
    "sotho": "st",
    "spanish": "es",
    "sundanese": "su",
    "swahili": "sw",
    "swedish": "sv",
    "tajik": "tg",
    "tamil": "ta",
    "tatar": "tt",
    "telugu": "te",
    "thai": "th",
    "tibetan": "bo",
    "tigrinya": "ti",
    "tsonga": "ts",
    "tswana": "tn",
    "turkish": "tr",
    "turkmen": "tk",
    "uighur": "ug",
    "uyghur": "ug",
    "ukrainian": "uk",
    "urdu": "ur",
    "uzbek": "uz",
    "vietnamese": "vi",
    "volapuk": "vo",
    "volapük": "vo",
    "welsh": "cy",
    "xhosa": "xh",
    "yiddish": "yi",
    "yoruba": "yo",
    "zulu": "zu",
}
"""English language names (lower case, words separated by one space) to ISO 639-1."""

VARIANTS: Final[frozenset[str]] = frozenset({"chinese simplified", "chinese traditional", "chineset"})
"""Names that say more than their code (the script), so they stay in ``meta`` too."""

CODES: Final[frozenset[str]] = frozenset(NAMES.values()) | {"iw", "in", "ji"}
LEGACY_CODES: Final[dict[str, str]] = {"iw": "he", "in": "id", "ji": "yi"}

_SEPARATORS = re.compile(r"[\s_()\-,]+")
_TAG = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]{2,8})*$")


@functools.lru_cache(maxsize=1024)
def iso_code(value: str | None) -> str | None:
    """The ISO 639-1 code for a language name or BCP 47 tag; ``None`` when not known."""
    if not value:
        return None
    tag = _TAG.match(value.strip())
    if tag and tag.group(1).lower() in CODES:
        code = tag.group(1).lower()
        return LEGACY_CODES.get(code, code)
    return NAMES.get(_SEPARATORS.sub(" ", value.strip().lower()).strip())


def take_language(meta: dict[str, Any], *keys: str) -> str | None:
    """The ISO code of the first of ``keys`` in ``meta`` that holds a language.

    The source's value is removed from ``meta`` when the code says all it said (a name or a
    bare code); a tag with a region (``pt-BR``) or a name not known stays, so nothing is lost.
    """
    for key in keys:
        value = meta.get(key)
        if not isinstance(value, str):
            continue
        code = iso_code(value)
        if code is not None and _says_no_more(value, code):
            del meta[key]
        return code
    return None


@functools.lru_cache(maxsize=1024)
def _says_no_more(value: str, code: str) -> bool:
    text = value.strip()
    if _TAG.match(text):
        return text.lower() == code
    return _SEPARATORS.sub(" ", text.lower()).strip() not in VARIANTS
