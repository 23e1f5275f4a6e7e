"""Whole numbers on Draw and Upload: the wide canvas, the reading with its doubtful digits highlighted
("14?0 — 5 or 3?") and its boxes drawn on the image, and the correction whose digits become feedback
(also under a reading picked on History)."""
from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from dashboard import canvas, failures, text
from ml.governance import policy
from ml.reading.errors import MAX_DIGITS
from ml.reading.service import Stored, apply_correction, read

SURE, DOUBT = (22, 163, 74), (234, 88, 12)


def boxed(stored: Stored) -> Image.Image:
    """The image read, with each digit's box: green when sure, orange when not."""
    source = stored.image
    picture = (source if isinstance(source, Image.Image) else Image.fromarray(np.asarray(source))).convert("RGB")
    draw = ImageDraw.Draw(picture)
    line = max(2, picture.height // 80)
    for d in stored.reading.digits:
        left, top, width, height = d.box
        draw.rectangle((left, top, left + width, top + height), outline=DOUBT if d.not_sure else SURE, width=line)
    return picture


def headline(stored: Stored) -> str:
    """The reading in markdown, each doubtful digit a highlighted "?", then its question."""
    r, k, parts = stored.reading, 0, []
    for ch in r.text:
        if ch.isdigit():
            parts.append(":orange-background[**?**]" if r.digits[k].not_sure else ch)
            k += 1
        else:
            parts.append(text.md(ch) if ch != " " else "\u2002")
    return "".join(parts) + (f" — {r.question}" if r.question else "")


def length_input(key: str) -> int | None:
    value = st.number_input("Digits expected (0: any)", min_value=0, max_value=MAX_DIGITS, value=0, step=1, key=key,
                            help="A meter with 6 digits, a 4-digit code: the reading then has exactly that many.")
    return int(value) or None


def reading_block(stored: Stored, user, *, key: str) -> None:
    r = stored.reading
    st.markdown(f"## {headline(stored)}")
    cols = st.columns(3)
    cols[0].metric("Reading", r.shown)
    cols[1].metric("Confidence", text.share(r.confidence))
    cols[2].metric("Latency", f"{r.latency_ms:.0f} ms")
    if r.doubtful:
        why = ("a digit is below the model's threshold" if any(d.not_sure for d in r.digits)
               else "the ink could also be cut into digits another way")
        st.warning(f"Not sure of this reading: {why}. It is flagged for review.")
    if r.alternatives:
        st.caption("Also possible: " + ", ".join(f"{text.md(t)} ({text.share(s)})" for t, s in r.alternatives))
    st.image(boxed(stored), caption="Digits found (orange: not sure)")
    if stored.reading_id is not None:
        correction_form(stored.reading_id, r.text, user, key=key)
    st.caption(f"Model {stored.model_id} · reading #{stored.reading_id}")


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


def _ask_to_read() -> None:
    st.session_state["number_read_asked"] = True


def draw_number(user) -> None:
    """The wide canvas; Read stores the reading of what is drawn."""
    from streamlit_drawable_canvas import st_canvas  # looked up on each run, as the pages do (tests replace it)
    if "number_generation" not in st.session_state:
        st.session_state.number_generation = 0
    cols = st.columns([1, 1])
    stroke = cols[0].slider("Stroke width", 4, 30, 12, key="number_stroke")
    with cols[1]:
        length = length_input("number_length")
    canvas.free_square()
    drawn = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000", height=220, width=760,
                      drawing_mode="freedraw", return_image_data=True,
                      key=f"number_canvas_{st.session_state.number_generation}")
    buttons = st.columns([1, 1, 4])
    strokes = len((drawn.json_data or {}).get("objects") or [])
    if strokes:  # what the server has received: Read reads exactly this
        buttons[2].caption(f"{strokes} stroke{'s' if strokes != 1 else ''} drawn")
    if buttons[1].button("Clear", key="clear_number", icon=":material/ink_eraser:"):
        st.session_state.number_generation += 1
        st.session_state.pop("number_result", None)
        st.rerun()
    # Read is remembered by its callback: a click that lands while the last stroke's run is still going
    # survives that run being replaced by the canvas's next one (a button's own True lasts one run).
    buttons[0].button("Read", key="read_number", type="primary", icon=":material/pin:", on_click=_ask_to_read)
    if st.session_state.pop("number_read_asked", False):
        if drawn.image_data is None:
            st.info("Write a number first: use the mouse or a finger on the black strip.")
            return
        with failures.boundary("read_draw", user.username):
            st.session_state.number_result = read(drawn.image_data, username=user.username, source="draw",
                                                  length=length)
    stored = st.session_state.get("number_result")
    if stored is None:
        st.info("Write a number on the black strip, then press Read.")
        return
    reading_block(stored, user, key="draw_number")


def upload_number(user, upload) -> None:
    """A number in an uploaded image, read once per file (reruns from the correction do not read again)."""
    length = length_input("upload_length")
    data = upload.getvalue()
    digest = (hashlib.sha256(data).hexdigest(), length)
    cached = st.session_state.get("upload_reading")
    if cached is None or cached[0] != digest:
        with failures.boundary("read_upload", user.username):
            st.session_state.upload_reading = cached = (
                digest, read(data, username=user.username, source="upload", filename=upload.name, length=length))
    reading_block(cached[1], user, key="upload_number")
