"""The dashboard's one failure boundary: show the sentence, write the audit row, stop the page.

Pages wrap their calls into `ml` in `with boundary("action", user):` instead of writing their own
try/except. A `DigitLabError` is a failure the person can fix: its sentence is shown as it is. Any
other exception is a bug: logged with its traceback and shown as a short apology with a reference
the admin can find in the audit log, never swallowed.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.text import md
from data import audit
from data.db import StoreError
from ml.errors import BlankImageError, DigitLabError, PolicyError

log = logging.getLogger(__name__)


def report(exc: BaseException, action: str, username: str | None) -> None:
    """Show `exc` to the person and write its audit row (a refusal is "denied", a failure "error")."""
    if isinstance(exc, DigitLabError):
        if not exc.audited:
            audit.record(username, action, "denied" if isinstance(exc, PolicyError) else "error", f"{exc.kind}: {exc}")
        (st.info if isinstance(exc, BlankImageError) else st.error)(md(exc))  # it may quote a SPEC or file name
        return
    if isinstance(exc, StoreError):  # full disk or read-only file: the audit row could not be written either
        log.error("store failure in %s: %s", action, exc)
        st.error(str(exc))
        return
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected failure in %s (ref %s)", action, ref, exc_info=exc)
    audit.record(username, action, "error", f"unexpected {type(exc).__name__} (ref {ref})")
    st.error(f"Sorry, something went wrong on our side ({type(exc).__name__}, reference {ref}). "
             "It has been logged; an admin can find it in the audit log.")


@contextmanager
def boundary(action: str, username: str | None, *, stop: bool = True) -> Iterator[None]:
    """Run a block; on failure report it (see `report`) and stop the page unless `stop=False`."""
    try:
        yield
    except DigitLabError as exc:
        report(exc, action, username)
    except Exception as exc:  # noqa: BLE001 - the boundary: every bug is logged and apologised for
        report(exc, action, username)
    else:
        return
    if stop:
        st.stop()
