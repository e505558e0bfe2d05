"""The mechanics of the ``pii`` stage, on presidio.

``entities``     entity names, ``Finding``
``offline``      tldextract reads its bundled suffix list (no network)
``recognizers``  what the stage adds to presidio's recognizers, and why
``context``      context-word scoring from the text (no lemmatizer needed)
``engine``       ``EngineSpec``, the spaCy model by import name, presidio's ``AnalyzerEngine``
``analysis``     ``Scanner``: findings per text, the fast path and the plain one
``pool``         ``Analyser``: each distinct text once, a process pool for large batches
``actions``      echo removal, merging, presidio-anonymizer (replace, mask, hash, redact)
``scan``         ``scan_structured``: residual check before publishing

Importing this package is cheap; presidio and spaCy load with the modules that need them.
Modules here import presidio, spaCy and polars and, from curate, only ``curate.errors``; the
``pii`` stage and ``publish``'s residual scan use them.
"""

from curate.pii.entities import DEFAULT_ENTITIES, Finding
from curate.pii.scan import scan_structured

__all__ = ["DEFAULT_ENTITIES", "Finding", "scan_structured"]
