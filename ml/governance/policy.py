"""Roles and what each may do: the one table that navigation, pages and `ml` entry points read.

Enforced inside `ml` (training, activation, deletion, feedback…) so the CLI and background jobs
obey the same rules as the pages; the dashboard reads it to build the menu and guard each page.
"""
from __future__ import annotations

from data import audit, users
from ml.errors import PolicyError

ROLES: tuple[str, ...] = ("admin", "analyst", "viewer")
LAB = ("admin", "analyst")
ADMIN = ("admin",)

# capability -> roles that hold it. Page keys are capabilities too (opening the page).
CAPABILITIES: dict[str, tuple[str, ...]] = {
    # pages
    "home": ROLES, "draw": ROLES, "upload": ROLES, "history": ROLES, "account": ROLES,
    "datasets": LAB, "train": LAB, "models": LAB, "compare": LAB, "tuning": LAB, "analytics": LAB, "batch": LAB,
    "users": ADMIN, "audit": ADMIN, "settings": ADMIN, "usage": ADMIN,
    "jobs": ADMIN, "health": ADMIN,
    # actions
    "predict": ROLES,
    "feedback": LAB,
    "history_all": LAB,
    "register_dataset": LAB,
    "activate_model": LAB,
    "archive_model": LAB,
    "annotate_model": LAB,
    "tune": LAB,              # run, stop, resume a tuning study and train its trials
    "batch_all": ADMIN,       # see and resume everyone's batch jobs (analysts see their own)
    "delete_model": ADMIN,
    "manage_users": ADMIN,
    "cancel_any_job": ADMIN,
    "backup": ADMIN,
}

SYSTEM_USERS = ("system",)  # start-up work (the default model) acts as this name


def can(role: str | None, capability: str) -> bool:
    """Whether a role holds a capability (an unknown capability is held by nobody)."""
    return role is not None and role in CAPABILITIES.get(capability, ())


def role_of(username: str) -> str | None:
    """The role of an active user; the system actor is an admin; None for unknown/inactive names."""
    if username in SYSTEM_USERS:
        return "admin"
    user = users.get(username)
    return user.role if user is not None and user.active else None


def role_in(username: str, role: str | None, active: bool) -> str | None:
    """`role_of` for a caller that read the user's row (role, active) with something else in one query."""
    if username in SYSTEM_USERS:
        return "admin"
    return role if active else None


def require(username: str, capability: str, *, action: str | None = None) -> str:
    """The user's role if it holds `capability`; otherwise audit the refusal and raise PolicyError."""
    return require_role(username, role_of(username), capability, action=action)


def require_role(username: str, role: str | None, capability: str, *, action: str | None = None) -> str:
    """As `require`, with the role the caller has just read from the store (an API key's, read at the call)."""
    if can(role, capability):
        return role  # type: ignore[return-value]
    who = f"role {role}" if role else "unknown or inactive user"
    audit.record(username, action or capability, "denied", who)
    if role is None:
        raise PolicyError(f"'{username}' is not an active user, so this cannot be done in their name.", audited=True)
    raise PolicyError(f"Your role ({role}) may not do this ({capability.replace('_', ' ')}). "
                      "Ask an admin if you need it.", audited=True)
