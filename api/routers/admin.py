"""Admin: users (list, create, deactivate, role), quota refill, the usage report, the audit log (filtered,
paged) and its verification. Every change goes through the same `ml` function as the Users, Usage and
Audit pages, checked and audited there."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import allowed
from data import audit
from data.queries import usage
from ml.errors import NotFoundError, RequestError
from ml.governance import audit_chain, quotas
from ml.governance import users as user_admin
from ml.governance.api_keys import Caller

router = APIRouter(prefix="/v1", tags=["admin"])
USER = Path(max_length=64, description="A user name.")


def records(frame) -> list[dict]:
    return [{k: (None if v != v else v) for k, v in row.items()} for row in frame.to_dict("records")]  # NaN -> null


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    name: str = Field("", max_length=200)
    role: str = Field("analyst", description="admin, analyst or viewer")
    password: str | None = Field(None, max_length=200, description="Leave out for a one-time password.")


class RoleIn(BaseModel):
    role: str


def _users() -> list[dict]:
    return [{k.replace(" ", "_"): v for k, v in row.items()} for row in user_admin.listed()]


def _user(username: str) -> dict:
    found = next((u for u in _users() if u["username"] == username), None)
    if found is None:
        raise NotFoundError(f"There is no user '{username}'.")
    return found


def _create(body: UserIn, who: Caller) -> dict:
    one_time = user_admin.create(body.username, body.name or body.username, body.role, by=who.username,
                                 password=body.password)
    return {**_user(body.username), "one_time_password": one_time}


def _change(username: str, who: Caller, change) -> dict:
    _user(username)
    change()
    return _user(username)


@router.get("/users", summary="Every account with its status")
async def list_users(who: Caller = Depends(allowed("manage_users"))) -> list[dict]:
    return await run_in_threadpool(_users)


@router.post("/users", status_code=201, summary="Add an account (a one-time password is returned once if none is given)")
async def create_user(body: UserIn, who: Caller = Depends(allowed("manage_users"))) -> dict:
    return await run_in_threadpool(_create, body, who)


@router.post("/users/{username}/deactivate", summary="Refuse sign-in and API calls; open sessions end")
async def deactivate_user(username: str = USER, who: Caller = Depends(allowed("manage_users"))) -> dict:
    return await run_in_threadpool(_change, username, who, lambda: user_admin.deactivate(username, by=who.username))


@router.put("/users/{username}/role", summary="Change an account's role")
async def set_role(body: RoleIn, username: str = USER, who: Caller = Depends(allowed("manage_users"))) -> dict:
    return await run_in_threadpool(_change, username, who, lambda: user_admin.set_role(username, body.role,
                                                                                        by=who.username))


def _refill(username: str, who: Caller) -> dict:
    _user(username)
    used = quotas.refill(username, by=who.username)
    return {"username": username, "refilled": used, "left_today": quotas.status(username).left_today}


@router.post("/users/{username}/quota/refill", summary="Give a user today's whole quota back")
async def refill(username: str = USER, who: Caller = Depends(allowed("settings"))) -> dict:
    return await run_in_threadpool(_refill, username, who)


def _usage(first: date, last: date, username: str | None) -> dict:
    if last < first:
        raise RequestError("The last day comes before the first day.")
    if (last - first).days > 366:
        raise RequestError("A usage report covers at most 366 days.")
    frame = usage.daily(first, last, username)
    return {"first": first, "last": last, "user": username, "days": records(frame), "top": records(usage.top_of(frame))
            if not frame.empty else []}


@router.get("/usage", summary="Usage per user, day and action (the Usage page's report)")
async def usage_report(first: date | None = None, last: date | None = None, user: str | None = Query(None, max_length=64),
                       who: Caller = Depends(allowed("usage"))) -> dict:
    last = last or date.today()
    return await run_in_threadpool(_usage, first or last - timedelta(days=29), last, user)


def _audit(filters: audit.Filters, limit: int, offset: int) -> dict:
    frame = audit.page(username=filters.username, since=filters.since, until=filters.until, action=filters.action,
                       text=filters.text, outcome=filters.outcome, limit=limit, offset=offset)
    return {"total": audit.count(filters), "limit": limit, "offset": offset, "items": records(frame)}


@router.get("/audit", summary="The audit log, newest first, filtered and paged")
async def audit_log(user: str | None = Query(None, max_length=64), since: datetime | None = None,
                    until: datetime | None = None, action: str | None = Query(None, max_length=100),
                    outcome: str | None = Query(None, max_length=20), text: str | None = Query(None, max_length=200),
                    limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                    who: Caller = Depends(allowed("audit"))) -> dict:
    return await run_in_threadpool(_audit, audit.Filters(user, since, until, action, outcome, text), limit, offset)


def _verify() -> dict:
    report = audit_chain.verify()
    return {"ok": report.ok, "message": report.message, "checked": report.checked, "broken_id": report.broken_id}


@router.get("/audit/verify", summary="Check the audit log's hash chain")
async def verify(who: Caller = Depends(allowed("audit"))) -> dict:
    return await run_in_threadpool(_verify)
