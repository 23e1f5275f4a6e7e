"""The typed requests of the training jobs (train, default model) and the cheap checks they make.

Cheap checks run when a request is submitted (family, parameter ranges, shares, whether the dataset's files
are there, how many digits a dataset has when that can be counted without loading its images); loading
and fitting stay in the worker."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from data import dataset_records
from ml.errors import DigitLabError, RequestError
from ml.jobs.requests import JobRequest

if TYPE_CHECKING:
    from ml.models.families import Param


def _families():
    """ml.models.families imports scikit-learn (slow): read it when a request is checked, not when the job
    table is imported at server start."""
    from ml.models.families import FAMILIES
    return FAMILIES

MIN_EXAMPLES, MIN_DIGITS = 2, 2  # a classifier needs two classes; a seeded split needs two examples of each
DATASET_KINDS = ("digits", "feedback", "handwriting", "idx", "folder", "zip", "openml")
MAX_COPIES = 10


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
    from ml.datasets.sources import IDX_LABELS_MAGIC, IMAGE_SUFFIXES, confined, image_files, read_idx  # heavy: on use
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if not spec:
        raise RequestError("Name a dataset: digits, feedback, idx:IMAGES,LABELS, folder:PATH, zip:PATH or "
                           "openml:mnist_784.")
    if kind not in DATASET_KINDS or (kind == "digits" and rest) or (kind == "handwriting" and rest not in ("", "quick")):
        raise RequestError(f"Unknown dataset {spec!r}: use digits, feedback, idx:IMAGES,LABELS, folder:PATH, "
                           "zip:PATH or openml:mnist_784.")
    if kind == "feedback":
        from ml.datasets.sources import feedback_convention
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
        from ml.inputs import archives
        path = confined(rest)
        if not archives.is_zip(path):
            raise RequestError(f"{path.name or rest} is not a zip file.")
        names = archives.names(path)  # names only: the safety checks run when it is loaded
        _check_labels(f"zip:{path.name}", [n for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES])


def _check_labels(name: str, members) -> None:
    """Count the digits a folder or zip names (sub-folder 0-9 or `_<digit>` suffix) without decoding images."""
    from ml.inputs.labels import label_in_name
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
    """Train the default model in the background while a quick interim one serves (see ml.lab.handover)."""
    requested_by: str = "system"

    kind: ClassVar[str] = "default_model"

    @property
    def user(self) -> str:
        return self.requested_by

    @property
    def title(self) -> str:
        return "Default model on real handwriting (replaces the interim model when ready)"
