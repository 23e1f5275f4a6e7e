"""A live list of background jobs: one query a second for all its rows (title, progress, elapsed)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import failures
from dashboard.text import md
from data.users import User
from ml.jobs import engine as jobs

CANCEL_NOTE = ("forests, boosting and the MLP stop within a step; SVC, k-NN and logistic regression at the end "
               "of their fit")


def _elapsed(seconds, status: str) -> str:
    if seconds is None or seconds != seconds:  # NaN: it never started
        return "waiting" if status == "queued" else "never started"
    return f"{seconds:.0f} s"


def _progress_text(row) -> str:
    text = md(row.message or row.stage)
    if row.rate == row.rate and row.rate and row.total == row.total and row.total:  # NaN-safe
        left = (row.total - row.done) / row.rate
        text += f" · {row.rate:,.1f}/s, ~{left:.0f} s left"
    return text


def _row(row, user: User) -> None:
    # title, user and message may quote a SPEC or file name someone typed: shown as text, never as Markdown
    title = f"#{row.id} · {md(row.title or row.kind)} · {md(row.created_by)} · {_elapsed(row.elapsed_s, row.status)}"
    with st.container(border=True):
        if row.status in ("queued", "running"):
            st.progress(float(row.progress), text=f"{title} — {_progress_text(row)}")
            if st.button("Cancel", key=f"cancel_{row.id}", icon=":material/stop:"):
                with failures.boundary("cancel_job", user.username, stop=False):
                    jobs.cancel(int(row.id), by=user.username)
                    st.toast(f"Cancelling job #{row.id} ({CANCEL_NOTE}).")
        elif row.status == "succeeded":
            st.success(f"{title} — {md(row.message)}")
        elif row.status == "failed":
            st.error(f"{title} — failed: {md(row.message)}")
        else:
            st.warning(f"{title} — {row.status}: {md(row.message)}")


@st.fragment(run_every=1.0)
def render(user: User, *, kind: str | tuple[str, ...], heading: str, limit: int = 8) -> None:
    """The latest `limit` jobs of a kind (or of several), refreshed every second while the page is open."""
    st.subheader(heading)
    kinds = (kind,) if isinstance(kind, str) else kind
    frames = [jobs.recent(kind=k, limit=limit) for k in kinds]
    frame = frames[0]
    if any(not f.empty for f in frames[1:]):  # e.g. studies' runs and the trials trained from them, newest first
        frame = pd.concat([f for f in frames if not f.empty], ignore_index=True)
        frame = frame.sort_values("id", ascending=False).head(limit)
    if frame.empty:
        st.info(f"No {heading.lower()} yet.")
        return
    for row in frame.itertuples():
        _row(row, user)
