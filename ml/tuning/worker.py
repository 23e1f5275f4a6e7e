"""A study that lives on an external Optuna RDB storage (PostgreSQL), so workers on any number of
machines add trials to it: `python -m ml tune-worker --study NAME --storage URL`.

A worker never opens the app's DuckDB file (the app holds it; other machines have none): the study's
set-up travels in the external study's user attributes (family, dataset, objective, space, settings),
written by whoever creates it. The app sees the trials with `tune-import` (ml.tuning.importer), which
copies them into DuckDB; a study so imported names one of our families, so its trials can be promoted.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import warnings
from typing import Any

import optuna

from ml.errors import RequestError
from ml.jobs.requests import check_timeout
from ml.tuning.requests import OBJECTIVES
from ml.tuning.space import Dim, check_space, default_space

log = logging.getLogger(__name__)
SETUP_KEYS = ("family", "dataset", "objective", "space", "settings")
SETUP_WAIT_S = 3.0  # how long a worker waits for a just-created study's set-up written by another worker


def _storage(url: str, attempts: int = 5, grace_s: int = 30) -> optuna.storages.RDBStorage:
    """The RDB storage; a worker whose twin is creating Optuna's tables in a fresh database at the same
    instant loses that race with an integrity error, and simply tries again once the tables exist.
    Heartbeats let a live worker mark the trial of a killed one failed (after `grace_s`)."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    from ml.tuning.importer import _shown
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, heartbeat_interval=max(1, grace_s // 3), grace_period=grace_s)
        except (IntegrityError, ProgrammingError):
            if attempt + 1 == attempts:
                raise
            time.sleep(0.5 * (attempt + 1))
        except Exception as exc:  # noqa: BLE001 - an unreachable server or a bad URL: one sentence
            raise RequestError(f"Could not open the Optuna storage {_shown(url)}: {type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:200]}") from None
    raise AssertionError("unreachable")


def open_study(url: str, name: str, *, family: str | None = None, dataset: str = "digits",
               objective: str = "accuracy", space: list[dict] | None = None, seed: int = 0,
               val_size: float = 0.2, test_size: float = 0.2, grace_s: int = 30) -> optuna.Study:
    """The external study, created with our set-up when it does not exist yet (any worker may create it).
    A trial whose worker sent no heartbeat for `grace_s` seconds (killed) is marked failed by the next
    worker that starts a trial."""
    storage = _storage(url, grace_s=grace_s)
    exists = name in {s.study_name for s in storage.get_all_studies()}
    if not exists:
        if family is None:
            raise RequestError(f"There is no study {name!r} in that storage; give --family (and --dataset) to "
                               "create it.")
        if objective not in OBJECTIVES:
            raise RequestError(f"Unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}.")
        dims = check_space(family, space or default_space(family))
        settings = {"sampler": "tpe", "pruner": "median", "val_size": val_size, "cv_folds": 0,
                    "test_size": test_size, "seed": seed}
        study = optuna.create_study(storage=storage, study_name=name, direction=OBJECTIVES[objective],
                                    load_if_exists=True)  # two workers starting at once share one study
        setup = {"family": family, "dataset": dataset, "objective": objective,
                 "space": [d.to_dict() for d in dims], "settings": settings}
        if not set(SETUP_KEYS) <= set(study.user_attrs):
            for key, value in setup.items():
                study.set_user_attr(key, value)
    study = optuna.load_study(study_name=name, storage=storage)
    missing = [k for k in SETUP_KEYS if k not in study.user_attrs]
    waited = 0.0
    while missing and exists and waited < SETUP_WAIT_S:
        # Another worker may have created the study an instant ago and be writing its set-up, a key at a time.
        time.sleep(0.25)
        waited += 0.25
        missing = [k for k in SETUP_KEYS if k not in study.user_attrs]
    if missing:
        raise RequestError(f"Study {name!r} was not set up by Digit Lab (no {', '.join(missing)}); "
                           "import it to watch it instead.")
    return study


def run_worker(url: str, name: str, *, n_trials: int, timeout_s: float = 0.0, **setup: Any) -> dict[str, Any]:
    """Add `n_trials` trials of our objective to the external study from this process."""
    from ml.datasets.sources import load_spec
    from ml.tuning.objective import make_objective
    from ml.tuning.tune import make_pruner, make_sampler
    if n_trials < 1:
        raise RequestError(f"Ask for at least one trial; got {n_trials}.")
    timeout_s = check_timeout(timeout_s)
    study = open_study(url, name, **setup)
    attrs = study.user_attrs
    dims = [Dim.from_dict(d) for d in attrs["space"]]
    settings = attrs["settings"]
    worker = f"{socket.gethostname()}:{os.getpid()}"
    # Each worker its own sampler seed: two workers with one seed would propose the same first points.
    sampler = make_sampler(settings["sampler"], dims, settings["seed"] + os.getpid())
    study = optuna.load_study(study_name=name, storage=study._storage, sampler=sampler,
                              pruner=make_pruner(settings["pruner"]))
    objective = make_objective(load_spec(attrs["dataset"]), attrs["family"], dims, objective=attrs["objective"],
                               seed=settings["seed"], test_size=settings["test_size"], val_size=settings["val_size"])
    mine: list[int] = []

    def tagged(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", f"{worker}/{threading.current_thread().name}")
        mine.append(trial.number)
        return objective(trial)
    study.optimize(tagged, n_trials=n_trials, timeout=timeout_s or None, catch=(Exception,))
    best = study.best_trial if any(t.state.name == "COMPLETE" for t in study.trials) else None
    return {"study": name, "worker": worker, "trials_here": mine, "trials_total": len(study.trials),
            "best_trial": best.number if best else None, "best_value": best.value if best else None,
            "best_params": best.params if best else None}
