"""Import presidio and spaCy without the machine-learning stacks they pull in when installed.

``import spacy`` imports torch (through thinc) and presidio's analyzer imports transformers
whenever those packages are installed, as they are with curate's ``train`` extra; that is
~20 s and ~1 GB before a single pattern runs. The stage needs neither (its spaCy model is a
CNN pipeline run by thinc's numpy backend) and the residual scan of ``curate card`` and
``curate publish`` needs no model at all. ``without_ml_stacks`` marks ``torch`` and
``transformers`` as absent while the imports inside it run, which both libraries handle as
"not installed", and removes the marks afterwards, so code that imports them later (training)
gets them as usual. Where they are already imported it does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

HEAVY: Final = ("torch", "transformers")


@contextmanager
def without_ml_stacks() -> Iterator[None]:
    """Imports inside see ``torch`` and ``transformers`` as not installed."""
    marked = [name for name in HEAVY if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's "absent" mark
    try:
        yield
    finally:
        for name in marked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
