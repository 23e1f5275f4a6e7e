"""Tuning studies: Optuna searches a family's hyperparameters; DuckDB keeps the study and every trial.

Optuna runs on its in-memory storage inside the app's one process (its RDB storage cannot use
DuckDB). Each trial is written to `study_trials` when it starts (RUNNING) and replaced by its whole
final row when it ends (`TrialLog`: at most 0.2 s late, quick trials batched), so DuckDB holds the
whole study; resuming rebuilds a fresh in-memory study from those rows (`study.add_trials`), and
trial numbers carry on where they stopped.

The objective is in `ml.tuning.objective` (scored on the validation share, never the test split);
"train this" is in `ml.tuning.promote`. Trials register no model and write no audit row; a study's
start, end, stop and promotion do.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import optuna

from data import audit, studies
from ml.errors import RequestError
from ml.tuning.objective import Stopped, make_objective
from ml.tuning.requests import OBJECTIVES, TuneRequest
from ml.tuning.space import Dim, check_space, distributions, grid

log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)


def make_sampler(name: str, dims: list[Dim], seed: int) -> optuna.samplers.BaseSampler:
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler(grid(dims), seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=4)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource="auto")
    if name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=2)
    return optuna.pruners.NopPruner()


def frozen_trials(study: studies.StudyRecord,
                  rows: list[studies.TrialRow] | None = None) -> list[optuna.trial.FrozenTrial]:
    """The study's finished trials (from DuckDB, or the `rows` already read) as Optuna trials (numbers in
    order, for add_trials)."""
    dists = distributions([Dim.from_dict(d) for d in study.space])
    out = []
    for row in studies.trials(study.id) if rows is None else rows:
        if row.state == "RUNNING":
            continue
        state = optuna.trial.TrialState[row.state]
        value = row.value if state != optuna.trial.TrialState.FAIL else None
        params = {k: v for k, v in row.params.items() if k in dists}
        out.append(optuna.trial.create_trial(state=state, value=value, params=params,
                                             distributions={k: dists[k] for k in params},
                                             intermediate_values=row.intermediate))
    return out


def load_study(study: studies.StudyRecord, *, sampler: str | None = None,
               rows: list[studies.TrialRow] | None = None) -> optuna.Study:
    """A fresh in-memory Optuna study holding every finished trial DuckDB has (charts, resuming).

    The sampler's seed moves on with the number of past trials, so a resumed random search does not
    draw the first run's parameters again."""
    dims = [Dim.from_dict(d) for d in study.space]
    settings = study.settings
    past = frozen_trials(study, rows)
    made = optuna.create_study(direction=study.direction, study_name=study.name,
                               sampler=make_sampler(sampler or settings["sampler"], dims, settings["seed"] + len(past)),
                               pruner=make_pruner(settings["pruner"]))
    made.add_trials(past)
    return made


class TrialLog:
    """Trial rows on their way to DuckDB, at most `every` seconds late: written at once when the last
    write is that old, else batched with whatever else comes within that time (a timer writes them).

    So a trial is on disk as RUNNING within `every` seconds of its start (a restart marks it failed,
    never loses it) and complete within `every` seconds of its end, while quick trials (a trivial
    objective: a few ms each) share one statement instead of paying two each.
    """

    def __init__(self, study_id: int, every: float = 0.2) -> None:
        self.study_id, self.every = study_id, every
        self._pending: dict[int, tuple] = {}
        self._lock = threading.Lock()
        self._last = 0.0
        self._timer: threading.Timer | None = None

    def started(self, number: int, worker: str) -> None:
        now = datetime.now()
        self._put(number, (self.study_id, number, "RUNNING", {}, None, {}, None, now, None, None, worker, ""))

    def finished(self, frozen: optuna.trial.FrozenTrial, worker: str, message: str) -> None:
        start, end = frozen.datetime_start, frozen.datetime_complete or datetime.now()
        self._put(frozen.number, (
            self.study_id, frozen.number, frozen.state.name, frozen.params, frozen.value,
            {str(k): v for k, v in frozen.intermediate_values.items()}, frozen.last_step, start, end,
            (end - start).total_seconds() if start else None, worker, message[:500]))

    def _put(self, number: int, row: tuple) -> None:
        with self._lock:
            self._pending[number] = row  # a finished row replaces its RUNNING row not yet written
            wait = self.every - (time.monotonic() - self._last)
            if wait <= 0:
                self._flush()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Write what is pending now (the study's end calls this too)."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, self._pending = list(self._pending.values()), {}
        studies.write_trials(rows)
        self._last = time.monotonic()


def reconcile() -> None:
    """Studies whose job is over but still say running (the server stopped): interrupted, trials failed."""
    found = studies.mark_orphans_interrupted()
    if found:
        log.warning("marked %d study(ies) from a previous run as interrupted", found)


def run_study(request: TuneRequest, *, job_id: int | None = None, progress: Callable[..., None] | None = None,
              check: Callable[[], None] = lambda: None,
              objective_for: Callable[[list[Dim]], Callable[[optuna.Trial], float]] | None = None) -> dict[str, Any]:
    """Create or resume the named study and run `n_trials` more trials (or until the time budget).

    `objective_for(dims)` replaces the family's objective (the bench times persistence with a trivial
    one); everything else — study rows, trial log, audit — is the path every study takes."""
    from ml.datasets.sources import load_spec
    reconcile()
    record = studies.by_name(request.study)
    dataset = None if objective_for else load_spec(record.dataset if record is not None else request.dataset)
    if record is None:
        dims = check_space(request.family, request.space)
        studies.create(name=request.study, family=request.family, dataset=request.dataset,
                       objective=request.objective, direction=OBJECTIVES[request.objective],
                       space=[d.to_dict() for d in dims], settings=request.settings, created_by=request.user)
        record = studies.by_name(request.study)
    elif record.status == "running":
        raise RequestError(f"Study {record.name!r} is already running.")
    dims = [Dim.from_dict(d) for d in record.space]
    settings = record.settings
    study = load_study(record)
    past = len(study.trials)
    studies.start(record.id, job_id, request.n_trials)
    audit.record(request.user, "tune_study", "ok", f"study {record.name} started: {request.n_trials} trials "
                                                   f"({past} before), sampler {settings['sampler']}",
                 target=f"study:{record.name}")
    stop = threading.Event()
    started = time.monotonic()

    def guarded_check() -> None:
        if stop.is_set():
            raise Stopped()
        try:
            check()
        except Exception:
            stop.set()
            raise Stopped() from None

    objective = objective_for(dims) if objective_for else make_objective(
        dataset, record.family, dims, objective=record.objective, seed=settings["seed"],
        test_size=settings["test_size"], val_size=settings["val_size"], cv_folds=settings["cv_folds"],
        check=guarded_check)

    trial_log = TrialLog(record.id)

    def wrapped(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", threading.current_thread().name)
        trial_log.started(trial.number, threading.current_thread().name)
        try:
            return objective(trial)
        except Stopped:
            trial.set_user_attr("message", "Stopped with the study.")
            study.stop()
            raise
        except optuna.TrialPruned as exc:
            trial.set_user_attr("message", str(exc))
            raise
        except Exception as exc:  # noqa: BLE001 - a bad combination fails its trial, not the study
            trial.set_user_attr("message", f"{type(exc).__name__}: {exc}")
            raise

    def persist(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        trial_log.finished(frozen, frozen.user_attrs.get("worker", ""), frozen.user_attrs.get("message", ""))
        if progress is not None:
            done = len(study.trials) - past
            best = _best_text(study, record.objective)
            try:
                progress("trials", min(1.0, done / request.n_trials), f"{done} of {request.n_trials} trials{best}",
                         done=done, total=request.n_trials)
            except Exception:  # noqa: BLE001 - the job's cancel arrives here too
                stop.set()
                study.stop()

    try:
        study.optimize(wrapped, n_trials=request.n_trials, timeout=request.timeout_s or None,
                       n_jobs=request.workers, catch=(Exception,), callbacks=[persist])
    except BaseException as exc:
        trial_log.flush()
        studies.finish(record.id, "failed", f"{type(exc).__name__}: {exc}")
        audit.record(request.user, "tune_study", "error", f"study {record.name} failed: {exc}",
                     target=f"study:{record.name}")
        raise
    trial_log.flush()
    summary = result_of(studies.get(record.id), seconds=time.monotonic() - started)
    if stop.is_set():
        studies.finish(record.id, "stopped", "Stopped; resume it to add trials.")
        audit.record(request.user, "tune_study", "ok", f"study {record.name} stopped after {summary['trials']} trials",
                     target=f"study:{record.name}")
        from ml.jobs.context import JobCancelled
        raise JobCancelled()
    studies.finish(record.id, "finished", summary["message"])
    audit.record(request.user, "tune_study", "ok", f"study {record.name} finished: {summary['message']}",
                 target=f"study:{record.name}")
    return summary


SHARE_OBJECTIVES = {"accuracy", "macro_f1"}  # shares: written 98.61% as every share; log loss as a number


def objective_text(objective: str, value: float | None) -> str:
    """An objective value as the app writes that quantity everywhere (the job line, the page, the CLI)."""
    if value is None or value != value:
        return ""
    return f"{100 * value:.2f}%" if objective in SHARE_OBJECTIVES else f"{value:.4f}"


def _best_text(study: optuna.Study, objective: str) -> str:
    try:
        best = study.best_trial
    except ValueError:
        return ""
    return f" · best {objective.replace('_', '-')} {objective_text(objective, best.value)} (trial {best.number})"


def result_of(record: studies.StudyRecord, *, seconds: float | None = None) -> dict[str, Any]:
    """The study's outcome as JSON: its best trial (number, value, parameters) and its trial counts."""
    rows = studies.trials(record.id)
    counts = {state: sum(r.state == state for r in rows) for state in ("COMPLETE", "PRUNED", "FAIL")}
    best = studies.best(record.id, record.direction)
    out: dict[str, Any] = {
        "study": record.name, "study_id": record.id, "family": record.family, "dataset": record.dataset,
        "objective": record.objective, "direction": record.direction, "trials": len(rows),
        "complete": counts["COMPLETE"], "pruned": counts["PRUNED"], "failed": counts["FAIL"],
        "best_trial": best[0] if best else None, "best_value": best[1] if best else None,
        "best_params": best[2] if best else None}
    if seconds is not None:
        out["seconds"] = round(seconds, 2)
    out["message"] = (f"{len(rows)} trials; best {record.objective.replace('_', '-')} "
                      f"{objective_text(record.objective, best[1])} (trial {best[0]})"
                      if best else f"{len(rows)} trials; none complete")
    return out


def tune_job(request: TuneRequest, ctx) -> dict:
    """The "tune" job (see ml.jobs.kinds): the Tuning page and `python -m ml tune` run this."""
    ctx.progress("loading data", 0.01, f"Loading {request.dataset}")
    return run_study(request, job_id=ctx.job_id, progress=ctx.progress, check=ctx.check_cancelled)
