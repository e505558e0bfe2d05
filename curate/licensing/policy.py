"""Use classes, target uses, and the decision whether a license or model terms allow a use.

Use classes, from the least to the most restrictive (the order of the Data Provenance
Initiative's filters)::

    commercial < unspecified < noncommercial < academic < unknown

A target use allows every class up to its own: ``commercial`` allows ``commercial`` only;
``noncommercial`` adds ``unspecified`` and ``noncommercial``; ``academic`` (and ``any``, which
states no intent) adds ``academic``. ``unknown`` is never allowed by a target use: the
``unknown`` policy (``reject`` or ``allow``) decides.

>>> allows("noncommercial", "commercial"), allows("unspecified", "noncommercial")
(False, True)
>>> most_restrictive(["commercial", "noncommercial"])
'noncommercial'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from curate.licensing.registry import Registry, Terms, UseClass, license_parts, registry

USE_CLASSES: tuple[UseClass, ...] = ("commercial", "unspecified", "noncommercial", "academic", "unknown")
RANK: dict[str, int] = {name: rank for rank, name in enumerate(USE_CLASSES)}
Target = Literal["commercial", "noncommercial", "academic", "any"]
TARGETS: tuple[Target, ...] = ("commercial", "noncommercial", "academic", "any")
TARGET_RANK: dict[str, int] = {"commercial": 0, "noncommercial": 2, "academic": 3, "any": 3}


def allows(use: UseClass, target: Target) -> bool:
    """True when something of class ``use`` may be used for ``target`` (``unknown`` never is)."""
    return use != "unknown" and RANK[use] <= TARGET_RANK[target]


def most_restrictive(classes: Iterable[UseClass]) -> UseClass:
    """The most restrictive of ``classes`` (``commercial`` when there are none)."""
    return max(classes, key=RANK.__getitem__, default="commercial")


@dataclass(frozen=True)
class Verdict:
    """Why a record may not be used: a reason (``license:<key>`` / ``terms:<key>``) and a detail."""

    reason: str
    detail: str


@dataclass(frozen=True)
class UsePolicy:
    """What the ``license`` stage (and ``curate licenses check``) enforce."""

    use: Target = "commercial"
    model_terms: Literal["apply", "ignore"] = "apply"
    unknown: Literal["reject", "allow"] = "reject"
    require_attribution: bool = True
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()

    def judge_license(self, expression: str | None, known: Registry | None = None) -> Verdict | None:
        """The first part of ``expression`` that the policy refuses, or ``None`` to keep it."""
        known = known or registry()
        for part in sorted(license_parts(expression) or ["unspecified"]):
            entry = known.find_license(part)
            if entry is None:
                if self.unknown == "reject":
                    return Verdict("license:unknown", "the license is not in the registry (unknown: reject)")
                continue
            verdict = self._judge_part(entry.key, entry.use, entry.attribution)
            if verdict is not None:
                return verdict
        return None

    def judge_terms(self, terms: Terms | None) -> Verdict | None:
        """Whether the outputs of a model under ``terms`` may be used; ``None`` keeps them."""
        if terms is None or self.model_terms == "ignore":
            return None
        reason = f"terms:{terms.key}"
        if terms.use == "unknown" and self.unknown == "reject":
            return Verdict(reason, f"{terms.provider} terms have an unknown use class (unknown: reject)")
        if terms.use != "unknown" and not allows(terms.use, self.use):
            return Verdict(
                reason, f"{terms.provider} terms allow {terms.use} use of outputs at most; use is {self.use}"
            )
        if terms.attribution and not self.require_attribution:
            return Verdict(reason, f"{terms.provider} terms require attribution (require_attribution: false)")
        return None

    def _judge_part(self, key: str, use: UseClass, attribution: bool) -> Verdict | None:
        reason = f"license:{key}"
        if key in self.deny:
            return Verdict(reason, f"{key} is listed in `deny`")
        if key in self.allow:
            return None
        if use == "unknown":
            if self.unknown == "reject":
                return Verdict(reason, f"{key} has an unknown use class (unknown: reject)")
        elif use == "unspecified" and not allows(use, self.use):
            return Verdict(reason, f"no license is stated, so nothing grants {self.use} use")
        elif not allows(use, self.use):
            return Verdict(reason, f"{key} allows {use} use at most; use is {self.use}")
        if attribution and not self.require_attribution:
            return Verdict(reason, f"{key} requires attribution (require_attribution: false)")
        return None
