"""The funnel chart: rows into every stage, split into what went on and what was rejected.

Drawn with matplotlib's Agg canvas on a figure of fixed size, without pyplot's global state,
and saved without a software stamp, so identical runs give byte-identical PNGs.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from curate.record import StageStats

CHART_FILE = "funnel.png"
PASSED = "#4c78a8"
REJECTED = "#e45756"


def funnel_png(name: str, stages: list[StageStats]) -> bytes:
    """A horizontal bar per stage: rows in, of which passed on (blue) and rejected (red)."""
    labels = [stage.name for stage in stages]
    rows_in = [stage.rows_in for stage in stages]
    rejected = [stage.rows_rejected for stage in stages]
    passed = [total - dropped for total, dropped in zip(rows_in, rejected, strict=True)]
    figure = Figure(figsize=(8.0, 1.2 + 0.45 * max(1, len(stages))), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(stages)))
    axes.barh(positions, passed, color=PASSED, label="passed on")
    axes.barh(positions, rejected, left=passed, color=REJECTED, label="rejected")
    widest = max(rows_in, default=0) or 1
    for position, stage in zip(positions, stages, strict=True):
        note = f"{stage.rows_rejected:,} rejected  ->  {stage.rows_out:,} {stage.unit_out}"
        axes.text(stage.rows_in + widest * 0.01, position, note, va="center", fontsize=8)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlim(0, widest * 1.6)
    axes.set_xlabel(f"rows in ({stages[0].unit_in if stages else 'records'} at read)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_title(f"{name}: rows through each stage", fontsize=10, loc="left")
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=8, frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
