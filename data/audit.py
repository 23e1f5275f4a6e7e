"""The audit log: who did what, when, to what, and whether it worked — in a tamper-evident chain.

Each row carries `prev_hash` (the hash of the row before it, by id) and `hash` =
sha256(prev_hash + "\\n" + its own content). Editing a row breaks its own hash; deleting one breaks the
link of the row after it (`ml.governance.audit_chain.verify` names the first broken row). Rows are only ever
inserted: no statement here updates or deletes them.

One process holds the database file (DuckDB), so a process-wide lock around "read the last hash,
insert" keeps the chain linear under concurrent writers. Rows written before migration 00010 have no
hash: the chain starts at the first hashed row, whose prev_hash is '' (GENESIS). That row's id and hash,
with the count and digest of the older rows, are kept in a second place when it is written (the
settings table, key `audit_genesis`, and every backup's manifest), so a forged unhashed row dated
before the chain, or an emptied log, does not pass as "written before the chain existed".

The browser session and the signed-in role of the running page are bound once per run with `bind()`
(a context variable, so each Streamlit script thread has its own) and written on every row it makes.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from data import db, settings
from data.exports import Query

if TYPE_CHECKING:
    import pandas as pd

OUTCOMES = ("ok", "denied", "error")
GENESIS = ""  # prev_hash of the first hashed row (also inlined in VERIFY)
DETAIL_MAX = 2000

INSERT = """
INSERT INTO audit_log (ts, username, role, action, outcome, target, detail, details, session_id, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
LAST_HASH = "SELECT hash FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"
GENESIS_KEY = "audit_genesis"
FIRST_HASHED = "SELECT id, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id LIMIT 1"
HAS_HASH = "SELECT count(*) > 0 FROM audit_log WHERE hash = ?"
ACTOR_ROLE = "SELECT role FROM users WHERE username = ?"
COLUMNS = "id, ts, username, role, action, target, outcome, detail, details, session_id"
# Whatever the case: the user by whole name ("ADMIN" finds admin), the text as any part of the detail,
# details, target or action ("sign"). Patterns go in as placeholders, LIKE's wildcards escaped.
WHERE = r"""
WHERE ($username IS NULL OR username ILIKE $username ESCAPE '\')
  AND ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts < $until)
  AND ($action IS NULL OR action = $action)
  AND ($outcome IS NULL OR outcome = $outcome)
  AND ($text IS NULL OR detail ILIKE $text ESCAPE '\' OR action ILIKE $text ESCAPE '\'
       OR target ILIKE $text ESCAPE '\' OR CAST(details AS VARCHAR) ILIKE $text ESCAPE '\')"""
PAGE = f"SELECT {COLUMNS} FROM audit_log {WHERE} ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset"
COUNT = f"SELECT count(*) FROM audit_log {WHERE}"
EXPORT = f"SELECT {COLUMNS}, prev_hash, hash FROM audit_log {WHERE} ORDER BY ts DESC, id DESC"
ROW = f"SELECT {COLUMNS}, prev_hash, hash FROM audit_log WHERE id = ?"
ACTIONS = "SELECT DISTINCT action FROM audit_log ORDER BY action"
TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_FIELD = "coalesce(strlen({0})::VARCHAR || ':' || {0}, '-')"
BODY = "concat_ws('|', " + ", ".join(_FIELD.format(c) for c in (
    f"strftime(ts, '{TS_FORMAT}')", "username", "role", "action", "outcome", "target", "detail",
    "CAST(details AS VARCHAR)", "session_id")) + ")"
# The rows before the chain began, as one digest (sha256 of each row's content, in id order): stable
# across DuckDB versions, unlike its hash().
LEGACY = f"""
SELECT count(*), coalesce(sha256(string_agg(sha256({BODY}), '' ORDER BY id)), '') FROM audit_log WHERE id < ?"""
# The whole chain in one scan from the recorded genesis row $first: rows before it are legacy (their
# count and digest are compared with the recorded ones); from it on, each row must carry a hash, link to
# the hash of the row before it ('' for the first), and hash its own content. `bad_id` is the lowest id
# that fails, with the reason; `head` the last good hash; `genesis` the hash of row $first. The rows
# before $first are counted and digested apart (LEGACY): a range read, not a second pass over the log.
VERIFY = f"""
WITH rows AS (
    SELECT id, hash, prev_hash, lag(hash) OVER (ORDER BY id) AS before, {BODY} AS body FROM audit_log),
checked AS (
    SELECT id, hash,
           CASE WHEN id < $first THEN NULL
                WHEN hash IS NULL THEN 'missing'
                WHEN prev_hash IS DISTINCT FROM (CASE WHEN id = $first THEN '{GENESIS}' ELSE before END) THEN 'link'
                WHEN sha256(prev_hash || chr(10) || body) <> hash THEN 'changed' END AS problem
    FROM rows),
marked AS (SELECT *, min(CASE WHEN problem IS NOT NULL THEN id END) OVER () AS bad FROM checked)
SELECT min(id) AS lowest,
       any_value(hash) FILTER (WHERE id = $first) AS genesis,
       count(*) FILTER (WHERE id >= $first AND (bad IS NULL OR id < bad)) AS good,
       any_value(bad) AS bad_id,
       max(problem) FILTER (WHERE id = bad) AS problem,
       arg_max(hash, id) FILTER (WHERE id >= $first AND (bad IS NULL OR id < bad)) AS head
FROM marked"""

_PLACEHOLDER = re.compile(r"\$(\w+)")
_write_lock = threading.RLock()
_last: tuple[object, str] | None = None  # (connection, hash of its newest row): one read per opened store
_bound: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar("audit_bound", default=None)


def bind(*, username: str | None, role: str | None, session_id: str | None) -> None:
    """Remember the signed-in user's role and the session id for the rows this thread writes next
    (the dashboard calls it at the start of each page run)."""
    _bound.set({"username": username, "role": role, "session_id": session_id})


def content(ts: datetime, username: str | None, role: str | None, action: str, outcome: str, target: str | None,
            detail: str | None, details: str | None, session_id: str | None) -> str:
    """The canonical text of a row that its hash covers (everything but id and the hashes): each field as
    "<bytes>:<text>" ("-" for none), joined by "|", so no field can borrow from its neighbour. BODY builds
    the same text in SQL, which lets `verify` check a million rows in one vectorised scan."""
    fields = (ts.strftime(TS_FORMAT), username, role, action, outcome, target, detail, details, session_id)
    return "|".join("-" if f is None else f"{len(f.encode())}:{f}" for f in fields)


def chain_hash(prev_hash: str, text: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def record(username: str | None, action: str, outcome: str = "ok", detail: str = "", *, target: str | None = None,
           details: dict[str, Any] | None = None, role: str | None = None, session_id: str | None = None) -> int:
    """Append one audit row and return its id. Cheap, so every user-facing event can call it.
    `details` holds structured facts (old/new values of a change) as JSON. Role and session default to
    those bound for this page run when the row is about the signed-in user. Inside `db.transaction()` only
    within `chained()` around that transaction: a rolled-back row must not stay the chain's head."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    bound = _bound.get()
    if bound and bound["username"] == username:
        role = role or bound["role"]
    if role is None and username:
        role = _role_of(username)
    if bound:
        session_id = session_id or bound["session_id"]
    detail = (detail or "")[:DETAIL_MAX]
    details_text = json.dumps(details, sort_keys=True, default=str, separators=(",", ":")) if details else None
    global _last
    with _write_lock:
        conn, cur = db.connection(), db.cursor()
        if _last is not None and _last[0] is conn:
            prev = _last[1]
        else:
            found = cur.execute(LAST_HASH).fetchone()
            prev = (found[0] if found else None) or GENESIS
            genesis()  # a store whose chain began before genesis records were kept gets one now
        ts = datetime.now()
        own = chain_hash(prev, content(ts, username, role, action, outcome, target, detail, details_text, session_id))
        row = cur.execute(INSERT, [ts, username, role, action, outcome, target, detail, details_text, session_id,
                                   prev, own]).fetchone()
        _last = (conn, own)
        if prev == GENESIS and settings.get(GENESIS_KEY) is None:  # the chain's first row
            _record_genesis(int(row[0]), own)
    return int(row[0])


@contextlib.contextmanager
def chained() -> Iterator[None]:
    """Hold the chain around a transaction whose block writes audit rows (`record`) with the rows they
    describe, committed together: no other row links to them before they are committed, and after a
    rollback (or a failed commit) the next row reads the chain's head from the store again."""
    global _last
    with _write_lock:
        try:
            yield
        except BaseException:
            _last = None
            raise


class Genesis(NamedTuple):
    """Where the chain begins: its first row's id and hash, and the rows written before it."""

    id: int
    hash: str
    legacy: int
    legacy_digest: str

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


def _record_genesis(row_id: int, row_hash: str) -> Genesis:
    legacy, digest = db.one(LEGACY, [row_id])
    found = Genesis(row_id, row_hash, int(legacy), digest)
    settings.put(GENESIS_KEY, json.dumps(found.as_dict()))
    return found


def genesis() -> Genesis | None:
    """The recorded start of the chain; recorded now from the first hashed row for a store whose chain
    began before such records were kept. None while no row has a hash."""
    kept = settings.get(GENESIS_KEY)
    if kept is not None:
        try:
            return Genesis(**json.loads(kept))
        except (ValueError, TypeError):  # an edited record: checked as if the chain began at row 0
            return Genesis(0, "", 0, "")
    first = db.one(FIRST_HASHED)
    return _record_genesis(int(first[0]), first[1]) if first else None


def _role_of(username: str) -> str | None:
    """The actor's role when the caller did not say: the system and the command line (`os:<login>`, see
    ml.governance.accounts.require_manager) act as admins; a user has the role the table holds (None if unknown)."""
    if username == "system" or username.startswith("os:"):
        return "admin"
    found = db.one(ACTOR_ROLE, [username])
    return found[0] if found else None


def reset_chain_cache() -> None:
    """Forget the cached newest hash (after a bulk append outside `record`, e.g. the bench's filler)."""
    global _last
    with _write_lock:
        _last = None


class Filters(NamedTuple):
    """The Audit page's filters; None means "any"."""

    username: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    outcome: str | None = None
    text: str | None = None

    def params(self) -> dict[str, Any]:
        return {"username": _literal(self.username) if self.username else None, "since": self.since,
                "until": self.until, "action": self.action, "outcome": self.outcome, "text": _contains(self.text)}


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(text: str | None) -> str | None:
    return f"%{_literal(text)}%" if text else None


def page(*, username: str | None = None, since: datetime | None = None, until: datetime | None = None,
         action: str | None = None, text: str | None = None, outcome: str | None = None, limit: int = 100,
         offset: int = 0) -> pd.DataFrame:
    """Newest-first page of the log, filtered in SQL: `action` and `outcome` exactly, `username` as a whole
    name and `text` as part of the detail, details, target or action, in any case."""
    filters = Filters(username, since, until, action, outcome, text)
    return db.frame(PAGE, {**filters.params(), "limit": limit, "offset": offset})


def count(filters: Filters) -> int:
    """How many rows match (the page shows "rows 1–100 of N")."""
    return int(db.one(COUNT, filters.params())[0])


def export_query(filters: Filters) -> Query:
    """Every matching row with its hashes, for the shared export panel."""
    params = filters.params()  # named -> positional: the export code appends its own positional LIMIT
    return Query(_PLACEHOLDER.sub("?", EXPORT), [params[name] for name in _PLACEHOLDER.findall(EXPORT)])


def row(row_id: int) -> dict[str, Any] | None:
    """One row in full (the page's details view)."""
    cur = db.cursor().execute(ROW, [row_id])
    found = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], found)) if found else None


def actions() -> list[str]:
    """Every action the log holds, for the page's picker."""
    return [r[0] for r in db.rows(ACTIONS)]


class Scan(NamedTuple):
    """What one VERIFY scan found, from the genesis row `first` on (see VERIFY)."""

    legacy: int
    legacy_digest: str
    lowest: int | None
    genesis: str | None
    good: int
    bad_id: int | None
    problem: str | None
    head: str | None


def verify(first: int) -> Scan:
    """The whole log checked in one scan from row `first` (the recorded genesis)."""
    lowest, start, good, bad_id, problem, head = db.one(VERIFY, {"first": first})
    legacy, digest = db.one(LEGACY, [first])
    return Scan(int(legacy), digest, lowest, start, int(good), bad_id, problem, head)


def holds_hash(row_hash: str) -> bool:
    """Whether a row with this hash is still in the log (a head noted earlier)."""
    return bool(db.one(HAS_HASH, [row_hash])[0])
