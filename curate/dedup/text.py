"""What dedup compares, as polars expressions over the ``messages`` column.

Every message is normalised once: Unicode compatibility forms folded (NFKC), lower case,
punctuation and white space reduced to single spaces; letters, digits, combining marks and
symbols (emoji, ``+``, ``$``) stay. A conversation is then cut in two texts: its prompt (the
messages before the final assistant turn; all of them when there is none) and its reply
(the rest). The whole conversation is their union. Each text is compared two ways:

- exactly: equal roles and equal normalised contents (``exact_text``, hashed by xxh3);
- approximately: by the shingles of the normalised contents (``shingle_text``), words in
  word mode, characters in character mode (scripts written without spaces).
"""

from __future__ import annotations

import itertools
from typing import Final, Literal

import polars as pl
import xxhash

Shingle = Literal["auto", "word", "char"]

CHAR_LANGUAGES: Final = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "dz"})
"""ISO 639-1 codes of languages written without spaces between words."""
SPACELESS_SCRIPTS: Final = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]"
SPACELESS_SHARE: Final = 0.3
"""``shingle: auto`` without a language: character mode when at least this share of a
text's characters belong to scripts written without spaces."""
SEPARATORS: Final = r"[^\p{L}\p{N}\p{M}\p{S} ]+"
ROLE_MARK: Final = "\x1f"
MESSAGE_MARK: Final = "\x1e"


def normalized(content: pl.Expr) -> pl.Expr:
    """NFKC, lower case, only letters, digits, marks and symbols, one space between words."""
    # Matching only separators other than a lone space keeps the regex work per punctuation
    # mark, not per word; NFKC is the identity on ASCII, which most rows are.
    ascii_only = content.str.len_bytes() == content.str.len_chars()
    folded = pl.when(ascii_only).then(content).otherwise(content.str.normalize("NFKC"))
    spaced = folded.str.to_lowercase().str.replace_all(SEPARATORS, " ")
    return spaced.str.replace_all(" {2,}", " ").str.strip_chars(" ")


def normalized_messages(messages: pl.Expr) -> pl.Expr:
    """The messages with normalised contents (roles as they were)."""
    element = pl.element()
    return messages.list.eval(
        pl.struct(
            element.struct.field("role").fill_null("").alias("role"),
            normalized(element.struct.field("content").fill_null("")).alias("content"),
        )
    )


def prompt_length(messages: pl.Expr) -> pl.Expr:
    """How many messages come before the final assistant turn (all of them when none is)."""
    roles = messages.list.eval(pl.element().struct.field("role"))
    length = messages.list.len()
    from_end = roles.list.reverse().list.eval(pl.element() == "assistant").list.arg_max()
    return pl.when(roles.list.contains("assistant")).then(length - 1 - from_end).otherwise(length)


def prompt_of(messages: pl.Expr) -> pl.Expr:
    """The messages before the final assistant turn (all of them when there is none)."""
    return messages.list.head(prompt_length(messages))


def reply_of(messages: pl.Expr) -> pl.Expr:
    """The final assistant turn and whatever follows it (nothing when there is none)."""
    return messages.list.slice(prompt_length(messages))


def exact_text(messages: pl.Expr) -> pl.Expr:
    """Roles and normalised contents in one string: equal strings are exact duplicates."""
    element = pl.element().struct
    marked = messages.list.eval(
        pl.concat_str(element.field("role"), pl.lit(ROLE_MARK), element.field("content"))
    )
    return marked.list.join(MESSAGE_MARK).fill_null("")


def token_text(messages: pl.Expr) -> pl.Expr:
    """The normalised contents joined by single spaces."""
    joined = messages.list.eval(pl.element().struct.field("content")).list.join(" ").fill_null("")
    return joined.str.replace_all(" {2,}", " ").str.strip_chars(" ")


def char_mode(tokens: pl.Expr, language: pl.Expr, shingle: Shingle) -> pl.Expr:
    """True where a text is shingled by characters rather than words."""
    if shingle != "auto":
        return pl.lit(shingle == "char")
    letters = tokens.str.len_chars() - tokens.str.count_matches(" ", literal=True)
    spaceless = tokens.str.count_matches(SPACELESS_SCRIPTS).cast(pl.Float64)
    ascii_only = tokens.str.len_bytes() == tokens.str.len_chars()
    by_script = (
        pl.when(ascii_only)
        .then(False)
        .otherwise((letters > 0) & (spaceless >= SPACELESS_SHARE * letters.cast(pl.Float64)))
    )
    primary = language.str.to_lowercase().str.split("-").list.first().str.split("_").list.first()
    by_language = primary.is_in(sorted(CHAR_LANGUAGES))
    return pl.when(language.is_not_null()).then(by_language).otherwise(by_script).fill_null(False)


def shingle_text(tokens: pl.Expr, char: pl.Expr) -> pl.Expr:
    """The bytes ``curate.dedup.shingles`` reads: in word mode one space after every word (so
    every token span ends alike), in character mode no space at all."""
    word = pl.when(tokens == "").then(tokens).otherwise(tokens + " ")
    return pl.when(char).then(tokens.str.replace_all(" ", "", literal=True)).otherwise(word)


def exact_keys(data: memoryview, offsets: list[int]) -> list[int]:
    """64-bit xxh3 keys of the texts ``data[offsets[i]:offsets[i + 1]]`` (UTF-8 bytes).

    xxh3 is specified, so keys are stable across versions and machines; one call per text.
    """
    digest = xxhash.xxh3_64_intdigest
    return [digest(data[low:high]) for low, high in itertools.pairwise(offsets)]
