"""Our license classes against the Data Provenance Initiative's, and the docs that explain the gaps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curate.licensing import registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "licenses.md"
DPI_USE = {
    "All": "commercial",
    "NC": "noncommercial",
    "Acad": "academic",
    "Unspecified": "unspecified",
    "?": "unknown",
}


@pytest.fixture(scope="module")
def dpi_classes(shared_data: Path) -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(
        (shared_data / "licenses" / "dpi_license_classes.json").read_text()
    )
    return data


def differences(dpi: dict[str, list[str]]) -> set[tuple[str, str, str]]:
    """(our key, DPI name, field) for every field where our class differs from the DPI's."""
    found = set()
    entries = [*registry().licenses.values(), *registry().terms]
    for entry in entries:
        for name in entry.dpi:
            use, attribution, share_alike = dpi[name]
            ours = {
                "use": entry.use,
                "attribution": entry.attribution,
                "share_alike": getattr(entry, "share_alike", None),
            }
            theirs = {
                "use": DPI_USE[use],
                "attribution": None if attribution == "?" else attribution == "1",
                "share_alike": None if share_alike == "?" else share_alike == "1",
            }
            for field, value in theirs.items():
                if value is not None and ours[field] is not None and ours[field] != value:
                    found.add((entry.key, name, field))
    return found


def documented() -> set[tuple[str, str]]:
    """(key, DPI name) rows of the docs' table of deliberate differences."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("### Differences from the Data Provenance Initiative", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|", table, flags=re.M)
    return {(key, name) for key, name in rows if key not in ("key", "---")}


def test_every_dpi_name_we_cite_exists(dpi_classes: dict[str, list[str]]) -> None:
    cited = {name for entry in [*registry().licenses.values(), *registry().terms] for name in entry.dpi}
    assert cited - set(dpi_classes) == set()


def test_every_difference_from_the_dpi_is_documented_and_nothing_else(
    dpi_classes: dict[str, list[str]],
) -> None:
    found = {(key, name) for key, name, _ in differences(dpi_classes)}
    assert found == documented()


@pytest.mark.parametrize(
    ("key", "use"),
    [("openai", "noncommercial"), ("anthropic", "noncommercial")],
)
def test_provider_terms_agree_with_the_dpi_reading(
    key: str, use: str, dpi_classes: dict[str, list[str]]
) -> None:
    terms = registry().terms_by_key(key)
    assert terms.use == use
    assert all(DPI_USE[dpi_classes[name][0]] == use for name in terms.dpi)


def test_the_classes_of_common_licenses_match_the_dpi(dpi_classes: dict[str, list[str]]) -> None:
    agreeing = {
        "Apache-2.0",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "ODC-BY-1.0",
        "CC0-1.0",
    }
    disagreeing = {key for key, _, _ in differences(dpi_classes)}
    assert agreeing.isdisjoint(disagreeing)
