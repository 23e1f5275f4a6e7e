"""The server: Streamlit's own ASGI app (`st.App`) serving the dashboard, with the REST API, the probes
and /metrics beside it, in one process on one port. `python -m ml serve` (`make run`) runs
`streamlit run api/asgi.py`, which finds `app` below and serves it with uvicorn.
"""
from __future__ import annotations

import logging
import sys
import threading
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts this file's folder first, not the project's
    sys.path.insert(1, str(ROOT))

from streamlit.starlette import App  # noqa: E402

from api import server_routes  # noqa: E402
from ml import composition  # noqa: E402

log = logging.getLogger(__name__)
DASHBOARD = ROOT / "dashboard" / "app.py"
BOOTSTRAP_THREAD = "digitlab-bootstrap"


class _NoSessionWarningAtStart(logging.Filter):
    """The start-up runs a cached function (whose spinner looks for a browser session) on its own thread,
    where Streamlit warns that there is none: true and expected there, so the start log does not say it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != BOOTSTRAP_THREAD


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NoSessionWarningAtStart())


def _bootstrap() -> None:
    """The dashboard's own start-up (migrate, first admin, a serving model, the job runner), run at once so
    the API can answer before anyone opens a page; a page opened meanwhile waits for the same call."""
    from dashboard.resources import bootstrap
    composition.wire()  # the job engine's table of kinds, before the runner starts (no page has run yet)
    try:
        bootstrap()
    except Exception:  # noqa: BLE001 - the first page shows the sentence; /readyz says what is missing
        log.exception("start-up failed; the first page will show why")


@asynccontextmanager
async def lifespan(_app):
    threading.Thread(target=_bootstrap, name=BOOTSTRAP_THREAD, daemon=True).start()
    yield


app = App(DASHBOARD, routes=server_routes(), lifespan=lifespan)
