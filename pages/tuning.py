"""Tuning: set up an Optuna study, watch it run, stop or resume it, compare trials, train a trial."""
import streamlit as st

from dashboard import auth, failures
from dashboard.components import job_list
from dashboard.views import tuning as tuning_views
from data import studies
from ml.jobs import engine as jobs

user = auth.require("tuning")
st.title("Tune hyperparameters")
st.caption("A study runs in the background: trials are scored on the validation share (or CV folds), never on "
           "the test split; every trial is kept in the database as it finishes.")

with st.expander("New study", expanded=studies.listing(1).empty, icon=":material/add:"):  # open on a first visit
    request = tuning_views.setup_form(user)
with st.expander("Import from another Optuna storage", icon=":material/download:"):
    tuning_views.import_form(user)
# A fixed slot: the study view below keeps its place (and its live refresh) whether or not a new study waits
with st.container():
    if request is not None:
        with failures.boundary("job_tune", user.username, stop=False):  # a bad space or SPEC: its sentence
            job_id = jobs.submit(request)
            st.session_state["tune_pending_job"] = job_id
            st.toast(f"Study started (job #{job_id}).")
    if pending := st.session_state.get("tune_pending_job"):
        tuning_views.await_study(pending)

tuning_views.study_view(user)
job_list.render(user, kind=("tune", "promote"), heading="Tuning jobs", limit=6)
