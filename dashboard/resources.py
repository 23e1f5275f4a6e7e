"""Process-wide resources, created once per server process."""
from __future__ import annotations

import logging

import streamlit as st

from ml.jobs import engine as jobs
from ml.lab import handover
from ml.ops.bootstrap import prepare_store

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Preparing the database…")
def bootstrap() -> int | None:
    """Migrate the store, create the first admin, queue the default model if it is not serving yet;
    returns the active model's id, None while the first one trains (a background job: the sign-in form
    never waits for it; pages that need a model wait with its progress, `widgets.wait_for_first_model`)."""
    prepare_store(reveal=False)
    runner = jobs.runner()  # marks jobs a previous server left running as interrupted
    return handover.ensure_serving(runner.submit)
