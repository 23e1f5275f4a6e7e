"""Probes at the server's root: `/healthz` (the process answers), `/readyz` (it can serve: the store is
writable, no migration is pending, a model is loaded) and `/metrics` (Prometheus)."""
from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import metrics
from ml.ops import readiness

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks = await run_in_threadpool(readiness.check)
    ready = all(ok for ok, _ in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready",
                         "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}},
                        status_code=200 if ready else 503)


async def prometheus(request: Request) -> Response:
    payload, content_type = await run_in_threadpool(metrics.exposition)
    return Response(payload, media_type=content_type)
