"""Worker processes that start clean inside the Streamlit server.

A spawned child re-runs its parent's `__main__` before anything else; inside Streamlit `__main__`
is the app script, which would open the database the server holds (one process per DuckDB file) and
kill the child. Forking is no better (the server has DuckDB and many threads). So children are
spawned while `__main__` is, for that instant, a bare module: they import only what they unpickle.
"""
from __future__ import annotations

import multiprocessing.context
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

_SWAP = threading.Lock()
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
