"""History of whole-number readings: newest first, "has a doubtful digit" as a filter, the digits
(with their confidence, "not sure" mark and box) of a picked reading beside its image, and the
correction of its string (each digit's crop then becomes feedback training data)."""
from __future__ import annotations

import streamlit as st

from dashboard import text
from dashboard.components.readings import detail
from data import readings

PAGE_SIZE = 50
TABLE_COLUMNS = {
    "id": st.column_config.NumberColumn("reading", width=60),
    "ts": st.column_config.DatetimeColumn("when", format="YYYY-MM-DD HH:mm:ss"),
    "model_id": st.column_config.NumberColumn("model", width=55),
    "text": st.column_config.TextColumn("number"),
    "confidence": text.share_column("confidence"),
    "doubtful": st.column_config.CheckboxColumn("doubtful?", width=75),
    "expected_length": st.column_config.TextColumn("length asked", width=90),
    "corrected_text": st.column_config.TextColumn("corrected to"),
    "latency_ms": st.column_config.NumberColumn("ms", format="%.0f", width=55),
}


def show(user, everyone: bool) -> None:
    doubtful = st.toggle("Only readings with a doubtful digit", key="history_doubtful",
                         help="A digit the model is not sure of (a digit of a number must be surer than one alone), "
                              "or a reading with another number of digits nearly as likely: a correction settles it "
                              "and its digits become training data.")
    owner = None if everyone else user.username
    total = readings.count(username=owner, doubtful=doubtful)
    pages = max(1, -(-total // PAGE_SIZE))
    page_no = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="readings_page")
    frame = readings.page(username=owner, doubtful=doubtful, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    if frame.empty:
        st.info("No doubtful readings here." if doubtful else "No readings here yet: read a number on Draw or Upload.")
        return
    shown = text.blank_missing(text.as_percent(frame.drop(columns=[] if everyone else ["username"]), "confidence"),
                               {"expected_length": text.plain})
    picked = st.dataframe(shown, key="readings_table", on_select="rerun", selection_mode="single-row",
                          hide_index=True, column_config=TABLE_COLUMNS)
    st.caption(f"{total:,} reading(s), newest first. Pick one to see its digits.")
    rows = picked.selection.rows if picked is not None else []
    if not rows:
        return
    detail(int(frame.iloc[rows[0]]["id"]), user)
