"""Analytics (lab roles): what the system predicted over a period and how right it was, from the
feedback people gave. Every chart is one aggregation in DuckDB, so a million predictions stay fast."""
import streamlit as st

from dashboard import auth
from dashboard.views import analytics as analytics_views

user = auth.require("analytics")
st.title("Analytics")
since, until = analytics_views.period()
analytics_views.headline(since, until)
analytics_views.report(since, until, user)
tabs = st.tabs(["Volume", "Confidence", "Accuracy", "Mistakes", "Users"])
with tabs[0]:
    analytics_views.volume(since, until)
with tabs[1]:
    analytics_views.confidence(since, until)
with tabs[2]:
    analytics_views.accuracy(since, until)
with tabs[3]:
    analytics_views.mistakes(since, until)
with tabs[4]:
    analytics_views.users(since, until, user)
