"""`POST /predict`: one image, with the Upload page's checks, sentences, quota, rate limit and audit rows;
concurrent calls are classified and stored together (`ml.prediction.microbatch`).

Before its write a call reads the key with its user's role, then, in the same worker-thread step, the user's
quota standing and the size limit, which the prediction uses instead of reading them again (four point reads).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import allowed
from api.errors import headers_for, rate_headers
from api.uploads import read_image
from data import registry
from ml.errors import NotFoundError
from ml.governance import batch_limits, quotas, settings
from ml.governance.api_keys import Caller
from ml.prediction import microbatch

router = APIRouter(prefix="/v1", tags=["predict"])


class PredictionOut(BaseModel):
    prediction_id: int = Field(description="The stored prediction (give feedback on it by this id).")
    model_id: int
    digit: int
    confidence: float
    probabilities: list[float] = Field(description="Probabilities of the digits 0 to 9.")
    not_sure: bool = Field(description="Confidence below the model's threshold: ask, do not assert.")
    runner_up: int
    threshold: float
    latency_ms: float
    filename: str


def check_model(model_id: int | None) -> None:
    if model_id is not None and registry.get(model_id) is None:
        raise NotFoundError(f"Model {model_id} does not exist.")


def as_out(result) -> PredictionOut:
    return PredictionOut(prediction_id=result.prediction_id, model_id=result.model_id, digit=result.digit,
                         confidence=round(result.confidence, 6),
                         probabilities=[round(p, 6) for p in result.probabilities], not_sure=result.not_sure,
                         runner_up=result.runner_up, threshold=result.threshold,
                         latency_ms=round(result.latency_ms, 3), filename=result.filename or "upload")


def _standing(who: Caller) -> tuple[quotas.Status, int]:
    """What a prediction checks before any work: the caller's quota standing and the bytes one image may have
    (their settings in one read)."""
    stored = settings.stored([quotas.DAILY, quotas.PER_MINUTE, batch_limits.BYTES_PER_IMAGE.key])
    return quotas.status(who.username, stored=stored), batch_limits.image_bytes(stored)


def _predict(data: bytes, name: str, who: Caller, model: int | None,
             standing: quotas.Status | None, max_bytes: int) -> tuple[PredictionOut, dict[str, str]]:
    """The answer and its X-RateLimit-* headers (from the standing its charge left)."""
    check_model(model)
    result, left = microbatch.serve(data, filename=name, username=who.username, source="api", model_id=model,
                                    role=who.role, standing=standing, max_bytes=max_bytes)
    return as_out(result), headers_for(left) if left is not None else rate_headers(who.username)


@router.post("/predict", response_model=PredictionOut, summary="Classify one image",
             description="The image as multipart/form-data in the field `file`, or as the raw body (an image/* or "
                         "application/octet-stream content type). Counts against the caller's quota and rate limit.",
             openapi_extra={"requestBody": {"content": {
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
                 "image/png": {"schema": {"type": "string", "format": "binary"}},
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def predict(request: Request, model: int | None = Query(None, ge=1, description="A model id; default: the active one."),
                  filename: str | None = Query(None, max_length=255, description="The file's name, for History."),
                  who: Caller = Depends(allowed("predict", then=_standing))) -> PredictionOut:
    standing, max_bytes = request.state.admitted
    name, data = await read_image(request, filename, limit=max_bytes)
    out, request.state.rate_headers = await run_in_threadpool(_predict, data, name, who, model, standing, max_bytes)
    return out
