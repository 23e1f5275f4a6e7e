"""Audit log figures: a filtered page over the bench's million rows (count + page, as the Audit page asks
for them), one chained row written, and the whole chain verified — each against a floor measured in the
same run."""
from __future__ import annotations

from datetime import datetime, timedelta

from bench.core import Context, Measured, figure, timed
from data import audit, db
from ml.governance import audit_chain

BODY_SCAN = f"SELECT count(*) FROM audit_log WHERE {audit.BODY} IS NOT NULL"
PLAIN_INSERT = "INSERT INTO audit_log (ts, username, action, outcome, detail) VALUES (?, ?, ?, ?, ?)"


@figure("audit: filtered page with its total (Audit page)", unit="ms", target=100.0, group="store")
def filtered_page(ctx: Context) -> dict[str, Measured]:
    now = datetime.now()
    cases = {  # the filters an admin combines: a user and 30 days; denied rows with text in the details
        "audit: filtered page with its total (Audit page)": audit.Filters(username="user007",
                                                                          since=now - timedelta(days=30)),
        "audit: page of denied rows with text in details": audit.Filters(outcome="denied", text="role"),
    }
    out = {}
    bare = db.second_connection()  # same process: DuckDB shares the open database
    try:
        for name, chosen in cases.items():
            params = {**chosen.params(), "limit": 100, "offset": 0}

            def app(chosen=chosen):
                audit.count(chosen)
                audit.page(**chosen._asdict(), limit=100)

            def floor(params=params, chosen=chosen):
                bare.execute(audit.COUNT, chosen.params()).fetchall()
                bare.execute(audit.PAGE, params).fetchall()
            out[name] = Measured(timed(ctx.repeats(30, 10), app), timed(ctx.repeats(30, 10), floor),
                                 note=f"{ctx.shared['n_rows']:,} audit rows; floor = the same two SQL statements "
                                      "on a bare DuckDB connection")
    finally:
        bare.close()
    return out


@figure("audit: one row written (hash chain)", unit="ms", target=1.0, group="store")
def one_row(ctx: Context) -> Measured:
    n = ctx.repeats(300, 60)
    cur = db.cursor()
    app, floor = [], []
    for _ in range(5):  # alternating rounds: drift touches both alike
        app += timed(max(1, n // 5), lambda: audit.record("bench", "predict_draw", "ok", "prediction 1", target="1",
                                                  details={"digit": 3}))
        floor += timed(max(1, n // 5), lambda: cur.execute(PLAIN_INSERT, [datetime.now(), "bench", "predict_draw", "ok",
                                                                  "prediction 1"]).fetchall())
    db.execute("DELETE FROM audit_log WHERE hash IS NULL AND username = 'bench'")  # the floor's unchained rows
    return Measured(app, floor, note="floor = a plain INSERT of the pre-chain columns into the same table")


@figure("audit: verify the whole chain", unit="s", group="store")
def verify_chain(ctx: Context) -> Measured:
    report = audit_chain.verify()
    if not report.ok:
        raise RuntimeError(report.message)
    app = timed(ctx.repeats(3, 1), audit_chain.verify, warmup=0, scale=1.0)
    cur = db.cursor()
    floor = timed(ctx.repeats(3, 1), lambda: cur.execute(BODY_SCAN).fetchall(), warmup=0, scale=1.0)
    return Measured(app, floor, note=f"{report.checked:,} rows in one SQL scan (DuckDB sha256); floor = the same "
                                     "scan building each row's hashed text without hashing or linking")
