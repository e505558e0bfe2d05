"""Worker processes that end with the run that started them.

A pool's workers block waiting for work; when the run's process is killed (SIGKILL, an
out-of-memory kill) nothing tells them, and they linger. Each worker calls ``exit_with`` in
its initializer with its parent's pid: a daemon thread ends the worker soon after the parent
is gone. Imports nothing from curate, so every layer may use it.
"""

from __future__ import annotations

import os
import threading
import time

CHECK_SECONDS = 1.0


def exit_with(parent: int) -> None:
    """End this process within about a second of ``parent`` dying."""
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="exit-with-parent").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    os._exit(1)
