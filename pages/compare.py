"""Compare: two or more models side by side, and where they disagree."""
import streamlit as st

from dashboard import auth, failures
from dashboard.views import compare as compare_views
from data import registry

user = auth.require("compare")
st.title("Compare models")
table = registry.table()
if len(table) < 2:
    st.info("Train at least two models to compare them.")
    st.stop()
labels = {int(r.id): f"#{r.id} {r.family} on {r.dataset}" for r in table.itertuples()}
chosen = st.multiselect("Models", list(labels), default=list(labels)[:2], format_func=labels.get, key="compare_models")
if len(chosen) < 2:
    st.info("Pick two or more models.")
    st.stop()

records = [registry.get(m) for m in chosen]
compare_views.recorded(records, labels)
spec = compare_views.where_to_score(same_dataset=len({r.dataset for r in records}) == 1)
with failures.boundary("compare_models", user.username):  # a bad SPEC, moved files, data changed since training
    scored = compare_views.shared_scores(chosen, spec)
compare_views.shared(scored, labels)
