"""The usage report: the Usage page's figures for a range of days (and one user or everyone) as a PDF,
for admins who answer "who did how much" outside the app."""
from __future__ import annotations

from datetime import date, datetime

from data.queries import usage
from ml.errors import RequestError
from ml.reports import charts as reports_charts
from ml.reports.pdf import Report

ROWS = 60  # per-user, per-day lines printed; the full table is the page's CSV/Excel export


def build_usage_report(first: date, last: date, who: str | None, username: str) -> bytes:
    if first > last:
        raise RequestError(f"The range starts ({first}) after it ends ({last}): swap the two dates.")
    frame = usage.daily(first, last, who)
    report = Report(f"Usage report: {first} to {last}",
                    f"{'User ' + who if who else 'Everyone'} · made {datetime.now():%Y-%m-%d %H:%M} by {username} "
                    "· both days included")
    report.heading("Totals")
    if frame.empty:
        report.paragraph("Nothing was done in this range.")
        return report.output()
    by_action = frame.groupby("action", as_index=False)[["count", "images", "errors", "quota_refusals"]].sum()
    report.facts([("Images predicted", f"{int(frame['images'].sum()):,}"),
                  ("People", f"{frame['username'].nunique():,}"),
                  ("Errors", f"{int(frame['errors'].sum()):,}"),
                  ("Quota refusals", f"{int(frame['quota_refusals'].sum()):,}")])
    report.table(["action", "count", "images", "errors", "quota refusals"],
                 [(r.action, f"{int(r.count):,}", f"{int(r.images):,}", f"{int(r.errors):,}",
                   f"{int(r.quota_refusals):,}") for r in by_action.itertuples()])
    predicted = frame[frame["images"] > 0].rename(columns={"action": "source", "images": "predictions"})
    if not predicted.empty:
        report.image(reports_charts.per_day_by_source(predicted))
    top = usage.top_of(frame)
    report.heading("Top users")
    report.table(["user", "count", "images", "errors", "quota refusals"],
                 [(r.username, f"{int(r.count):,}", f"{int(r.images):,}", f"{int(r.errors):,}",
                   f"{int(r.quota_refusals):,}") for r in top.itertuples()], widths=(3, 2, 2, 2, 2))
    quota = usage.quota_used(first, last, who)
    report.heading("Quota consumption per user and day")
    if quota.empty:
        report.paragraph("No prediction counted against a quota in this range.")
    else:
        report.table(["day", "user", "images used", "refilled", "counted against the quota"],
                     [(str(r.day)[:10], r.username, f"{int(r.used):,}", f"{int(r.refilled):,}", f"{int(r.counted):,}")
                      for r in quota.tail(ROWS).itertuples()], widths=(3, 3, 2, 2, 3))
    report.heading(f"Per user, day and action ({min(ROWS, len(frame))} of {len(frame)} lines)")
    report.table(["day", "user", "action", "count", "images", "p50 ms", "p95 ms", "errors"],
                 [(str(r.day)[:10], r.username, r.action, f"{int(r.count):,}", f"{int(r.images):,}",
                   "" if r.p50_ms != r.p50_ms or r.p50_ms is None else f"{r.p50_ms:.1f}",
                   "" if r.p95_ms != r.p95_ms or r.p95_ms is None else f"{r.p95_ms:.1f}", f"{int(r.errors):,}")
                  for r in frame.tail(ROWS).itertuples()], widths=(3, 3, 2, 2, 2, 2, 2, 2))
    return report.output()
