"""The sections of the Hub's dataset card template that a run can fill in from its record.

``huggingface_hub``'s ``datasetcard_template.md`` asks for Uses, Personal and Sensitive
Information, Bias, Risks, and Limitations, and Citation. Each is written here from what the run
recorded (the derived license, the stages that ran and their counts, the strategies of the
pairs, the known sources); nothing is a placeholder, and no record value is shown.
"""

from __future__ import annotations

from collections import Counter

from curate.card.metadata import published_sources
from curate.card.source import CardSource
from curate.markdown import code, plural

USES = {
    "commercial": "commercial and non-commercial use",
    "noncommercial": "non-commercial use only",
    "academic": "research use only",
}
STRATEGIES = {
    "battle": "people's votes between two models' answers",
    "given": "the chosen and rejected answers as the source gave them",
    "ranked": "people's rankings of sibling replies",
    "rated": "scores the source gave each answer (often another model's ratings)",
    "thumbs": "users' thumbs up or down",
    "model_rank": "a fixed ranking of the models that wrote the answers, not a judgment of each answer",
    "judge": "an AI judge's verdicts, with that judge's own biases",
}
ACTIONS = {
    "replace": "replaced by a placeholder naming their type (`<PERSON>`)",
    "mask": "masked character by character",
    "redact": "removed",
    "hash": "replaced by keyed hashes (one value, one token)",
    "drop": "dropped with the conversations holding them",
}


DIRECT_USE = {
    "pairs": "Preference tuning of chat models (DPO and other pairwise methods): `prompt`, `chosen` and"
    " `rejected` are in the conversational format TRL's `DPOTrainer` takes.",
    "standard": "Preference tuning (DPO and other pairwise methods): `prompt`, `chosen` and `rejected` are"
    " plain strings, TRL's standard format, for a model's own template or none.",
    "kto": "Preference tuning from unpaired feedback (KTO): `prompt`, `completion` and `label` are in the"
    " conversational format TRL's `KTOTrainer` takes.",
    "conversations": "Supervised fine-tuning of chat models on the `messages` column, which TRL's"
    " `SFTTrainer` takes as it is.",
}


def uses_section(source: CardSource) -> str:
    direct = DIRECT_USE.get(source.layout, DIRECT_USE["conversations"])
    derived = source.license
    if derived is None:
        allowed = "No license was derived for this run, so no use is established (see License)."
    else:
        allowed = (
            f"The licenses of the rows allow {USES.get(derived.use, 'no use that a license grants')}"
            f" (`{derived.use}`, derived in the License section)."
        )
    out = ["Identifying, contacting or profiling the people who wrote the conversations."]
    if derived is not None and derived.use != "commercial":
        out.insert(0, "Any use the licenses of the rows do not allow, commercial use first of all.")
    if derived is not None and derived.terms:
        providers = ", ".join(sorted({entry.provider for entry in derived.terms}))
        out.append(f"Uses the terms of the models that wrote the answers forbid ({providers}; see License).")
    if source.stage("decontaminate") is None:
        out.append(
            "Evaluating on benchmarks without checking them for overlap: no `decontaminate` stage ran."
        )
    return "\n\n".join(
        [
            "## Uses",
            "### Direct Use",
            f"{direct} {allowed}",
            "### Out-of-Scope Use",
            "\n".join(f"- {line}" for line in out),
        ]
    )


def privacy_section(source: CardSource) -> str:
    blocks = ["## Personal and Sensitive Information"]
    pii = source.stage("pii")
    if pii is None:
        blocks.append(
            "**No `pii` stage ran**: the rows were not scrubbed of personal data, and `curate publish`"
            " refuses them unless told they hold none."
        )
    else:
        report = pii.report
        entities = Counter({str(k): int(v) for k, v in (report.get("entities") or {}).items()})
        found = ", ".join(f"{kind} {count:,}" for kind, count in entities.most_common()) or "none"
        action = str(report.get("action", ""))
        blocks.append(
            f"The `pii` stage scanned {plural(int(report.get('conversations_scanned', 0)), 'conversation')}"
            f" ({plural(int(report.get('messages_scanned', 0)), 'message')}) with presidio's recognizers"
            f" and spaCy's named-entity recognition, and found personal data in"
            f" {plural(int(report.get('conversations_with_pii', 0)), 'conversation')}: {found}. The values"
            f" were {ACTIONS.get(action, f'handled by `{action}`')}. Detection is automatic: it misses"
            " some values (unusual names, identifiers of kinds it does not know), so do not read this"
            " data as free of personal information. `curate publish` scans the files once more for"
            " structured identifiers before it uploads them."
        )
    consent = source.stage("consent")
    if consent is not None and consent.rows_rejected:
        reasons = ", ".join(f"{code(k)} {v:,}" for k, v in sorted(consent.reasons.items()))
        blocks.append(
            f"The `consent` stage dropped {plural(consent.rows_rejected, 'row')} whose authors withheld"
            f" consent or asked to be left out ({reasons})."
        )
    flagged = _flagged(source)
    if flagged:
        blocks.append(f"Rows the sources flagged were dropped by the `quality` stage ({flagged}).")
    return "\n\n".join(blocks)


def risks_section(source: CardSource) -> str:
    names = ", ".join(code(item.name) for item in source.manifest.inputs)
    lines = [
        f"The rows come from {plural(len(source.manifest.inputs), 'input')} ({names}): their topics,"
        " languages and the people who wrote them are those of these sources, not of any wider"
        " population."
    ]
    languages = Counter(source.column("language")["language"].drop_nulls().to_list())
    if languages:
        total = sum(languages.values())
        shares = ", ".join(f"{code(str(k))} {100 * v / total:.0f}%" for k, v in languages.most_common(5))
        lines.append(f"Languages of the rows: {shares}.")
    strategies = Counter(source.column("strategy")["strategy"].drop_nulls().to_list())
    if strategies:
        made = "; ".join(
            f"{code(name)} ({count:,}): {STRATEGIES.get(name, 'see the pairs report')}"
            for name, count in strategies.most_common()
        )
        decided = "is labelled desirable" if source.layout == "kto" else "is chosen"
        lines.append(f"Which answer {decided} rests on {made}. None of these is a check of correctness.")
    if source.manifest.sample_limit is not None:
        lines.append("This run read a sample of its inputs (`--limit`): its figures are not the sources'.")
    return "\n\n".join(
        [
            "## Bias, Risks, and Limitations",
            *lines,
            "### Recommendations",
            "Read a sample of rows before training on them, keep the attribution of the License section"
            " with every copy, and check the rejects of the run's output folder (kept locally, never"
            " published) to see what was left out and why.",
        ]
    )


def citation_section(source: CardSource) -> str:
    sources = published_sources(source)
    known = []
    for repo, entry in sources.values():
        if entry is not None and entry.attribution:
            known.append(f"- {entry.attribution}: {entry.url}")
        elif repo is not None:
            known.append(f"- {repo}: https://huggingface.co/datasets/{repo} (its card says how to cite it)")
    unknown = [name for name, (repo, entry) in sources.items() if repo is None and entry is None]
    blocks = ["## Citation"]
    if known:
        blocks += ["Cite the datasets the rows come from:", "\n".join(dict.fromkeys(known))]
    if unknown:
        blocks.append(
            f"Rows also come from {', '.join(code(name) for name in unknown)}, which curate does not"
            " know as published datasets: cite them as their owners ask."
        )
    if len(blocks) == 1:
        blocks.append("No row of this dataset comes from an input, so there is no source to cite.")
    return "\n\n".join(blocks)


def _flagged(source: CardSource) -> str:
    quality = source.stage("quality")
    if quality is None:
        return ""
    flags = {k: v for k, v in quality.reasons.items() if k.startswith("flagged:")}
    return ", ".join(f"{code(k)} {v:,}" for k, v in sorted(flags.items()))
