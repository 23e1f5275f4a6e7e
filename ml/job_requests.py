"""Typed job requests, validated when they are submitted: a bad request is one sentence, before any work.

Checks that are cheap run here (family, parameter ranges, shares, whether the dataset's files are
there, how many digits a dataset has when that can be counted without loading its images); loading
and fitting stay in the worker.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from data import dataset_records
from ml.errors import DigitLabError, RequestError

if TYPE_CHECKING:
    from ml.families import Param


def _families():
    """ml.families imports scikit-learn (slow): read it when a request is checked, not when the job
    table is imported at server start."""
    from ml.families import FAMILIES
    return FAMILIES

MIN_EXAMPLES, MIN_DIGITS = 2, 2  # a classifier needs two classes; a seeded split needs two examples of each
DATASET_KINDS = ("digits", "feedback", "handwriting", "idx", "folder", "zip", "openml")
MAX_COPIES = 10


class JobRequest:
    """What every job request offers the runner: its kind, who asks, a title, and a JSON round trip.

    Subclasses are frozen dataclasses; `validated()` returns the request as it will run (cast and
    checked) or raises RequestError with one sentence.
    """
    kind: ClassVar[str] = ""

    @property
    def user(self) -> str:
        raise NotImplementedError

    @property
    def title(self) -> str:
        return self.kind

    def validated(self) -> JobRequest:
        return self

    def to_params(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> JobRequest:
        return cls(**params)


def _check_param(family: str, spec: Param, value: Any) -> Any:
    if spec.kind == "choice":
        if value not in spec.choices:
            raise RequestError(f"{family} parameter {spec.name} must be one of {', '.join(map(str, spec.choices))}; "
                               f"got {value!r}.")
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RequestError(f"{family} parameter {spec.name} must be a number; got {value!r}.") from None
    if spec.kind == "int" and number != int(number):
        raise RequestError(f"{family} parameter {spec.name} must be a whole number; got {value!r}.")
    if not (spec.low <= number <= spec.high) or math.isnan(number):
        raise RequestError(f"{family} parameter {spec.name} must be between {spec.low:g} and {spec.high:g}; "
                           f"got {value!r}.")
    return int(number) if spec.kind == "int" else number


def class_count_problem(name: str, counts: list[int]) -> str | None:
    """The sentence saying why these per-digit counts cannot train a classifier, or None."""
    usable = [d for d, n in enumerate(counts) if n >= MIN_EXAMPLES]
    if len(usable) >= MIN_DIGITS:
        return None
    present = [d for d, n in enumerate(counts) if n]
    need = f"at least {MIN_EXAMPLES} examples of each of {MIN_DIGITS} digits are needed"
    if not present:
        return f"{name} has no examples yet; {need}."
    if len(present) == 1:
        return f"{name} has only one class (digit {present[0]}); {need}."
    if not usable:
        return f"{name} has fewer than {MIN_EXAMPLES} examples of every digit; {need}."
    listed = ", ".join(map(str, usable))
    digits = f"{len(usable)} digit{'s' * (len(usable) != 1)}"
    return f"{name} has {MIN_EXAMPLES} or more examples of only {digits} ({listed}); {need}."


def check_dataset(spec: str) -> None:
    """Refuse a dataset SPEC that cannot train, as far as can be told without loading its images
    (files are looked at only under the data folder; a bad file is a RequestError sentence too)."""
    from ml.errors import DatasetError
    try:
        _check_dataset(spec)
    except DatasetError as exc:
        raise RequestError(str(exc)) from None


def _check_dataset(spec: str) -> None:
    from ml.sources import IDX_LABELS_MAGIC, IMAGE_SUFFIXES, confined, image_files, read_idx  # heavy: on use
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if not spec:
        raise RequestError("Name a dataset: digits, feedback, idx:IMAGES,LABELS, folder:PATH, zip:PATH or "
                           "openml:mnist_784.")
    if kind not in DATASET_KINDS or (kind == "digits" and rest) or (kind == "handwriting" and rest not in ("", "quick")):
        raise RequestError(f"Unknown dataset {spec!r}: use digits, feedback, idx:IMAGES,LABELS, folder:PATH, "
                           "zip:PATH or openml:mnist_784.")
    if kind == "feedback":
        from ml.sources import feedback_convention
        try:
            conv = feedback_convention(spec)
        except DigitLabError as exc:
            raise RequestError(str(exc)) from None
        problem = class_count_problem(spec, dataset_records.feedback_class_counts(conv.size ** 2, conv.name))
        if problem:
            raise RequestError(problem + " Mark more predictions correct or pick the real digit on Draw or Upload.")
    elif kind == "idx":
        images, _, labels = rest.partition(",")
        if not labels:
            raise RequestError("Write idx:IMAGES,LABELS with both files.")
        for path in (confined(images), confined(labels)):  # only under the data folder (DIGITLAB_DATA_DIR)
            if not path.is_file():
                raise RequestError(f"{path.name} does not exist in the data folder.")
        counts = [0] * 10
        for digit in read_idx(confined(labels), IDX_LABELS_MAGIC):  # labels only: ~60 KB for MNIST
            if 0 <= digit <= 9:
                counts[int(digit)] += 1
        if problem := class_count_problem(f"idx:{Path(images).name}", counts):
            raise RequestError(problem)
    elif kind == "folder":
        root = confined(rest)
        if not root.is_dir():
            raise RequestError(f"{rest} is not a folder.")
        _check_labels(f"folder:{root.name}", (p.relative_to(root).as_posix() for p in image_files(root)))
    elif kind == "zip":
        from ml import archives
        path = confined(rest)
        if not archives.is_zip(path):
            raise RequestError(f"{path.name or rest} is not a zip file.")
        names = archives.names(path)  # names only: the safety checks run when it is loaded
        _check_labels(f"zip:{path.name}", [n for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES])


def _check_labels(name: str, members) -> None:
    """Count the digits a folder or zip names (sub-folder 0-9 or `_<digit>` suffix) without decoding images."""
    from ml.labels import label_in_name
    counts = [0] * 10
    for member in members:
        label = label_in_name(member)
        if label is not None:
            counts[label] += 1
    if problem := class_count_problem(name, counts):
        raise RequestError(problem)


@dataclass(frozen=True)
class TrainRequest(JobRequest):
    """Train one family on one dataset; the Train page and `python -m ml train` both submit this."""
    family: str
    dataset: str
    trained_by: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    test_size: float = 0.2
    val_size: float = 0.0
    activate: bool = False
    augment: int = 0                 # distorted copies of every training image
    deskew: bool | None = None       # None: as the dataset's convention says

    kind: ClassVar[str] = "train"

    def validated(self) -> TrainRequest:
        """This request with parameters cast to their types; RequestError (one sentence) when it cannot run."""
        FAMILIES = _families()  # noqa: N806 - the table, read late (see _families)
        if self.family not in FAMILIES:
            raise RequestError(f"Unknown model family {self.family!r}; choose one of {', '.join(FAMILIES)}.")
        specs = {p.name: p for p in FAMILIES[self.family].params}
        unknown = sorted(set(self.params) - set(specs))
        if unknown:
            raise RequestError(f"{self.family} has no parameter {unknown[0]!r}; its parameters are "
                               f"{', '.join(specs)}.")
        params = {name: _check_param(self.family, specs[name], value) for name, value in self.params.items()}
        if not 0.05 <= self.test_size <= 0.5:
            raise RequestError(f"The test share must be between 0.05 and 0.5; got {self.test_size:g}.")
        if not 0.0 <= self.val_size <= 0.4 or self.test_size + self.val_size > 0.7:
            raise RequestError(f"The validation share must be between 0 and 0.4 and leave at least 30 % for "
                               f"training; got {self.val_size:g} with a test share of {self.test_size:g}.")
        if not 0 <= int(self.augment) <= MAX_COPIES:
            raise RequestError(f"Augmented copies must be between 0 and {MAX_COPIES}; got {self.augment}.")
        if not 0 <= int(self.seed) < 2**31:
            raise RequestError(f"The seed must be between 0 and {2**31 - 1}; got {self.seed}.")
        check_dataset(self.dataset)
        return TrainRequest(self.family, self.dataset.strip(), self.trained_by, params, int(self.seed),
                            float(self.test_size), float(self.val_size), bool(self.activate), int(self.augment),
                            None if self.deskew is None else bool(self.deskew))

    @property
    def user(self) -> str:
        return self.trained_by

    @property
    def title(self) -> str:
        families = _families()
        label = families[self.family].label if self.family in families else self.family
        return f"{label} on {self.dataset}"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TrainRequest:
        """A request from a stored job row (older rows kept augmentation as {"copies": n})."""
        values = dict(params)
        if isinstance(values.get("augment"), dict):
            values["augment"] = int(values["augment"].get("copies", 0))
        values["augment"] = int(values.get("augment") or 0)
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class DefaultModelRequest(JobRequest):
    """Train the default model in the background while a quick interim one serves (see ml.handover)."""
    requested_by: str = "system"

    kind: ClassVar[str] = "default_model"

    @property
    def user(self) -> str:
        return self.requested_by

    @property
    def title(self) -> str:
        return "Default model on real handwriting (replaces the interim model when ready)"


OBJECTIVES = {"accuracy": "maximize", "macro_f1": "maximize", "log_loss": "minimize"}
SAMPLERS = ("tpe", "random", "cmaes", "grid")
PRUNERS = ("median", "hyperband", "successive_halving", "none")
MAX_TRIALS, MAX_WORKERS, MAX_FOLDS = 10_000, 4, 10
MAX_TIMEOUT_S = 7 * 86_400      # a study's time budget: a week at most
MAX_STUDY_NAME = 100            # characters: a name is a label in a picker, a file name, an audit target


def check_timeout(seconds: float) -> float:
    """A time budget in seconds (0: none), or RequestError: NaN and infinity are not budgets."""
    value = float(seconds)
    if not math.isfinite(value) or not 0 <= value <= MAX_TIMEOUT_S:
        raise RequestError(f"The time budget must be 0 (none) to {MAX_TIMEOUT_S:,} seconds; got {seconds!r}.")
    return value


def check_study_name(name: str) -> str:
    """A study name as it will be stored, or RequestError (too long, or holding control characters)."""
    name = name.strip()
    if len(name) > MAX_STUDY_NAME:
        raise RequestError(f"A study name has at most {MAX_STUDY_NAME} characters; this one has {len(name):,}.")
    if any(not c.isprintable() for c in name):
        raise RequestError("A study name cannot hold control characters such as line breaks or tabs.")
    return name


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
        from ml import tuning_space
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
