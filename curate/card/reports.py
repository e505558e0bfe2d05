"""Stage reports in the card: each stage renders its own section (``Stage.card_section``).

The stage is found by name in ``curate.registry.stages``. A stage that is not installed
here (a plug-in) still shows every figure of its report, as tables (``report_tables``).
"""

from __future__ import annotations

from curate import registry
from curate.markdown import report_tables
from curate.record import StageReport, StageStats


def report_section(stage: StageStats, report: StageReport | None, heading: str) -> str | None:
    """The ``###`` section of one stage's report, or None when it reported nothing.

    ``report`` is ``stage.report`` validated by the stage's ``Report`` (``typed_reports``),
    or None when no installed stage declares one.
    """
    if not stage.report:
        return None
    if report is None:
        body = report_tables(stage.report)
    else:
        body = registry.stages.get(stage.name).card_section(report)
    return f"### {heading}\n\n{body}" if body else None
