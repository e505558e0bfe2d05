"""The card's opening: what the dataset is, its columns and splits, and how to load and train on it."""

from __future__ import annotations

from curate.card.source import CardSource
from curate.markdown import code, fenced, plural, table

PAIR_COLUMNS = {
    "prompt": "the conversation before the answers: a list of `{role, content}`, ending with a user turn",
    "chosen": "the preferred assistant turn(s)",
    "rejected": "the dispreferred assistant turn(s)",
    "score_chosen": "the chosen side's score, when the source rated it",
    "score_rejected": "the rejected side's score, when the source rated it",
    "strategy": "how the pair was made (see the pairs report)",
    "source": "the input the pair came from",
    "license": "the license of the pair: both sides' licenses combined",
    "language": "ISO 639-1 code of the prompt",
    "chosen_id": "`id` of the source conversation of the chosen side",
    "rejected_id": "`id` of the source conversation of the rejected side",
    "id": "stable pair id",
    "judge": "the judge model (or reward model) whose verdicts chose the sides, for `judge` pairs",
}

COLUMNS = {
    "pairs": PAIR_COLUMNS,
    "standard": {
        **PAIR_COLUMNS,  # the same columns; the three texts are plain strings
        "prompt": "the text of the prompt, one user turn",
        "chosen": "the text of the preferred answer",
        "rejected": "the text of the dispreferred answer",
    },
    "kto": {
        "prompt": "the conversation before the answer: a list of `{role, content}`, ending with a user turn",
        "completion": "the answer: assistant turn(s)",
        "label": "true when the answer is desirable, false when it is undesirable",
        "score": "the answer's score, when its evidence had one",
        "strategy": "the evidence behind the label: the strategy of the answer's pairs, or its own",
        "source": "the input the answer came from",
        "license": "the license of the answer's conversation",
        "language": "ISO 639-1 code of the conversation",
        "completion_id": "`id` of the source conversation of the answer",
        "id": "stable row id",
        "judge": "the judge model (or reward model) whose verdicts labelled the answer, for `judge` pairs",
    },
    "conversations": {
        "id": "stable id: the source's own, else a content hash",
        "source": "the input the conversation came from",
        "messages": "the turns: a list of `{role, content}`, roles system/user/assistant",
        "model": "the model that wrote the assistant turns, when known",
        "language": "ISO 639-1 code",
        "license": "the license of the row",
        "consent": "granted, withheld or unknown",
        "user": "a pseudonymous user key, when the source has one",
        "created_at": "when the conversation took place, when known",
        "group": "rows answering the same prompt share it",
        "prompt_cluster": "rows whose prompts are near-duplicates share it",
        "signal": "the source's preference evidence (outcome, rank, score, thumbs, label)",
        "meta": "every other field of the source record, as JSON",
    },
}
MODEL_PLACEHOLDER = "Qwen/Qwen2.5-0.5B-Instruct"
UNITS = {"pairs": "preference pairs", "standard": "preference pairs", "kto": "labelled answers"}
USE = {
    "pairs": "Each row is a prompt with a chosen and a rejected answer, in the format TRL's `DPOTrainer`"
    " takes as it is.",
    "standard": "Each row is a prompt with a chosen and a rejected answer as plain strings (TRL's standard"
    " preference format, no chat template applied), which TRL's `DPOTrainer` takes as it is.",
    "kto": "Each row is a prompt and one answer labelled desirable (`label` true) or undesirable, the"
    " unpaired preference format TRL's `KTOTrainer` takes as it is.",
    "conversations": "Each row is one conversation in the chat `messages` format.",
}
TRAINERS = {
    "pairs": (
        "DPO",
        "Train with TRL: the `prompt`, `chosen` and `rejected` columns are in the conversational"
        " format `DPOTrainer` expects, and it ignores the other columns.",
    ),
    "standard": (
        "DPO",
        "Train with TRL: the `prompt`, `chosen` and `rejected` columns are strings, the standard format"
        " `DPOTrainer` takes without a chat template (a base model's, or your own), and it ignores the"
        " other columns.",
    ),
    "kto": (
        "KTO",
        "Train with TRL: the `prompt`, `completion` and `label` columns are in the conversational"
        " unpaired preference format `KTOTrainer` expects, and it ignores the other columns.",
    ),
    "conversations": (
        "SFT",
        "Fine-tune with TRL: the `messages` column is in the conversational format it expects.",
    ),
}
"""By what a row is: the TRL trainer (``<name>Trainer``, ``<name>Config``) and why it fits."""


def title(source: CardSource) -> str:
    manifest = source.manifest
    description = manifest.description
    splits = ", ".join(f"{name}: {count:,}" for name, count in source.splits.items())
    read = source.stage("read")
    records = read.rows_in if read else 0
    inputs = manifest.inputs
    unit = UNITS.get(source.layout, "conversations")
    names = ", ".join(code(i.name) for i in inputs)
    made = (
        f"This dataset holds {manifest.output.rows:,} {unit}{f' ({splits})' if splits else ''}, made by"
        f" curate {manifest.curate_version} from {plural(records, 'record')} read from"
        f" {plural(len(inputs), 'input')} ({names})."
    )
    use = " " + USE.get(source.layout, USE["conversations"])
    closing = (
        " Every figure below comes from `manifest.json` beside this card, which also records how"
        " long each stage took."
    )
    paragraphs = [f"# {source.name}"]
    if description:
        paragraphs.append(" ".join(description.split()))
    paragraphs.append(made + use + closing)
    if manifest.sample_limit is not None:
        paragraphs.append(
            f"**This is a sample run**: it read at most {plural(manifest.sample_limit, 'record')} of each"
            " input (`curate run --limit`), so its figures describe the sample, not the data set."
            " `curate publish` refuses it."
        )
    return "\n\n".join(paragraphs)


def structure(source: CardSource) -> str:
    described = COLUMNS.get(source.layout, {})
    names = [name for split in source.rows.values() for name in split.collect_schema().names()]
    columns = list(dict.fromkeys(names)) or list(described)
    rows = [(code(name), described.get(name, "")) for name in columns]
    splits = [(name, count) for name, count in source.splits.items()]
    files = source.manifest.output.files
    lines = [
        "## Dataset structure",
        table(["column", "meaning"], rows, align="ll"),
        table(["split", "rows"], splits),
    ]
    if files:
        lines.append("Files: " + ", ".join(code(f) for f in files) + ".")
    return "\n\n".join(lines)


def loading(source: CardSource, repo_id: str | None) -> str:
    where = repo_id or f"ORG/{source.name}"
    note = "" if repo_id else "  # ORG/... is where you publish it; a local copy's path works too"
    blocks = [
        "## How to load it",
        fenced(f'from datasets import load_dataset\n\ndataset = load_dataset("{where}"){note}', "python"),
    ]
    trainer, why = TRAINERS.get(source.layout, TRAINERS["conversations"])
    preference = source.layout != "conversations"
    evaluation = ',\n    eval_dataset=dataset["test"]' if preference and "test" in source.splits else ""
    model = "any causal LM" if source.layout == "standard" else "any causal LM with a chat template"
    snippet = (
        "from datasets import load_dataset\n"
        f"from trl import {trainer}Config, {trainer}Trainer\n\n"
        f'dataset = load_dataset("{where}")\n'
        f"trainer = {trainer}Trainer(\n"
        f'    model="{MODEL_PLACEHOLDER}",  # {model}\n'
        f'    args={trainer}Config(output_dir="{trainer.lower()}-model"),\n'
        f'    train_dataset=dataset["train"]{evaluation},\n'
        ")\n"
        "trainer.train()"
    )
    blocks += [why, fenced(snippet, "python")]
    return "\n\n".join(blocks)
