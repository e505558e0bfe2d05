"""The ``license`` stage: keep the records whose license and model terms allow the intended use.

``use`` states the intent (``commercial``, ``noncommercial``, ``academic`` or ``any``); the
stage derives which licenses and which providers' terms allow it (``curate.licensing.policy``)
and drops the rest with ``license:<key>`` or ``terms:<provider>``. A row's model brings its
provider's terms; a row that names no model gets the terms of every model its input's known
dataset holds outputs of (UltraFeedback: OpenAI's, Google's, Meta's), the first that refuses
naming the reason. Kept rows carry their
license in canonical form (aliases resolved), so the output algebra sees registry keys.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from curate.licensing.expression import Term, license_parts, parse_expression
from curate.licensing.keys import check_license_key, input_model_terms
from curate.licensing.policy import ModelTerms, Target, UnknownLicenses, UsePolicy, Verdict, terms_reaching
from curate.licensing.registry import registry
from curate.options import StageOptions
from curate.stages.base import FilterStage, KeptDropped, RunContext, StageReport, register


class LicenseOptions(StageOptions):
    """Options of the ``license`` stage."""

    use: Target = Field(
        "commercial",
        description="What the dataset is for: commercial | noncommercial | academic | any. Records whose "
        "license or model terms do not allow it are dropped.",
    )
    model_terms: ModelTerms = Field(
        "apply",
        description="`apply` reads the terms of the model that wrote a record (OpenAI's, say) as "
        "limiting its use like a license; `ignore` looks at dataset licenses only.",
    )
    unknown: UnknownLicenses = Field(
        "reject",
        description="What to do with records whose license has an unknown use class or is not known.",
    )
    require_attribution: bool = Field(
        True, description="`false` keeps only records whose license (and model terms) need no attribution."
    )
    allow: list[str] = Field(
        default_factory=list,
        description="License keys to keep whatever their use class (an expert override for licenses "
        "you have cleared yourself).",
    )
    deny: list[str] = Field(
        default_factory=list, description="License keys to drop whatever their use class."
    )

    @field_validator("allow", "deny")
    @classmethod
    def _known_keys(cls, keys: list[str]) -> list[str]:
        canonical = [check_license_key(key) for key in keys]
        compound = [key for key in canonical if parse_expression(key) != Term(key)]
        if compound:
            raise ValueError(f"name single licenses, not expressions ({compound[0]!r})")
        return sorted(set(canonical))

    @model_validator(mode="after")
    def _disjoint(self) -> LicenseOptions:
        both = sorted(set(self.allow) & set(self.deny))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be in both `allow` and `deny`")
        return self

    def policy(self) -> UsePolicy:
        return UsePolicy(
            use=self.use,
            model_terms=self.model_terms,
            unknown=self.unknown,
            require_attribution=self.require_attribution,
            allow=frozenset(self.allow),
            deny=frozenset(self.deny),
        )


class LicenseReport(StageReport):
    """The policy applied, and rows kept and dropped by license and by model terms."""

    use: Target
    model_terms: Literal["apply", "ignore"]
    unknown: Literal["reject", "allow"]
    require_attribution: bool
    licenses: dict[str, KeptDropped] = Field(description="By license key (`unknown`: not in the registry).")
    terms: dict[str, KeptDropped] = Field(description="By model provider whose terms apply.")


@register("license")
class License(FilterStage[LicenseOptions, LicenseReport]):
    """Drops records whose license or model terms do not allow ``use``."""

    Options = LicenseOptions
    Report = LicenseReport
    reasons: ClassVar[tuple[str, ...]] = ("license", "terms")

    def __init__(self, options: LicenseOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.policy = options.policy()
        self.dataset_terms = input_model_terms(self.context.inputs)
        self._licenses: Counter[tuple[str, str]] = Counter()
        self._terms: Counter[tuple[str, str]] = Counter()

    def reset(self) -> None:
        self._licenses = Counter()
        self._terms = Counter()

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        known = registry()
        raw_licenses = frame.get_column("license").cast(pl.String).fill_null("unspecified")
        canonical, license_verdicts = {}, {}
        for raw in raw_licenses.unique().to_list():
            canonical[raw] = known.canonical_expression(raw)
            license_verdicts[raw] = self.policy.judge_license(raw, known)
        # Terms reach a row through its model, or through its input's known dataset when it names none.
        reach = frame.select(
            pl.concat_str(
                pl.col("model").cast(pl.String).fill_null(""),
                pl.col("source").cast(pl.String).fill_null(""),
                separator="\x1f",
            )
        ).to_series()
        providers, terms_verdicts = {}, {}
        for key in reach.unique().to_list():
            model, source = key.split("\x1f", 1)
            dataset = None if model else self.dataset_terms.get(source)
            terms = terms_reaching(model, dataset, known)
            providers[key] = [entry.key for entry in terms]
            terms_verdicts[key] = self.policy.judge_reaching(terms, dataset.dataset if dataset else None)
        license_reason = raw_licenses.replace_strict(
            _field(license_verdicts, "reason"), return_dtype=pl.String
        )
        terms_reason = reach.replace_strict(_field(terms_verdicts, "reason"), return_dtype=pl.String)
        judged = frame.with_columns(
            license=raw_licenses.replace_strict(canonical, return_dtype=pl.String),
            reason=pl.coalesce(license_reason, terms_reason),
            detail=pl.coalesce(
                raw_licenses.replace_strict(_field(license_verdicts, "detail"), return_dtype=pl.String),
                reach.replace_strict(_field(terms_verdicts, "detail"), return_dtype=pl.String),
            ),
            _providers=reach.replace_strict(providers, return_dtype=pl.List(pl.String)),
            _license_kept=license_reason.is_null(),
        )
        self._count(judged)
        return judged.drop("_providers", "_license_kept")

    def _count(self, judged: pl.DataFrame) -> None:
        known = registry()
        outcome = pl.when(pl.col("reason").is_null()).then(pl.lit("kept")).otherwise(pl.lit("dropped"))
        by_license = judged.group_by("license", outcome.alias("outcome")).len()
        for expression, kept, rows in by_license.iter_rows():
            for part in license_parts(expression):
                key = part if known.find_license(part) else "unknown"
                self._licenses[(key, kept)] += rows
        # Terms count the rows they were weighed on: those whose license let them through.
        by_terms = (
            judged.filter("_license_kept")
            .explode("_providers")
            .drop_nulls("_providers")
            .group_by("_providers", outcome.alias("outcome"))
            .len()
        )
        for provider, kept, rows in by_terms.iter_rows():
            self._terms[(provider, kept)] += rows

    def report(self) -> LicenseReport:
        return LicenseReport(
            use=self.options.use,
            model_terms=self.options.model_terms,
            unknown=self.options.unknown,
            require_attribution=self.options.require_attribution,
            licenses=_table(self._licenses),
            terms=_table(self._terms),
        )


def _field(verdicts: dict[str, Verdict | None], name: str) -> dict[str, str | None]:
    return {key: getattr(verdict, name) if verdict else None for key, verdict in verdicts.items()}


def _table(counts: Counter[tuple[str, str]]) -> dict[str, KeptDropped]:
    keys = sorted({key for key, _ in counts})
    return {key: KeptDropped(kept=counts[(key, "kept")], dropped=counts[(key, "dropped")]) for key in keys}
