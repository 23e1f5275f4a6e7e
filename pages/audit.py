"""Audit log (admin): filtered, counted and paged in SQL, newest first; a row's details; export; and the
hash-chain check that names the first edited or deleted row."""
import streamlit as st

from dashboard import auth
from dashboard.views import audit as audit_views

admin = auth.require("audit")
st.title("Audit log")
chosen = audit_views.filters()
audit_views.results(chosen, admin)
st.divider()
audit_views.verify(admin)
