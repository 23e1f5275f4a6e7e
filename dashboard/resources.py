"""Process-wide resources, created once per server process."""
from __future__ import annotations

import logging

import streamlit as st

from ml import jobs
from ml.bootstrap import prepare

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Preparing the database and the default model…")
def bootstrap() -> int:
    """Migrate the store, create the first admin, make sure a model is active; returns its id."""
    active = prepare()
    jobs.runner()  # marks jobs a previous server left running as interrupted
    return active
