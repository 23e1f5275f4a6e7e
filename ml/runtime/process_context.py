"""Worker processes that start clean inside the Streamlit server.

A spawned child re-runs its parent's `__main__` before anything else; inside Streamlit `__main__`
is the app script, which would open the database the server holds (one process per DuckDB file) and
kill the child. Forking is no better (the server has DuckDB and many threads). So children are
spawned while `__main__` is, for that instant, a bare module: they import only what they unpickle.
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing.context
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

_SWAP = threading.Lock()
PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_EVERY_S = 1.0
_BARE_MAIN = types.ModuleType("__main__")


@contextmanager
def _bare_main() -> Iterator[None]:
    with _SWAP:
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = _BARE_MAIN
        try:
            yield
        finally:
            if sys.modules.get("__main__") is _BARE_MAIN:  # a script run may have set its own meanwhile
                sys.modules["__main__"] = real


class _CleanProcess(multiprocessing.context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj):
        with _bare_main():
            return multiprocessing.context.SpawnProcess._Popen(process_obj)


class CleanSpawnContext(multiprocessing.context.SpawnContext):
    """A spawn context whose children never run the parent's `__main__`."""

    Process = _CleanProcess


def die_with_parent(parent_pid: int) -> None:
    """Make this child end when `parent_pid` does (a killed server must not leave its decoders running
    for hours): on Linux the kernel sends SIGKILL when the parent goes (prctl PR_SET_PDEATHSIG);
    everywhere a daemon thread also notices being handed to another parent and exits."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError) as exc:  # not glibc-like: the watchdog below still holds
            log.info("prctl(PR_SET_PDEATHSIG) unavailable: %r", exc)
    if os.getppid() != parent_pid:  # the parent died before the guard was set
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_EVERY_S)
    os._exit(1)
