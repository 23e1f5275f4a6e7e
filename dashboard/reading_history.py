"""History of whole-number readings: newest first, "has a doubtful digit" as a filter, and the digits
(with their confidence, "not sure" mark and box) of a picked reading beside its image."""
from __future__ import annotations

import io

import streamlit as st
from PIL import Image, ImageDraw

from dashboard import text
from data import readings

PAGE_SIZE = 50
SURE, DOUBT = (22, 163, 74), (234, 88, 12)


def _boxed(image: bytes, digits) -> Image.Image:
    picture = Image.open(io.BytesIO(image)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for d in digits.itertuples():
        draw.rectangle((d.box_left, d.box_top, d.box_left + d.box_width, d.box_top + d.box_height),
                       outline=DOUBT if d.not_sure else SURE, width=max(2, picture.height // 80))
    return picture


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
    shown = frame.drop(columns=[] if everyone else ["username"])
    picked = st.dataframe(shown, key="readings_table", on_select="rerun", selection_mode="single-row",
                          hide_index=True)
    st.caption(f"{total:,} reading(s), newest first. Pick one to see its digits.")
    rows = picked.selection.rows if picked is not None else []
    if not rows:
        return
    reading_id = int(frame.iloc[rows[0]]["id"])
    digits = readings.digits(reading_id)
    left, right = st.columns([3, 2])
    stored = readings.get(reading_id)
    if stored and stored["image"]:
        left.image(_boxed(stored["image"], digits), caption=f"Reading #{reading_id}: {text.md(stored['text'])}")
    right.dataframe(digits[["position", "digit", "confidence", "not_sure", "runner_up", "prediction_id"]],
                    hide_index=True, key="reading_digits")
