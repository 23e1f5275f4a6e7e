"""`/keys`: the caller's own API keys (an admin's list is everyone's), and revoking one."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.auth import caller
from ml.governance import api_keys, policy
from ml.governance.api_keys import Caller

router = APIRouter(prefix="/v1", tags=["keys"])


class KeyOut(BaseModel):
    id: int
    user: str
    name: str
    prefix: str
    read_only: bool
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    state: str


def as_out(key) -> KeyOut:
    return KeyOut(id=key.id, user=key.username, name=key.name, prefix=key.prefix, read_only=key.read_only,
                  created_at=key.created_at, last_used_at=key.last_used_at, expires_at=key.expires_at,
                  state=api_keys.state(key))


def _listed(who: Caller) -> list[KeyOut]:
    everyone = policy.can(who.role, "manage_users")
    return [as_out(k) for k in api_keys.listed(None if everyone else who.username, by=who.username)]


@router.get("/keys", response_model=list[KeyOut], summary="List API keys (yours; an admin's: everyone's)")
async def list_keys(who: Caller = Depends(caller)) -> list[KeyOut]:
    return await run_in_threadpool(_listed, who)


@router.delete("/keys/{key_id}", response_model=KeyOut, summary="Revoke an API key (yours; an admin: anyone's)")
async def revoke_key(key_id: int = Path(ge=1), who: Caller = Depends(caller)) -> KeyOut:
    return as_out(await run_in_threadpool(api_keys.revoke, key_id, by=who.username))
