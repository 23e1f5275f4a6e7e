"""History: every prediction the role may see (a viewer their own, the lab roles everyone's), filtered,
paged and counted in SQL, newest first, with thumbnails; the filtered table downloads in four formats.
Picking a row of one's own feedback lets its author change or withdraw it."""
import streamlit as st

from dashboard import auth
from dashboard.components.export_panel import export_panel
from dashboard.views import history as history_views
from dashboard.views import readings as reading_history
from data.queries import history
from ml.governance import policy

PAGE_SIZE = 50

user = auth.require("history")
st.title("Prediction history")
numbers = st.segmented_control("Show", ["Digits", "Numbers"], default="Digits", key="history_kind") == "Numbers"
cols = st.columns(2)
everyone = bool(policy.can(user.role, "history_all")
                and cols[0].toggle("Show everyone's predictions", key="history_all"))
if numbers:  # whole-number readings: their own table and filter (dashboard.views.readings)
    reading_history.show(user, everyone)
    st.stop()
flagged = cols[1].toggle("Only predictions flagged for review", key="history_flagged",
                         help="Answers the model was not sure about (\"3 or 5?\"): a real digit given as feedback "
                              "settles them and becomes training data.")
filters = history_views.filters(user, everyone, flagged)
total = history.count(filters)
pages = max(1, -(-total // PAGE_SIZE))
if st.session_state.get("history_page", 1) > pages:
    st.session_state.history_page = pages
# No `value`: the page lives in session state (reset by new filters), and a default beside it is warned about.
page_no = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="history_page")
frame = history.page(filters, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
if frame.empty:
    st.info("No predictions flagged for review here." if flagged else
            "No predictions match these filters." if filters.narrowed else "No predictions here yet.")
    st.stop()
picked = history_views.table(frame, everyone=everyone)
st.caption(f"Rows {(page_no - 1) * PAGE_SIZE + 1:,}–{(page_no - 1) * PAGE_SIZE + len(frame):,} of {total:,}, "
           "newest first." + (" Pick a row to give, change or withdraw your feedback on it."
                              if policy.can(user.role, "feedback") else ""))
export_panel("history", history.export_query(filters), user.username, key="history")
if picked is not None:
    history_views.feedback_for_row(frame.iloc[picked], user)
