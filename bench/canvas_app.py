"""The Draw floor: a bare Streamlit app with one canvas that shows a number computed from the drawing,
timed exactly like Digit Lab's Draw page (mouse-up -> the answer on screen)."""
import streamlit as st
from streamlit_drawable_canvas import st_canvas

if "generation" not in st.session_state:
    st.session_state.generation = 0
canvas = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
                   drawing_mode="freedraw", return_image_data=True, key=f"canvas_{st.session_state.generation}")
if st.button("Clear"):
    st.session_state.generation += 1
    st.rerun()
image = canvas.image_data
if image is None or int(image[..., 0].max()) == 0:
    st.write("Draw a digit first")
else:
    st.metric("Predicted digit", int(image[..., 0].astype(bool).sum()) % 10)
