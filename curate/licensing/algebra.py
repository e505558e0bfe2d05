"""Combining the licenses of a dataset's rows.

A dataset made of rows under several licenses has the most restrictive use class of them,
owes every attribution they ask for, and can keep at most one share-alike license (or several
that upgrade into one). One row's expression (``A AND B``) is ``curate.licensing.expression``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from curate.licensing.registry import KnownLicense


def imposes_nothing(entry: KnownLicense) -> bool:
    """True for a public-domain dedication: any use, no credit, no share-alike, no limits."""
    return (
        entry.use == "commercial"
        and not entry.attribution
        and not entry.share_alike
        and not entry.no_derivatives
        and entry.redistribution
    )


def share_alike_target(entries: Sequence[KnownLicense]) -> KnownLicense | None:
    """The share-alike license every share-alike license in ``entries`` can move to.

    ``None`` when there is no share-alike license; a ``ValueError`` naming them when two
    cannot be reconciled (CC-BY-SA-4.0 and ODbL-1.0, say).

    >>> from curate.licensing.registry import registry
    >>> sa = [registry().license(key) for key in ("CC-BY-SA-3.0", "CC-BY-SA-4.0")]
    >>> share_alike_target(sa).key
    'CC-BY-SA-4.0'
    """
    shared = {entry.key: entry for entry in entries if entry.share_alike}
    if not shared:
        return None
    for candidate in shared.values():
        if all(key == candidate.key or candidate.key in entry.upgrades_to for key, entry in shared.items()):
            return candidate
    raise ValueError(" and ".join(sorted(shared)))


@dataclass(frozen=True)
class HubChoice:
    """The dataset card's ``license`` field and why."""

    id: str
    reason: str


def hub_license(entries: Sequence[KnownLicense], unregistered: Sequence[str] = ()) -> HubChoice:
    """One Hub license id for a dataset whose rows are under ``entries``, or ``other``.

    Public-domain dedications impose nothing and are absorbed by any other license; share-alike
    licenses that upgrade into one are that one. Otherwise more than one license remains and
    the card says ``other`` with the list.
    """
    if unregistered:
        if not entries and len(unregistered) == 1:
            return HubChoice(
                "other", f"every row is under {unregistered[0]}, which the registry does not know"
            )
        return HubChoice("other", "some rows are under licenses the registry does not know")
    if not entries:
        return HubChoice("unknown", "there are no rows")
    if len(entries) == 1:
        return HubChoice(entries[0].hub, f"every row is under {entries[0].key}")
    binding = [entry for entry in entries if not imposes_nothing(entry)]
    absorbed = sorted(entry.key for entry in entries if imposes_nothing(entry))
    if not binding:
        return HubChoice("other", f"several public-domain dedications remain ({', '.join(absorbed)})")
    if len(binding) == 1:
        return HubChoice(binding[0].hub, f"{binding[0].key} is the only license with conditions")
    if all(entry.share_alike for entry in binding):
        target = share_alike_target(binding)
        if target is not None:
            return HubChoice(target.hub, f"the share-alike licenses all move to {target.key}")
    listed = ", ".join(sorted(entry.key for entry in binding))
    return HubChoice("other", f"{len(binding)} licenses with conditions remain ({listed})")
