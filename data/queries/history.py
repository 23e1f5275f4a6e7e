"""The History page's query: every prediction with its latest feedback, filtered, paged and counted in SQL.

One `Filters` value builds the WHERE clause from fixed fragments (values always as placeholders), so
the page's table, its total count and its export (`data.exports.Query`) show exactly the same rows.
Only the filters in use reach the SQL: an unused `(? IS NULL OR ...)` would hide the predicate from
DuckDB's zonemaps and turn a pruned scan into a full one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from data import db
from data.exports import Query

if TYPE_CHECKING:
    import pandas as pd

# The latest feedback of each prediction (a later answer replaces an earlier one).
LATEST_FEEDBACK = """
SELECT prediction_id, arg_max(true_digit, ts) AS true_digit, arg_max(is_correct, ts) AS is_correct
FROM feedback GROUP BY prediction_id"""
JOIN_FEEDBACK = f"LEFT JOIN ({LATEST_FEEDBACK}) f ON f.prediction_id = p.id"
TABLE_COLUMNS = """p.id, p.ts, p.username, p.source, p.model_id, p.digit, p.confidence, p.needs_review, p.runner_up,
       p.latency_ms, p.filename, f.true_digit, f.is_correct"""
NEWEST_FIRST = "ORDER BY p.ts DESC, p.id DESC"
PAGE = f"SELECT {TABLE_COLUMNS}, p.image FROM predictions p {JOIN_FEEDBACK} {{where}} {NEWEST_FIRST} LIMIT ? OFFSET ?"
# Without a feedback filter the page is cut first and only its 50 rows meet the feedback, instead of
# joining every row and cutting after.
PAGE_FIRST = f"""
SELECT {TABLE_COLUMNS}, p.image
FROM (SELECT p.id, p.ts, p.username, p.source, p.model_id, p.digit, p.confidence, p.needs_review, p.runner_up,
             p.latency_ms, p.filename, p.image
      FROM predictions p {{where}} {NEWEST_FIRST} LIMIT ? OFFSET ?) p
{JOIN_FEEDBACK} {NEWEST_FIRST}"""
EXPORT = f"SELECT {TABLE_COLUMNS} FROM predictions p {JOIN_FEEDBACK} {{where}} {NEWEST_FIRST}"
COUNT = "SELECT count(*) FROM predictions p {join} {where}"
USERS = "SELECT username FROM users ORDER BY username"
MODELS = "SELECT id FROM models ORDER BY id DESC"

# Each filter's SQL fragment; "{marks}" becomes one placeholder per picked value.
CLAUSES = {
    "owner": "p.username = ?",
    "user": "p.username = ?",
    "since": "p.ts >= ?",
    "until": "p.ts < ?",
    "sources": "p.source IN ({marks})",
    "model_ids": "p.model_id IN ({marks})",
    "digits": "p.digit IN ({marks})",
    "min_confidence": "p.confidence >= ?",
    "max_confidence": "p.confidence <= ?",
    "not_sure": "p.needs_review = ?",
    # semi- and anti-joins: whether feedback exists needs no latest row, so the page can still be cut first
    "with_feedback": "EXISTS (SELECT 1 FROM feedback fb WHERE fb.prediction_id = p.id)",
    "without_feedback": "NOT EXISTS (SELECT 1 FROM feedback fb WHERE fb.prediction_id = p.id)",
    "corrected": "f.is_correct = ?",
}


@dataclass(frozen=True)
class Filters:
    """What History shows. `owner` is the scope the role imposes (a viewer's own rows); `user` is a
    person picked in the filters. `until` is inclusive for a date (the whole day) and exclusive for a
    datetime. `feedback`: True only rows with feedback, False only rows without. `corrected`: True only
    rows whose latest feedback says the answer was wrong, False only those it confirmed (both imply
    feedback)."""

    owner: str | None = None
    user: str | None = None
    since: date | datetime | None = None
    until: date | datetime | None = None
    sources: tuple[str, ...] = ()
    model_ids: tuple[int, ...] = ()
    digits: tuple[int, ...] = ()
    min_confidence: float | None = None
    max_confidence: float | None = None
    not_sure: bool | None = None
    feedback: bool | None = None
    corrected: bool | None = None

    @property
    def narrowed(self) -> bool:
        """Whether any filter beyond the role's scope is in use (an empty page then means "no match")."""
        return replace(self, owner=None) != Filters()

    def where(self) -> tuple[str, list, bool]:
        """(WHERE clause, its parameters, whether it needs the feedback join)."""
        parts: list[tuple[str, list]] = []
        for name in ("owner", "user", "min_confidence", "max_confidence", "not_sure"):
            value = getattr(self, name)
            if value is not None:
                parts.append((CLAUSES[name], [value]))
        if self.since is not None:
            parts.append((CLAUSES["since"], [start_of(self.since)]))
        if self.until is not None:
            parts.append((CLAUSES["until"], [end_of(self.until)]))
        for name in ("sources", "model_ids", "digits"):
            values = list(getattr(self, name))
            if values:
                parts.append((CLAUSES[name].format(marks=", ".join("?" * len(values))), values))
        if self.feedback is not None:
            parts.append((CLAUSES["with_feedback" if self.feedback else "without_feedback"], []))
        if self.corrected is not None:
            parts.append((CLAUSES["corrected"], [not self.corrected]))
        needs_join = self.corrected is not None
        sql = ("WHERE " + " AND ".join(p[0] for p in parts)) if parts else ""
        return sql, [v for p in parts for v in p[1]], needs_join


def start_of(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())


def end_of(value: date | datetime) -> datetime:
    """A date means up to the end of that day; a datetime is the exclusive end itself."""
    return value if isinstance(value, datetime) else datetime.combine(value + timedelta(days=1), datetime.min.time())


def page(filters: Filters, *, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """One page of the filtered rows, newest first, with the small PNG of each (for thumbnails)."""
    where, params, needs_join = filters.where()
    return db.frame((PAGE if needs_join else PAGE_FIRST).format(where=where), [*params, int(limit), int(offset)])


def count(filters: Filters) -> int:
    """How many rows the filters select; the feedback join only when a feedback filter needs it."""
    where, params, needs_join = filters.where()
    return int(db.one(COUNT.format(join=JOIN_FEEDBACK if needs_join else "", where=where), params)[0])


def export_query(filters: Filters) -> Query:
    """The whole filtered table (the page's columns without the image), newest first, for `export_panel`."""
    where, params, _ = filters.where()
    return Query(EXPORT.format(where=where), params)


def users() -> list[str]:
    """Every account name, for the user filter."""
    return [r[0] for r in db.rows(USERS)]


def model_ids() -> list[int]:
    """Every model version, newest first, for the model filter."""
    return [int(r[0]) for r in db.rows(MODELS)]
