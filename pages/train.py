"""Train: pick a family and a dataset, start a background job, watch its progress."""
import streamlit as st

from dashboard import auth, failures
from dashboard.components import job_list
from dashboard.views import train as train_form
from ml.jobs import engine as jobs

user = auth.require("train")
st.title("Train a model")
st.caption("Training runs in the background: you can change page or refresh, the job keeps going.")

request = train_form.render(user)
if request is not None:
    with failures.boundary("job_train", user.username, stop=False):  # a refused request: its sentence, form stays
        job_id = jobs.submit(request)
        st.toast(f"Training job #{job_id} started.")

job_list.render(user, kind="train", heading="Training jobs")
