"""Predictions: History's filters, paged (`GET /predictions`), and feedback on one (`POST`, `DELETE`)."""
from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import allowed
from data import predictions
from data.queries import history
from ml.errors import NotFoundError
from ml.governance import policy
from ml.governance.api_keys import Caller
from ml.prediction.predict import record_feedback, withdraw_feedback

router = APIRouter(prefix="/v1", tags=["predictions"])


class FeedbackIn(BaseModel):
    digit: int = Field(ge=0, le=9, description="What the digit really is.")


class FeedbackOut(BaseModel):
    prediction_id: int
    digit: int | None
    correct: bool | None


def _exists(prediction_id: int) -> None:
    if predictions.digit_of(prediction_id) is None:
        raise NotFoundError(f"Prediction {prediction_id} does not exist, so there is nothing to give feedback on.")


def _give(prediction_id: int, digit: int, who: Caller) -> FeedbackOut:
    _exists(prediction_id)
    return FeedbackOut(prediction_id=prediction_id, digit=digit,
                       correct=record_feedback(prediction_id, username=who.username, true_digit=digit))


def _withdraw(prediction_id: int, who: Caller) -> FeedbackOut:
    _exists(prediction_id)
    withdraw_feedback(prediction_id, username=who.username)
    return FeedbackOut(prediction_id=prediction_id, digit=None, correct=None)


@router.post("/predictions/{prediction_id}/feedback", response_model=FeedbackOut, summary="Say what the digit really was")
async def give_feedback(body: FeedbackIn, prediction_id: int = Path(ge=1),
                        who: Caller = Depends(allowed("feedback"))) -> FeedbackOut:
    return await run_in_threadpool(_give, prediction_id, body.digit, who)


@router.delete("/predictions/{prediction_id}/feedback", response_model=FeedbackOut, summary="Withdraw your feedback")
async def take_back_feedback(prediction_id: int = Path(ge=1), who: Caller = Depends(allowed("feedback"))) -> FeedbackOut:
    return await run_in_threadpool(_withdraw, prediction_id, who)


def _page(filters: history.Filters, limit: int, offset: int) -> dict:
    frame = history.page(filters, limit=limit, offset=offset).drop(columns=["image"], errors="ignore")
    rows = [{k: (None if v != v else v) for k, v in row.items()} for row in frame.to_dict("records")]  # NaN -> null
    return {"total": history.count(filters), "limit": limit, "offset": offset, "items": rows}


@router.get("/predictions", summary="Predictions, newest first, with History's filters",
            description="A viewer sees their own predictions; analysts and admins everyone's unless `user` narrows it.")
async def list_predictions(user: str | None = Query(None, max_length=64), since: date | datetime | None = None,
                           until: date | datetime | None = None, source: list[str] = Query(default=[]),
                           model_id: list[int] = Query(default=[]), digit: list[int] = Query(default=[]),
                           min_confidence: float | None = Query(None, ge=0, le=1),
                           max_confidence: float | None = Query(None, ge=0, le=1), not_sure: bool | None = None,
                           feedback: bool | None = None, corrected: bool | None = None,
                           limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
                           who: Caller = Depends(allowed("history"))) -> dict:
    everyone = policy.can(who.role, "history_all")
    filters = history.Filters(owner=None if everyone else who.username, user=user if everyone else None, since=since,
                              until=until, sources=tuple(source), model_ids=tuple(model_id), digits=tuple(digit),
                              min_confidence=min_confidence, max_confidence=max_confidence, not_sure=not_sure,
                              feedback=feedback, corrected=corrected)
    return await run_in_threadpool(_page, filters, limit, offset)
