"""Use classes, target uses, and the decision whether a license or model terms allow a use.

Use classes, from the least to the most restrictive (the order of the Data Provenance
Initiative's filters)::

    commercial < unspecified < noncommercial < academic < unknown

A target use allows every class up to its own: ``commercial`` allows ``commercial`` only;
``noncommercial`` adds ``unspecified`` and ``noncommercial``; ``academic`` (and ``any``, which
states no intent) adds ``academic``. ``unknown`` is never allowed by a target use: the
``unknown`` policy (``reject`` or ``allow``) decides.

The class of a license expression follows its operators: ``A AND B`` is the most restrictive
of its parts (both apply), ``A OR B`` the least restrictive alternative (the licensee may
choose), ``A WITH E`` the class of ``A`` (the registry lists licenses, not exceptions, so an
exception neither widens nor narrows the use). A row with no license is ``unspecified``.

>>> allows("noncommercial", "commercial"), allows("unspecified", "noncommercial")
(False, True)
>>> most_restrictive(["commercial", "noncommercial"])
'noncommercial'
>>> expression_use("CC-BY-NC-4.0 OR MIT"), expression_use("CC-BY-NC-4.0 AND MIT")
('commercial', 'noncommercial')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from curate.licensing.expression import UNSPECIFIED, Expression, Term, evaluate, parse_expression
from curate.licensing.keys import DatasetTerms
from curate.licensing.registry import LicenseRegistry, Terms, UseClass, registry

USE_CLASSES: tuple[UseClass, ...] = ("commercial", "unspecified", "noncommercial", "academic", "unknown")
RANK: dict[str, int] = {name: rank for rank, name in enumerate(USE_CLASSES)}
Target = Literal["commercial", "noncommercial", "academic", "any"]
TARGETS: tuple[Target, ...] = ("commercial", "noncommercial", "academic", "any")
TARGET_RANK: dict[str, int] = {"commercial": 0, "noncommercial": 2, "academic": 3, "any": 3}
ModelTerms = Literal["apply", "ignore"]
"""Whether the terms of the model that wrote a reply limit its use like a license."""
UnknownLicenses = Literal["reject", "allow"]
"""What becomes of content whose license is not known or has an unknown use class."""


def allows(use: UseClass, target: Target) -> bool:
    """True when something of class ``use`` may be used for ``target`` (``unknown`` never is)."""
    return use != "unknown" and RANK[use] <= TARGET_RANK[target]


def most_restrictive(classes: Iterable[UseClass]) -> UseClass:
    """The most restrictive of ``classes`` (``commercial`` when there are none)."""
    return max(classes, key=RANK.__getitem__, default="commercial")


def dataset_use(classes: Iterable[UseClass]) -> UseClass:
    """The use class a dataset whose rows (licenses and model terms) have ``classes`` can claim.

    The most restrictive of them, except that ``unspecified`` is not hidden behind
    ``noncommercial``: both allow the same target uses, but ``noncommercial`` claims a license
    grants that use, which rows without a license do not have. ``academic`` and ``unknown`` stay
    what they are (they allow fewer uses).

    >>> dataset_use(["unspecified", "noncommercial", "commercial"]), dataset_use(["noncommercial"])
    ('unspecified', 'noncommercial')
    """
    found = list(classes)
    worst = most_restrictive(found)
    return "unspecified" if worst == "noncommercial" and "unspecified" in found else worst


def least_restrictive(classes: Iterable[UseClass]) -> UseClass:
    """The least restrictive of ``classes`` (``unknown`` when there are none)."""
    return min(classes, key=RANK.__getitem__, default="unknown")


def expression_use(expression: str | None, known: LicenseRegistry | None = None) -> UseClass:
    """The use class of content under the license ``expression`` (see the module's docstring)."""
    known = known or registry()
    return evaluate(
        _parsed(expression), lambda term: _use(term.key, known), most_restrictive, least_restrictive
    )


def licenses_in_use(expression: str | None, known: LicenseRegistry | None = None) -> list[str]:
    """The licenses content under ``expression`` is used under: the canonical key of each.

    Every part of an ``AND``; of an ``OR``, the alternative with the least restrictive use
    class (the first in canonical order on a tie); of ``A WITH E``, ``A``. Keys the registry
    does not know stay as written.

    >>> licenses_in_use("(CC-BY-NC-4.0 OR mit) AND odc-by")
    ['MIT', 'ODC-BY-1.0']
    """
    known = known or registry()

    def term(found: Term) -> tuple[UseClass, list[str]]:
        key = known.canonical_key(found.key)
        return _use(key, known), [key]

    def both(parts: Sequence[tuple[UseClass, list[str]]]) -> tuple[UseClass, list[str]]:
        return most_restrictive(use for use, _ in parts), [key for _, keys in parts for key in keys]

    def either(alternatives: Sequence[tuple[UseClass, list[str]]]) -> tuple[UseClass, list[str]]:
        return min(alternatives, key=lambda alternative: RANK[alternative[0]])

    _, keys = evaluate(_parsed(expression), term, both, either)
    return list(dict.fromkeys(keys))


def _parsed(expression: str | None) -> Expression:
    return parse_expression(expression, strict=False) or Term(UNSPECIFIED)


def _use(name: str, known: LicenseRegistry) -> UseClass:
    entry = known.find_license(name)
    return entry.use if entry else "unknown"


def terms_reaching(
    model: str | None, dataset: DatasetTerms | None, known: LicenseRegistry | None = None
) -> tuple[Terms, ...]:
    """The model terms that reach a record: its model's, else (no model) its known dataset's.

    A model the registry matches to no terms (an open model) brings none, whatever the dataset.
    """
    known = known or registry()
    if model:
        found = known.terms_for(model)
        return (found,) if found else ()
    return tuple(known.terms_by_key(key) for key in dataset.terms) if dataset else ()


@dataclass(frozen=True)
class Verdict:
    """Why a record may not be used: a reason (``license:<key>`` / ``terms:<key>``) and a detail."""

    reason: str
    detail: str


@dataclass(frozen=True)
class UsePolicy:
    """What the ``license`` stage (and ``curate licenses check``) enforce."""

    use: Target = "commercial"
    model_terms: ModelTerms = "apply"
    unknown: UnknownLicenses = "reject"
    require_attribution: bool = True
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()

    def judge_license(self, expression: str | None, known: LicenseRegistry | None = None) -> Verdict | None:
        """Why the policy refuses ``expression``, or ``None`` to keep it.

        Of ``A AND B``, the first part refused (in canonical order); of ``A OR B``, nothing
        when any alternative is kept, else the first alternative's refusal; of ``A WITH E``,
        ``A``'s verdict.
        """
        known = known or registry()
        return evaluate(
            _parsed(expression), lambda term: self._judge_name(term.key, known), _first, _unless_one
        )

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

    def judge_reaching(self, terms: Sequence[Terms], dataset: str | None = None) -> Verdict | None:
        """The first refusal among ``terms`` (all reach the record), or ``None`` to keep it.

        ``dataset`` names the known dataset whose terms reach a record that names no model; the
        detail says so, since the record itself does not show why.
        """
        for entry in terms:
            verdict = self.judge_terms(entry)
            if verdict is not None:
                if dataset is None:
                    return verdict
                why = f"{dataset} holds {entry.provider} outputs and the record names no model"
                return Verdict(verdict.reason, f"{verdict.detail} ({why})")
        return None

    def _judge_name(self, name: str, known: LicenseRegistry) -> Verdict | None:
        entry = known.find_license(name)
        if entry is not None:
            return self._judge_part(entry.key, entry.use, entry.attribution)
        if self.unknown == "reject":
            return Verdict("license:unknown", "the license is not in the registry (unknown: reject)")
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


def _first(verdicts: Sequence[Verdict | None]) -> Verdict | None:
    """``AND``: the first refusal of any part."""
    return next((verdict for verdict in verdicts if verdict is not None), None)


def _unless_one(verdicts: Sequence[Verdict | None]) -> Verdict | None:
    """``OR``: no refusal when one alternative is kept, else the first alternative's."""
    return None if None in verdicts else verdicts[0]
