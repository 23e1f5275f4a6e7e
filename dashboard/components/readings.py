"""Pieces of a whole-number reading that several views place: the expected-length input, the correction
form (each corrected digit's crop becomes feedback training data) and a stored reading's detail (its
picture with the digits' boxes, its digits, any correction)."""
from __future__ import annotations

import io

import streamlit as st
from PIL import Image, ImageDraw

from dashboard import failures, text
from data import readings
from ml.governance import policy
from ml.reading.errors import MAX_DIGITS
from ml.reading.service import apply_correction

SURE, DOUBT = (22, 163, 74), (234, 88, 12)
DIGIT_COLUMNS = {
    "position": st.column_config.NumberColumn("#", width=40),
    "digit": st.column_config.NumberColumn("digit", width=50),
    "confidence": text.share_column("confidence"),
    "not_sure": st.column_config.CheckboxColumn("not sure?", width=70),
    "runner_up": st.column_config.NumberColumn("or maybe", width=70),
    "prediction_id": st.column_config.NumberColumn("prediction", width=80),
}


def length_input(key: str) -> int | None:
    value = st.number_input("Digits expected (0: any)", min_value=0, max_value=MAX_DIGITS, value=0, step=1, key=key,
                            help="A meter with 6 digits, a 4-digit code: the reading then has exactly that many.")
    return int(value) or None


def correction_form(reading_id: int, text_now: str, user, *, key: str) -> None:
    """What the number really says: each digit's crop becomes feedback training data (a viewer may not)."""
    if not policy.can(user.role, "feedback"):
        return
    with st.form(f"{key}_correct"):
        fixed = st.text_input("What does it really say?", value=text_now, key=f"{key}_text")
        if st.form_submit_button("Save the correct number"):
            with failures.boundary("correct_reading", user.username, stop=False):
                done = apply_correction(reading_id, username=user.username, text=fixed)
                # the untrained sentence quotes what was typed
                st.success(done.sentence) if done.trained else st.warning(text.md(done.sentence))


def stored_boxed(image: bytes, digits, size: tuple[int | None, int | None]) -> Image.Image:
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
        left.image(stored_boxed(stored["image"], digits, (stored["width"], stored["height"])),
                   caption=f"Reading #{reading_id}: {text.md(stored['text'])}")
    right.dataframe(text.as_percent(digits, "confidence"), hide_index=True, key=f"reading_digits_{reading_id}",
                    column_config=DIGIT_COLUMNS, column_order=list(DIGIT_COLUMNS))
    if stored["corrected_text"]:
        right.caption(f"Corrected to {text.md(stored['corrected_text'])} by {text.md(stored['corrected_by'])}.")
    with right:
        correction_form(reading_id, stored["corrected_text"] or stored["text"], user, key=f"history_reading_{reading_id}")
