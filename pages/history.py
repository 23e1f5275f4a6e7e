"""History: the newest predictions with their feedback, paged in SQL."""
import streamlit as st

from dashboard import auth
from data import predictions
from ml import policy

PAGE_SIZE = 50

user = auth.require("history")
st.title("Prediction history")
everyone = policy.can(user.role, "history_all") and st.toggle("Show everyone's predictions", key="history_all")
scope = None if everyone else user.username
page_no = st.number_input("Page", min_value=1, value=1, step=1, key="history_page")
frame = predictions.page(username=scope, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
if frame.empty:
    st.info("No predictions here yet." if page_no == 1 else "No more predictions: go back a page.")
    st.stop()
st.dataframe(frame, hide_index=True, key="history_table", column_config={
    "confidence": st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="percent"),
    "latency_ms": st.column_config.NumberColumn("latency (ms)", format="%.1f"),
    "true_digit": st.column_config.NumberColumn("real digit"),
    "is_correct": st.column_config.CheckboxColumn("correct?"),
})
st.caption(f"Rows {(page_no - 1) * PAGE_SIZE + 1}–{(page_no - 1) * PAGE_SIZE + len(frame)}, newest first.")
