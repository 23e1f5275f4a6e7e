"""Upload: one image file, its prediction, and feedback. The file is decoded once: the thumbnail
stored with the prediction is also the preview shown here (TIFF/BMP do not display everywhere)."""
import hashlib
import math

import streamlit as st

from dashboard import auth, failures, tab_answers, text
from dashboard.components import widgets
from dashboard.views import numbers as number_views
from ml.governance.batch_limits import image_bytes
from ml.prediction.predict import predict_bytes

user = auth.require("upload")
st.title("Upload an image")
widgets.wait_for_first_model()
number = st.segmented_control("The image holds", ["One digit", "A number"], default="One digit",
                              key="upload_kind") == "A number"
st.caption(("A number of up to 12 digits on one line" if number else "One digit")
           + ", dark ink on light paper or light on dark, any size.")
limit_mb = math.ceil(image_bytes() / (1024 * 1024))  # Settings' "Bytes per image", as on Batch
upload = st.file_uploader("Image of a number" if number else "Image of one digit", key="upload_file", max_upload_size=limit_mb,
                          type=["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp"])  # the widget states the limit
answers = tab_answers.ledger()  # taken before the work: see dashboard/tab_answers.py
if upload is None:
    tab_answers.show_earlier(answers, None)
    st.stop()
if number:
    number_views.upload_number(user, upload, answers)
    st.stop()

data = upload.getvalue()
digest = hashlib.sha256(data).hexdigest()
noted = answers.answer("digit", digest)  # reruns from the feedback widgets must not predict again
if noted is None:
    with failures.boundary("predict_upload", user.username), answers.refusals(upload.name):
        result = predict_bytes(data, filename=upload.name, username=user.username, source="upload")
        noted = answers.prediction("digit", digest, upload.name, result)
result = noted.value

left, right = st.columns([1, 3])
left.image(result.image, caption=text.md(upload.name), width=200)
with right:
    widgets.result_block(result, user)
tab_answers.show_earlier(answers, noted)
