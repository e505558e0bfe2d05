"""``curate card`` and ``curate publish``: work on an output folder a run has written."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--repo-id", help="Name the Hub repo (ORG/NAME) in the card's loading snippets.")
def card(folder: str, repo_id: str | None) -> None:
    """Rebuild the dataset card (README.md) and funnel chart of an output folder.

    Example: curate card out/demo-dpo
    """
    from curate.card import write_card

    written = write_card(Path(folder), repo_id)
    click.echo(f"wrote {', '.join(written)} in {folder}")


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--repo-id", required=True, help="The dataset repo to publish to, as ORG/NAME.")
@click.option("--private", is_flag=True, help="Create the repo as private.")
@click.option("--dry-run", is_flag=True, help="Run the checks and list the files; upload nothing.")
@click.option(
    "--allow-unscrubbed", is_flag=True, help="Publish although the run had no pii stage (still scanned)."
)
@click.option(
    "--allow-weak-hash", is_flag=True, help="Publish values hashed with a key derived from the seed."
)
@click.option("--revision", metavar="BRANCH", help="Commit to this branch (created from main if missing).")
@click.option("--create-pr", is_flag=True, help="Open a pull request against main instead of committing.")
@click.option("--message", "-m", help="The commit message (default: curate: publish NAME).")
def publish(
    folder: str,
    repo_id: str,
    private: bool,
    dry_run: bool,
    allow_unscrubbed: bool,
    allow_weak_hash: bool,
    revision: str | None,
    create_pr: bool,
    message: str | None,
) -> None:
    """Publish an output folder to the Hugging Face Hub: card, data/, chart and manifest, never rejects/.

    Refused when the run had no pii stage, when its hash action used a seed-derived key, when
    structured PII remains in the data, or when the run derived no license (or one that
    forbids redistribution). The card is rebuilt to
    name the repo before the upload. The token comes from HF_TOKEN or `hf auth login`.
    Publishing again replaces the data: files under data/ that this upload does not bring
    are deleted in the same commit.

    Example: curate publish out/demo-dpo --repo-id acme/demo-dpo --dry-run
    """
    from curate.errors import PublishError
    from curate.publish import publish as publish_folder

    plan = publish_folder(
        folder,
        repo_id,
        private=private,
        dry_run=dry_run,
        allow_unscrubbed=allow_unscrubbed,
        allow_weak_hash=allow_weak_hash,
        revision=revision,
        create_pr=create_pr,
        message=message,
    )
    click.echo(plan.render())
    if dry_run:
        if not plan.ok:
            failed = len(plan.refusals)
            raise PublishError(f"publishing would be refused: {failed} of {len(plan.checks)} checks failed")
        click.echo("dry run: nothing was uploaded")
