"""The one dependency that turns an API key into the caller: `Authorization: Bearer KEY` or `X-API-Key: KEY`.

The role is read at every call (`ml.governance.api_keys.authenticate`), and each route's capability is checked
through `ml.governance.policy`, the table the pages obey. A read-only key may only read (GET).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from data import audit
from ml.errors import PolicyError
from ml.governance import api_keys, policy
from ml.governance.api_keys import Caller

_bearer = HTTPBearer(auto_error=False, description="An API key from the Account page.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, in its own header.")
READS = ("GET", "HEAD")


def _admit(secret: str | None, action: str, method: str, capability: str | None,
           then: Callable[[Caller], Any] | None = None) -> tuple[Caller, Any]:
    """The key, its user's current role, the read-only scope and the route's capability, in one worker-thread
    step (each check audits its own refusal); `then(caller)` runs in the same step, its result kept in the
    request's state as `admitted`."""
    who = api_keys.authenticate(secret, action=action)
    audit.bind(username=who.username, role=who.role, session_id=f"api-key:{who.key_id}")
    if who.read_only and method not in READS:
        audit.record(who.username, action, "denied", f"API key {who.key_id} is read-only", target=f"api_key:{who.key_id}")
        raise PolicyError("This API key is read-only: it may only read. Use a key without the read-only scope.",
                          audited=True)
    if capability is not None:  # the role read by `authenticate` a moment ago: no second read
        policy.require_role(who.username, who.role, capability, action=action)
    return who, then(who) if then is not None else None


async def _identify(request: Request, bearer: HTTPAuthorizationCredentials | None, header: str | None,
                    capability: str | None, then: Callable[[Caller], Any] | None = None) -> Caller:
    """Async so that the audit binding below holds for the route's own thread (it runs in a copy of this
    context); the store is read in a worker thread."""
    route = request.scope.get("route")
    action = f"api {request.method} {request.scope.get('root_path', '')}{route.path if route else ''}"
    request.scope["digitlab_action"] = action
    who, request.state.admitted = await run_in_threadpool(_admit, bearer.credentials if bearer else header, action,
                                                          request.method, capability, then)
    request.state.caller = who
    audit.bind(username=who.username, role=who.role, session_id=f"api-key:{who.key_id}")
    return who


async def caller(request: Request, bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
                 header: str | None = Security(_header)) -> Caller:
    """The key's caller (any role; the route checks what it needs)."""
    return await _identify(request, bearer, header, None)


def allowed(capability: str, *, then: Callable[[Caller], Any] | None = None):
    """A dependency: the caller, if their current role holds `capability` (refusals audited by ml.governance.policy).
    `then(caller)`: what the route reads about the caller next, in the same worker-thread step (`request.state.admitted`)."""
    async def check(request: Request, bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
                    header: str | None = Security(_header)) -> Caller:
        return await _identify(request, bearer, header, capability, then)
    return check
