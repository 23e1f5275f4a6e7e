"""The composition root: the one place that names every feature and wires it into the job engine.

As Flask's `create_app` registers blueprints: the engine (`ml.jobs.engine`) names no feature; each entry
point (the CLI, the dashboard, the test suite) calls `wire()` once. Handlers import their heavy
modules when they run, so importing the table costs nothing."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ml.batch.request import BatchRequest
from ml.jobs.kinds import JobKind, register
from ml.lab.requests import DefaultModelRequest, TrainRequest
from ml.tuning.requests import PromoteRequest, TuneRequest

if TYPE_CHECKING:
    from ml.jobs.context import JobContext


def _train(request: TrainRequest, ctx: JobContext) -> dict:
    from ml.lab import training  # scikit-learn: imported by the worker, not by whoever reads the table
    return training.train_job(request, ctx)


def _default_model(request: DefaultModelRequest, ctx: JobContext) -> dict:
    from ml.lab import handover
    return handover.default_model_job(request, ctx)


def _tune(request: TuneRequest, ctx: JobContext) -> dict:
    from ml.tuning import tune as tuning  # Optuna and scikit-learn: imported by the worker
    return tuning.tune_job(request, ctx)


def _promote(request: PromoteRequest, ctx: JobContext) -> dict:
    from ml.tuning import promote as tuning_promote
    return tuning_promote.promote_job(request, ctx)


def _batch(request: BatchRequest, ctx: JobContext) -> dict:
    from ml.batch import job as batch
    return batch.batch_job(request, ctx)


KINDS: dict[str, JobKind] = {k.name: k for k in (
    JobKind("train", "train", TrainRequest, _train, "train"),
    JobKind("default_model", "train", DefaultModelRequest, _default_model, "activate_model"),
    JobKind("tune", "tune", TuneRequest, _tune, "tune"),
    JobKind("promote", "train", PromoteRequest, _promote, "tune"),  # a training job: the train lane
    JobKind("batch", "batch", BatchRequest, _batch, "batch"),
)}


def wire() -> None:
    """Hand the job engine its table of kinds: each entry point calls this once, before any job."""
    register(KINDS)
