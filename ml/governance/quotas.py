"""Prediction quotas, the per-minute rate limit and the concurrent-job limit, enforced in `ml`.

Every prediction entry point (draw, upload, CLI, batch) calls `check` before any model work and
stores its predictions inside `charged`: only predictions stored are charged, in the same transaction
as their rows, so a refused file (too large, not an image, blank), a failed model or a batch member
already stored by an earlier run costs nothing. Images count against the user's quota for the UTC
day; each call counts as one request against the per-minute rate limit (so one batch of 500 images is
one request, not 500). Over a limit nothing is counted or stored: a QuotaError says which limit, when
it resets, and the refusal is audited.

Atomic for concurrent sessions of one user: a process lock serialises charge-and-store, and the
charge itself is one conditional UPDATE of the user's row for the day, which holds both counters
(`data.quotas`), so a refused minute takes no images either. Counters live in DuckDB and survive restarts.
Limits: the catalog's defaults (`ml.governance.settings`), overridden per user by an admin. A user's standing
(limits and both counters) is one read (`status`); a caller that has just read it passes it on (`check`'s
`standing`, `charged`'s `limits`), and `charged` hands back the standing its own charge left.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from data import audit, db, quotas
from ml.errors import QuotaError, RequestError
from ml.governance import policy
from ml.governance import settings as settings_catalog

log = logging.getLogger(__name__)

# Job kinds that count against each concurrent-job limit (a trial trained from a study is training).
JOB_LIMITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "train": ("jobs.max_training", ("train", "promote")),
    "promote": ("jobs.max_training", ("train", "promote")),
    "tune": ("jobs.max_tuning", ("tune",)),
}
_LOCK = threading.RLock()  # one process per database file: this makes check-and-consume one step


def utc_now() -> datetime:
    """The clock (naive UTC); tests replace it to cross midnight."""
    return datetime.now(UTC).replace(tzinfo=None)


def _in(delta: timedelta) -> str:
    """"3 h 12 min", "4 min", "25 s": how long until a reset, for a person."""
    seconds = max(1, int(delta.total_seconds() + 0.999))
    if seconds < 60:
        return f"{seconds} s"
    minutes = (seconds + 59) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"


def next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time())


def next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    daily: int
    per_minute: int
    overridden: bool = False


DAILY, PER_MINUTE = "quota.daily_predictions", "quota.per_minute"


def limits(username: str) -> Limits:
    """The user's limits in force: their override where an admin set one, else the defaults."""
    return status(username).limits


@dataclass(frozen=True)
class Status:
    """A user's standing today, for the Account page."""
    limits: Limits
    used_today: int       # counted against today's quota (after refills)
    used_this_minute: int
    now: datetime

    @property
    def left_today(self) -> int:
        return max(0, self.limits.daily - self.used_today)

    @property
    def resets(self) -> str:
        at = next_midnight(self.now)
        return f"at 00:00 UTC (in {_in(at - self.now)})"


def status(username: str, now: datetime | None = None, *, stored: Mapping[str, str] | None = None) -> Status:
    """The user's limits and what today and this minute count. `stored`: the settings' stored text when the
    caller has just read it (`settings.stored`, with the DAILY and PER_MINUTE keys among others)."""
    now = now or utc_now()
    stored = stored if stored is not None else settings_catalog.stored([DAILY, PER_MINUTE])
    own = quotas.override(username)
    mine = Limits(own.daily if own.daily is not None else int(settings_catalog.in_force(DAILY, stored.get(DAILY))),
                  own.per_minute if own.per_minute is not None
                  else int(settings_catalog.in_force(PER_MINUTE, stored.get(PER_MINUTE))),
                  own.daily is not None or own.per_minute is not None)
    return Status(mine, *quotas.counted(username, now.replace(second=0, microsecond=0)), now)


def fits_today(username: str, images: int) -> bool:
    """Whether `images` more predictions fit in the user's daily quota now (nothing counted)."""
    return images <= 0 or username in policy.SYSTEM_USERS or status(username).left_today >= images


def check(username: str, images: int, action: str, *, request: bool = True, now: datetime | None = None,
          standing: Status | None = None) -> Status | None:
    """Refuse now (QuotaError, audited) what `charged` would refuse, counting nothing: work that cannot
    be paid for is not started. The charge itself comes with the rows (`charged`). `standing`: the user's,
    read a moment ago in the same call (else read here). Returns the standing checked (None: no limit applies)."""
    if (images <= 0 and not request) or username in policy.SYSTEM_USERS:
        return None
    standing = standing or status(username, now)
    mine = standing.limits
    if standing.used_today + images > mine.daily or (request and standing.used_this_minute + 1 > mine.per_minute):
        _refuse(username, images, action, mine, now or standing.now)
    return standing


@contextmanager
def charged(username: str, images: int, action: str, *, request: bool = True, now: datetime | None = None,
            limits: Limits | None = None, audited: bool = False) -> Iterator[Status | None]:
    """One transaction in which `images` predictions (and, with `request`, one request this minute)
    are counted and the caller writes the rows they paid for: both are committed, or neither. Over a
    limit nothing is counted and the block does not run: QuotaError, audited, saying which limit and
    when it resets. The process lock makes check-and-charge one step for concurrent sessions; the limits
    (read here unless the caller has just read them) only bound it. Yields the standing the charge left
    (None when nothing is counted). `audited`: the block also writes the rows' audit row, committed with them
    (one commit, not two: `data.audit.chained`)."""
    chain = audit.chained() if audited else nullcontext()
    if (images <= 0 and not request) or username in policy.SYSTEM_USERS:
        with chain, db.transaction():
            yield None
        return
    now = now or utc_now()
    mine = limits or status(username, now).limits
    minute = now.replace(second=0, microsecond=0)
    with _LOCK:  # before the chain: `job_slot` audits while it holds this lock
        with chain, db.transaction():
            took = quotas.consume(username, now.date(), minute, max(0, images), mine.daily, mine.per_minute,
                                  int(request))
            if took is not None:
                yield Status(mine, took[0], took[1], now)
                return
    _refuse(username, images, action, mine, now)  # after the rollback: an audit row is never rolled back


def consume(username: str, images: int, action: str, *, now: datetime | None = None,
            limits: Limits | None = None) -> Status | None:
    """Count `images` predictions of `action` (draw, upload, cli, batch) for `username` with nothing
    stored beside them, or refuse them all (see `charged`). Returns the standing it left; 0 images count
    nothing (None). The system actor (start-up work, and the operator's CLI runs that name no user) has no quota."""
    if images <= 0 or username in policy.SYSTEM_USERS:
        return None
    with charged(username, images, action, now=now, limits=limits) as left:
        pass
    return left


def _refuse(username: str, images: int, action: str, mine: Limits, now: datetime) -> None:
    used, _ = quotas.day_used(username, now.date())
    refused = "day" if used + images > mine.daily else "minute"
    if refused == "day":
        left = max(0, mine.daily - used)
        message = (f"Your daily quota of {mine.daily:,} predictions is used up: {used:,} used today, "
                   f"{left:,} left, and this needs {images:,}. It resets at 00:00 UTC "
                   f"(in {_in(next_midnight(now) - now)}); an admin can refill it sooner.")
    else:
        message = (f"Too many predictions at once: your limit is {mine.per_minute:,} requests a minute. "
                   f"It resets at {next_minute(now):%H:%M} UTC (in {_in(next_minute(now) - now)}).")
    audit.record(username, f"predict_{action}", "denied",
                 json.dumps({"quota": refused, "images": images, "used_today": used, "daily": mine.daily,
                             "per_minute": mine.per_minute}))
    raise QuotaError(message, audited=True)


@contextmanager
def job_slot(username: str, kind: str) -> Iterator[None]:
    """Hold the check while the caller queues a job of `kind`: training and tuning jobs have a limit
    of queued-or-running jobs per user; other kinds pass. Over it: QuotaError, audited."""
    if kind not in JOB_LIMITS or username in policy.SYSTEM_USERS:
        yield
        return
    key, kinds = JOB_LIMITS[kind]
    limit = int(settings_catalog.get(key))
    with _LOCK:
        open_now = quotas.open_jobs(username, list(kinds))
        if open_now >= limit:
            what = "tuning" if kind == "tune" else "training"
            audit.record(username, f"job_{kind}", "denied",
                         json.dumps({"quota": "jobs", "open": open_now, "limit": limit}))
            raise QuotaError(f"You already have {open_now} {what} job{'s' if open_now != 1 else ''} queued or "
                             f"running, the most allowed at once ({limit}). Start this one when one of them "
                             "finishes, or cancel one.", audited=True)
        yield


def set_limits(username: str, *, daily: int | None, per_minute: int | None, by: str) -> Limits:
    """An admin's per-user limits (None: back to the default), validated and audited old -> new."""
    policy.require(by, "settings", action="set_quota")
    if policy.role_of(username) is None:
        raise RequestError(f"'{username}' is not an active user.")
    checked = {"daily": None if daily is None else settings_catalog.CATALOG["quota.daily_predictions"].parse(daily),
               "per_minute": None if per_minute is None else settings_catalog.CATALOG["quota.per_minute"].parse(per_minute)}
    old = quotas.override(username)
    quotas.set_override(username, checked["daily"], checked["per_minute"], by)
    audit.record(by, "set_quota", "ok", f"{username}: {old._asdict()} -> {checked}", target=username,
                 details={"user": username, "old": old._asdict(), "new": checked})
    return limits(username)


def refill(username: str, *, by: str, now: datetime | None = None) -> int:
    """Give a user today's whole quota back (admins); returns how many they had used. Audited."""
    policy.require(by, "settings", action="refill_quota")
    if policy.role_of(username) is None:
        raise RequestError(f"'{username}' is not an active user.")
    now = now or utc_now()
    with _LOCK:
        before, _ = quotas.day_used(username, now.date())
        quotas.refill(username, now.date())
    audit.record(by, "refill_quota", "ok", f"{username}: {before} used on {now.date()} -> 0", target=username,
                 details={"user": username, "day": str(now.date()), "old": before, "new": 0})
    return before


def overrides():
    return quotas.overrides()


def count_request(username: str, action: str, *, now: datetime | None = None) -> None:
    """One request against the per-minute rate limit and no image against the daily quota: model work
    on something already counted (a drawing's later strokes revise its row). Over the limit nothing is
    counted or predicted: QuotaError (audited) with the rate limit's sentence."""
    with charged(username, 0, action, now=now):  # no image, one request: the same check, sentence and audit
        pass
