"""The Usage page's charts and tables: who did what, per day and action, from `data.queries.usage`."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import text
from dashboard.charts import common as charts
from dashboard.components.export_panel import export_panel
from dashboard.components.report_button import pdf_download
from data.predictions import SOURCE_LABELS
from data.queries import usage
from data.users import User
from ml.reports import document as reports


def totals(frame: pd.DataFrame) -> None:
    """Headline figures of the range."""
    cols = st.columns(4)
    cols[0].metric("Images predicted", f"{int(frame['images'].sum()):,}")
    images = frame['action'].isin(('draw', 'upload', 'cli', 'api'))  # their count is images; the others' are runs
    cols[1].metric("Jobs and exports", f"{int(frame.loc[~images, 'count'].sum()):,}")
    cols[2].metric("Errors", f"{int(frame['errors'].sum()):,}")
    cols[3].metric("Quota refusals", f"{int(frame['quota_refusals'].sum()):,}")


def charts_of(frame: pd.DataFrame, top: pd.DataFrame, quota: pd.DataFrame) -> None:
    """Images per day and action, processing time p95 per day, the busiest users, quota used."""
    per_day = frame.groupby(["day", "action"], as_index=False)[["images", "count"]].sum()
    per_day["action"] = per_day["action"].map(lambda a: SOURCE_LABELS.get(a, a))
    left, right = st.columns(2)
    fig = px.bar(per_day, x="day", y="count", color="action", title="Actions per day",
                 labels={"count": "count (images for draw/upload/cli/API)"})
    left.plotly_chart(charts.date_axis(fig, per_day["day"]), key="usage_per_day")
    timed = frame.dropna(subset=["p95_ms"]).assign(action=lambda f: f["action"].map(lambda a: SOURCE_LABELS.get(a, a)))
    if not timed.empty:
        fig = px.scatter(timed, x="day", y="p95_ms", color="action", hover_data=["username", "p50_ms", "images"],
                         title="Processing time p95 per user and day (ms)")
        right.plotly_chart(charts.date_axis(fig, timed["day"]), key="usage_latency")
    left, right = st.columns(2)
    fig = px.bar(top, x="username", y="images", hover_data=["count", "errors", "quota_refusals"], title="Top users")
    left.plotly_chart(fig, key="usage_top")
    if not quota.empty:
        fig = px.bar(quota, x="day", y="used", color="username", title="Quota used per day (images)")
        right.plotly_chart(charts.date_axis(fig, quota["day"]), key="usage_quota")


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def table(frame: pd.DataFrame, query, user: User) -> None:
    """Exports, training and tuning have no processing time: their p50/p95 cells are blank (as text, a
    number column would show an empty cell as "None")."""
    shown = text.blank_missing(frame, {"p50_ms": _ms, "p95_ms": _ms, "action": lambda a: SOURCE_LABELS.get(a, a)})
    st.dataframe(shown, hide_index=True, key="usage_table", column_config={
        "day": st.column_config.DateColumn("day", format="YYYY-MM-DD"),
        "p50_ms": st.column_config.TextColumn("p50 ms", alignment="right"),
        "p95_ms": st.column_config.TextColumn("p95 ms", alignment="right")})
    export_panel("usage", query, user.username, key="usage")


def quota_table(quota: pd.DataFrame, query, user: User) -> None:
    """Quota consumption per user and day: images counted, refilled, and what still counts."""
    st.subheader("Quota consumption per user and day")
    if quota.empty:
        st.caption("No prediction counted against a quota in this range.")
        return
    st.dataframe(quota, hide_index=True, key="usage_quota_table", column_config={
        "day": st.column_config.DateColumn("day", format="YYYY-MM-DD"),
        "used": st.column_config.NumberColumn("images used", format="%d"),
        "refilled": st.column_config.NumberColumn("refilled", format="%d"),
        "counted": st.column_config.NumberColumn("counted against the quota", format="%d")})
    export_panel("usage_quota", query, user.username, key="usage_quota")


def report(user: User, first, last, who: str | None) -> None:
    frame = usage.daily(first, last, who)
    if frame.empty:
        st.info("Nothing was done in this range.")
        return
    totals(frame)
    quota = usage.quota_used(first, last, who)
    charts_of(frame, usage.top_of(frame), quota)
    table(frame, usage.daily_query(first, last, who), user)
    quota_table(quota, usage.quota_query(first, last, who), user)
    pdf_download("Usage report (PDF)", f"usage-{first}-{last}{'-' + who if who else ''}.pdf",
                 lambda: reports.usage_report(first, last, who, user.username), user.username, key="usage_report")
