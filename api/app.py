"""The REST API: a FastAPI app mounted at `/api` in Streamlit's own Starlette app (see `api.asgi`), so one
process owns the DuckDB file and the job runner. Routes live under `/api/v1`; the OpenAPI page is
`/api/docs`. The probes (`/healthz`, `/readyz`) and `/metrics` answer at the root, where probes and
Prometheus expect them.
"""
from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, metrics, probes
from api.errors import rate_headers
from api.routers import admin, jobs, keys, models, predict, predictions, read

ROUTERS = (predict.router, read.router, jobs.router, predictions.router, models.router, admin.router, keys.router)
DESCRIPTION = """Digit Lab's REST API: the same rules, quotas, audit log and sentences as the dashboard.

Authenticate with an API key from the Account page: `Authorization: Bearer KEY` (or `X-API-Key: KEY`).
Every failure is `{"error": {"code": ..., "message": ...}}`; keyed responses carry `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds) for the per-minute prediction limit."""


class Observe:
    """Counts and times every answer for /metrics, and adds the rate-limit headers to keyed answers. A plain
    ASGI middleware: it only looks at the answer's first message, so the body streams through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                state = scope.get("state") or {}  # what the route left in `request.state`
                caller = state.get("caller")
                if caller is not None:  # a route that read them in its own worker-thread step left them there
                    headers = state.get("rate_headers") or await run_in_threadpool(rate_headers, caller.username)
                    MutableHeaders(scope=message).update(headers)
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            metrics.observe(_route(scope), scope["method"], status, time.perf_counter() - started)


def _route(scope: Scope) -> str:
    """The matched route's template (`/api/v1/jobs/{job_id}`), so ids do not make new series."""
    route = scope.get("route")
    return f"{scope.get('root_path', '')}{route.path}" if route is not None else "unmatched"


def create_api() -> FastAPI:
    # The docs page's scripts are served from the package (fastapi-offline), not a CDN: the server may have
    # no internet.
    api = FastAPIOffline(title="Digit Lab API", version="1", description=DESCRIPTION, docs_url="/docs", redoc_url=None,
                         openapi_url="/openapi.json", static_url="/docs-assets")
    for router in ROUTERS:  # each router carries the /v1 prefix itself, so its routes' paths are the whole template
        api.include_router(router)
    errors.install(api)
    api.add_middleware(Observe)
    return api


def server_routes() -> list:
    """What the server adds beside Streamlit's own routes: the API and the probes."""
    return [Route("/healthz", probes.healthz, methods=["GET"]), Route("/readyz", probes.readyz, methods=["GET"]),
            Route("/metrics", probes.prometheus, methods=["GET"]), Mount("/api", app=create_api())]
