"""Draw: a digit on the canvas, its prediction on every stroke, one stored row per drawing, and feedback;
or a whole number on a wide canvas (dashboard.views.numbers)."""
import hashlib
import json

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from dashboard import auth, failures
from dashboard.components import canvas, widgets
from dashboard.views import numbers as number_views
from ml.prediction.predict import Predictor, predict_drawing

user = auth.require("draw")
if "canvas_generation" not in st.session_state:
    st.session_state.canvas_generation = 0

st.title("Draw a digit")
widgets.wait_for_first_model()
with failures.boundary("predict_draw", user.username):  # no model to answer with: say so before any drawing
    predictor = Predictor(user.username, source="draw")
if st.segmented_control("Write", ["One digit", "A number"], default="One digit", key="draw_mode") == "A number":
    number_views.draw_number(user)
    st.stop()
left, right = st.columns([2, 3])
with left:
    stroke = st.slider("Stroke width", 8, 40, 20, key="stroke_width")
    canvas.free_square()
    drawn = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                      height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                      key=f"canvas_{st.session_state.canvas_generation}")
    if st.button("Clear", key="clear_canvas", icon=":material/ink_eraser:"):
        st.session_state.canvas_generation += 1
        st.session_state.pop("draw_result", None)
        st.rerun()

with right:
    png = drawn.image_bytes
    digest = hashlib.sha256(png).hexdigest() if png else None
    cached = st.session_state.get("draw_result")  # (canvas digest, drawing, its latest prediction)
    if digest is not None and (cached is None or cached[0] != digest):  # other widgets' reruns do not predict
        # A drawing is the canvas generation and its first stroke: the same first stroke means more
        # strokes (or an undo) on the same drawing, which keeps its row; anything else starts a new row.
        strokes = (drawn.json_data or {}).get("objects") or [None]
        drawing = (st.session_state.canvas_generation, json.dumps(strokes[0], sort_keys=True))
        earlier = cached[2] if cached is not None and cached[1] == drawing else None
        with failures.boundary("predict_draw", user.username):
            result = predict_drawing(drawn.image_data, username=user.username, original_png=png,
                                     drawing_id=earlier.prediction_id if earlier else None, predictor=predictor)
        st.session_state.draw_result = cached = (digest, drawing, result)
    if digest is None or cached[2] is None:
        st.info("Draw a digit first: use the mouse or a finger on the black square.")
        st.stop()
    widgets.result_block(cached[2], user)
