"""Process-wide resources, created once per server process."""
from __future__ import annotations

import logging

import streamlit as st

from ml import handover, jobs
from ml.bootstrap import prepare_store

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Preparing the database and a first model…")
def bootstrap() -> int:
    """Migrate the store, create the first admin, make sure a model serves; returns its id. On a fresh
    store a quick interim model serves at once and the default one trains as a background job."""
    prepare_store(reveal=False)
    runner = jobs.runner()  # marks jobs a previous server left running as interrupted
    return handover.ensure_serving(runner.submit)
