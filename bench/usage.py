"""Usage reports over the bench store (1,000,000 predictions and 1,000,000 audit rows in a full run):
each report the Usage page loads, against the same SQL on a bare DuckDB connection."""
from __future__ import annotations

from datetime import date, timedelta

from bench.core import Context, Measured, figure, timed
from bench.figures import _query_vs_bare
from data import quotas
from data.queries import usage


def unlimited(names: tuple[str, ...]) -> None:
    """The bench's own users predict thousands of times a minute: their quotas must not be the figure."""
    for name in names:
        quotas.set_override(name, 10_000_000, 100_000, "system")


def _range(days: int) -> tuple[date, date]:
    return date.today() - timedelta(days=days - 1), date.today()


@figure("usage: per user, day and action (30 days, everyone)", unit="ms", target=100.0, group="store")
def usage_daily(ctx: Context) -> Measured:
    first, last = _range(30)
    query = usage.daily_query(first, last)
    return _query_vs_bare(ctx, lambda: usage.daily(first, last), query.sql, query.params)


@figure("usage: per day and action of one user (90 days)", unit="ms", target=100.0, group="store")
def usage_one_user(ctx: Context) -> Measured:
    first, last = _range(90)
    query = usage.daily_query(first, last, "user007")
    return _query_vs_bare(ctx, lambda: usage.daily(first, last, "user007"), query.sql, query.params)


@figure("usage: the whole page's queries (its default 30 days, everyone)", unit="ms", target=100.0, group="store")
def usage_page(ctx: Context) -> Measured:
    """What the Usage page waits for when it opens: the table, its top users (from the table, not a
    second aggregation) and the quota consumption."""
    first, last = _range(30)

    def page() -> None:
        frame = usage.daily(first, last)
        usage.top_of(frame)
        usage.quota_used(first, last)
    return Measured(timed(ctx.repeats(15, 5), page), note="the daily table, its top users and the quota "
                                                           "consumption, as dashboard/views/usage.py does")
