"""Writers: data files and their names, the pairs in the output's format variant
(``variants``), the output folder (written whole or not at all), atomic files, and the
checks around them: where a run may write (``target``), one run at a time (``lock``), disk
faults before and during a run (``disk``).

They write what they are given: the run's record (``curate.record``) and frames. Stages'
artifacts and the card come in as callbacks, so nothing here imports ``curate.stages``,
``curate.card``, the runner or the CLI.
"""
