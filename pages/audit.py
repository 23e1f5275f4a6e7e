"""Audit log (admin): filtered and paged in SQL, newest first."""
from datetime import date, datetime, time, timedelta

import streamlit as st

from dashboard import auth
from data import audit

PAGE_SIZE = 100

auth.require("audit")
st.title("Audit log")
cols = st.columns(4)
who = cols[0].text_input("User", key="audit_user").strip() or None
action = cols[1].text_input("Action", key="audit_action", placeholder="e.g. sign_in").strip() or None
days = cols[2].date_input("Between", value=(date.today() - timedelta(days=7), date.today()), key="audit_days")
page_no = cols[3].number_input("Page", min_value=1, value=1, step=1, key="audit_page")
since = until = None
if isinstance(days, tuple) and len(days) == 2:
    since = datetime.combine(days[0], time.min)
    until = datetime.combine(days[1], time.min) + timedelta(days=1)
frame = audit.page(username=who, action=action, since=since, until=until, limit=PAGE_SIZE,
                   offset=(page_no - 1) * PAGE_SIZE)
if frame.empty:
    st.info("No audit rows match.")
else:
    st.dataframe(frame, hide_index=True, key="audit_table")
