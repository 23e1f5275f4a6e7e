"""One error shape for every failure: `{"error": {"code": ..., "message": ...}}`, the message being the
sentence the dashboard shows. `DigitLabError`s map to their status here; anything else is a bug: logged
with its traceback, audited with a reference, answered 500 with a short apology."""
from __future__ import annotations

import logging
import math
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from data import audit
from data.db import StoreError
from ml.errors import (
    ArtifactError,
    AuthError,
    ConflictError,
    DigitLabError,
    ImageError,
    ImageTooLargeError,
    MediaTypeError,
    NoActiveModelError,
    NotFoundError,
    PolicyError,
    QuotaError,
)
from ml.governance import quotas

log = logging.getLogger(__name__)


# most specific first
STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (AuthError, 401, "unauthorized"),
    (PolicyError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (NoActiveModelError, 409, "no_active_model"),
    (ImageTooLargeError, 413, "too_large"),
    (MediaTypeError, 415, "unsupported_media_type"),
    (ImageError, 422, "bad_image"),
    (QuotaError, 429, "rate_limited"),
    (ArtifactError, 409, "model_unavailable"),
    (DigitLabError, 400, "bad_request"),
)
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


def body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def status_of(exc: Exception) -> tuple[int, str]:
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            return status, code
    return 500, "internal"


def _caller_name(request: Request) -> str | None:
    caller = getattr(request.state, "caller", None)
    return caller.username if caller is not None else None


def retry_after(username: str) -> tuple[int, str]:
    """Seconds until the limit that refused `username` resets, and which one it was ("minute" or "day")."""
    now = quotas.utc_now()
    standing = quotas.status(username, now)
    if standing.used_this_minute >= standing.limits.per_minute:
        return max(1, math.ceil((quotas.next_minute(now) - now).total_seconds())), "minute"
    return max(1, math.ceil((quotas.next_midnight(now) - now).total_seconds())), "day"


def rate_headers(username: str) -> dict[str, str]:
    """The per-minute limit in force for `username`, as the X-RateLimit-* headers."""
    return headers_for(quotas.status(username))


def headers_for(standing: quotas.Status) -> dict[str, str]:
    """The X-RateLimit-* headers of a standing (one read a moment ago, or the one a charge left)."""
    now = standing.now
    limit = standing.limits.per_minute
    reset = max(1, int((quotas.next_minute(now) - now).total_seconds() + 0.999))
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(0, limit - standing.used_this_minute)),
            "X-RateLimit-Reset": str(reset)}


async def on_digitlab_error(request: Request, exc: DigitLabError) -> JSONResponse:
    status, code = status_of(exc)
    username = _caller_name(request)
    if not exc.audited:
        action = request.scope.get("digitlab_action") or f"api {request.method} {request.url.path}"
        await run_in_threadpool(audit.record, username, action, "denied" if status in (401, 403) else "error",
                                f"{exc.kind}: {exc}")
    headers = {}
    if isinstance(exc, QuotaError) and username:
        seconds, which = await run_in_threadpool(retry_after, username)
        headers["Retry-After"] = str(seconds)
        request.state.refused_limit = which
        code = "rate_limited" if which == "minute" else "quota_exhausted"
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body(code, exc.message), status_code=status, headers=headers)


async def on_store_error(request: Request, exc: StoreError) -> JSONResponse:
    log.error("store failure in %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(body("store_unavailable", exc.message), status_code=503)


async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return JSONResponse(body("invalid", "The request is not valid: " + "; ".join(problems) + "."), status_code=422)


async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    messages = {404: "There is no such API endpoint; see /api/docs for the list.",
                405: "This endpoint does not take that method; see /api/docs."}
    message = messages.get(exc.status_code) or (exc.detail if isinstance(exc.detail, str) else "The request failed.")
    return JSONResponse(body(HTTP_CODES.get(exc.status_code, "error"), message), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def on_bug(request: Request, exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected failure in %s %s (ref %s)", request.method, request.url.path, ref, exc_info=exc)
    try:
        await run_in_threadpool(audit.record, _caller_name(request), f"api {request.method} {request.url.path}",
                                "error", f"unexpected {type(exc).__name__} (ref {ref})")
    except Exception:  # noqa: BLE001 - the store itself may be what failed; the log has it
        log.exception("could not audit failure %s", ref)
    return JSONResponse(body("internal", f"Sorry, something went wrong on our side ({type(exc).__name__}, "
                                         f"reference {ref}). It has been logged; an admin can find it in the audit log."),
                        status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DigitLabError, on_digitlab_error)
    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_bug)
