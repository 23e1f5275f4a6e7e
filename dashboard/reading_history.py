"""History of whole-number readings: newest first, "has a doubtful digit" as a filter, the digits
(with their confidence, "not sure" mark and box) of a picked reading beside its image, and the
correction of its string (each digit's crop then becomes feedback training data)."""
from __future__ import annotations

import io

import streamlit as st
from PIL import Image, ImageDraw

from dashboard import text
from dashboard.number_views import correction_form
from data import readings

PAGE_SIZE = 50
SURE, DOUBT = (22, 163, 74), (234, 88, 12)
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
DIGIT_COLUMNS = {
    "position": st.column_config.NumberColumn("#", width=40),
    "digit": st.column_config.NumberColumn("digit", width=50),
    "confidence": text.share_column("confidence"),
    "not_sure": st.column_config.CheckboxColumn("not sure?", width=70),
    "runner_up": st.column_config.NumberColumn("or maybe", width=70),
    "prediction_id": st.column_config.NumberColumn("prediction", width=80),
}


def _boxed(image: bytes, digits, size: tuple[int | None, int | None]) -> Image.Image:
    """The stored picture with each digit's box; the boxes are in the pixels of the image read
    (`size`), which the stored picture may have been reduced from."""
    picture = Image.open(io.BytesIO(image)).convert("RGB")
    width, height = size
    sx, sy = (picture.width / width, picture.height / height) if width and height else (1.0, 1.0)
    draw = ImageDraw.Draw(picture)
    for d in digits.itertuples():
        draw.rectangle((d.box_left * sx, d.box_top * sy, (d.box_left + d.box_width) * sx,
                        (d.box_top + d.box_height) * sy),
                       outline=DOUBT if d.not_sure else SURE, width=max(2, picture.height // 80))
    return picture


def detail(reading_id: int, user) -> None:
    """A reading's picture with its boxes, its digits, any correction, and the correction form."""
    digits = readings.digits(reading_id)
    stored = readings.get(reading_id)
    if stored is None:
        return
    left, right = st.columns(2)
    if stored["image"]:
        left.image(_boxed(stored["image"], digits, (stored["width"], stored["height"])),
                   caption=f"Reading #{reading_id}: {text.md(stored['text'])}")
    right.dataframe(text.as_percent(digits, "confidence"), hide_index=True, key=f"reading_digits_{reading_id}",
                    column_config=DIGIT_COLUMNS, column_order=list(DIGIT_COLUMNS))
    if stored["corrected_text"]:
        right.caption(f"Corrected to {text.md(stored['corrected_text'])} by {text.md(stored['corrected_by'])}.")
    with right:
        correction_form(reading_id, stored["corrected_text"] or stored["text"], user, key=f"history_reading_{reading_id}")


def show(user, everyone: bool) -> None:
    doubtful = st.toggle("Only readings with a doubtful digit", key="history_doubtful",
                         help="A digit below the model's threshold, or another way of cutting the ink into digits "
                              "nearly as likely: a correction settles it and its digits become training data.")
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
