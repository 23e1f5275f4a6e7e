"""Upload: one image file, its prediction, and feedback."""
import hashlib

import streamlit as st

from dashboard import auth, widgets
from ml.images import ImageError, MAX_UPLOAD_BYTES, image_to_png_thumbnail, load_image
from ml.predict import predict_bytes

user = auth.require("upload")
st.title("Upload an image")
st.caption(f"PNG, JPEG, BMP, GIF, TIFF or WebP up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: "
           "dark ink on light paper or light on dark, any size.")
upload = st.file_uploader("Image of one digit", key="upload_file",
                          type=["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp"])
if upload is None:
    st.stop()

data = upload.getvalue()
digest = hashlib.sha256(data).hexdigest()
cached = st.session_state.get("upload_result")
if cached is None or cached[0] != digest:
    try:
        result = predict_bytes(data, filename=upload.name, username=user.username, source="upload")
    except ImageError as exc:
        st.session_state.upload_result = (digest, None, str(exc), None)
    else:  # a browser-safe preview (TIFF/BMP do not display everywhere)
        st.session_state.upload_result = (digest, result, None, image_to_png_thumbnail(load_image(data)))
_, result, error, preview = st.session_state.upload_result
if error:
    st.error(f"Could not read {upload.name}: {error}")
    st.stop()

left, right = st.columns([1, 3])
left.image(preview, caption=upload.name, width=200)
with right:
    widgets.result_block(result)
    widgets.feedback_block(result, user)
