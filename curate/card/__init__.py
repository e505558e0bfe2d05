"""The dataset card (``README.md``) of an output folder, and its funnel chart.

Built only from what a run leaves behind (``manifest.json`` and the files under ``data/``),
never from ``rejects/``, so ``curate card OUT`` can rebuild it at any time. The card reads
the run's record (``curate.record``), finds each stage's card section through
``curate.registry`` and the data files through ``curate.writers.dataset``; it does not
import the runner, the in-memory result or the CLI.
"""

from curate.card.chart import CHART_FILE, funnel_png
from curate.card.document import CARD_FILE, build_card, write_card
from curate.card.metadata import hub_metadata
from curate.card.source import CardSource

__all__ = ["CARD_FILE", "CHART_FILE", "CardSource", "build_card", "funnel_png", "hub_metadata", "write_card"]
