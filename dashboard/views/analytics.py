"""The Analytics page's blocks: the period picker, headline numbers and one chart per question, each
drawn from one aggregation of `data.queries.analytics`. A click on a confused pair (or the picker under the
chart) shows the images behind it."""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from dashboard import text
from dashboard.charts import analytics as charts
from dashboard.components import report_button
from dashboard.components.export_panel import export_panel
from data.queries import analytics
from data.users import User
from ml.reports import document as reports

DEFAULT_DAYS = 30
ACTIVITY_COLUMNS = {"username": "user", "not_sure": st.column_config.NumberColumn("not sure"),
                    "mean_confidence": text.share_column("mean confidence"),
                    "feedback": st.column_config.NumberColumn("feedback given"),
                    "last_prediction": st.column_config.DatetimeColumn("last prediction", format="YYYY-MM-DD HH:mm")}


def period() -> tuple[date, date]:
    """The first and last day (inclusive) the page looks at; the last 30 days by default."""
    cols = st.columns(2)
    until = cols[1].date_input("Until (inclusive)", value=date.today(), key="analytics_until")
    since = cols[0].date_input("From", value=until - timedelta(days=DEFAULT_DAYS - 1), key="analytics_since")
    if since > until:
        st.info("The period starts after it ends: pick a first day on or before the last.")
        st.stop()
    return since, until


def headline(since: date, until: date) -> None:
    totals = analytics.totals(since, until)
    cols = st.columns(4)
    cols[0].metric("Predictions", f"{totals['predictions']:,}")
    cols[1].metric("Not sure", f"{totals['not_sure']:,}")
    cols[2].metric("Checked by feedback", f"{totals['checked']:,}")
    cols[3].metric("Accuracy from feedback",
                   text.share(totals["confirmed"] / totals["checked"]) if totals["checked"] else "—",
                   help="The share of predictions with feedback that people confirmed as right.")


def _chart(frame, draw, key: str, empty: str = "No predictions in this period.") -> bool:
    """Draws `draw(frame)`, or says the period is empty; whether a chart was drawn."""
    if frame.empty:
        st.info(empty)
        return False
    st.plotly_chart(draw(frame), key=key)
    return True


def volume(since: date, until: date) -> None:
    _chart(analytics.per_day_by_source(since, until), charts.per_day_by_source, "analytics_volume_chart")


def confidence(since: date, until: date) -> None:
    if _chart(analytics.confidence_by_digit(since, until), charts.confidence_by_digit, "analytics_confidence_chart"):
        st.caption("Each row adds up to 100 %: where a digit's answers sit between unsure and certain.")


def accuracy(since: date, until: date) -> None:
    by_day = analytics.accuracy_by_day(since, until)
    if by_day.empty:
        st.info("No feedback on this period's predictions yet, so there is no accuracy to show.")
        return
    st.plotly_chart(charts.accuracy_by_day(by_day), key="analytics_accuracy_chart")
    st.plotly_chart(charts.accuracy_by_model(analytics.accuracy_by_model(since, until)), key="analytics_models_chart")


def _clicked_pair(labels: list[str]) -> None:
    """A new click on the chart moves the picker to that pair (the picker stays free to change after)."""
    if st.session_state.get("analytics_pair") not in labels:  # another period: that pair is gone
        st.session_state.pop("analytics_pair", None)
    event = st.session_state.get("analytics_pairs_chart") or {}
    points = (event.get("selection") or {}).get("points") or []
    if not points:
        return
    true_digit, predicted = points[0]["customdata"]
    label = charts.pair_label(true_digit, predicted)
    if label in labels and st.session_state.get("analytics_pair_clicked") != label:
        st.session_state.analytics_pair_clicked = label
        st.session_state.analytics_pair = label


def mistakes(since: date, until: date) -> None:
    pairs = analytics.confused_pairs(since, until)
    if pairs.empty:
        st.info("No feedback has corrected an answer in this period.")
        return
    labels = [charts.pair_label(t, p) for t, p in zip(pairs["true_digit"], pairs["predicted"])]
    _clicked_pair(labels)
    picked = st.session_state.get("analytics_pair") if st.session_state.get("analytics_pair") in labels else labels[0]
    st.plotly_chart(charts.confused_pairs(pairs, picked), key="analytics_pairs_chart", on_select="rerun",
                    selection_mode="points")
    picked = st.selectbox("Show the images of", labels, key="analytics_pair",
                          help="Or click a bar of the chart.")
    row = pairs.iloc[labels.index(picked)]
    examples = analytics.pair_examples(since, until, int(row["true_digit"]), int(row["predicted"]))
    st.caption(f"{len(examples)} newest of {int(row['times'])}: {picked}.")
    gallery = st.columns(6)
    for k, example in enumerate(examples.itertuples()):
        with gallery[k % 6]:
            if isinstance(example.image, (bytes, bytearray)) and example.image:
                st.image(bytes(example.image), width=90)
            st.caption(f"#{example.id} · {text.md(example.username)} · {text.share(example.confidence)}")


def users(since: date, until: date, user: User) -> None:
    frame = analytics.user_activity(since, until)
    if not _chart(frame, charts.user_activity, "analytics_users_chart", "Nobody predicted or gave feedback in this period."):
        return
    shown = text.blank_missing(text.as_percent(frame, "mean_confidence"), {"username": str})
    st.dataframe(shown, hide_index=True, key="analytics_users_table", column_config=ACTIVITY_COLUMNS, width="stretch")
    export_panel(f"activity-{since}-{until}", analytics.user_activity_query(since, until), user.username,
                 key="analytics_users")


def report(since: date, until: date, user: User) -> None:
    """The period's PDF report: the same numbers and charts, for people who do not open the app."""
    report_button.pdf_download("Period report (PDF)", f"report-{since}-{until}.pdf",
                               lambda: reports.period_report(since, until, user.username), user.username,
                               key="analytics_report")
