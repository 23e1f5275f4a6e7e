"""Every admin-editable setting in one typed table: key, type, default, bounds and what it is for.

Values live in the `settings` table (`data.settings`) as text; a key never set reads as its default,
so a fresh store works without a row per setting. Reading a setting is one indexed lookup, so callers
read it where they use it and an admin's change applies at the next call (no restart, no cache to go
stale between two sessions). The upload limits are declared once, in `ml/governance/batch_limits.py`, and
listed here so the Settings page edits the very keys a batch reads.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from data import audit, settings
from ml.bounds import Bounded
from ml.errors import RequestError
from ml.governance import batch_limits, policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting(Bounded):
    key: str
    kind: type  # int or float
    default: int | float
    low: int | float
    high: int | float
    unit: str
    section: str
    description: str

    def parse(self, value: object) -> int | float:
        """The typed value, or RequestError with a sentence naming the setting and its bounds."""
        try:
            number = float(value)  # type: ignore[arg-type]
            if self.kind is int and not number.is_integer():
                raise ValueError
            typed = self.kind(number)
        except (TypeError, ValueError):
            raise RequestError(f"{self.description} must be a {'whole ' if self.kind is int else ''}number, "
                               f"not {value!r}.") from None
        if not self.within(typed):
            raise RequestError(f"{self.description} must be between {self.low:,} and {self.high:,} {self.unit}; "
                               f"{typed:,} is outside.")
        return typed


def _unit(key: str) -> str:
    return next(unit for word, unit in (("bytes", "bytes"), ("pixels", "pixels"), ("files", "files"),
                                        ("images", "images")) if word in key)


# The upload limits are the batch's own (ml/governance/batch_limits.py: keys, defaults, bounds), edited here.
CATALOG: dict[str, Setting] = {s.key: s for s in (
    Setting("quota.daily_predictions", int, 1000, 1, 10_000_000, "images", "Quotas",
            "Predictions per user per UTC day"),
    Setting("quota.per_minute", int, 60, 1, 100_000, "requests", "Quotas",
            "Prediction requests per user per minute (a drawing, an upload, a whole batch: one each)"),
    Setting("jobs.max_training", int, 2, 1, 50, "jobs", "Quotas",
            "Training jobs one user may have queued or running at once"),
    Setting("jobs.max_tuning", int, 1, 1, 20, "jobs", "Quotas",
            "Tuning jobs one user may have queued or running at once"),
    *(Setting(b.key, int, b.default, b.low, b.high, _unit(b.key), "Uploads", b.label) for b in batch_limits.SETTINGS),
    Setting("accounts.max_failures", int, 5, 1, 100, "failures", "Sign-in",
            "Failed sign-ins that lock an account"),
    Setting("accounts.failure_window_minutes", int, 15, 1, 1440, "minutes", "Sign-in",
            "Window in which those failures count"),
    Setting("accounts.lock_minutes", int, 15, 1, 1440, "minutes", "Sign-in",
            "How long a lock lasts"),
    Setting("session.cookie_days", float, 1.0, 0.01, 90.0, "days", "Sign-in",
            "Days a sign-in lasts, in an open tab and in the cookie"),
)}


def _setting(key: str) -> Setting:
    try:
        return CATALOG[key]
    except KeyError:
        raise RequestError(f"There is no setting {key!r}; the settings are {', '.join(CATALOG)}.") from None


def get(key: str) -> int | float:
    """The value in force: the stored one, or the default when none is stored (or it no longer parses)."""
    return in_force(key, settings.get(_setting(key).key))


def stored(keys: list[str]) -> dict[str, str]:
    """The text stored under several keys, in one read, for a caller that needs them together (`in_force`
    turns each into its value; a key never set is absent)."""
    return settings.many(keys)


def in_force(key: str, raw: str | None) -> int | float:
    """The value in force given the text stored for `key` (None: never set), as `get` reads it."""
    setting = _setting(key)
    if raw is None:
        return setting.default
    try:
        return setting.parse(raw)
    except RequestError:
        log.warning("stored setting %s=%r is out of bounds; using the default %s", key, raw, setting.default)
        return setting.default


def values() -> dict[str, int | float]:
    """Every setting's value in force, for the Settings page."""
    return {key: get(key) for key in CATALOG}


def put(key: str, value: object, *, by: str) -> int | float:
    """Validate and store a setting (admins only); audited with the old and the new value."""
    setting = _setting(key)
    policy.require(by, "settings", action="change_setting")
    try:
        typed = setting.parse(value)
    except RequestError as exc:
        audit.record(by, "change_setting", "error", f"{key}: {exc}", target=key)
        raise RequestError(str(exc), audited=True) from None
    old = get(key)
    if typed == old and settings.get(key) is not None:
        return typed
    settings.put(key, repr(typed))
    audit.record(by, "change_setting", "ok", f"{key}: {old} -> {typed}", target=key,
                 details={"key": key, "old": old, "new": typed})
    return typed
