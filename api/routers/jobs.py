"""Batches and jobs: `POST /batches` (files or zips, as the Batch page) queues a job and answers 202 with
its id; `GET /jobs/{id}` its progress; `DELETE /jobs/{id}` cancels it; `GET /batches/{id}/items` its
results, paged as JSON or whole as CSV or Parquet (the Batch page's export)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import allowed, caller
from api.uploads import FORM_SLACK, shown_name
from data import batches, exports
from data import jobs as job_store
from ml.batch import uploads
from ml.batch.request import BatchRequest
from ml.errors import ConflictError, ImageTooLargeError, MediaTypeError, NotFoundError, RequestError
from ml.governance import batch_limits, policy
from ml.governance.api_keys import Caller
from ml.jobs import engine as jobs
from ml.reports import exports as ml_exports

router = APIRouter(prefix="/v1", tags=["batches and jobs"])


class Accepted(BaseModel):
    job_id: int
    status_url: str


class JobOut(BaseModel):
    id: int
    kind: str
    title: str
    status: str
    stage: str
    progress: float
    done: int | None
    total: int | None
    message: str
    result: dict[str, Any] | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool


def accepted(request: Request, job_id: int) -> Accepted:
    return Accepted(job_id=job_id, status_url=f"{request.scope.get('root_path', '')}/v1/jobs/{job_id}")


def visible_job(job_id: int, who: Caller) -> job_store.JobRecord:
    """The job if the caller may see it (their own; an admin's: anyone's); others' are "does not exist"."""
    record = job_store.get(job_id)
    if record is None or (record.created_by != who.username and not policy.can(who.role, "jobs")
                          and not (record.kind == "batch" and policy.can(who.role, "batch_all"))):
        raise NotFoundError(f"Job {job_id} does not exist.")
    return record


def as_out(record: job_store.JobRecord) -> JobOut:
    return JobOut(id=record.id, kind=record.kind, title=record.title, status=record.status, stage=record.stage,
                  progress=record.progress or 0.0, done=record.done, total=record.total, message=record.message or "",
                  result=record.result, created_by=record.created_by, created_at=record.created_at,
                  started_at=record.started_at, finished_at=record.finished_at, cancel_requested=record.cancel_requested)


def _yes(value) -> bool:
    return str(value or "false").strip().lower() in ("1", "true", "yes", "on")


def _submit_batch(files: list[tuple[str, bytes]], who: Caller, labelled: bool, numbers: bool = False,
                  length: int | None = None) -> int:
    token, entries = uploads.save(files, batch_limits.current())
    try:
        return jobs.submit(BatchRequest(who.username, token, entries, labelled, numbers=numbers, length=length))
    except Exception:
        uploads.remove(token)
        raise


@router.post("/batches", status_code=202, response_model=Accepted, summary="Start a batch of images and zips",
             description="multipart/form-data with one or more `files` (images or zips of images), an optional "
                         "`labelled` (true: the real digit is the folder 0-9 or the end of the name, `_7.png`), and "
                         "`numbers` (true: each image is read as a whole number; `labelled` then takes the number "
                         "from the file name, `meter_1450.png`) with an optional `length` (its digits).",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["files"], "properties": {
                     "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                     "labelled": {"type": "boolean"}, "numbers": {"type": "boolean"},
                     "length": {"type": "integer", "minimum": 1, "maximum": 12}}}}}}})
async def start_batch(request: Request, who: Caller = Depends(allowed("batch"))) -> Accepted:
    limits = await run_in_threadpool(batch_limits.current)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
        raise MediaTypeError("Send the batch as multipart/form-data with one or more files in the field 'files'.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.total_bytes + FORM_SLACK * limits.files:
        raise ImageTooLargeError(f"The files add up to {batch_limits.megabytes(int(declared))}; a batch takes at most "
                                 f"{batch_limits.megabytes(limits.total_bytes)}.")
    form = await request.form(max_files=limits.files + 1, max_fields=8)
    try:
        files = [(shown_name(f.filename), await f.read()) for f in form.getlist("files") if isinstance(f, UploadFile)]
        labelled = _yes(form.get("labelled"))
        numbers = _yes(form.get("numbers"))
        length = str(form.get("length") or "").strip()
        if length and not length.isdigit():
            raise RequestError("The expected length must be a whole number of digits.")
    finally:
        await form.close()
    job_id = await run_in_threadpool(_submit_batch, files, who, labelled, numbers, int(length) if length else None)
    return accepted(request, job_id)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job's state and progress")
async def get_job(job_id: int = Path(ge=1), who: Caller = Depends(caller)) -> JobOut:
    return as_out(await run_in_threadpool(visible_job, job_id, who))


def _cancel(job_id: int, who: Caller) -> JobOut:
    visible_job(job_id, who)
    try:
        jobs.cancel(job_id, by=who.username)
    except RequestError as exc:
        if job_store.get(job_id).finished:
            raise ConflictError(str(exc)) from None
        raise
    return as_out(job_store.get(job_id))


@router.delete("/jobs/{job_id}", response_model=JobOut, summary="Cancel a job (yours; an admin: anyone's)")
async def cancel_job(job_id: int = Path(ge=1), who: Caller = Depends(caller)) -> JobOut:
    return await run_in_threadpool(_cancel, job_id, who)


def _items(batch_id: int, who: Caller, limit: int, offset: int, fmt: str, not_sure: bool):
    record = visible_job(batch_id, who)
    if record.kind != "batch":
        raise NotFoundError(f"Batch {batch_id} does not exist.")
    numbers = bool(record.params.get("numbers"))  # a batch of numbers: one row per reading (`not_sure`: doubtful)
    query = (batches.number_results_query(batch_id, only_doubtful=not_sure) if numbers
             else batches.results_query(batch_id, only_not_sure=not_sure))
    if fmt != "json":
        return ml_exports.export(f"batch-{batch_id}", query, fmt, who.username)
    page = (batches.number_results_page if numbers else batches.results_page)(query, limit=limit, offset=offset)
    page = page.drop(columns=["image"], errors="ignore")
    rows = [{k: (None if v != v else v) for k, v in row.items()} for row in page.to_dict("records")]  # NaN -> null
    return {"batch_id": batch_id, "total": exports.count(query), "limit": limit, "offset": offset, "items": rows}


@router.get("/batches/{batch_id}/items", summary="A batch's results: paged JSON, or the whole table as CSV or Parquet")
async def batch_items(batch_id: int = Path(ge=1), limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                      format: Literal["json", "csv", "parquet"] = "json", not_sure: bool = False,
                      who: Caller = Depends(allowed("batch"))):
    result = await run_in_threadpool(_items, batch_id, who, limit, offset, format, not_sure)
    if format == "json":
        return result
    return Response(result.data, media_type=result.mime,
                    headers={"Content-Disposition": f'attachment; filename="{result.file_name}"'})
