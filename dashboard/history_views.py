"""The History page's table (blank cells, columns that fit a laptop screen) and the feedback of a
picked row, which its author can give, change or withdraw (see `widgets.given_feedback`)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import text, widgets
from data.users import User
from ml import policy

COLUMNS = {
    "id": st.column_config.NumberColumn("#", width=50),
    "ts": st.column_config.DatetimeColumn("when", format="MM-DD HH:mm", width=95),
    "username": st.column_config.TextColumn("user", width="small"),
    "source": st.column_config.TextColumn("from", width="small"),
    "model_id": st.column_config.NumberColumn("model", width=55),
    "digit": st.column_config.NumberColumn("answer", width=60),
    "confidence": text.share_column("confidence"),
    "needs_review": st.column_config.CheckboxColumn("not sure?", width="small"),
    "runner_up": st.column_config.TextColumn("or maybe", width="small"),
    "latency_ms": st.column_config.NumberColumn("ms", format="%.1f", width="small",
                                                help="Preprocessing and model time"),
    "filename": st.column_config.TextColumn("file"),
    "true_digit": st.column_config.TextColumn("real digit", width=70),
    "is_correct": st.column_config.TextColumn("right?", width=55),
}


ORDER = ("id", "ts", "username", "digit", "confidence", "needs_review", "runner_up", "true_digit", "is_correct",
         "source", "model_id", "filename")  # latency is on the result itself; 11 columns fit 1280 px


def table(frame: pd.DataFrame, everyone: bool) -> int | None:
    """The page of predictions, the answer and its feedback first (the user column only when it
    shows everyone's), so that it fits 1280 px; the position of the picked row, if any."""
    as_text = {"is_correct": lambda v: "yes" if v else "no", "true_digit": text.plain, "runner_up": text.plain,
               "filename": str}
    shown = text.blank_missing(text.as_percent(frame, "confidence"), as_text)
    order = [c for c in ORDER if c != ("source" if everyone else "username")]
    picked = st.dataframe(shown, hide_index=True, key="history_table", column_config=COLUMNS, column_order=order,
                          on_select="rerun", selection_mode="single-row", width="stretch")
    rows = picked.selection.rows if picked and picked.selection else []
    return rows[0] if rows else None


def feedback_for_row(row: pd.Series, user: User) -> None:
    """Feedback on one prediction: the author's own can be changed or withdrawn, and a prediction
    without theirs can get it (a viewer's rows are read only)."""
    pid, predicted = int(row["id"]), int(row["digit"])
    st.subheader(f"Prediction #{pid}: answered {predicted}")
    if not policy.can(user.role, "feedback"):
        st.caption("Viewers cannot send feedback that trains models.")
        return
    if widgets.given_feedback(pid, predicted, user):
        return
    cols = st.columns([2, 1, 3])
    digit = cols[0].selectbox("The real digit", list(range(10)), index=None, placeholder="Pick the real digit",
                              key=f"history_digit_{pid}", label_visibility="collapsed")
    if cols[1].button("Save", key=f"history_save_{pid}", disabled=digit is None):
        widgets.save_feedback(pid, user, int(digit))
