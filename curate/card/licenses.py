"""Where the rows came from and on what terms: the sources table and the license section.

The license is the run's derived license record (the manifest's ``license``, derived from
the rows by ``curate.licensing``). When a run has none, the card says so plainly instead of
guessing.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.card.metadata import license_fields
from curate.card.source import CardSource
from curate.markdown import cell, code, table
from curate.record import Attribution, LicenseEntry, LicenseSummary


def sources_section(source: CardSource) -> str:
    out = _rows_by_source(source)
    owed = _attribution_by_input(source)
    unit = "pairs out" if source.layout in ("pairs", "standard") else "rows out"
    rows = []
    for item in source.manifest.inputs:
        count, licenses = out.get(item.name, (0, []))
        rows.append(
            [
                code(item.name),
                item.format,
                item.records,
                item.rejected,
                count,
                item.license,
                ", ".join(licenses) or "-",
                owed.get(item.name, "unknown" if source.license is None else "no"),
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
        declared = [(code(i.name), i.license) for i in source.manifest.inputs]
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
        f" **{code(derived.expression or derived.id)}** ({_hub_ids(source)}).",
        table(["", "derived"], _summary_rows(derived), align="ll"),
    ]
    if derived.derivation:
        steps = "\n".join(f"{n}. {cell(step)}" for n, step in enumerate(derived.derivation, start=1))
        blocks += ["### How the license was derived", steps]
    if derived.licenses:
        blocks += ["### Licenses of the rows", _licenses_table(derived.licenses)]
    if derived.attributions:
        blocks += ["### Attribution", _attributions(derived.attributions)]
    if derived.terms:
        blocks += [
            "### Terms of the models that wrote the answers",
            "Model providers' terms of use may restrict what the generated text can be used for,"
            " independently of the license of the dataset.",
            table(
                ["provider", "rows", "note", "terms"],
                [(t.provider, t.rows, t.note, t.url) for t in derived.terms],
                align="lrll",
            ),
        ]
    return "\n\n".join(blocks)


def _summary_rows(derived: LicenseSummary) -> list[tuple[str, Any]]:
    return [
        ("permitted use", derived.use),
        ("attribution required", derived.attribution_required),
        ("share-alike", derived.share_alike),
        ("redistribution allowed", derived.redistribution_allowed),
    ]


def _licenses_table(licenses: list[LicenseEntry]) -> str:
    rows = [
        (code(item.key), item.name, item.rows, item.use, item.attribution, item.share_alike, item.url)
        for item in licenses
    ]
    return table(["key", "name", "rows", "use", "attribution", "share-alike", "text"], rows, align="llrllll")


def _attributions(attributions: list[Attribution]) -> str:
    blocks = []
    for item in attributions:
        sources = ", ".join(code(s) for s in item.sources)
        text = " ".join(item.text.split())
        blocks.append(f"- {code(item.license)} ({sources}): {cell(text)}")
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
    attributions = source.license.attributions if source.license else []
    owed: dict[str, list[str]] = {}
    for item in attributions:
        for name in item.sources:
            owed.setdefault(name, []).append(item.license)
    return {name: "yes: " + ", ".join(sorted(set(keys))) for name, keys in owed.items()}


def _hub_ids(source: CardSource) -> str:
    """The license ids the card's metadata gives the Hub, as the License section names them."""
    found = license_fields(source)["license"]
    ids = found if isinstance(found, list) else [found]
    return f"Hub {'ids' if len(ids) > 1 else 'id'} {', '.join(code(str(i)) for i in ids)}"
