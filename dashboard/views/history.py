"""The History page's filters, its table (thumbnails, blank cells, columns that fit a laptop screen) and
the feedback of a picked row, which its author can give, change or withdraw (see `widgets.given_feedback`)."""
from __future__ import annotations

import base64
from dataclasses import asdict

import pandas as pd
import streamlit as st

from dashboard import text
from dashboard.components import widgets
from data.predictions import SOURCE_LABELS, SOURCES
from data.queries import history
from data.queries.history import Filters
from data.users import User
from ml.governance import policy

COLUMNS = {
    "id": st.column_config.NumberColumn("#", width=44),
    "thumbnail": st.column_config.ImageColumn("image", width=45, help="The picture as the model received it"),
    "ts": st.column_config.DatetimeColumn("when", format="MM-DD HH:mm", width=90),
    "username": st.column_config.TextColumn("user", width="small"),
    "source": st.column_config.TextColumn("from", width="small"),
    "model_id": st.column_config.NumberColumn("model", width=55),
    "digit": st.column_config.NumberColumn("answer", width=55),
    "confidence": text.share_column("confidence"),
    "needs_review": st.column_config.CheckboxColumn("not sure?", width="small"),
    "runner_up": st.column_config.TextColumn("or maybe", width="small"),
    "latency_ms": st.column_config.NumberColumn("ms", format="%.1f", width="small",
                                                help="Preprocessing and model time"),
    "filename": st.column_config.TextColumn("file", help="Pick the row to read the whole file name"),
    "true_digit": st.column_config.TextColumn("real digit", width=66),
    "is_correct": st.column_config.TextColumn("right?", width=55),
}
ORDER = ("id", "thumbnail", "ts", "username", "digit", "confidence", "needs_review", "runner_up", "true_digit",
         "is_correct", "source", "model_id", "filename")  # latency is on the result itself; 12 columns fit 1280 px
# label -> (feedback, corrected) of `Filters`
FEEDBACK_CHOICES = {
    "Any": (None, None),
    "With feedback": (True, None),
    "Without feedback": (False, None),
    "Corrected (the answer was wrong)": (None, True),
    "Confirmed right": (None, False),
}


def filters(user: User, everyone: bool, flagged: bool) -> Filters:
    """The filter widgets, folded away under one expander; a change of filters goes back to page 1."""
    with st.expander("Filters", icon=":material/filter_list:"):
        cols = st.columns(3)
        since = cols[0].date_input("From", value=None, key="history_since")
        until = cols[1].date_input("Until (inclusive)", value=None, key="history_until")
        picked_user = None  # the account list only for those who may see everyone's predictions
        if everyone:
            picked_user = cols[2].selectbox("User", history.users(), index=None, placeholder="Anyone",
                                            key="history_user")
        cols = st.columns(3)
        sources = cols[0].multiselect("Source", SOURCES, key="history_sources", placeholder="Any source",
                                      format_func=SOURCE_LABELS.get)
        models = cols[1].multiselect("Model", history.model_ids(), key="history_models", placeholder="Any model")
        digits = cols[2].multiselect("Answer", list(range(10)), key="history_digits", placeholder="Any digit")
        cols = st.columns(2)
        low, high = cols[0].slider("Confidence (%)", 0, 100, (0, 100), key="history_confidence")
        fb_label = cols[1].selectbox("Feedback", list(FEEDBACK_CHOICES), key="history_feedback")
    feedback, corrected = FEEDBACK_CHOICES[fb_label]
    chosen = Filters(owner=None if everyone else user.username, user=picked_user,
                     since=since, until=until, sources=tuple(sources), model_ids=tuple(models), digits=tuple(digits),
                     min_confidence=low / 100 if low > 0 else None, max_confidence=high / 100 if high < 100 else None,
                     not_sure=True if flagged else None, feedback=feedback, corrected=corrected)
    seen = repr(asdict(chosen))
    if st.session_state.get("history_filters_seen") != seen:
        st.session_state.history_filters_seen = seen
        st.session_state.history_page = 1
    return chosen


def _data_url(png: object) -> str:
    """A stored PNG as a data URL for the image column (only the rows of one page are converted); a
    row without one gets "" (a blank cell: None would be drawn as the word "None")."""
    if not isinstance(png, (bytes, bytearray, memoryview)) or not png:
        return ""
    return "data:image/png;base64," + base64.b64encode(bytes(png)).decode("ascii")


def table(frame: pd.DataFrame, everyone: bool) -> int | None:
    """The page of predictions, the answer and its feedback first (the user column only when it
    shows everyone's), so that it fits 1280 px; the position of the picked row, if any."""
    as_text = {"is_correct": lambda v: "yes" if v else "no", "true_digit": text.plain, "runner_up": text.plain,
               "filename": str, "source": lambda v: SOURCE_LABELS.get(v, str(v))}
    thumbs = frame["image"].map(_data_url) if "image" in frame else None
    shown = text.blank_missing(text.as_percent(frame.drop(columns=["image"], errors="ignore"), "confidence"), as_text)
    if thumbs is not None:
        shown.insert(1, "thumbnail", thumbs)
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
    if row.get("filename"):  # the table's last column is narrow at 1280 px: the whole name is here
        st.caption(f"File: {text.md(row['filename'])}")
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
