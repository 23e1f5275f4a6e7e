"""History: the newest predictions with their feedback, paged in SQL; "not sure" ones can be filtered.
Picking a row of one's own feedback lets its author change or withdraw it."""
import streamlit as st

from dashboard import auth, history_views
from data import predictions
from ml import policy

PAGE_SIZE = 50

user = auth.require("history")
st.title("Prediction history")
everyone = policy.can(user.role, "history_all") and st.toggle("Show everyone's predictions", key="history_all")
flagged = st.toggle("Only predictions flagged for review", key="history_flagged",
                    help="Answers the model was not sure about (\"3 or 5?\"): a real digit given as feedback "
                         "settles them and becomes training data.")
scope = None if everyone else user.username
page_no = st.number_input("Page", min_value=1, value=1, step=1, key="history_page")
frame = predictions.page(username=scope, flagged=flagged, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
if frame.empty:
    empty = "No predictions flagged for review here." if flagged else "No predictions here yet."
    st.info(empty if page_no == 1 else "No more predictions: go back a page.")
    st.stop()
picked = history_views.table(frame, everyone=bool(everyone))
st.caption(f"Rows {(page_no - 1) * PAGE_SIZE + 1}–{(page_no - 1) * PAGE_SIZE + len(frame)}, newest first. "
           "Pick a row to change or withdraw your feedback on it.")
if picked is not None:
    history_views.feedback_for_row(frame.iloc[picked], user)
