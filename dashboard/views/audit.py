"""The Audit page's parts: filters, one page of rows with the total (both in SQL), a row's details, the
shared export panel and the chain check.

A filtered page over a million rows stays under 100 ms (`python -m bench --only store`): the filters,
the count and the page are SQL in `data.audit`; only the 100 rows shown come to Python.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta

import streamlit as st

from dashboard import failures, text
from dashboard.components.export_panel import export_panel
from data import audit
from data.users import User
from ml.governance import audit_chain

PAGE_SIZE = 100
SHOWN = ["id", "ts", "username", "role", "action", "target", "outcome", "detail", "session_id"]


def filters() -> audit.Filters:
    """Who, what, outcome, text (in the detail, details, target or action; any case) and days."""
    cols = st.columns([2, 2.2, 1.6, 2.6, 3.2])
    who = cols[0].text_input("User", key="audit_user", placeholder="e.g. admin").strip() or None
    action = cols[1].selectbox("Action", audit.actions(), index=None, key="audit_action", placeholder="Any action")
    outcome = cols[2].selectbox("Outcome", audit.OUTCOMES, index=None, key="audit_outcome", placeholder="Any")
    words = cols[3].text_input("Text", key="audit_text", placeholder="e.g. sign, model 3, \"role\"",
                               help="Part of the action, target, detail or details (old/new values), any case.")
    days = cols[4].date_input("Between", value=(date.today() - timedelta(days=7), date.today()), key="audit_days")
    since = until = None
    if isinstance(days, tuple) and len(days) == 2:
        since = datetime.combine(days[0], time.min)
        until = datetime.combine(days[1], time.min) + timedelta(days=1)
    return audit.Filters(who, since, until, action, outcome, words.strip() or None)


def results(chosen: audit.Filters, admin: User) -> None:
    """The total, one page of rows (newest first), a row's details and the export of every match."""
    total = audit.count(chosen)
    if not total:
        st.info("No audit rows match.")
        return
    pages = math.ceil(total / PAGE_SIZE)
    page_no = min(int(st.number_input(f"Page (of {pages:,})", min_value=1, value=1, step=1, key="audit_page")), pages)
    first = (page_no - 1) * PAGE_SIZE
    frame = audit.page(**chosen._asdict(), limit=PAGE_SIZE, offset=first)
    st.caption(f"Rows {first + 1:,}–{first + len(frame):,} of {total:,}, newest first.")
    st.dataframe(text.blank_missing(frame[SHOWN]), hide_index=True, key="audit_table", column_config={
        "ts": st.column_config.DatetimeColumn("when", format="YYYY-MM-DD HH:mm:ss"),
        "username": st.column_config.TextColumn("actor"),
        # sized for their longest value, not for the first rows' ("ok" made "denied" read "deni")
        "role": st.column_config.TextColumn("role", width=64),
        "outcome": st.column_config.TextColumn("outcome", width=72),
        "detail": st.column_config.TextColumn("detail", width="large")})
    labels = {int(r.id): f"#{r.id} {r.action} by {r.username or '—'}" for r in frame.itertuples()}
    picked = st.selectbox("Row details", list(labels), index=None, format_func=labels.get, key="audit_row",
                          placeholder="Pick a row to see all of it")
    if picked is not None:
        details(picked)
    export_panel("audit", audit.export_query(chosen), admin.username, key="audit")


def details(row_id: int) -> None:
    """One row in full: its fields, its details JSON pretty-printed, and its place in the chain."""
    row = audit.row(row_id)
    if row is None:
        return
    structured = json.loads(row.pop("details")) if row.get("details") else None
    st.json({k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for k, v in row.items()}, expanded=True)
    if structured is not None:
        st.caption("Details (old and new values of a change):")
        st.json(structured, expanded=True)


def verify(admin: User) -> None:
    """The chain check on demand (about a second per million rows); its result is audited too."""
    noted = st.text_input("Newest hash you noted earlier (optional)", key="audit_known_head",
                          help="Each check prints the newest hash; give the last one you noted to learn whether rows "
                               "after it were removed.")
    if not st.button("Verify the chain", key="audit_verify", icon=":material/verified:",
                     help="Recomputes every row's hash: an edited or deleted row is named."):
        return
    with failures.boundary("audit_verify", admin.username), st.spinner("Checking every row…"):
        report = audit_chain.verify(noted)
    audit.record(admin.username, "audit_verify", "ok" if report.ok else "error", report.message,
                 details={"checked": report.checked, "broken_id": report.broken_id})
    (st.success if report.ok else st.error)(report.message)
