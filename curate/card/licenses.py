"""Where the rows came from and on what terms: the sources table and the license section.

The license is the run's derived license record (``manifest["license"]``, written by the
license stage). When a run has none, the card says so plainly instead of guessing.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.card.markdown import cell, code, table
from curate.card.source import CardSource


def sources_section(source: CardSource) -> str:
    out = _rows_by_source(source)
    owed = _attribution_by_input(source)
    unit = "pairs out" if source.kind == "pairs" else "rows out"
    rows = []
    for item in source.manifest.get("inputs", []):
        name = str(item["name"])
        count, licenses = out.get(name, (0, []))
        rows.append(
            [
                code(name),
                item.get("format"),
                int(item.get("records", 0)),
                int(item.get("rejected", 0)),
                count,
                item.get("license"),
                ", ".join(licenses) or "-",
                owed.get(name, "unknown" if source.license is None else "no"),
            ]
        )
    header = ["input", "format", "records in", "unreadable", unit, "declared license", "licenses of rows out"]
    return "\n\n".join(
        [
            "## Sources",
            "Records read from each input, what came out of it, and under which license. The declared"
            " license applies to records that carry none of their own.",
            table([*header, "attribution owed"], rows, align="llrrrlll"),
        ]
    )


def license_section(source: CardSource) -> str:
    derived = source.license
    if derived is None:
        declared = [(code(str(i["name"])), i.get("license")) for i in source.manifest.get("inputs", [])]
        return "\n\n".join(
            [
                "## License",
                "**No license was derived for this run.** Its manifest has no license record (the"
                " `license` stage writes one), so the metadata above says `license: unknown` and"
                " `curate publish` refuses to publish it. Do not share or train on this data before its"
                " license is established.",
                "Licenses the pipeline file declares for its inputs (not checked against the rows):",
                table(["input", "declared license"], declared, align="ll"),
            ]
        )
    blocks = [
        "## License",
        f"The license of the dataset as a whole, derived from the licenses of its rows:"
        f" **{code(str(derived.get('expression') or derived['id']))}** (Hub id {code(str(derived['id']))}).",
        table(["", "derived"], _summary_rows(derived), align="ll"),
    ]
    if derived.get("derivation"):
        steps = "\n".join(f"{n}. {cell(step)}" for n, step in enumerate(derived["derivation"], start=1))
        blocks += ["### How the license was derived", steps]
    if derived.get("licenses"):
        blocks += ["### Licenses of the rows", _licenses_table(derived["licenses"])]
    if derived.get("attributions"):
        blocks += ["### Attribution", _attributions(derived["attributions"])]
    if derived.get("terms"):
        blocks += [
            "### Terms of the models that wrote the answers",
            "Model providers' terms of use may restrict what the generated text can be used for,"
            " independently of the license of the dataset.",
            table(
                ["provider", "rows", "note", "terms"],
                [
                    (t.get("provider"), int(t.get("rows", 0)), t.get("note"), t.get("url"))
                    for t in derived["terms"]
                ],
                align="lrll",
            ),
        ]
    return "\n\n".join(blocks)


def _summary_rows(derived: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("permitted use", derived.get("use", "unknown")),
        ("attribution required", bool(derived.get("attribution_required"))),
        ("share-alike", bool(derived.get("share_alike"))),
    ]
    if "redistribution_allowed" in derived:
        rows.append(("redistribution allowed", bool(derived["redistribution_allowed"])))
    return rows


def _licenses_table(licenses: list[dict[str, Any]]) -> str:
    rows = [
        (
            code(str(item.get("key"))),
            item.get("name"),
            int(item.get("rows", 0)),
            item.get("use"),
            bool(item.get("attribution")),
            bool(item.get("share_alike")),
            item.get("url"),
        )
        for item in licenses
    ]
    return table(["key", "name", "rows", "use", "attribution", "share-alike", "text"], rows, align="llrllll")


def _attributions(attributions: list[dict[str, Any]]) -> str:
    blocks = []
    for item in attributions:
        sources = ", ".join(code(str(s)) for s in item.get("sources", []))
        text = " ".join(str(item.get("text") or "").split())
        blocks.append(f"- {code(str(item.get('license')))} ({sources}): {cell(text)}")
    return "\n".join(blocks)


def _rows_by_source(source: CardSource) -> dict[str, tuple[int, list[str]]]:
    """Rows out per source and the distinct licenses they carry, read from the published data."""
    sources = source.column("source")
    if sources.is_empty():
        return {}
    licenses = source.column("license")
    frame = sources.select("source").with_columns(
        license=licenses["license"] if licenses.height == sources.height else pl.lit(None, pl.String)
    )
    grouped = frame.group_by("source").agg(
        pl.len().alias("rows"), pl.col("license").drop_nulls().unique().sort().alias("licenses")
    )
    return {row["source"]: (int(row["rows"]), list(row["licenses"])) for row in grouped.iter_rows(named=True)}


def _attribution_by_input(source: CardSource) -> dict[str, str]:
    derived = source.license or {}
    owed: dict[str, list[str]] = {}
    for item in derived.get("attributions", []):
        for name in item.get("sources", []):
            owed.setdefault(str(name), []).append(str(item.get("license")))
    return {name: "yes: " + ", ".join(sorted(set(keys))) for name, keys in owed.items()}
