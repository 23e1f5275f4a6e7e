"""How many threads one model fit may use (OpenMP in XGBoost and histogram boosting, joblib in forests),
and the caps a batch puts on its processes: every thread limit of the app in one place.

OpenMP threads spin while they wait for each other: on this 2-core machine a 2-thread XGBoost or
histogram-boosting fit ran up to 15x slower than a 1-thread one while other work shared the cores (a
second job, a batch's decoder, the test suite's other worker). So a fit takes both cores only while
it is the only job running; `DIGITLAB_FIT_THREADS` pins the number (the test suite sets 1).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ml import config

ENV = config.FIT_THREADS
_lock = threading.Lock()
_running = 0  # jobs running in this process now


def fit_threads() -> int:
    """Threads for the next fit: the setting, else up to 2 cores while at most one job runs, else 1."""
    pinned = config.get(ENV, "").strip()
    if pinned:
        return max(1, int(pinned))
    cores = os.cpu_count() or 1
    return 1 if _running > 1 else max(1, min(2, cores))


@contextmanager
def job_running() -> Iterator[None]:
    """Count a job as running while its handler runs (fits elsewhere then take one thread)."""
    global _running
    with _lock:
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1


@contextmanager
def limited() -> Iterator[None]:
    """OpenMP threads of the fits run inside capped at `fit_threads()` (histogram boosting reads it)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=fit_threads(), user_api="openmp"):
        yield


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """The model's matrix products on one thread while a batch's decoders run beside them: a second BLAS
    thread spins on the core a decoder needs. OpenBLAS's limit is process-wide, so a fit running meanwhile
    gets one thread too."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def one_thread_per_process() -> None:
    """A decoder process's initializer: the cores are already shared out between processes. (This
    module imports nothing heavy, so a decoder started with it loads no store or model code.)"""
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
