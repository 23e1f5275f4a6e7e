"""Training as a composition: `fitting.fit_and_score` (pure) then `lifecycle.register` (saved, audited).

The "train" job (`train_job`) is what the Train page and `python -m ml train` run; its request was
validated and its submitter's `train` capability checked when it was submitted (`ml.jobs.engine`).
Scoring lives in `ml.lab.scoring`, the model lifecycle in `ml.lab.lifecycle`; the names below stay for the
callers that import them from here.
"""
from __future__ import annotations

import logging
import math

from data import registry
from ml.datasets import provenance
from ml.datasets.augment import Augmentation
from ml.datasets.sources import load_spec
from ml.datasets.splits import Dataset
from ml.governance import policy
from ml.lab import lifecycle
from ml.lab.fitting import Progress, fit_and_score, quiet
from ml.lab.requests import TrainRequest
from ml.lab.scoring import evaluate, shared_test_predictions, test_split_predictions  # noqa: F401 - kept names
from ml.models.families import DEFAULT_FAMILY

log = logging.getLogger(__name__)

activate_model = lifecycle.activate  # kept name


def register_dataset(dataset: Dataset, *, by: str) -> int:
    """Record a dataset (counts, convention, content hash) so a model's data can be recognised later:
    the Data page's entry point, so `by` must hold `register_dataset` (training registers its own)."""
    policy.require(by, "register_dataset")
    return provenance.register_dataset(dataset, by=by)[0]


def train_and_register(dataset: Dataset, family: str, params: dict | None = None, *, trained_by: str,
                       seed: int = 0, test_size: float = 0.2, val_size: float = 0.0, activate: bool = False,
                       progress: Progress = quiet, augmentation: Augmentation | None = None,
                       deskew: bool | None = None) -> int:
    """Fit and score (see `fitting.fit_and_score`), save and register the version; returns the model id."""
    result = fit_and_score(dataset, family, params, seed=seed, test_size=test_size, val_size=val_size,
                           augmentation=augmentation, deskew=deskew, progress=progress)
    progress("saving", 0.9)
    model_id = lifecycle.register(result, dataset, by=trained_by)
    if activate:
        lifecycle.activate(model_id, by=trained_by)
    progress("done", 1.0)
    return model_id


def train_job(request: TrainRequest, ctx) -> dict:
    """The "train" job (see ml.jobs.kinds): load the dataset, train, register, maybe activate."""
    ctx.progress("loading data", 0.02, f"Loading {request.dataset}")
    dataset = load_spec(request.dataset)
    ctx.check_cancelled()
    size = f"{len(dataset.y):,} images"
    if request.augment:  # the fit sees the training images and their copies: say both (split sizes as sklearn's)
        rest = len(dataset.y) - math.ceil(len(dataset.y) * request.test_size)
        n_train = rest - (math.ceil(rest * request.val_size / (1 - request.test_size)) if request.val_size else 0)
        size += f"; fitting {n_train:,} training images + {n_train * request.augment:,} augmented copies"

    def report(stage: str, fraction: float, detail: str = "", *, done=None, total=None) -> None:
        ctx.progress(stage, fraction, f"{stage}{': ' + detail if detail else ''} ({size})",
                     done=done, total=total, detail=detail)

    model_id = train_and_register(
        dataset, request.family, request.params, trained_by=request.trained_by, seed=request.seed,
        test_size=request.test_size, val_size=request.val_size, activate=request.activate,
        augmentation=Augmentation(copies=request.augment) if request.augment else None,
        deskew=request.deskew, progress=report)
    accuracy = registry.get(model_id).metrics["accuracy"]
    return {"model_id": model_id, "accuracy": accuracy,
            "message": f"Model {model_id} trained: {accuracy:.2%} accuracy on the test split."}


def ensure_default_model(by: str = "system", progress: Progress = quiet) -> int:
    """The active model id, training the default model to the end when none is active (the CLI and
    `python -m ml init`; a server serves an interim model meanwhile instead, see ml.lab.handover)."""
    active = registry.active_id()
    if active is not None:
        return active
    from ml.datasets.sources import load_spec
    from ml.lab import default_model
    spec = default_model.spec()
    log.info("no active model: training the default %s on %s", DEFAULT_FAMILY, spec)
    return train_and_register(load_spec(spec), DEFAULT_FAMILY, {}, trained_by=by, activate=True, progress=progress)
