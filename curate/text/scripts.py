"""Which writing system a text is in, and which languages each is written in.

A script decides a language before any model does: Hangul is Korean, kana is Japanese, Han
without kana is Chinese, Greek, Hebrew and Thai name one language each. A model is needed only
for scripts many languages share (Latin, Cyrillic, Arabic, Devanagari, Bengali), and then only
among those languages. The script of a text is the one with the most letters, Han, kana and
Hangul counting three (an ideograph carries about what a short word does), so Latin product
names inside a Chinese sentence ("如何将iPhone视频转换为iMovie") do not make it Latin.

>>> dominant_script("如何将iPhone视频转换为iMovie"), dominant_script("Как дела? OK")
('Han', 'Cyrillic')
>>> dominant_script("量子コンピュータとは何ですか"), script_language("Kana")
('Kana', 'ja')
>>> written_in("ja", "Han"), written_in("en", "Cyrillic")
(True, False)
"""

from __future__ import annotations

import re
from typing import Final

_RANGES: Final[dict[str, str]] = {
    "Latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "Han": "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003ffff",
    "Kana": "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "Hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff",
    "Cyrillic": "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f",
    "Greek": "\u0370-\u03ff\u1f00-\u1fff",
    "Hebrew": "\u0590-\u05ff\ufb1d-\ufb4f",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "Devanagari": "\u0900-\u097f\ua8e0-\ua8ff",
    "Bengali": "\u0980-\u09ff",
    "Gurmukhi": "\u0a00-\u0a7f",
    "Gujarati": "\u0a80-\u0aff",
    "Oriya": "\u0b00-\u0b7f",
    "Tamil": "\u0b80-\u0bff",
    "Telugu": "\u0c00-\u0c7f",
    "Kannada": "\u0c80-\u0cff",
    "Malayalam": "\u0d00-\u0d7f",
    "Sinhala": "\u0d80-\u0dff",
    "Thai": "\u0e00-\u0e7f",
    "Lao": "\u0e80-\u0eff",
    "Tibetan": "\u0f00-\u0fff",
    "Myanmar": "\u1000-\u109f",
    "Georgian": "\u10a0-\u10ff\u1c90-\u1cbf",
    "Ethiopic": "\u1200-\u139f",
    "Khmer": "\u1780-\u17ff",
    "Armenian": "\u0530-\u058f",
}
_PATTERNS: Final = {name: re.compile(f"[{chars}]") for name, chars in _RANGES.items()}
WIDE: Final[frozenset[str]] = frozenset({"Han", "Kana", "Hangul"})

SCRIPT_LANGUAGE: Final[dict[str, str]] = {
    "Kana": "ja",
    "Han": "zh",
    "Hangul": "ko",
    "Greek": "el",
    "Hebrew": "he",
    "Thai": "th",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Oriya": "or",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Lao": "lo",
    "Tibetan": "bo",
    "Myanmar": "my",
    "Georgian": "ka",
    "Ethiopic": "am",
    "Khmer": "km",
    "Armenian": "hy",
}
"""Scripts one language dominates: the script names the language, no model is asked."""

_SHARED: Final[tuple[tuple[frozenset[str], tuple[str, ...]], ...]] = (
    (frozenset({"Kana", "Han"}), ("ja",)),
    (frozenset({"Hangul", "Han"}), ("ko",)),
    (frozenset({"Hebrew"}), ("yi",)),
    (frozenset({"Cyrillic"}), ("ru", "uk", "bg", "mk", "be", "kk", "ky", "mn", "tg", "tt", "ba", "cv", "ce")),
    (frozenset({"Cyrillic", "Latin"}), ("sr", "uz", "az", "tk")),
    (frozenset({"Arabic"}), ("ar", "fa", "ur", "ps", "sd", "ug")),
    (frozenset({"Arabic", "Latin"}), ("ku",)),
    (frozenset({"Devanagari"}), ("hi", "mr", "ne", "sa")),
    (frozenset({"Bengali"}), ("bn", "as")),
)
LANGUAGE_SCRIPTS: Final[dict[str, frozenset[str]]] = {
    **{code: frozenset({script}) for script, code in SCRIPT_LANGUAGE.items()},
    **{code: scripts for scripts, codes in _SHARED for code in codes},
}
"""Scripts each language is written in; a language not listed is written in Latin."""


def script_counts(text: str) -> dict[str, int]:
    """Letters of each script in ``text`` (scripts with none are left out)."""
    counts = {name: len(pattern.findall(text)) for name, pattern in _PATTERNS.items()}
    return {name: count for name, count in counts.items() if count}


def dominant_script(text: str) -> str | None:
    """The script most of ``text``'s letters are in (Han, kana and Hangul weigh three).

    ``None`` for a text without letters. Han with kana among it (a tenth of the two or more)
    is ``Kana``: Japanese mixes the two, Chinese has no kana but the odd borrowed ``の``.
    """
    counts = script_counts(text)
    if not counts:
        return None
    weights = {name: count * (3 if name in WIDE else 1) for name, count in counts.items()}
    cjk = weights.pop("Han", 0) + weights.pop("Kana", 0)
    if cjk:
        kana = counts.get("Kana", 0)
        weights["Kana" if kana and kana * 10 >= kana + counts.get("Han", 0) else "Han"] = cjk
    return max(weights, key=lambda name: (weights[name], name))


def script_language(script: str | None) -> str | None:
    """The language a script names on its own, or ``None`` for scripts many languages share."""
    return SCRIPT_LANGUAGE.get(script) if script else None


def written_in(language: str, script: str) -> bool:
    """True when ``language`` (ISO 639-1) is written in ``script``."""
    return script in LANGUAGE_SCRIPTS.get(language, frozenset({"Latin"}))
