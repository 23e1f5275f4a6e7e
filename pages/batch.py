"""Batch: many images and zips predicted (or read as whole numbers) in the background with one model
version; live progress, cancel, resume after a restart; past batches with their results, errors and exports."""
import streamlit as st

from dashboard import auth, failures
from dashboard.components import widgets
from dashboard.views import batch as batch_views
from dashboard.views import batch_results

user = auth.require("batch")
st.title("Batch predictions")
widgets.wait_for_first_model()
st.caption("The batch runs in the background: leave the page or refresh, it goes on. Every image becomes a "
           "prediction (a number: a reading of one prediction per digit) with its job id; refused files are listed "
           "with their reason and the rest go on.")
batch_views.upload_form(user)
batch_views.live(user)
st.subheader("Batches")
job_id = batch_views.jobs_table(user)
if job_id is not None:
    with failures.boundary("batch_results", user.username):
        batch_results.show(job_id, user)
