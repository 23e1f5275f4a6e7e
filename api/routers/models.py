"""Models (analysts and admins): the registry, one model's metrics and confusion matrix, activating one,
and the long work that makes models: training jobs and tuning studies (each answered 202 with a job id)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import allowed
from api.routers.jobs import Accepted, accepted
from data import registry
from ml.errors import NotFoundError
from ml.governance.api_keys import Caller
from ml.jobs import engine as jobs
from ml.lab import lifecycle
from ml.lab.requests import TrainRequest
from ml.prediction.predictor import threshold_in
from ml.tuning.requests import TuneRequest

router = APIRouter(prefix="/v1", tags=["models"])


class ModelOut(BaseModel):
    id: int
    family: str
    dataset: str
    created_at: datetime
    trained_by: str
    status: str
    active: bool
    accuracy: float | None
    notes: str


class ModelDetail(ModelOut):
    params: dict[str, Any]
    metrics: dict[str, Any]
    confusion_matrix: list[list[int]] | None
    threshold: float = Field(description="Below this confidence the model's answer is \"not sure\".")
    size_bytes: int
    fit_seconds: float


def _summary(record: registry.ModelRecord, active: int | None) -> dict[str, Any]:
    accuracy = (record.metrics or {}).get("accuracy")
    return dict(id=record.id, family=record.family, dataset=record.dataset, created_at=record.created_at,
                trained_by=record.trained_by, status=record.status, active=record.id == active,
                accuracy=accuracy if isinstance(accuracy, (int, float)) else None, notes=record.notes or "")


def _list() -> list[ModelOut]:
    active = registry.active_id()
    return [ModelOut(**_summary(r, active)) for r in registry.all_models()]


def _detail(model_id: int) -> ModelDetail:
    record = registry.get(model_id)
    if record is None:
        raise NotFoundError(f"Model {model_id} does not exist.")
    metrics = record.metrics or {}
    return ModelDetail(**_summary(record, registry.active_id()), params=record.params or {}, metrics=metrics,
                       confusion_matrix=metrics.get("confusion"), threshold=threshold_in(metrics),
                       size_bytes=record.size_bytes or 0, fit_seconds=record.fit_seconds or 0.0)


def _activate(model_id: int, who: Caller) -> ModelDetail:
    _detail(model_id)
    lifecycle.activate(model_id, by=who.username)
    return _detail(model_id)


@router.get("/models", response_model=list[ModelOut], summary="Every model version, newest first")
async def list_models(who: Caller = Depends(allowed("models"))) -> list[ModelOut]:
    return await run_in_threadpool(_list)


@router.get("/models/{model_id}", response_model=ModelDetail, summary="One model: metrics, confusion matrix, threshold")
async def model_detail(model_id: int = Path(ge=1), who: Caller = Depends(allowed("models"))) -> ModelDetail:
    return await run_in_threadpool(_detail, model_id)


@router.post("/models/{model_id}/activate", response_model=ModelDetail, summary="Make a model the one that answers")
async def activate(model_id: int = Path(ge=1), who: Caller = Depends(allowed("activate_model"))) -> ModelDetail:
    return await run_in_threadpool(_activate, model_id, who)


class TrainIn(BaseModel):
    family: str = Field(max_length=64, description="A model family, as on the Train page (e.g. svm, hgb, xgboost).")
    dataset: str = Field(max_length=500, description="A dataset SPEC, as on the Train page (e.g. digits).")
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    test_size: float = 0.2
    val_size: float = 0.0
    activate: bool = False
    augment: int = 0


class StudyIn(BaseModel):
    family: str = Field(max_length=64)
    dataset: str = Field(max_length=500)
    n_trials: int = 20
    objective: str = "accuracy"
    sampler: str = "tpe"
    pruner: str = "median"
    timeout_s: float = 0.0
    seed: int = 0
    study: str = Field("", max_length=120, description="A new study's name, or an existing one to resume.")


@router.post("/training-jobs", status_code=202, response_model=Accepted, summary="Train a model (a background job)")
async def train(request: Request, body: TrainIn, who: Caller = Depends(allowed("train"))) -> Accepted:
    job = TrainRequest(body.family, body.dataset, who.username, params=body.params, seed=body.seed,
                       test_size=body.test_size, val_size=body.val_size, activate=body.activate, augment=body.augment)
    return accepted(request, await run_in_threadpool(jobs.submit, job))


@router.post("/studies", status_code=202, response_model=Accepted, summary="Run an Optuna study (a background job)")
async def tune(request: Request, body: StudyIn, who: Caller = Depends(allowed("tune"))) -> Accepted:
    job = TuneRequest(body.family, body.dataset, who.username, n_trials=body.n_trials, objective=body.objective,
                      sampler=body.sampler, pruner=body.pruner, timeout_s=body.timeout_s, seed=body.seed, study=body.study)
    return accepted(request, await run_in_threadpool(jobs.submit, job))
