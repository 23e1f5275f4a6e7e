"""Whole numbers on Draw and Upload: the wide canvas, the reading with its doubtful digits highlighted
("14?0 — 5 or 3?") and its boxes drawn on the image, and the correction whose digits become feedback
(also under a reading picked on History)."""
from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from dashboard import failures, tab_answers, text
from dashboard.components import canvas
from dashboard.components.readings import DOUBT, SURE, correction_form, length_input
from ml.reading.service import Stored, read


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


def reading_block(stored: Stored, user, *, key: str) -> None:
    r = stored.reading
    st.markdown(f"## {headline(stored)}")
    cols = st.columns(3)
    cols[0].metric("Reading", r.shown)
    cols[1].metric("Confidence", text.share(r.confidence))
    cols[2].metric("Latency", f"{r.latency_ms:.0f} ms")
    if r.doubtful:
        why = ("a digit is below the model's threshold" if any(d.not_sure for d in r.digits)
               else "a slash in it could also be a 1" if r.slash_doubt
               else "the ink could also be cut into digits another way")
        st.warning(f"Not sure of this reading: {why}. It is flagged for review.")
    if r.alternatives:
        st.caption("Also possible: " + ", ".join(f"{text.md(t)} ({text.share(s)})" for t, s in r.alternatives))
    st.image(boxed(stored), caption="Digits found (orange: not sure)")
    if stored.reading_id is not None:
        correction_form(stored.reading_id, r.text, user, key=key)
    st.caption(f"Model {stored.model_id} · reading #{stored.reading_id}")


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


def upload_number(user, upload, answers: tab_answers.Ledger) -> None:
    """A number in an uploaded image, read once per file (reruns from the correction do not read again)."""
    length = length_input("upload_length")
    data = upload.getvalue()
    digest = (hashlib.sha256(data).hexdigest(), length)
    noted = answers.answer("number", digest)
    if noted is None:
        with failures.boundary("read_upload", user.username), answers.refusals(upload.name):
            stored = read(data, username=user.username, source="upload", filename=upload.name, length=length)
            noted = answers.reading("number", digest, upload.name, stored)
    reading_block(noted.value, user, key="upload_number")
    tab_answers.show_earlier(answers, noted)
