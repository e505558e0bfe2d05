"""Publish an output folder to the Hugging Face Hub, after checks that can refuse it.

Only the card (``README.md``), the funnel chart, ``manifest.json`` and the files under
``data/`` are uploaded; ``rejects/`` (which holds the raw text of every dropped record) and
stage artifacts such as ``dedup/`` never are. Publishing is refused when:

- the run read only a sample of its inputs (``curate run --limit``);
- the run had no ``pii`` stage (unless ``allow_unscrubbed``);
- a residual scan of every string of every data file uploaded, Parquet and JSON Lines, every
  column at any depth (``curate.residual``, with ``curate.pii.scan.scan_structured``: the pii
  stage's e-mail, phone, card, SSN, IP and IBAN recognizers) finds anything;
- the pii stage hashed values with a key derived from the run seed, which the card shows
  (anyone could hash guesses and match tokens), unless ``allow_weak_hash``;
- the run derived no license (``manifest["license"]``, written by the ``license`` stage), or
  the derived license says the rows may not be redistributed.

Every check runs every time, so one attempt names every problem. A refusal names counts and
entity types, never a value. The Hub client is a parameter, so tests never touch the network.

Publishing again replaces the dataset: the commit deletes every file under ``data/`` that this
upload does not bring (``delete_patterns``), so shards of an earlier, larger release never
linger beside the new ones. It goes to the main branch, to another branch (``revision``,
created when missing), or into a new pull request (``create_pr``).

>>> plan = publish("out/demo-dpo", "acme/demo-dpo", dry_run=True)  # doctest: +SKIP
>>> print(plan.render())                                           # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from curate.card import CARD_FILE, CHART_FILE, CardSource, build_card, funnel_png
from curate.card.examples import Scanner, default_scanner
from curate.errors import CurateError, PublishError
from curate.markdown import plural
from curate.record import MANIFEST_FILE
from curate.residual import advice, scan_files, totals
from curate.upload import REPLACED, PublishTarget, upload
from curate.writers.atomic import write_bytes
from curate.writers.dataset import DATA_DIR, DataFile

NEVER_UPLOADED = ("rejects/*", "dedup/*")
"""Also passed to ``upload_folder`` as ``ignore_patterns``, in case a pattern above ever widens."""
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


class HubClient(Protocol):
    """The part of ``huggingface_hub.HfApi`` that publishing uses."""

    def create_repo(
        self, repo_id: str, *, repo_type: str | None = ..., private: bool | None = ..., exist_ok: bool = ...
    ) -> Any: ...

    def create_branch(
        self, repo_id: str, *, branch: str, repo_type: str | None = ..., exist_ok: bool = ...
    ) -> Any: ...

    def upload_folder(
        self,
        *,
        repo_id: str,
        folder_path: str | Path,
        repo_type: str | None = ...,
        revision: str | None = ...,
        create_pr: bool | None = ...,
        commit_message: str | None = ...,
        allow_patterns: list[str] | str | None = ...,
        ignore_patterns: list[str] | str | None = ...,
        delete_patterns: list[str] | str | None = ...,
    ) -> Any: ...


@dataclass(frozen=True)
class Check:
    """One publishing check and its outcome."""

    name: str
    ok: bool
    message: str


@dataclass
class PublishPlan:
    """What publishing uploads (or would), where to, and what the checks said."""

    folder: Path
    repo_id: str
    private: bool
    name: str
    """The dataset's name, from the manifest."""
    rendered: dict[str, bytes] = field(repr=False)
    """The card and chart built for ``repo_id``: ``publish`` writes these very bytes before uploading."""
    files: dict[str, int]
    """Paths relative to ``folder`` -> bytes (the card and chart as they will be written)."""
    withheld: dict[str, int]
    """Top-level folders and files that stay local -> how many files they hold."""
    checks: list[Check] = field(default_factory=list)
    url: str | None = None
    target: PublishTarget = field(default_factory=lambda: PublishTarget())
    """The branch or pull request the commit goes to, and its message."""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def refusals(self) -> list[str]:
        return [f"{check.name}: {check.message}" for check in self.checks if not check.ok]

    def render(self) -> str:
        """A plain-text account: destination, checks, files to upload and files kept back."""
        visibility = "private" if self.private else "public"
        where = f"{self.repo_id} (dataset, {visibility}, {self.target.describe()})"
        lines = [f"publish {self.folder} -> {where}", "checks:"]
        lines += [f"  {'ok  ' if c.ok else 'FAIL'}  {c.name}: {c.message}" for c in self.checks]
        total = sum(self.files.values())
        lines.append(f"files to upload ({len(self.files)}, {total:,} bytes):")
        width = max((len(path) for path in self.files), default=0)
        lines += [f"  {path:<{width}}  {size:>12,} bytes" for path, size in self.files.items()]
        if self.withheld:
            kept = ", ".join(f"{name} ({plural(count, 'file')})" for name, count in self.withheld.items())
            lines.append(f"not uploaded: {kept}")
        lines.append(f"deleted from the repo unless uploaded again: {', '.join(REPLACED)}")
        if self.url:
            lines.append(f"published: {self.url}")
        return "\n".join(lines)


def plan_publish(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    allow_unscrubbed: bool = False,
    scanner: Scanner | None = None,
    allow_weak_hash: bool = False,
    target: PublishTarget | None = None,
) -> PublishPlan:
    """Run the checks and list the files, without writing or uploading anything."""
    folder = Path(folder)
    target = target or PublishTarget()
    if not REPO_ID.match(repo_id):
        raise PublishError(f"repo id {repo_id!r} is not of the form ORG/NAME (letters, digits, - _ .)")
    try:
        source = CardSource.from_folder(folder)
    except CurateError as exc:
        raise PublishError(str(exc)) from exc
    scanner = scanner or default_scanner()
    rendered = {
        CARD_FILE: build_card(source, repo_id, scanner).encode("utf-8"),
        CHART_FILE: funnel_png(source.name, source.stages),
    }
    files = {path: len(content) for path, content in rendered.items()}
    files[MANIFEST_FILE] = (folder / MANIFEST_FILE).stat().st_size
    data = _data_files(folder)
    files |= {path: (folder / path).stat().st_size for path in data}
    checks = [
        _sample_check(source),
        _pii_stage_check(source, allow_unscrubbed),
        _hash_key_check(source, allow_weak_hash),
        _residual_check(folder, data, scanner, source),
        _license_check(source),
    ]
    withheld = _withheld(folder, set(files))
    return PublishPlan(
        folder, repo_id, private, source.name, rendered, files, withheld, checks, target=target
    )


def publish(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    dry_run: bool = False,
    allow_unscrubbed: bool = False,
    api: HubClient | None = None,
    scanner: Scanner | None = None,
    allow_weak_hash: bool = False,
    revision: str | None = None,
    create_pr: bool = False,
    message: str | None = None,
) -> PublishPlan:
    """Check ``folder`` and upload it to the dataset repo ``repo_id``; raise ``PublishError`` if refused.

    The card is regenerated for ``repo_id`` (its loading snippets name the repo) before the
    upload. ``dry_run`` returns the plan with the checks' outcomes and touches nothing. The
    token comes from ``HF_TOKEN`` or the user's login unless an ``api`` client is given.
    The commit goes to the branch ``revision`` (created from main when missing), or into a new
    pull request with ``create_pr``; ``message`` replaces the default commit message. It
    deletes the repo's files under ``data/`` that it does not upload again.
    """
    plan = plan_publish(
        folder,
        repo_id,
        private=private,
        allow_unscrubbed=allow_unscrubbed,
        scanner=scanner,
        allow_weak_hash=allow_weak_hash,
        target=PublishTarget(revision, create_pr, message),
    )
    if dry_run:
        return plan
    if not plan.ok:
        raise PublishError("\n".join(["publishing refused:", *plan.refusals]))
    client = api or _default_client()
    for path, content in plan.rendered.items():
        write_bytes(plan.folder / path, content)
    plan.url = upload(client, plan, NEVER_UPLOADED)
    return plan


def _sample_check(source: CardSource) -> Check:
    limit = source.manifest.sample_limit
    if limit is None:
        return Check("whole inputs", True, "the run read every record of its inputs")
    return Check(
        "whole inputs",
        False,
        f"the run read at most {limit:,} records of each input (--limit): it is a sample; run the"
        " pipeline without --limit to publish",
    )


def _pii_stage_check(source: CardSource, allow_unscrubbed: bool) -> Check:
    name = "pii stage"
    if source.stage("pii") is not None:
        return Check(name, True, "the run scrubbed personal data")
    if allow_unscrubbed:
        return Check(name, True, "the run had no pii stage; publishing unscrubbed rows as asked")
    return Check(
        name,
        False,
        "the run had no `pii` stage, so its rows were not scrubbed of personal data; add `- pii: {}`"
        " to the pipeline's stages and run it again (or pass --allow-unscrubbed if the data holds none)",
    )


def _hash_key_check(source: CardSource, allow_weak_hash: bool) -> Check:
    name = "hash key"
    stage = source.stage("pii")
    if stage is None or stage.report.get("hash_key") != "seed":
        return Check(name, True, "no value was hashed with a key derived from the seed")
    if allow_weak_hash:
        return Check(name, True, "values were hashed with a seed-derived key; publishing as asked")
    return Check(
        name,
        False,
        "the pii stage hashed values with a key derived from the run seed, which the card shows: "
        "anyone can hash guesses (phone numbers, names) and match the tokens; set CURATE_PII_KEY "
        "to a secret and run again (or pass --allow-weak-hash)",
    )


def _residual_check(folder: Path, data: list[str], scanner: Scanner | None, source: CardSource) -> Check:
    name = "residual PII scan"
    if scanner is None:
        return Check(name, False, "unavailable: this install has no curate.pii.scan to check the output")
    try:
        found = scan_files(folder, data, scanner)
    except PublishError as exc:
        return Check(name, False, f"{exc}: the scan cannot vouch for it; run the pipeline again")
    if not found:
        return Check(
            name, True, f"no e-mail, phone, card, SSN or IP pattern in {plural(len(data), 'data file')}"
        )
    counts = ", ".join(f"{kind} {count:,}" for kind, count in sorted(totals(found).items()))
    pii = source.stage("pii")
    searched = pii is not None and bool(pii.report.get("columns"))
    return Check(
        name,
        False,
        f"structured PII remains in the output ({counts}; counts only) {advice(found, searched)}",
    )


def _license_check(source: CardSource) -> Check:
    name = "license"
    derived = source.license
    if derived is None:
        return Check(
            name,
            False,
            "derived license is missing: the manifest has no license record; add a `license` stage to"
            " the pipeline and run it again",
        )
    expression = derived.expression or derived.id
    if not derived.redistribution_allowed:
        return Check(
            name,
            False,
            f"the derived license ({expression}) does not allow redistribution: a license of the rows"
            " forbids it or is not in the registry; see the card's License section",
        )
    return Check(name, True, f"{derived.id} ({expression})")


def _data_files(folder: Path) -> list[str]:
    root = folder / DATA_DIR
    if not root.is_dir():
        return []
    return [f"{DATA_DIR}/{p.name}" for p in sorted(root.iterdir()) if p.is_file() and DataFile.parse(p.name)]


def _withheld(folder: Path, uploaded: set[str]) -> dict[str, int]:
    """Top-level entries of ``folder`` not uploaded, with the number of files in each."""
    kept: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in uploaded:
            top = relative.split("/", 1)[0] + ("/" if "/" in relative else "")
            kept[top] = kept.get(top, 0) + 1
    return kept


def _default_client() -> HubClient:
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login`, then try again")
    return HfApi(token=token)
