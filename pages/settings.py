"""Settings (admin): quotas, job limits, upload limits, sign-in lockout and session expiry, each
validated and audited with old and new value; per-user quota limits and refills."""
import streamlit as st

from dashboard import auth
from dashboard.views import settings as settings_views
from data.queries import usage

user = auth.require("settings")
st.title("Settings")
st.caption("Changes apply at once, to every session. Each one is written to the audit log with its old value.")
settings_views.settings_forms(user)
st.divider()
settings_views.quota_section(user, usage.usernames())
