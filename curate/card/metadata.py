"""The card's YAML header: the metadata the Hugging Face Hub reads.

Built through ``huggingface_hub``'s ``DatasetCardData``, with only values the Hub knows:
``license`` is a Hub license id or a list of them (``licenses/hub_licenses.yaml``), with
``license_name`` / ``license_link`` only for licenses the Hub does not list; ``size_categories``
is one of the Hub's buckets; ``source_datasets`` names the Hub repos of the inputs whose rows
reach the output, where they are known. ``configs`` names the data files of every split, so
the Hub viewer and ``datasets.load_dataset`` see the same splits. A run without a derived
license says ``unknown``, which ``curate publish`` refuses.
"""

from __future__ import annotations

import re
from typing import Any

from huggingface_hub import DatasetCardData

from curate.card.source import CardSource
from curate.licensing import Source, registry
from curate.licensing.hub import HUB_REPO, hub_dataset_of, hub_license_ids
from curate.record import LicenseEntry

SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)
"""The Hub's size buckets, by their exclusive upper bound; above the last one it is ``n>1T``."""
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
NOT_A_LANGUAGE = frozenset({"und", "unk", "xx", "zxx", "mul"})
TAGS = {
    "pairs": ["dpo", "preference", "rlhf", "curate"],
    "standard": ["dpo", "preference", "rlhf", "curate"],
    "kto": ["kto", "preference", "rlhf", "curate"],
    "conversations": ["sft", "conversational", "curate"],
}
"""Tags by what a row is (``CardSource.layout``); stages that ran add theirs (``pii-scrubbed``...)."""
STAGE_TAGS = {"pii": "pii-scrubbed", "dedup": "deduplicated", "decontaminate": "decontaminated"}
ORDER = [
    "pretty_name",
    "license",
    "license_name",
    "license_link",
    "language",
    "task_categories",
    "tags",
    "size_categories",
    "source_datasets",
    "configs",
]
"""The order of the header's keys."""


def size_category(rows: int) -> str:
    """The Hub's size bucket for ``rows`` rows.

    >>> size_category(999), size_category(1_000), size_category(250_000)
    ('n<1K', '1K<n<10K', '100K<n<1M')
    """
    for bound, label in SIZE_CATEGORIES:
        if rows < bound:
            return label
    return "n>1T"


def languages(source: CardSource) -> list[str]:
    """The ISO 639 codes found in the output's ``language`` column, sorted."""
    column = source.column("language")
    if column.is_empty():
        return []
    found = column["language"].drop_nulls().unique().to_list()
    return sorted(
        code
        for code in (str(value).lower() for value in found)
        if LANGUAGE_CODE.match(code) and code not in NOT_A_LANGUAGE
    )


def data_files(source: CardSource) -> list[dict[str, str]]:
    """One ``{split, path}`` glob per split, in the format the Hub should read."""
    return [{"split": split, "path": f"data/{split}-*.{source.data_format}"} for split in source.splits]


def license_fields(source: CardSource) -> dict[str, Any]:
    """``license`` (an id or a list of ids) and, for licenses the Hub does not list,
    ``license_name`` / ``license_link``.

    The derived license's own id when the Hub knows it; for a combination (``other``) the Hub
    id of every license of the rows, so the dataset shows under each of them in the Hub's
    license filter.
    """
    derived = source.license
    if derived is None:
        return {"license": "unknown"}
    known = hub_license_ids()
    if derived.id in known and derived.id != "other":
        return {"license": derived.id}
    ids: set[str] = set()
    others: list[LicenseEntry] = []
    for entry in derived.licenses:
        found = registry().find_license(entry.key)
        hub = found.hub if found is not None else "other"
        if hub not in known or hub == "other":
            hub = "other"
            others.append(entry)
        ids.add(hub)
    listed = sorted(ids) or ["other"]
    fields: dict[str, Any] = {"license": listed[0] if len(listed) == 1 else listed}
    if others or not derived.licenses:
        keys = [entry.key for entry in others] or [derived.expression or "other"]
        name = "-and-".join(keys)
        fields["license_name"] = re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-") or "other"
        urls = sorted({entry.url for entry in others if entry.url})
        if len(others) == 1 and urls:
            fields["license_link"] = urls[0]
    return fields


def published_sources(source: CardSource) -> dict[str, tuple[str | None, Source | None]]:
    """Input name -> (its Hub repo, its entry in ``licenses/sources.yaml``), for the inputs whose
    rows reach the output, in pipeline order; either may be unknown (None).

    An input is known by its ``dataset:`` (a key of ``licenses/sources.yaml`` or a Hub repo
    name), by an ``hf://datasets/ORG/NAME/...`` path, or, with ``license: auto``, by the
    dataset its format identifies: the same reading the license derivation made.
    """
    column = source.column("source")
    published = set(column["source"].drop_nulls().to_list()) if not column.is_empty() else set()
    found = {}
    for spec in source.manifest.config.get("inputs") or []:
        if isinstance(spec, dict) and spec.get("name") in published:
            found[str(spec["name"])] = _known(spec)
    return found


def source_datasets(source: CardSource) -> list[str]:
    """The Hub repos of the inputs whose rows reach the output, where they are known."""
    return sorted({repo for repo, _ in published_sources(source).values() if repo is not None})


def _known(spec: dict[str, Any]) -> tuple[str | None, Source | None]:
    known = registry()
    in_path = hub_dataset_of(str(spec.get("path") or ""))
    entry: Source | None = None
    dataset = spec.get("dataset")
    if isinstance(dataset, str):
        entry = known.find_source(dataset)
    elif in_path is not None:
        entry = known.find_source(in_path)
    if entry is None and dataset is None and str(spec.get("license") or "").strip().lower() == "auto":
        entry = known.default_source_for_format(str(spec.get("format") or ""))
    if in_path is not None:
        return in_path, entry
    if entry is not None:
        return entry.hub, entry
    if isinstance(dataset, str) and HUB_REPO.match(dataset):
        return dataset, None
    return None, None


def hub_metadata(source: CardSource) -> dict[str, Any]:
    """The metadata dict, keys in the order a reader expects them."""
    rows = source.manifest.output.rows
    tags = list(TAGS.get(source.layout, ["curate"]))
    ran = {stage.name for stage in source.stages}
    tags += [tag for stage, tag in STAGE_TAGS.items() if stage in ran]
    metadata: dict[str, Any] = {"pretty_name": source.name, **license_fields(source)}
    found = languages(source)
    if found:
        metadata["language"] = found
    metadata |= {
        "task_categories": ["text-generation"],
        "tags": tags,
        "size_categories": [size_category(rows)],
    }
    sources = source_datasets(source)
    if sources:
        metadata["source_datasets"] = sources
    if source.splits:
        metadata["configs"] = [{"config_name": "default", "data_files": data_files(source)}]
    return metadata


def render_metadata(metadata: dict[str, Any]) -> str:
    """The YAML header, between ``---`` lines, written by ``huggingface_hub``'s ``DatasetCardData``."""
    card_data = DatasetCardData(**metadata)
    return f"---\n{card_data.to_yaml(original_order=ORDER)}\n---\n"
