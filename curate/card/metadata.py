"""The card's YAML header: the metadata the Hugging Face Hub reads.

``configs`` names the data files of every split, so the Hub viewer and
``datasets.load_dataset`` see the same splits. The license comes from the run's derived
license record; a run without one says ``unknown``, which ``curate publish`` refuses.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from curate.card.source import CardSource

SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
NOT_A_LANGUAGE = frozenset({"und", "unk", "xx", "zxx", "mul"})
TAGS = {
    "pairs": ["dpo", "preference", "rlhf", "curate"],
    "conversations": ["sft", "conversational", "curate"],
}
"""Tags by output kind; stages that ran add theirs (``pii-scrubbed``, ``deduplicated``)."""
STAGE_TAGS = {"pii": "pii-scrubbed", "dedup": "deduplicated", "decontaminate": "decontaminated"}


def size_category(rows: int) -> str:
    """The Hub's size bucket for ``rows`` rows.

    >>> size_category(999), size_category(1_000), size_category(250_000)
    ('n<1K', '1K<n<10K', '100K<n<1M')
    """
    for bound, label in SIZE_CATEGORIES:
        if rows < bound:
            return label
    return "n>10B"


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
    """``license`` (and, for ``other``, ``license_name`` / ``license_link``)."""
    derived = source.license
    if derived is None:
        return {"license": "unknown"}
    fields: dict[str, Any] = {"license": derived.id}
    if derived.id == "other":
        expression = derived.expression or "other"
        fields["license_name"] = re.sub(r"[^a-z0-9.]+", "-", expression.lower()).strip("-") or "other"
        urls = sorted({entry.url for entry in derived.licenses if entry.url})
        if len(urls) == 1:
            fields["license_link"] = urls[0]
    return fields


def hub_metadata(source: CardSource) -> dict[str, Any]:
    """The metadata dict, keys in the order a reader expects them."""
    rows = source.manifest.output.rows
    tags = list(TAGS.get(source.kind, ["curate"]))
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
    if source.splits:
        metadata["configs"] = [{"config_name": "default", "data_files": data_files(source)}]
    return metadata


def render_metadata(metadata: dict[str, Any]) -> str:
    """The YAML header, between ``---`` lines."""
    text = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    return f"---\n{text}---\n"
