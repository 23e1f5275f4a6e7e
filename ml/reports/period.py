"""The period report: how many predictions were made, where from, by whom, and how right they were
according to the feedback people gave, with the charts of the Analytics page drawn as images."""
from __future__ import annotations

from datetime import date, datetime

from data.queries import analytics
from ml.errors import RequestError
from ml.reports import charts as reports_charts
from ml.reports.pdf import Report, share

TOP_USERS = 15


def build_period_report(since: date | datetime, until: date | datetime, username: str) -> bytes:
    if since > until:
        raise RequestError(f"The period starts ({since}) after it ends ({until}): swap the two dates.")
    totals = analytics.totals(since, until)
    report = Report(f"Period report: {since} to {until}",
                    f"Made {datetime.now():%Y-%m-%d %H:%M} by {username} · both days included")
    report.heading("Predictions")
    checked = totals["checked"]
    report.facts([("Predictions", f"{totals['predictions']:,}"),
                  ("People", f"{totals['users']:,}"),
                  ("'Not sure' answers", f"{totals['not_sure']:,}"),
                  ("Checked by feedback", f"{checked:,}"),
                  ("Accuracy from feedback", share(totals["confirmed"] / checked) if checked else "no feedback yet")])
    per_day = analytics.per_day_by_source(since, until)
    if not per_day.empty:
        report.image(reports_charts.per_day_by_source(per_day))
    report.heading("Accuracy from feedback")
    by_day = analytics.accuracy_by_day(since, until)
    if by_day.empty:
        report.paragraph("Nobody gave feedback on this period's predictions.")
    else:
        report.image(reports_charts.accuracy_by_day(by_day))
        by_model = analytics.accuracy_by_model(since, until)
        report.table(["model", "family", "checked", "accuracy"],
                     [(f"#{r.model_id}", r.family or "deleted", f"{r.checked:,}", share(r.accuracy))
                      for r in by_model.itertuples()])
        pairs = analytics.confused_pairs(since, until)
        if not pairs.empty:
            report.heading("Most confused digits")
            report.table(["real digit", "answered", "times"],
                         [(r.true_digit, r.predicted, f"{r.times:,}") for r in pairs.itertuples()])
    users = analytics.user_activity(since, until)
    if not users.empty:
        report.heading(f"Activity per person (top {min(TOP_USERS, len(users))} of {len(users)})")
        report.table(["user", "predictions", "not sure", "mean confidence", "feedback given"],
                     [(r.username, f"{r.predictions:,}", f"{r.not_sure:,}", share(r.mean_confidence),
                       f"{r.feedback:,}") for r in users.head(TOP_USERS).itertuples()], widths=(3, 2, 2, 2, 2))
    return report.output()
