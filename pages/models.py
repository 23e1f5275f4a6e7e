"""Models: the registry, and each version's metrics, confusion matrix, curves and actions."""
import streamlit as st

from dashboard import auth
from dashboard.views import model_actions
from dashboard.views import models as model_views
from data import registry

user = auth.require("models")
st.title("Models")

if flash := st.session_state.pop("models_flash", None):
    st.success(flash)
table = registry.table()
if table.empty:
    st.info("No models yet: train one on the Train page.")
    st.stop()
model_id = model_views.pick_model(table)
record = registry.get(model_id)
model_views.summary(record, active=model_id == registry.active_id())
scores = model_views.test_scores(model_id)

tabs = st.tabs(["Per digit", "Confusion matrix", "ROC curves", "Precision-recall", "Calibration", "Risk–coverage",
                "Live accuracy", "Actions"])
with tabs[0]:
    model_views.per_digit(record)
with tabs[1]:
    model_views.confusion(record, scores, user)
for tab, which in zip(tabs[2:6], ("roc", "pr", "calibration", "risk_coverage")):
    with tab:
        model_views.curves(scores, which, record)
with tabs[6]:
    model_actions.live(record, user)
with tabs[7]:
    model_actions.actions(record, user)
