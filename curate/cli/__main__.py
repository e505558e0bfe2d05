"""``python -m curate.cli``: the ``curate`` command without the console script."""

from curate.cli import main

if __name__ == "__main__":
    main()
