"""The Ray cluster a run's steps go to: joined or started for the run, left as it was found.

A process that has joined a cluster already (``ray.init`` in a notebook, a test's fixture)
runs on it and stays joined after the run. Otherwise the run connects to its address (the
``--ray-address`` option, the pipeline file's ``executor.address``, ``RAY_ADDRESS``, in that
order) or, with none, starts a Ray instance on this machine sized by ``num_cpus``,
``object_store_memory`` and ``spill_dir``; either way it disconnects at the end of the run,
whatever happens, which stops an instance it started.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.config import ExecutorConfig
from curate.errors import ExecutorError
from curate.executors.ray.shards import first_line
from curate.progress import Reporter
from curate.record_executor import ExecutorRecord

INSTALL = "pip install 'curate[ray]'"
LOCAL = "local"
STARTED_ONLY = ("num_cpus", "object_store_memory", "spill_dir")
"""Settings of a Ray instance curate starts, which a cluster it joins has set already."""
MIN_CPUS = 2
"""One CPU reads the inputs while another runs the stages."""
QUIET_LOGGERS = ("ray", "ray.data", "ray.util")
BACKEND_LOG_LEVEL = "RAY_BACKEND_LOG_LEVEL"
CONNECT_SECONDS = 10


def require_ray() -> None:
    """``ExecutorError`` saying how to install Ray, when it is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise ExecutorError(
            f"the Ray executor needs Ray, which is not installed: {INSTALL} (or run with --executor local)"
        )


def address_of(settings: ExecutorConfig) -> str:
    """Where the run's cluster is: the configured address, else ``RAY_ADDRESS``, else ``local``."""
    return settings.address or os.environ.get("RAY_ADDRESS") or LOCAL


@dataclass(frozen=True)
class Cluster:
    """The cluster a run uses, as the manifest records it and the executor sizes its pools by."""

    ray_version: str
    cpus: int
    nodes: int

    def record(self) -> ExecutorRecord:
        return ExecutorRecord(kind="ray", ray_version=self.ray_version, cpus=self.cpus, nodes=self.nodes)


@contextmanager
def ray_cluster(settings: ExecutorConfig, reporter: Reporter) -> Iterator[Cluster]:
    """The cluster of ``settings``, joined (or started) for the ``with`` block, quiet meanwhile."""
    require_ray()
    import ray

    with quiet_ray():
        joined = False
        if not ray.is_initialized():
            _join(ray, settings, reporter)
            joined = True
        try:
            cluster = _measured(ray)
            if cluster.cpus < MIN_CPUS:
                raise ExecutorError(
                    f"the Ray cluster has {cluster.cpus} CPU; the Ray executor needs at least {MIN_CPUS}"
                    " (one reads while another runs the stages): set executor.num_cpus, or run with"
                    " --executor local"
                )
            yield cluster
        finally:
            if joined:
                ray.shutdown()


def _measured(ray: Any) -> Cluster:
    alive = [node for node in ray.nodes() if node.get("Alive")]
    cpus = int(ray.cluster_resources().get("CPU", 0))
    return Cluster(ray_version=str(ray.__version__), cpus=cpus, nodes=len(alive))


def _join(ray: Any, settings: ExecutorConfig, reporter: Reporter) -> None:
    address = address_of(settings)
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.ERROR,
    }
    if address == LOCAL:
        options["num_cpus"] = settings.num_cpus or os.cpu_count() or 1
        if settings.object_store_memory is not None:
            options["object_store_memory"] = int(settings.object_store_memory)
        if settings.spill_dir is not None:
            spilling = {"type": "filesystem", "params": {"directory_path": str(settings.spill_dir)}}
            options["_system_config"] = {"object_spilling_config": json.dumps(spilling)}
    else:
        ignored = [name for name in STARTED_ONLY if getattr(settings, name) is not None]
        if ignored:
            reporter.message(
                f"executor: {', '.join(ignored)} size a Ray instance curate starts; the cluster at"
                f" {address} has its own"
            )
    if address not in (LOCAL, "auto"):
        _check_reachable(address)
    try:
        init(ray, address, **options)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        where = "start a Ray instance here" if address == LOCAL else f"reach the Ray cluster at {address}"
        raise ExecutorError(f"cannot {where}: {first_line(exc)}") from exc


def _check_reachable(address: str) -> None:
    """A quick refusal of a ``host:port`` nothing answers on: Ray itself would wait for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}"
            " (is `ray start --head` running there?)"
        ) from exc


def init(ray: Any, address: str, **options: Any) -> None:
    """``ray.init`` with the driver's own Ray logging at ``fatal`` (unless ``RAY_BACKEND_LOG_LEVEL``
    says otherwise): Ray's core prints notes on stderr that are not curate's to show, such as
    one per actor pool about its constructor's arguments. An instance started here inherits the
    level; its log files are in Ray's session folder."""
    given = os.environ.get(BACKEND_LOG_LEVEL)
    os.environ.setdefault(BACKEND_LOG_LEVEL, "fatal")
    saved = os.dup(2)
    try:
        # Ray's core announces the level it took from the variable on file descriptor 2, once,
        # while it starts; an error in ray.init still comes back as an exception.
        with Path(os.devnull).open("w") as null:
            os.dup2(null.fileno(), 2)
        ray.init(address=address, **options)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        if given is None:
            os.environ.pop(BACKEND_LOG_LEVEL, None)


@contextmanager
def quiet_ray() -> Iterator[None]:
    """Ray's own logging and deprecation warnings kept out of the run's output (stages never
    print, and neither does their scheduler); progress bars of ``ray.data`` off."""
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            from ray.data import DataContext

            context = DataContext.get_current()
            context.enable_progress_bars = False
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
