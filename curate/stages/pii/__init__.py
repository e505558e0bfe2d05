"""The ``pii`` stage: find personal data with presidio and replace, mask, hash, redact or drop it.

Pattern recognizers run on every scanned turn; spaCy's NER only on the roles in ``ner_on``
(user and system by default: in chat logs the private data is what people typed, and NER
over assistant prose mostly finds public figures). Every value found in any turn is then
removed from all turns of its conversation, which catches assistants echoing it. The
columns a conversation publishes beside its messages (``id``, ``group``, ``prompt_cluster``,
``user``, ``model``, every string of ``meta``) are searched too, each as its values call for
(``curate.pii.fields``): keys that hold personal data become keyed pseudonyms, ``model`` and
``meta`` strings are rewritten in place. The mechanics live in ``curate.pii``; this package
maps options to them and counts, in three modules:

``options``  ``PiiOptions``: what a pipeline file may ask of the stage, validated before any I/O
``report``   ``PiiReport``: what the stage found and did (counts only), and its card section
``stage``    ``Pii``: the stage, registered as ``pii``

>>> from curate.stages.pii import PiiOptions
>>> PiiOptions(score_threshold={"default": 0.6, "PHONE_NUMBER": 0.4}).thresholds()["PHONE_NUMBER"]
0.4
"""

from curate.stages.pii.options import PiiOptions
from curate.stages.pii.report import ColumnReport, PiiReport, SourceRedacted
from curate.stages.pii.stage import Pii

__all__ = ["ColumnReport", "Pii", "PiiOptions", "PiiReport", "SourceRedacted"]
