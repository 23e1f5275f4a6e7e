"""Audit log (admin): filtered and paged in SQL, newest first. Actions are picked from those the log
holds; the user and the text match whatever their case."""
from datetime import date, datetime, time, timedelta

import streamlit as st

from dashboard import auth, text
from data import audit

PAGE_SIZE = 100

auth.require("audit")
st.title("Audit log")
cols = st.columns([2, 2, 3, 4, 1])
who = cols[0].text_input("User", key="audit_user", placeholder="e.g. admin").strip() or None
action = cols[1].selectbox("Action", audit.actions(), index=None, key="audit_action", placeholder="Any action")
words = cols[2].text_input("Text", key="audit_text", placeholder="e.g. sign, model 3",
                           help="Part of the action or its detail, in any case.").strip() or None
days = cols[3].date_input("Between", value=(date.today() - timedelta(days=7), date.today()), key="audit_days")
page_no = cols[4].number_input("Page", min_value=1, value=1, step=1, key="audit_page")
since = until = None
if isinstance(days, tuple) and len(days) == 2:
    since = datetime.combine(days[0], time.min)
    until = datetime.combine(days[1], time.min) + timedelta(days=1)
frame = audit.page(username=who, action=action, text=words, since=since, until=until, limit=PAGE_SIZE,
                   offset=(page_no - 1) * PAGE_SIZE)
if frame.empty:
    st.info("No audit rows match.")
else:
    st.dataframe(text.blank_missing(frame), hide_index=True, key="audit_table", column_config={
        "ts": st.column_config.DatetimeColumn("when", format="YYYY-MM-DD HH:mm:ss"),
        "detail": st.column_config.TextColumn("detail", width="large")})
