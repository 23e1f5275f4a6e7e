"""Draw: a digit on the canvas, its prediction, and feedback."""
import hashlib

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from dashboard import auth, widgets
from ml.images import ImageError
from ml.predict import predict_image
from ml.preprocess import ink_map, is_blank

user = auth.require("draw")
if "canvas_generation" not in st.session_state:
    st.session_state.canvas_generation = 0

st.title("Draw a digit")
left, right = st.columns([2, 3])
with left:
    stroke = st.slider("Stroke width", 8, 40, 20, key="stroke_width")
    canvas = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                       height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                       key=f"canvas_{st.session_state.canvas_generation}")
    if st.button("Clear", key="clear_canvas", icon=":material/ink_eraser:"):
        st.session_state.canvas_generation += 1
        st.session_state.pop("draw_result", None)
        st.rerun()

with right:
    image = canvas.image_data
    if image is None or is_blank(ink_map(image)):
        st.info("Draw a digit first: use the mouse or a finger on the black square.")
        st.stop()
    digest = hashlib.sha256(image.tobytes()).hexdigest()
    cached = st.session_state.get("draw_result")
    if cached is None or cached[0] != digest:  # reruns from other widgets must not predict again
        try:
            result = predict_image(image, username=user.username, source="draw", original_png=canvas.image_bytes)
        except ImageError as exc:
            st.warning(str(exc))
            st.stop()
        st.session_state.draw_result = (digest, result)
    result = st.session_state.draw_result[1]
    widgets.result_block(result)
    widgets.feedback_block(result, user)
