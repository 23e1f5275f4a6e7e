"""Health (admin): is the server well — database, model, libraries, uptime, job lanes, disk, backups."""
import streamlit as st

from dashboard import auth
from dashboard.views import health as health_views
from ml.jobs import engine as jobs
from ml.ops import health

admin = auth.require("health")
st.title("Health")
figures = health.gather(jobs.status()["lanes"])
health_views.glance(figures)
health_views.lanes(figures)
health_views.tables(figures)
health_views.backup_block(admin)
