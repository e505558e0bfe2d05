"""Where a run may write: the checks that keep it from destroying what is not its own.

A run replaces its output folder whole, so the folder it is given must be one that curate
wrote before, or an empty or new one. Some folders are refused even with ``--overwrite``:
``/``, the home folder and its parents, a symbolic link (never followed), and any folder
whose replacement would delete the run's own pipeline file or inputs.

>>> from pathlib import Path
>>> check_target(Path("/"), [], overwrite=True)
Traceback (most recent call last):
...
curate.errors.OutputError: refusing to write the output to /: it is the root folder
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from curate.errors import OutputError

MANIFEST_FILE = "manifest.json"
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class Protected:
    """A folder the run reads from: the output may be neither it nor one of its parents.

    ``inside_too`` also refuses a target inside it (an input folder, whose files the next run
    would read back as input).
    """

    folder: Path
    what: str
    inside_too: bool = False


def absolute(path: Path) -> Path:
    """``path`` made absolute and normalised, with a final symbolic link left as it is."""
    return Path(os.path.abspath(path.expanduser()))  # noqa: PTH100 (resolve() follows links)


def check_target(target: Path, protected: Iterable[Protected], *, overwrite: bool) -> None:
    """Raise ``OutputError`` unless a run may replace ``target`` whole.

    ``overwrite`` allows replacing an existing folder that is not a curate output; it never
    allows the refusals that protect the run's own files, ``/`` and the home folder.
    """
    target = absolute(target)
    if target.is_symlink():
        raise OutputError(
            f"refusing to write the output to {target}: it is a symbolic link, and curate never"
            " writes through one (give the folder it points to, or another path)"
        )
    if target == Path(target.anchor):
        raise OutputError(f"refusing to write the output to {target}: it is the root folder")
    real = _real(target)
    home = _real(Path.home())
    if _within(home, real):
        raise OutputError(
            f"refusing to write the output to {target}: it would replace the home folder"
            f"{'' if real == home else ' and everything in it'}"
        )
    for folder in protected:
        _check_protected(target, real, folder)
    if target.exists() and not target.is_dir():
        raise OutputError(f"refusing to write the output to {target}: it is a file, not a folder")
    if not overwrite and target.is_dir() and not is_curate_output(target) and any(target.iterdir()):
        raise OutputError(
            f"refusing to replace {target}: it is not a curate output folder (no manifest.json"
            " written by curate) and it is not empty; choose a new folder, or pass --overwrite"
            " to replace it and everything in it"
        )


def is_curate_output(folder: Path) -> bool:
    """True when ``folder`` holds a ``manifest.json`` that a curate run wrote."""
    try:
        data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and "curate_version" in data and "stages" in data


def protected_folders(
    pipeline_file: Path | None, inputs: Sequence[tuple[str, str, Path]], others: Iterable[Path]
) -> list[Protected]:
    """What a run reads, named for the error messages.

    ``inputs`` holds each input's name, its ``path`` as written and the folder that path is
    relative to; ``others`` are files and folders named in stage options (an opt-out list,
    an evaluation set, an earlier release's folder).
    """
    protected = [Protected(pipeline_file, "the pipeline file")] if pipeline_file is not None else []
    for name, pattern, base in inputs:
        protected += _input_protection(name, pattern, base)
    protected += [
        Protected(path, f"{path.name!r}, which a stage reads", inside_too=path.is_dir()) for path in others
    ]
    return protected


def _input_protection(name: str, pattern: str, base: Path) -> list[Protected]:
    """A folder input (or a recursive glob) guards everything under it; other inputs their files.

    A URL (``hf://``, ``https://``, ``s3://``...) names nothing on this machine that replacing a
    folder could delete, so it guards nothing; a ``file://`` URL is the local path it names.
    """
    scheme = URL_SCHEME.match(pattern)
    if scheme:
        if scheme.group(1).lower() != "file":
            return []
        pattern = pattern[len(scheme.group(0)) :]
    path = Path(pattern).expanduser()
    path = path if path.is_absolute() else base / path
    what = f"input {name!r}"
    if not glob.has_magic(str(path)):
        return [Protected(path, what, inside_too=path.is_dir())]
    if "**" in path.parts:
        static = Path(*itertools.takewhile(lambda part: not glob.has_magic(part), path.parts))
        return [Protected(static, what, inside_too=True)]
    return [Protected(Path(match), what) for match in sorted(glob.glob(str(path)))]


def _check_protected(target: Path, real: Path, protected: Protected) -> None:
    folder = _real(protected.folder)
    if _within(folder, real):
        relation = "is" if folder == real else "holds"
        raise OutputError(
            f"refusing to write the output to {target}: it {relation} {protected.what} ({folder}),"
            " which replacing it would delete; choose another output folder"
        )
    if protected.inside_too and _within(real, folder):
        raise OutputError(
            f"refusing to write the output to {target}: it is inside {protected.what} ({folder}),"
            " whose files the next run would read back as input; choose a folder outside it"
        )


def _real(path: Path) -> Path:
    """``path`` with every symbolic link on the way resolved (it need not exist)."""
    return Path(os.path.realpath(path))


def _within(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies under it."""
    return path == folder or folder in path.parents


def paths_in(value: object) -> list[Path]:
    """Every ``Path`` inside a stage's options (a pydantic model, mapping or sequence), in order."""
    if isinstance(value, Path):
        return [value]
    if isinstance(value, BaseModel):
        return [path for name in type(value).model_fields for path in paths_in(getattr(value, name))]
    if isinstance(value, dict):
        return [path for item in value.values() for path in paths_in(item)]
    if isinstance(value, list | tuple | set | frozenset):
        return [path for item in value for path in paths_in(item)]
    return []
