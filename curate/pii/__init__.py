"""The mechanics of the ``pii`` stage, on presidio.

``entities``     entity names, ``Finding``
``modes``        how far the search for names goes in a turn, and in which language (cheap)
``offline``      tldextract reads its bundled suffix list (no network)
``lean``         presidio and spaCy imported without torch and transformers
``normalize``    special spaces and invisible characters, with offsets back to the original
``code``         where a text holds code (kept intact)
``language``     whether a turn reads as English (NER runs only there)
``words``        the shipped lists: first names and surnames, common words, non-persons
``names``        names from the list, and the rules that keep PERSON findings believable
``phones``       phone numbers by shape, across every ``phonenumbers`` region
``cards``        card numbers of 12-19 digits, Luhn and issuer
``recognizers``  what else the stage adds to presidio's recognizers, and why
``context``      context-word scoring from the text (no lemmatizer needed)
``gates``        which recognizers could report anything in a text, and which lines they read
``windows``      where NER reads: windows around the words that can be part of a name
``engine``       ``EngineSpec``, the spaCy models by import name, presidio's ``AnalyzerEngine``
``analysis``     ``Scanner``: findings per text, the fast path and the plain one
``pool``         ``Analyser``: each distinct text once, a process pool for large batches
``actions``      echo removal, merging, presidio-anonymizer (replace, mask, hash, redact)
``fields``       the columns beside the messages: how each is searched and rewritten
``batch``        a batch's requests to the analyser, and where each answer belongs
``links``        rows ``pairs`` may pair share what is removed from them
``density``      replacements per 1,000 characters, and when that is implausible
``scan``         ``scan_structured``: residual check before publishing, the stage's patterns

Importing this package is cheap; presidio and spaCy load with the modules that need them.
Modules here import presidio, spaCy and polars and, from curate, only ``curate.errors`` and
``curate.schema``; the ``pii`` stage and ``publish``'s residual scan use them.
"""

from curate.pii.entities import DEFAULT_ENTITIES, Finding
from curate.pii.scan import scan_structured

__all__ = ["DEFAULT_ENTITIES", "Finding", "scan_structured"]
