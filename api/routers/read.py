"""`POST /read`: a whole number in one image (`ml.reading`), with the Upload page's decoding, limits,
sentences, quota, rate limit and audit rows; `POST /readings/{id}/feedback`: what the number really was."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import allowed
from api.errors import rate_headers
from api.routers.predict import check_model
from api.uploads import read_image
from ml.governance.api_keys import Caller
from ml.reading import MAX_DIGITS
from ml.reading.service import Correction, Stored, apply_correction, read

router = APIRouter(prefix="/v1", tags=["read"])
IMAGE_BODY = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


class DigitOut(BaseModel):
    digit: int
    confidence: float
    box: list[int] = Field(description="left, top, width, height in the pixels of the image as read "
                                       "(image_width × image_height)")
    not_sure: bool = Field(description="Below the model's threshold: ask, do not assert.")
    runner_up: int = Field(description="The second likeliest digit (\"5 or 3?\").")
    prediction_id: int = Field(description="The digit's stored prediction (its crop).")


class AlternativeOut(BaseModel):
    text: str
    share: float = Field(description="Its share among the likeliest readings.")


class ReadingOut(BaseModel):
    reading_id: int = Field(description="The stored reading (correct it by this id).")
    model_id: int
    text: str = Field(description="The digits with their separators, e.g. \"14.50\".")
    shown: str = Field(description="The text with ? for each doubtful digit, e.g. \"14?0\".")
    question: str = Field(description="\"5 or 3?\" for each doubtful digit; empty when none.")
    confidence: float = Field(description="The reading's share among the likeliest readings.")
    doubtful: bool = Field(description="A digit is not sure, or another cutting into digits is nearly as likely.")
    digits: list[DigitOut]
    alternatives: list[AlternativeOut]
    expected_length: int | None
    image_width: int = Field(description="The image as read: oriented by its EXIF tag, a photo larger than about "
                                         "1,024 px reduced; the boxes are in its pixels.")
    image_height: int
    threshold: float
    latency_ms: float
    filename: str
    prediction_ids: list[int]


class CorrectionIn(BaseModel):
    text: str = Field(min_length=1, max_length=64, description="The number as written, e.g. \"1459\" or \"14.59\".")


class CorrectionOut(BaseModel):
    reading_id: int
    text: str
    trained: bool = Field(description="False when its count of digits differs from the reading's: kept, "
                                      "but no crop could be matched to a digit.")
    wrong_digits: int
    message: str


def as_out(stored: Stored, length: int | None, filename: str) -> ReadingOut:
    r = stored.reading
    return ReadingOut(
        reading_id=stored.reading_id, model_id=stored.model_id, text=r.text, shown=r.shown, question=r.question,
        confidence=round(r.confidence, 6), doubtful=r.doubtful,
        digits=[DigitOut(digit=d.digit, confidence=round(d.confidence, 6), box=list(d.box), not_sure=d.not_sure,
                         runner_up=d.likeliest[1], prediction_id=pid) for d, pid in zip(r.digits, stored.prediction_ids)],
        alternatives=[AlternativeOut(text=t, share=round(s, 6)) for t, s in r.alternatives],
        expected_length=length, image_width=stored.image.width, image_height=stored.image.height,
        threshold=r.threshold, latency_ms=round(r.latency_ms, 3), filename=filename,
        prediction_ids=list(stored.prediction_ids))


def _read(data: bytes, name: str, who: Caller, model: int | None, length: int | None) -> tuple[ReadingOut, dict]:
    """The reading and its X-RateLimit-* headers, in one worker-thread step."""
    check_model(model)
    stored = read(data, username=who.username, source="api", model_id=model, length=length, filename=name)
    return as_out(stored, length, name), rate_headers(who.username)


@router.post("/read", response_model=ReadingOut, summary="Read a whole number in one image",
             description="The image as multipart/form-data in the field `file`, or as the raw body (an image/* or "
                         "application/octet-stream content type). Each digit is a stored prediction, charged to the "
                         "caller's quota; the call is one request against the rate limit.",
             openapi_extra=IMAGE_BODY)
async def read_number(request: Request,
                      length: int | None = Query(None, ge=1, le=MAX_DIGITS,
                                                 description="The number of digits, when it is known (a meter's 6)."),
                      model: int | None = Query(None, ge=1, description="A model id; default: the active one."),
                      filename: str | None = Query(None, max_length=255, description="The file's name, for History."),
                      who: Caller = Depends(allowed("predict"))) -> ReadingOut:
    name, data = await read_image(request, filename)
    out, request.state.rate_headers = await run_in_threadpool(_read, data, name, who, model, length)
    return out


def _correct(reading_id: int, text: str, who: Caller) -> CorrectionOut:
    done: Correction = apply_correction(reading_id, username=who.username, text=text)
    return CorrectionOut(reading_id=reading_id, text=done.text, trained=done.trained, wrong_digits=done.wrong,
                         message=done.sentence)


@router.post("/readings/{reading_id}/feedback", response_model=CorrectionOut, summary="Say what the number really was",
             description="Kept on the reading; when it has as many digits as the reading cut, each digit's crop "
                         "becomes feedback training data (as `POST /predictions/{id}/feedback` does for one digit).")
async def correct_reading(body: CorrectionIn, reading_id: int = Path(ge=1),
                          who: Caller = Depends(allowed("feedback"))) -> CorrectionOut:
    return await run_in_threadpool(_correct, reading_id, body.text, who)
