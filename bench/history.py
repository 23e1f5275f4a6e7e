"""History, Analytics and export figures on the big store (1,000,000 predictions in a full run):
each History filter (one page + the total count), each Analytics aggregation, and the whole
filtered table to CSV through the app's export path. Floors are the same SQL on a bare DuckDB
connection in the same run, so the ratio is what the app's code adds."""
from __future__ import annotations

from datetime import date, timedelta

from bench.core import Context, Measured, figure, timed
from data import db
from data.queries import analytics, history
from data.queries.history import Filters
from ml.reports.exports import export

FEEDBACK_SHARE = 20  # one prediction in 20 gets feedback (a tenth of it right, as random answers would be)
ADD_FEEDBACK = """
INSERT INTO feedback (prediction_id, username, true_digit, is_correct)
SELECT id, 'user001', CAST(hash(id) % 10 AS TINYINT), CAST(hash(id) % 10 AS TINYINT) = digit
FROM predictions WHERE id % ? = 0"""


def _filters() -> dict[str, Filters]:
    today = date.today()
    return {
        "no filter": Filters(),
        "one user": Filters(user="user007"),
        "date range (a week)": Filters(since=today - timedelta(days=14), until=today - timedelta(days=7)),
        "source": Filters(sources=("upload",)),
        "model": Filters(model_ids=(1,)),
        "digits": Filters(digits=(3, 5)),
        "confidence range": Filters(min_confidence=0.4, max_confidence=0.6),
        "not sure": Filters(not_sure=True),
        "with feedback": Filters(feedback=True),
        "without feedback": Filters(feedback=False),
        "corrected": Filters(corrected=True),
        "all together": Filters(user="user007", since=today - timedelta(days=60), sources=("draw", "upload"),
                                digits=(3,), min_confidence=0.3, feedback=True),
    }


PAGE_NAMES = [f"history: page + total, {name}" for name in _filters()]
AGGREGATIONS = ("per_day_by_source", "confidence_by_digit", "accuracy_by_day", "accuracy_by_model", "confused_pairs",
                "user_activity", "totals")
AGGREGATION_NAMES = [f"analytics: {name.replace('_', ' ')}" for name in AGGREGATIONS]
FIGURE_NAMES = [*PAGE_NAMES, *AGGREGATION_NAMES, "history: CSV export of the whole table"]  # in the order they run


def _with_feedback(ctx: Context) -> None:
    """Feedback on one prediction in 20, once per run (the generated store has none)."""
    if not ctx.shared.get("history_feedback"):
        db.execute(ADD_FEEDBACK, [FEEDBACK_SHARE])
        ctx.shared["history_feedback"] = True


def _bare(ctx: Context, statements: list[tuple[str, object]]) -> list[float]:
    conn = db.second_connection()  # same process: DuckDB shares the open database
    try:
        return timed(ctx.repeats(30, 10), lambda: [conn.execute(sql, params).fetchall() for sql, params in statements])
    finally:
        conn.close()


@figure("history: one page + total count", unit="ms", target=100.0, group="store")
def history_pages(ctx: Context) -> dict[str, Measured]:
    _with_feedback(ctx)
    out = {}
    for (name, filters), label in zip(_filters().items(), PAGE_NAMES):
        where, params, join = filters.where()
        bare = [((history.PAGE if join else history.PAGE_FIRST).format(where=where), [*params, 50, 0]),
                (history.COUNT.format(join=history.JOIN_FEEDBACK if join else "", where=where), params)]
        app = timed(ctx.repeats(30, 10), lambda f=filters: (history.page(f, limit=50), history.count(f)))
        out[label] = Measured(app, _bare(ctx, bare), note="" if name != "no filter" else
                              f"{ctx.shared['n_rows']:,} predictions, feedback on 1 in {FEEDBACK_SHARE}; newest "
                              "first, 50 rows and the total count; floor = the same two statements on a bare "
                              "DuckDB connection")
    return out


@figure("analytics: one aggregation", unit="ms", target=100.0, group="store")
def analytics_aggregations(ctx: Context) -> dict[str, Measured]:
    _with_feedback(ctx)
    since, until = date.today() - timedelta(days=89), date.today()
    period = analytics.period_params(since, until)
    out = {}
    for name, label in zip(AGGREGATIONS, AGGREGATION_NAMES):
        sql = getattr(analytics, name.upper())
        params = analytics.user_activity_query(since, until).params if name == "user_activity" else (
            {**period, "limit": 10} if name == "confused_pairs" else period)
        app = timed(ctx.repeats(30, 10), lambda n=name: getattr(analytics, n)(since, until))
        out[label] = Measured(app, _bare(ctx, [(sql, params)]), note="" if name != AGGREGATIONS[0] else
                              "90 days of predictions (the whole generated store); floor = the same SQL on a bare "
                              "connection")
    return out


@figure("history: CSV export of the whole table", unit="s", target=3.0, group="store")
def history_csv(ctx: Context) -> Measured:
    _with_feedback(ctx)
    query = history.export_query(Filters())
    out = ctx.workdir / "history-floor.csv"
    made = []
    app = timed(ctx.repeats(3, 1), lambda: made.append(export("history", query, "csv", "bench")), warmup=1, scale=1.0)
    floor = timed(ctx.repeats(3, 1), lambda: db.execute(f"COPY ({query.sql}) TO '{out}' (FORMAT csv, HEADER)"),
                  warmup=0, scale=1.0)
    return Measured(app, floor, note=f"{made[-1].rows:,} rows, {len(made[-1].data) / 2**20:.0f} MB, newest first with "
                                     "the latest feedback, through ml.reports.exports (COPY, file read back, audited); "
                                     "floor = the bare COPY of the same query to a file")
