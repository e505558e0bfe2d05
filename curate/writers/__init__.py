"""Writers: data files and their names, the output folder (written whole or not at all), and
atomic files.

They write what they are given: the run's record (``curate.record``) and frames. Stages'
artifacts and the card come in as callbacks, so nothing here imports ``curate.stages``,
``curate.card``, the runner or the CLI.
"""
