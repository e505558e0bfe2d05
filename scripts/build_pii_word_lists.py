"""Build the word lists the pii stage ships in ``curate/pii/data`` (run by hand, rarely).

    python scripts/build_pii_word_lists.py NAMES_DATASET_DIR LEXEME_PROB_JSON_GZ

- ``names.txt.gz``: first names and surnames, one per line with ``F``, ``L`` or ``FL``: the
  names ranked in the top ``RANK`` of at least one country by the ``names-dataset`` package
  (3.3.1, Apache-2.0; https://pypi.org/project/names-dataset/, ``v3/first_names.pkl.gz`` and
  ``v3/last_names.pkl.gz``), letters only (``-`` and ``'`` allowed), 2-30 characters. Only
  names that many people share (a top-``RANK`` rank) are kept, never a record.
- ``common_words.txt.gz``: lower-case English words that are common (log-probability >=
  ``COMMON_LOGPROB``) and written in lower case at least e^-``CAPITAL_MARGIN`` (~22%) as often
  as capitalised (so "hi" and "bush" count, sentence-initial as they often are; "john" not), from
  ``en_lexeme_prob`` of ``spacy-lookups-data`` 1.0.5 (MIT). A capitalised one of these is a
  word before it is a name ("Will", "Grace", "Format").

Neither package is a dependency: the lists are small and load in well under a second.
"""

from __future__ import annotations

import gzip
import json
import pickle
import sys
from pathlib import Path

import regex

RANK = 1000
COMMON_LOGPROB = -14.0
CAPITAL_MARGIN = 1.5
NAME = regex.compile(r"^\p{L}[\p{L}\p{M}'’-]{1,29}$")
OUT = Path(__file__).resolve().parents[1] / "curate" / "pii" / "data"


def names(folder: Path) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for kind, file in (("F", "first_names.pkl.gz"), ("L", "last_names.pkl.gz")):
        with gzip.open(folder / file) as handle:
            table = pickle.load(handle)
        for name, info in table.items():
            ranks = [rank for rank in (info.get("rank") or {}).values() if rank is not None]
            if ranks and min(ranks) <= RANK and NAME.match(name):
                kinds[name] = kinds.get(name, "") + kind
        del table
    return kinds


def common_words(path: Path) -> list[str]:
    probs: dict[str, float] = json.loads(gzip.decompress(path.read_bytes()))
    return sorted(
        word
        for word, logprob in probs.items()
        if word.isalpha()
        and word == word.lower()
        and logprob >= COMMON_LOGPROB
        and logprob >= probs.get(word.title(), -99.0) - CAPITAL_MARGIN
    )


def main() -> None:
    folder, lexemes = Path(sys.argv[1]), Path(sys.argv[2])
    OUT.mkdir(parents=True, exist_ok=True)
    table = names(folder)
    lines = "".join(f"{name}\t{kind}\n" for name, kind in sorted(table.items()))
    (OUT / "names.txt.gz").write_bytes(gzip.compress(lines.encode(), mtime=0))
    words = common_words(lexemes)
    text = "".join(f"{word}\n" for word in words)
    (OUT / "common_words.txt.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"{len(table)} names, {len(words)} common words -> {OUT}")


if __name__ == "__main__":
    main()
