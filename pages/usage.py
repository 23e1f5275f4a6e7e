"""Usage (admin): per user, day and action — counts, images, processing time, errors, quota used."""
from datetime import date, timedelta

import streamlit as st

from dashboard import auth
from dashboard.views import usage as usage_views
from data.queries import usage

user = auth.require("usage")
st.title("Usage")
cols = st.columns([3, 2])
days = cols[0].date_input("Between", value=(date.today() - timedelta(days=29), date.today()), key="usage_days")
who = cols[1].selectbox("User", usage.usernames(), index=None, key="usage_user", placeholder="Everyone")
if not (isinstance(days, tuple) and len(days) == 2):
    st.info("Pick the last day of the range too.")
    st.stop()
usage_views.report(user, days[0], days[1], who)
