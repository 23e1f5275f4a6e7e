"""The admin's Jobs page: every job of every user, filtered and paged in SQL, live while any runs.

The table refreshes itself (a fragment re-run every two seconds) only while a job is queued or
running; when the last one ends, the page re-runs once and stops polling.
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import failures, text
from dashboard.components.job_list import CANCEL_NOTE
from data import jobs as job_rows
from data.users import User
from ml.composition import KINDS
from ml.jobs import engine as jobs

PAGE_SIZE = 50
REFRESH_S = 2.0
_LIVE = "jobs_live"  # whether the last run saw a job queued or running
_FLASH = "jobs_cancelled"  # (job id, what was done), shown until that job has ended


def filters() -> tuple[str | None, str | None, str | None]:
    """Kind, status and owner pickers (empty: any)."""
    cols = st.columns(3)
    kinds = sorted({*KINDS, *job_rows.kinds_seen()})
    kind = cols[0].selectbox("Kind", kinds, index=None, key="jobs_kind", placeholder="Any kind")
    status = cols[1].selectbox("Status", job_rows.STATUSES, index=None, key="jobs_status", placeholder="Any status")
    owner = cols[2].selectbox("Owner", job_rows.owners(), index=None, key="jobs_owner", placeholder="Anyone")
    return kind, status, owner


def _steps(row) -> str:
    if pd.isna(row.total):  # no step counts reported
        return ""
    done = 0 if pd.isna(row.done) else int(row.done)
    rate = "" if pd.isna(row.rate) or not row.rate else f" · {row.rate:,.1f}/s"
    return f"{done:,}/{int(row.total):,}{rate}"


def _duration(seconds) -> str:
    if pd.isna(seconds):  # it never started
        return ""
    return f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.1f} min"


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns a person reads: progress as a bar, steps as done/total and rate, duration in s or min."""
    stopping = frame["status"].isin(["queued", "running"]) & frame["cancel_requested"].astype(bool)
    out = pd.DataFrame({
        "job": frame["id"], "kind": frame["kind"], "title": frame["title"],
        "status": frame["status"].where(~stopping, "cancelling"),
        "owner": frame["owner"], "progress": frame["progress"],
        "steps": [_steps(r) for r in frame.itertuples()],
        "started": frame["started_at"], "finished": frame["finished_at"],
        "duration": [_duration(s) for s in frame["duration_s"]], "message": frame["message"]})
    return text.blank_missing(out, {"started": text.when, "finished": text.when})


def _cancel(frame: pd.DataFrame, admin: User) -> None:
    live = frame[frame["status"].isin(["queued", "running"]) & ~frame["cancel_requested"].astype(bool)]
    if live.empty:
        return
    labels = {int(r.id): f"#{r.id} · {r.kind} · {r.owner} · {r.status}" for r in live.itertuples()}
    cols = st.columns([3, 1], vertical_alignment="bottom")
    pick = cols[0].selectbox("Cancel a job", list(labels), format_func=labels.get, key="jobs_cancel_pick")
    if cols[1].button("Cancel job", key="jobs_cancel", icon=":material/stop:", disabled=pick is None):
        with failures.boundary("cancel_job", admin.username):
            jobs.cancel(int(pick), by=admin.username)
        st.session_state[_FLASH] = (int(pick), f"Cancelling job #{pick}: {CANCEL_NOTE}.")
        st.rerun()  # the table shows it as cancelling, and it leaves the picker


def _table(admin: User, kind: str | None, status: str | None, owner: str | None, page_no: int) -> None:
    active = job_rows.active_count()
    if st.session_state.get(_LIVE) and not active:
        st.session_state[_LIVE] = False
        st.rerun()  # the last job ended: re-run the page once, which stops the polling
    total = job_rows.admin_count(kind=kind, status=status, owner=owner)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page_no = min(page_no, pages)
    frame = job_rows.admin_page(kind=kind, status=status, owner=owner, limit=PAGE_SIZE,
                                 offset=(page_no - 1) * PAGE_SIZE)
    if (said := st.session_state.get(_FLASH)) is not None:
        if (job := job_rows.get(said[0])) is not None and job.status in ("queued", "running"):
            st.success(said[1])
        else:
            del st.session_state[_FLASH]
    matches = "job matches" if total == 1 else "jobs match"
    st.caption(f"{total:,} {matches} · page {page_no} of {pages} · {active:,} queued or running"
               + (f" · refreshed every {REFRESH_S:.0f} s" if active else ""))
    if frame.empty:
        st.info("No jobs match.")
        return
    st.dataframe(shown(frame), hide_index=True, key="jobs_table", column_config={
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0, format="percent"),
        "message": st.column_config.TextColumn("message", width="large")})
    _cancel(frame, admin)


def live_table(admin: User, kind: str | None, status: str | None, owner: str | None, page_no: int) -> None:
    """The table (and the cancel control) in a fragment that re-runs itself while any job is active."""
    active = job_rows.active_count() > 0
    st.session_state[_LIVE] = active
    st.fragment(_table, run_every=REFRESH_S if active else None)(admin, kind, status, owner, page_no)
