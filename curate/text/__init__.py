"""Text helpers shared by stages.

``clean`` ``mojibake``             Unicode repair and cleaning for ``normalize``
``langid`` ``langdetect_fast``     language identification for ``language``
``meta``                         flags a source left in ``meta`` (toxic, redacted) for ``quality``

Pure functions over strings and frames: modules here import no other curate package.
"""
