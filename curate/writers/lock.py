"""One run at a time per output folder: a lock file beside it, naming the run that holds it.

The lock lives beside the folder (``.<name>.lock``), not in it, because the folder is
replaced whole at the end of a run. A lock whose process is gone (a killed run) is taken
over; one held by a live process on this machine is refused with its pid and start time.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from curate.errors import OutputError


class OutputLock:
    """Hold ``.<name>.lock`` beside ``target`` while a run writes it.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "out"
    >>> with OutputLock(folder):
    ...     OutputLock(folder).acquire()
    Traceback (most recent call last):
    ...
    curate.errors.OutputError: ...is being written by another curate run (pid ...
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(f".{target.name}.lock")
        self._held = False

    def acquire(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._refuse_or_clear()
                continue
            except OSError as exc:
                where = f"beside the output folder {self.target}"
                raise OutputError(f"cannot write {where}: {exc.strerror}") from exc
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(_holder(), file)
            self._held = True
            return self
        raise OutputError(f"cannot take the lock {self.path}: another run keeps taking it")

    def release(self) -> None:
        if self._held:
            self._held = False
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()

    def _refuse_or_clear(self) -> None:
        """Refuse when a live run holds the lock; remove a lock its dead owner left behind."""
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            pid, host, started = int(holder["pid"]), str(holder["host"]), str(holder["started"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            # Half-written by a run killed between creating and filling it: nobody holds it.
            pid, host, started = -1, socket.gethostname(), "unknown"
        if host != socket.gethostname():
            raise OutputError(
                f"{self.target} is being written by a curate run on {host} (pid {pid}, started {started});"
                f" if that run is gone, delete {self.path}"
            )
        if pid > 0 and process_alive(pid):
            raise OutputError(
                f"{self.target} is being written by another curate run (pid {pid}, started {started});"
                " wait for it to finish or stop it"
            )
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def process_alive(pid: int) -> bool:
    """True when a process with this id runs on this machine (and is not a zombie)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[-1].split()[0] == "Z"


def _holder() -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
