"""The one table of job kinds: which request type each takes, which lane it runs in, who may submit it.

Adding a kind (tune, batch) is one row here and one handler; nothing registers itself on import.
Handlers import their heavy modules when they run, so importing the table costs nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ml.batch_request import BatchRequest
from ml.job_requests import DefaultModelRequest, JobRequest, PromoteRequest, TrainRequest, TuneRequest

if TYPE_CHECKING:
    from ml.jobs import JobContext

LANES: tuple[str, ...] = ("train", "tune", "batch")  # one worker each: a long study never blocks a training job


@dataclass(frozen=True)
class JobKind:
    name: str
    lane: str
    request: type[JobRequest]
    run: Callable[[Any, JobContext], dict]   # (typed request, context) -> result with a "message"
    capability: str                            # ml.policy capability the submitter must hold


def _train(request: TrainRequest, ctx: JobContext) -> dict:
    from ml import training  # scikit-learn: imported by the worker, not by whoever reads the table
    return training.train_job(request, ctx)


def _default_model(request: DefaultModelRequest, ctx: JobContext) -> dict:
    from ml import handover
    return handover.default_model_job(request, ctx)


def _tune(request: TuneRequest, ctx: JobContext) -> dict:
    from ml import tuning  # Optuna and scikit-learn: imported by the worker
    return tuning.tune_job(request, ctx)


def _promote(request: PromoteRequest, ctx: JobContext) -> dict:
    from ml import tuning_promote
    return tuning_promote.promote_job(request, ctx)


def _batch(request: BatchRequest, ctx: JobContext) -> dict:
    from ml import batch
    return batch.batch_job(request, ctx)


KINDS: dict[str, JobKind] = {k.name: k for k in (
    JobKind("train", "train", TrainRequest, _train, "train"),
    JobKind("default_model", "train", DefaultModelRequest, _default_model, "activate_model"),
    JobKind("tune", "tune", TuneRequest, _tune, "tune"),
    JobKind("promote", "train", PromoteRequest, _promote, "tune"),  # a training job: the train lane
    JobKind("batch", "batch", BatchRequest, _batch, "batch"),
)}
