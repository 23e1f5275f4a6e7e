"""A batch of numbers on the Batch page: whole-string and digit accuracy of its labelled readings (overall,
by length, among those not doubtful), the commonest misreadings, and the readings themselves, filterable
and exportable; a picked reading shows its digits on its picture and takes a correction."""
from __future__ import annotations

import base64

import pandas as pd
import streamlit as st

from dashboard import text
from dashboard.components.export_panel import export_panel
from dashboard.components.readings import detail
from data import batches
from data.users import User

PAGE_SIZE = 50
COLUMNS = {
    "picture": st.column_config.ImageColumn("image", width="small"),
    "item": st.column_config.NumberColumn("#", width=50),
    "file": st.column_config.TextColumn("file"),
    "number": st.column_config.TextColumn("number", width="small"),
    "confidence": text.share_column("confidence"),
    "doubtful": st.column_config.CheckboxColumn("doubtful?", width="small",
                                                help="A digit below the model's threshold, or another cutting "
                                                     "into digits nearly as likely"),
    "label": st.column_config.TextColumn("label", width="small", help="The number its name or the labels CSV gives"),
    "right": st.column_config.TextColumn("right?", width="small", help="Its digits are the label's"),
}


def _picture(png) -> str | None:
    return None if png is None else "data:image/png;base64," + base64.b64encode(bytes(png)).decode()


def report(result: dict) -> None:
    """The labelled figures of a batch of numbers (or why there are none)."""
    if not result.get("labelled"):
        st.info("No image of this batch was labelled: switch on Labelled (the number is the file name, 1450.png or "
                "meter_1450.png) or add a labels CSV of file,label lines.")
        return
    cols = st.columns(3)
    cols[0].metric("Numbers right", text.share(result["accuracy"]),
                   help=f"Whole strings whose digits are all right, of {result['labelled']:,} labelled")
    cols[1].metric("Digits right", text.share(result["digit_accuracy"]),
                   help="1 − (digits misread, lost or added) ÷ the labels' digits")
    answered = result["accuracy_answered"]
    cols[2].metric("Right when not doubtful", text.share(answered) if answered is not None else "—",
                   help=f"Among the {result['answered']:,} readings not flagged doubtful "
                        f"({text.share(result['answered_share'])} of the labelled ones)")
    left, right = st.columns(2)
    by_length = pd.DataFrame(result["by_length"])
    left.markdown("**By length** (digits in the label)")
    left.dataframe(text.as_percent(by_length, "accuracy", "digit_accuracy"), hide_index=True,
                   key="batch_number_lengths",
                   column_config={"accuracy": text.share_column("numbers right"),
                                  "digit_accuracy": text.share_column("digits right")})
    right.markdown("**Commonest misreadings**")
    misreads = pd.DataFrame(result["misreads"], columns=["label", "read", "count"])
    if misreads.empty:
        right.caption("None: every labelled number was read right.")
    else:
        right.dataframe(misreads, hide_index=True, key="batch_number_misreads")


def results(batch_id: int, user: User) -> None:
    """The readings, filtered and paged with their pictures; a picked one opens below."""
    cols = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    top = cols[0].slider("Confidence at most", 0, 100, 100, 5, format="%d%%", key="batch_max_conf",
                         help="Lower it to review the readings least sure of their cutting and digits.") / 100
    doubtful = cols[1].toggle("Only doubtful", key="batch_doubtful")
    wrong = cols[2].toggle("Only wrong", key="batch_wrong", help="Labelled readings whose digits differ from the label")
    page_no = cols[3].number_input("Page", min_value=1, value=1, step=1, key="batch_page")
    query = batches.number_results_query(batch_id, max_confidence=top, only_doubtful=doubtful, only_wrong=wrong)
    frame = batches.number_results_page(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    if frame.empty:
        st.info("No readings match these filters." if page_no == 1 else "No more readings: go back a page.")
    else:
        frame["picture"] = frame.pop("image").map(_picture)
        shown = text.blank_missing(text.as_percent(frame, "confidence"),
                                   {"label": text.plain, "right": lambda v: "yes" if v else "no"})
        picked = st.dataframe(shown, hide_index=True, key="batch_results", column_config=COLUMNS,
                              column_order=list(COLUMNS), on_select="rerun", selection_mode="single-row",
                              width="stretch")
        rows = picked.selection.rows if picked and picked.selection else []
        if rows:
            row = frame.iloc[rows[0]]
            st.markdown(f"**{text.md(row['file'])}**: read {text.md(row['number'])}"
                        + (f" (labelled {text.md(row['label'])})" if isinstance(row["label"], str) else ""))
            detail(int(row["reading_id"]), user)
    export_panel(f"batch-{batch_id}-results", query, user.username, key="batch_results_export")
