"""The ``license`` section of ``manifest.json``: the dataset's license, derived from its rows.

The dataset card reads this section; its shape is a contract::

    {"id", "expression", "use", "attribution_required", "share_alike", "redistribution_allowed",
     "licenses": [{"key", "name", "url", "rows", "use", "attribution", "share_alike"}],
     "attributions": [{"license", "sources", "text"}],
     "terms": [{"provider", "rows", "note", "url"}],   (model providers: of the writers and the judge)
     "derivation": [str, ...]}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from curate.errors import LicenseError
from curate.licensing.algebra import hub_license, share_alike_target
from curate.licensing.expression import AllOf, has_choice, parse_expression
from curate.licensing.keys import DatasetTerms, input_model_terms, input_source_key
from curate.licensing.policy import ModelTerms, dataset_use, licenses_in_use, most_restrictive
from curate.licensing.registry import KnownLicense, LicenseRegistry, Source, Terms, UseClass, registry

if TYPE_CHECKING:
    from curate.config import InputConfig

SAMPLE_IDS = 3


def summarize_output(
    frame: pl.DataFrame,
    conversations: pl.DataFrame | None = None,
    *,
    inputs: Sequence[InputConfig] = (),
    model_terms: ModelTerms = "apply",
) -> dict[str, Any]:
    """Derive the dataset's license from the rows of ``frame`` (pairs or conversations).

    ``conversations`` (with ``source``, ``id`` and ``model``) lets the summary find the models
    behind a pair's two sides; ``inputs`` lets attributions name the known datasets behind
    each source, and gives a row that names no model the terms of its known dataset's models
    (as the license stage does); ``model_terms`` is the license stage's setting. Raises ``LicenseError`` when
    two share-alike licenses cannot be reconciled, naming them and some of their rows.
    """
    known = registry()
    rows = _license_rows(frame, known)
    keys = rows.group_by("key").agg(
        rows=pl.col("_row").n_unique(),
        sources=pl.col("source").unique().sort(),
        ids=pl.col("id").unique().sort().head(SAMPLE_IDS),
    )
    keys = keys.sort(["rows", "key"], descending=[True, False])
    entries = {key: known.licenses[key] for key in keys["key"] if key in known.licenses}
    unregistered = [key for key in keys["key"] if key not in known.licenses]
    share_alike = _share_alike(list(entries.values()), keys)
    terms_rows = _terms_rows(frame, conversations, known, input_model_terms(inputs))
    applied = model_terms == "apply"
    classes = classes_of(entries, unregistered, terms_rows, applied, known)
    choice = hub_license(list(entries.values()), unregistered)
    sources_by_input = _known_sources(inputs, known)
    use: UseClass = dataset_use(classes) if frame.height else "unknown"
    summary: dict[str, Any] = {
        "id": choice.id,
        "expression": " AND ".join(sorted(_spdx(key, entries) for key in keys["key"])),
        "use": use,
        "attribution_required": any(e.attribution for e in entries.values())
        or (applied and any(known.terms_by_key(k).attribution for k in terms_rows)),
        "share_alike": share_alike is not None,
        "redistribution_allowed": not unregistered and all(e.redistribution for e in entries.values()),
        "licenses": [_license_entry(row, entries) for row in keys.iter_rows(named=True)],
        "attributions": [
            _attribution(entries[row["key"]], row["sources"], sources_by_input)
            for row in keys.iter_rows(named=True)
            if row["key"] in entries and entries[row["key"]].attribution
        ],
        "terms": [
            {
                "provider": key,
                "rows": count,
                "note": known.terms_by_key(key).note,
                "url": known.terms_by_key(key).url,
            }
            for key, count in terms_rows.items()
        ],
    }
    hub = f"{choice.id}, because {choice.reason}"
    summary["derivation"] = _derivation(
        frame, keys, entries, terms_rows, applied, share_alike, use, hub, known
    )
    return summary


def _license_rows(frame: pl.DataFrame, known: LicenseRegistry) -> pl.DataFrame:
    """One row per (output row, license it is used under), with the license's canonical key."""
    columns = [
        pl.col("license").cast(pl.String).fill_null("unspecified")
        if "license" in frame.columns
        else pl.lit("unspecified").alias("license"),
        pl.col("source").cast(pl.String).fill_null("")
        if "source" in frame.columns
        else pl.lit("").alias("source"),
        pl.col("id").cast(pl.String)
        if "id" in frame.columns
        else pl.int_range(pl.len()).cast(pl.String).alias("id"),
    ]
    rows = frame.select(columns).with_row_index("_row")
    used = {raw: licenses_in_use(raw, known) for raw in rows["license"].unique().to_list()}
    keys = pl.col("license").replace_strict(used, return_dtype=pl.List(pl.String))
    return rows.with_columns(key=keys).explode("key")


def _share_alike(entries: list[KnownLicense], keys: pl.DataFrame) -> KnownLicense | None:
    try:
        return share_alike_target(entries)
    except ValueError:
        shared = keys.filter(pl.col("key").is_in([e.key for e in entries if e.share_alike]))
        listed = "; ".join(
            f"{row['key']} (rows {', '.join(row['ids'])}{', ...' if row['rows'] > len(row['ids']) else ''})"
            for row in shared.sort("key").iter_rows(named=True)
        )
        raise LicenseError(
            f"share-alike licenses conflict in the output: {listed}. Adaptations of each must stay "
            "under its own license, so one dataset cannot hold both; drop one with "
            "`license: {deny: [KEY]}` or build separate datasets"
        ) from None


def _terms_rows(
    frame: pl.DataFrame,
    conversations: pl.DataFrame | None,
    known: LicenseRegistry,
    dataset_terms: dict[str, DatasetTerms],
) -> dict[str, int]:
    """How many output rows hold outputs of models under each provider's terms.

    A row (or a pair's side) that names no model holds outputs under the terms of its source's
    known dataset, when it has some.
    """
    sources = pl.col("source").cast(pl.String) if "source" in frame.columns else pl.lit(None, pl.String)
    if "model" in frame.columns:
        sides = [
            frame.select(pl.col("model").cast(pl.String), sources.alias("source")).with_row_index("_row")
        ]
    elif conversations is not None and {"chosen_id", "rejected_id"} <= set(frame.columns):
        lookup = conversations.select(
            pl.col("source").cast(pl.String), pl.col("id").cast(pl.String), pl.col("model").cast(pl.String)
        ).unique(["source", "id"], keep="first", maintain_order=True)
        indexed = frame.select("source", "chosen_id", "rejected_id").with_row_index("_row")
        sides = [
            indexed.drop_nulls(side)  # a kto output's row is one reply: one side is null
            .join(lookup, left_on=["source", side], right_on=["source", "id"], how="left")
            .select("_row", "model", "source")
            for side in ("chosen_id", "rejected_id")
        ]
    else:
        return {}
    if "judge" in frame.columns:
        # A judge's verdicts are its outputs too: its provider's terms reach the pairs it made.
        judged = frame.select(pl.col("judge").cast(pl.String).alias("model"), sources.alias("source"))
        sides.append(judged.with_row_index("_row").drop_nulls("model"))
    found = pl.concat(sides)
    mapping = {}
    for model, source in found.select("model", "source").unique().iter_rows():
        if model:
            terms = known.terms_for(model)
            mapping[(model, source)] = [terms.key] if terms else []
        else:
            # A pair's source names both sides' inputs ("a+b"; input names hold no "+").
            reaching = [dataset_terms.get(name) for name in (source or "").split("+")]
            keys = [key for found_terms in reaching if found_terms for key in found_terms.terms]
            mapping[(model, source)] = list(dict.fromkeys(keys))
    rows = [(row, key) for row, model, source in found.iter_rows() for key in mapping[(model, source)]]
    if not rows:
        return {}
    counted = (
        pl.DataFrame(rows, schema={"_row": pl.UInt32, "terms": pl.String}, orient="row")
        .group_by("terms")
        .agg(pl.col("_row").n_unique().alias("rows"))
        .sort(["rows", "terms"], descending=[True, False])
    )
    return dict(zip(counted["terms"].to_list(), counted["rows"].to_list(), strict=True))


def _judged_rows(frame: pl.DataFrame, known: LicenseRegistry) -> dict[str, tuple[Terms, int]]:
    """Judge models under known terms: their terms and the rows whose sides they chose."""
    if "judge" not in frame.columns:
        return {}
    counts = frame.get_column("judge").cast(pl.String).drop_nulls().value_counts(name="rows")
    found = {}
    for judge, rows in counts.sort(["rows", "judge"], descending=[True, False]).iter_rows():
        terms = known.terms_for(judge)
        if terms is not None:
            found[str(judge)] = (terms, int(rows))
    return found


def _license_entry(row: dict[str, Any], entries: dict[str, KnownLicense]) -> dict[str, Any]:
    entry = entries.get(row["key"])
    if entry is None:
        return {
            "key": row["key"],
            "name": row["key"],
            "url": None,
            "rows": row["rows"],
            "use": "unknown",
            "attribution": False,
            "share_alike": False,
        }
    return {
        "key": entry.key,
        "name": entry.name,
        "url": entry.url,
        "rows": row["rows"],
        "use": entry.use,
        "attribution": entry.attribution,
        "share_alike": entry.share_alike,
    }


def _known_sources(inputs: Sequence[InputConfig], known: LicenseRegistry) -> dict[str, Source]:
    found = {}
    for spec in inputs:
        key = input_source_key(spec)
        if key is not None:
            found[spec.name] = known.sources[key]
    return found


def _attribution(entry: KnownLicense, sources: list[str], by_input: dict[str, Source]) -> dict[str, Any]:
    labels = []
    for name in sources:
        source = by_input.get(name)
        labels.append(f"{source.attribution} ({source.url})" if source else name)
    where = f" ({entry.url})" if entry.url else ""
    text = (
        f"Contains data from {'; '.join(labels)}, licensed under {entry.name}{where}; "
        "selected and reformatted with curate."
    )
    return {"license": entry.key, "sources": sources, "text": text}


def _spdx(key: str, entries: dict[str, KnownLicense]) -> str:
    entry = entries.get(key)
    return entry.spdx if entry else "LicenseRef-" + (re.sub(r"[^A-Za-z0-9.-]+", "-", key).strip("-") or "x")


def _derivation(
    frame: pl.DataFrame,
    keys: pl.DataFrame,
    entries: dict[str, KnownLicense],
    terms_rows: dict[str, int],
    applied: bool,
    share_alike: KnownLicense | None,
    use: UseClass,
    hub: str,
    known: LicenseRegistry,
) -> list[str]:
    if not frame.height:
        return ["The output has no rows, so there is no license to derive."]
    counts = ", ".join(f"{row['key']} ({row['rows']:,})" for row in keys.iter_rows(named=True))
    steps = [f"{_rows(frame.height)} carry {keys.height} license(s): {counts}."]
    expressions = [
        parse_expression(raw, strict=False)
        for raw in (frame["license"].cast(pl.String).unique().to_list() if "license" in frame.columns else [])
    ]
    if any(isinstance(expression, AllOf) for expression in expressions):
        steps.append("A row made of parts under different licenses (a pair's two sides) carries all of them.")
    if any(has_choice(expression) for expression in expressions):
        steps.append("A row under a choice of licenses (OR) counts under its least restrictive alternative.")
    classes = [f"{key} {entry.use}" for key, entry in entries.items()]
    unknown = [key for key in keys["key"] if key not in entries]
    classes += [f"{key} unknown (not in the registry)" for key in unknown]
    steps.append(f"Use classes: {', '.join(classes)}.")
    status = "applied" if applied else "ignored (model_terms: ignore)"
    for key, count in terms_rows.items():
        terms = known.terms_by_key(key)
        steps.append(
            f"Outputs of models under the {terms.name} are in {_rows(count)}; those terms allow "
            f"{terms.use} use of outputs at most ({status})."
        )
    for judge, (terms, count) in _judged_rows(frame, known).items():
        steps.append(
            f"The judge {judge} chose the sides of {_rows(count)}; its verdicts fall under the "
            f"{terms.name}, counted above ({status})."
        )
    if use != most_restrictive(classes_of(entries, unknown, terms_rows, applied, known)):
        steps.append(
            "Use: unspecified. Some rows carry no license, so no license grants the non-commercial use"
            " the other rows are limited to; the dataset as a whole is no more than unspecified."
        )
    else:
        steps.append(f"Use: {use}, the most restrictive of these.")
    owed = [key for key, entry in entries.items() if entry.attribution]
    steps.append(
        f"Attribution is owed under {', '.join(owed)}." if owed else "No license asks for attribution."
    )
    if share_alike is not None:
        others = [key for key, entry in entries.items() if entry.share_alike and key != share_alike.key]
        moved = f"; {', '.join(others)} can move to it" if others else ""
        steps.append(f"Share-alike: adaptations stay under {share_alike.key}{moved}.")
    no_derivatives = [key for key, entry in entries.items() if entry.no_derivatives]
    if no_derivatives:
        steps.append(
            f"No derivatives: rows under {', '.join(no_derivatives)} may not be shared once changed "
            "(PII replaced, text normalised)."
        )
    closed = [key for key, entry in entries.items() if not entry.redistribution] + unknown
    if closed:
        verb = "does" if len(closed) == 1 else "do"
        steps.append(
            f"Redistribution: {', '.join(closed)} {verb} not allow passing the data on; keep it in-house."
        )
    steps.append(f"Hub license id: {hub}.")
    return steps


def classes_of(
    entries: dict[str, KnownLicense],
    unregistered: list[str],
    terms_rows: dict[str, int],
    applied: bool,
    known: LicenseRegistry,
) -> list[UseClass]:
    """The use classes of the rows' licenses and, when applied, of the model terms that reach them."""
    classes: list[UseClass] = [entry.use for entry in entries.values()] + ["unknown"] * len(unregistered)
    if applied:
        classes += [known.terms_by_key(key).use for key in terms_rows]
    return classes


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
