"""Stage reports in the card: known stages get prose and tables, any other report a generic table.

A report holds counts and settings only (the stage contract), so whatever keys a stage adds
render without a change here: scalars in a figure/value table, mappings in tables of their
own, lists of mappings in tables with one column per key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from curate.card.markdown import cell, plural, table, words

Renderer = Callable[[dict[str, Any]], str]


def report_section(stage: Mapping[str, Any], heading: str) -> str | None:
    """The ``###`` section of one stage's report, or None when it reported nothing."""
    report = dict(stage.get("report") or {})
    if not report:
        return None
    renderer = RENDERERS.get(str(stage.get("name")), generic)
    try:
        body = renderer(dict(report))
    except (TypeError, ValueError, AttributeError):
        # A known stage whose report changed shape: still show every figure, plainly.
        body = generic(report)
    return f"### {heading}\n\n{body}" if body else None


def generic(report: Mapping[str, Any]) -> str:
    """Scalars (and lists of scalars) in one table; every mapping or list of mappings in its own."""
    scalars = [(words(key), value) for key, value in report.items() if _flat(value)]
    blocks = [table(["figure", "value"], scalars)] if scalars else []
    for key, value in report.items():
        if isinstance(value, Mapping):
            blocks.append(mapping_table(value, words(key)))
        elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            columns = list(dict.fromkeys(name for item in value for name in item))
            rows = [[_value(item.get(name)) for name in columns] for item in value]
            blocks.append(f"**{cell(words(key))}**\n\n{table([words(c) for c in columns], rows)}")
    return "\n\n".join(blocks)


def mapping_table(mapping: Mapping[str, Any], key: str = "key", value: str = "value") -> str:
    """A two-column table; counts sort largest first, nested mappings flatten to ``a.b`` keys."""
    flat = _flatten(mapping)
    if flat and all(_count(v) for _, v in flat):
        flat.sort(key=lambda item: (-item[1], item[0]))
    return table([key, value], flat)


def dedup(report: dict[str, Any]) -> str:
    sentences = []
    if "exact_duplicates" in report or "near_duplicates" in report:
        exact, near = int(report.pop("exact_duplicates", 0)), int(report.pop("near_duplicates", 0))
        sentences.append(f"Removed {plural(exact, 'exact duplicate')} and {plural(near, 'near duplicate')}.")
    method = []
    if "threshold" in report:
        method.append(f"estimated Jaccard similarity at least {report.pop('threshold')}")
    if "num_perm" in report:
        method.append(f"MinHash with {report.pop('num_perm')} permutations")
    if "ngram" in report:
        method.append(f"word {report.pop('ngram')}-grams")
    if "bands" in report and "rows" in report:
        method.append(f"LSH with {report.pop('bands')} bands of {report.pop('rows')} rows")
    if method:
        sentences.append("Near duplicates: " + ", ".join(method) + ".")
    if "prompt_clusters" in report:
        sentences.append(
            f"Prompts fell into {plural(int(report.pop('prompt_clusters')), 'cluster')} of near-duplicates"
            " (the `split` stage keeps a cluster on one side)."
        )
    sizes = report.pop("largest_clusters", None)
    if sizes:
        sentences.append(f"Largest clusters: {', '.join(f'{int(size):,}' for size in sizes)} rows.")
    rest = generic(report)
    return "\n\n".join(filter(None, [" ".join(sentences), rest]))


def pii(report: dict[str, Any]) -> str:
    blocks = []
    entities = report.pop("entities", None)
    found = report.pop("conversations_with_pii", None)
    ner = report.pop("ner_on", None)
    lead = []
    if found is not None:
        lead.append(f"{plural(int(found), 'conversation')} held personal data that was scrubbed.")
    if isinstance(ner, list) and ner:
        lead.append(
            "Detection used presidio's pattern recognizers on every scanned turn and spaCy named-entity"
            f" recognition on {' and '.join(str(role) for role in ner)} turns."
        )
    elif ner is not None:
        lead.append(
            "Detection used presidio's pattern recognizers and spaCy named-entity recognition."
            if ner
            else "Detection used presidio's pattern recognizers only (named-entity recognition was off)."
        )
    if lead:
        blocks.append(" ".join(lead))
    if isinstance(entities, Mapping):
        blocks.append(
            "Entities found, by type (counts only: no value is ever recorded):\n\n"
            + mapping_table(entities, "entity type", "found")
        )
    actions = report.pop("actions", None)
    if isinstance(actions, Mapping):
        blocks.append("What was done with them:\n\n" + mapping_table(actions, "action", "entities"))
    blocks.append(generic(report))
    return "\n\n".join(filter(None, blocks))


def language(report: dict[str, Any]) -> str:
    if report and all(_count(v) for v in report.values()):
        return "Rows by detected language:\n\n" + mapping_table(report, "language", "rows")
    counts = report.pop("languages", None)
    blocks = []
    if isinstance(counts, Mapping):
        blocks.append("Rows by detected language:\n\n" + mapping_table(counts, "language", "rows"))
    blocks.append(generic(report))
    return "\n\n".join(filter(None, blocks))


def pairs(report: dict[str, Any]) -> str:
    blocks = []
    if "pairs" in report and "conversations" in report:
        made_of = plural(int(report.pop("conversations")), "conversation")
        made = f"Made {plural(int(report.pop('pairs')), 'pair')} from {made_of}"
        if "groups" in report:
            made += f" in {plural(int(report.pop('groups')), 'group')} of replies to one prompt"
        if "prompt_clusters" in report:
            made += f" ({plural(int(report.pop('prompt_clusters')), 'prompt cluster')})"
        blocks.append(made + ".")
    strategies = report.pop("strategies", None)
    limit = report.pop("max_per_prompt", "unset")
    if isinstance(strategies, list):
        most = plural(limit, "pair") if _count(limit) else "any number of pairs"
        blocks.append(
            f"Strategies, tried in this order on each group: {', '.join(f'`{name}`' for name in strategies)};"
            f" at most {most} per prompt cluster."
        )
    by_strategy = report.pop("pairs_by_strategy", None)
    if isinstance(by_strategy, Mapping):
        blocks.append(mapping_table(by_strategy, "strategy", "pairs"))
    margins = report.pop("score_margins", None)
    if isinstance(margins, Mapping) and margins:
        columns = ["pairs", "min", "p25", "median", "p75", "max"]
        rows = [
            [f"`{name}`", *(dict(values).get(column) for column in columns)]
            for name, values in margins.items()
        ]
        blocks.append(
            "Score margins (chosen minus rejected) of the pairs scored on both sides:\n\n"
            + table(["strategy", *columns], rows, align="lrrrrrr")
        )
    unpaired = report.pop("groups_without_pair", None)
    if isinstance(unpaired, Mapping):
        blocks.append(
            "Groups that gave no pair, by reason:\n\n" + mapping_table(unpaired, "reason", "groups")
        )
    blocks.append(generic(report))
    return "\n\n".join(filter(None, blocks))


def split(report: dict[str, Any]) -> str:
    sides = {
        name: report.pop(name)
        for name in list(report)
        if isinstance(report[name], Mapping) and set(report[name]) <= {"rows", "clusters"}
    }
    blocks = []
    if sides:
        rows = [(name, value.get("rows"), value.get("clusters")) for name, value in sides.items()]
        blocks.append(
            "Whole prompt clusters (replies to one prompt, and near-duplicate prompts when `dedup` ran) go"
            f" to one side.\n\n{table(['split', 'rows', 'prompt clusters'], rows, align='lrr')}"
        )
    blocks.append(generic(report))
    return "\n\n".join(filter(None, blocks))


RENDERERS: dict[str, Renderer] = {
    "dedup": dedup,
    "pii": pii,
    "language": language,
    "pairs": pairs,
    "split": split,
}


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flat(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(item, Mapping | list) for item in value)
    return not isinstance(value, Mapping)


def _value(value: Any) -> Any:
    return value if _flat(value) else str(value)


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            items += _flatten(value, f"{name}.")
        else:
            items.append((name, _value(value)))
    return items
