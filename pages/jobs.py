"""Jobs (admin): every job of every user — training, tuning, batches, the default model, promotions —
with status, owner, progress and duration; filter, page, cancel, export."""
import streamlit as st

from dashboard import auth
from dashboard.components.export_panel import export_panel
from dashboard.views import jobs as jobs_views
from data import jobs as job_rows

admin = auth.require("jobs")
st.title("Jobs")
kind, status, owner = jobs_views.filters()
page_no = st.number_input("Page", min_value=1, value=1, step=1, key="jobs_page")
jobs_views.live_table(admin, kind, status, owner, int(page_no))
export_panel("jobs", job_rows.admin_query(kind=kind, status=status, owner=owner), admin.username, key="jobs")
