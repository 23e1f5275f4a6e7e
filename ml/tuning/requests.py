"""The typed requests of the tuning jobs (tune, promote), beside their handlers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ml.errors import RequestError
from ml.jobs.requests import JobRequest, check_study_name, check_timeout
from ml.lab.requests import _families, check_dataset

OBJECTIVES = {"accuracy": "maximize", "macro_f1": "maximize", "log_loss": "minimize"}
SAMPLERS = ("tpe", "random", "cmaes", "grid")
PRUNERS = ("median", "hyperband", "successive_halving", "none")
MAX_TRIALS, MAX_WORKERS, MAX_FOLDS = 10_000, 4, 10


@dataclass(frozen=True)
class TuneRequest(JobRequest):
    """Run (or resume, when `study` names an existing one) an Optuna study; the Tuning page and
    `python -m ml tune` both submit this. Trials are scored on the validation share (or k-fold CV of
    everything but the test split), never on the test split."""
    family: str
    dataset: str
    requested_by: str
    space: list[dict[str, Any]] = field(default_factory=list)   # empty: the family's whole ranges
    objective: str = "accuracy"
    sampler: str = "tpe"
    pruner: str = "median"
    n_trials: int = 20
    timeout_s: float = 0.0          # 0: no time budget
    workers: int = 1
    val_size: float = 0.2
    cv_folds: int = 0               # 2 or more: k-fold CV instead of the validation share
    test_size: float = 0.2
    seed: int = 0                   # fixed for every trial: split, model and sampler seed
    study: str = ""                 # a new name, or an existing study to resume with n_trials more

    kind: ClassVar[str] = "tune"

    def validated(self) -> TuneRequest:
        """The request as it will run (space checked, name chosen); RequestError (one sentence) otherwise."""
        from data import studies
        from ml.tuning import space as tuning_space
        name = check_study_name(self.study)
        timeout_s = check_timeout(self.timeout_s)
        studies.mark_orphans_interrupted()  # a study the last server left running can be resumed
        existing = studies.by_name(name) if name else None
        if not 1 <= int(self.n_trials) <= MAX_TRIALS:
            raise RequestError(f"Ask for between 1 and {MAX_TRIALS:,} trials; got {self.n_trials}.")
        if not 1 <= int(self.workers) <= MAX_WORKERS:
            raise RequestError(f"Parallel workers must be between 1 and {MAX_WORKERS}; got {self.workers}.")
        if existing is not None:  # resume: the study's own set-up, only more trials
            if existing.settings.get("imported_from"):
                raise RequestError(f"Study {name!r} was imported from another Optuna storage: it can be watched and "
                                   "compared here, not resumed (add trials with tune-worker on its storage).")
            if existing.status == "running":
                raise RequestError(f"Study {name!r} is already running; stop it before resuming it.")
            if self.family != existing.family:
                raise RequestError(f"Study {name!r} tunes {existing.family}, not {self.family}; pick another name "
                                   "for a new study.")
            return TuneRequest(existing.family, existing.dataset, self.requested_by, existing.space,
                               existing.objective, n_trials=int(self.n_trials), timeout_s=timeout_s,
                               workers=int(self.workers), study=name, **existing.settings)
        if self.objective not in OBJECTIVES:
            raise RequestError(f"Unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVES)}.")
        if self.sampler not in SAMPLERS:
            raise RequestError(f"Unknown sampler {self.sampler!r}; choose one of {', '.join(SAMPLERS)}.")
        if self.pruner not in PRUNERS:
            raise RequestError(f"Unknown pruner {self.pruner!r}; choose one of {', '.join(PRUNERS)}.")
        space = tuning_space.check_space(self.family, self.space or tuning_space.default_space(self.family))
        if self.sampler == "grid":
            tuning_space.grid(space)
        if self.sampler == "cmaes":
            if any(d.kind == "choice" for d in space):
                raise RequestError("CMA-ES searches numbers only: drop the choice parameters or use TPE.")
            try:
                import cmaes  # noqa: F401 - Optuna's CMA-ES sampler needs it
            except ImportError:
                raise RequestError("CMA-ES needs the cmaes package, which is not installed; use TPE.") from None
        folds = int(self.cv_folds)
        if folds == 1 or not 0 <= folds <= MAX_FOLDS:
            raise RequestError(f"Cross-validation needs 2 to {MAX_FOLDS} folds (0: use the validation share); "
                               f"got {folds}.")
        if not 0.05 <= self.test_size <= 0.5:
            raise RequestError(f"The test share must be between 0.05 and 0.5; got {self.test_size:g}.")
        if folds == 0 and (not 0.05 <= self.val_size <= 0.4 or self.test_size + self.val_size > 0.7):
            raise RequestError(f"The validation share must be between 0.05 and 0.4 and leave at least 30 % for "
                               f"training; got {self.val_size:g} with a test share of {self.test_size:g}.")
        if not 0 <= int(self.seed) < 2**31:
            raise RequestError(f"The seed must be between 0 and {2**31 - 1}; got {self.seed}.")
        check_dataset(self.dataset)
        if not name:
            import time
            name = f"{self.family}-{self.dataset.strip().split(':')[0]}-{time.strftime('%Y%m%d-%H%M%S')}"
        return TuneRequest(self.family, self.dataset.strip(), self.requested_by, [d.to_dict() for d in space],
                           self.objective, self.sampler, self.pruner, int(self.n_trials), timeout_s,
                           int(self.workers), float(self.val_size), folds, float(self.test_size), int(self.seed), name)

    @property
    def settings(self) -> dict[str, Any]:
        """What a resumed run takes over from the study's first run."""
        return {"sampler": self.sampler, "pruner": self.pruner, "val_size": self.val_size, "cv_folds": self.cv_folds,
                "test_size": self.test_size, "seed": self.seed}

    @property
    def user(self) -> str:
        return self.requested_by

    @property
    def title(self) -> str:
        return f"Study {self.study or self.family}: {self.n_trials} trials of {self.family} on {self.dataset}"


@dataclass(frozen=True)
class PromoteRequest(JobRequest):
    """Train a study's trial ("train this"): its parameters on the full training data, scored on the test
    split, registered as a model version linked to the study and trial. trial -1: the best trial."""
    study_id: int
    promoted_by: str
    trial: int = -1
    activate: bool = False
    study_name: str = ""            # filled at submit: the job's title names the study

    kind: ClassVar[str] = "promote"

    def validated(self) -> PromoteRequest:
        from data import studies
        study = studies.get(int(self.study_id))
        if study is None:
            raise RequestError(f"Study {self.study_id} does not exist.")
        if study.family not in _families():
            raise RequestError(f"Study {study.name!r} was imported from another Optuna storage and tunes no model "
                               "family of ours, so its trials cannot be trained here.")
        if int(self.trial) < 0:
            best = studies.best(study.id, study.direction)
            if best is None:
                raise RequestError(f"Study {study.name!r} has no complete trial yet to train.")
            return PromoteRequest(study.id, self.promoted_by, best[0], bool(self.activate), study.name)
        rows = {t.number: t for t in studies.trials(study.id)}
        if int(self.trial) not in rows:
            raise RequestError(f"Study {study.name!r} has no trial {self.trial}.")
        if rows[int(self.trial)].state == "RUNNING":
            raise RequestError(f"Trial {self.trial} of {study.name!r} is still running.")
        if rows[int(self.trial)].state == "FAIL":
            raise RequestError(f"Trial {self.trial} of {study.name!r} failed, so there is nothing to train; "
                               "pick a complete or pruned trial.")
        return PromoteRequest(study.id, self.promoted_by, int(self.trial), bool(self.activate), study.name)

    @property
    def user(self) -> str:
        return self.promoted_by

    @property
    def title(self) -> str:
        return f"Train trial {self.trial} of study {self.study_name or self.study_id}"
