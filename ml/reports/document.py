"""PDF reports (model card, period report) with fpdf2 and matplotlib: offline, no browser, no kaleido.

The page layout the reports share is `ml.reports.pdf.Report`; this module holds the one entry point each
caller uses (`model_card`, `period_report`): capability checked, the file built, the audit row
written. The fonts are the DejaVu files matplotlib ships, so any name or note prints as typed; text is
shaped by HarfBuzz (uharfbuzz), so Arabic letters join and right-to-left words read right to left.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import date, datetime

from data import audit
from ml.errors import DigitLabError
from ml.governance import policy
from ml.reports.pdf import ACCENT, FONT, INK, MUTED, Report, share  # noqa: F401 - re-exported

log = logging.getLogger(__name__)
# fpdf2 subsets each font with fontTools, which logs every table it touches at INFO: dozens of lines per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _audited(username: str, capability: str, kind: str, what: str, build) -> bytes:
    """Check the capability, build the PDF, write one audit row (denials are audited by `policy`)."""
    policy.require(username, capability, action="report")
    started = time.perf_counter()
    try:
        data = build()
    except DigitLabError as exc:  # e.g. no such model: the sentence is shown, this row says which report
        audit.record(username, "report", "error", json.dumps({"kind": kind, "of": what, "error": str(exc)}))
        exc.audited = True
        raise
    seconds = time.perf_counter() - started
    audit.record(username, "report", "ok", json.dumps({"kind": kind, "of": what, "bytes": len(data),
                                                        "seconds": round(seconds, 2)}))
    log.info("%s report of %s: %d bytes in %.2f s", kind, what, len(data), seconds)
    return data


def model_card(model_id: int, username: str) -> bytes:
    """The PDF model card of one model version (see `ml.reports.card`), audited."""
    from ml.reports.card import build_model_card
    return _audited(username, "models", "model card", f"model {model_id}", lambda: build_model_card(model_id, username))


def period_report(since: date | datetime, until: date | datetime, username: str) -> bytes:
    """The PDF report of a period's predictions and feedback (see `ml.reports.period`), audited."""
    from ml.reports.period import build_period_report
    return _audited(username, "analytics", "period report", f"{since} to {until}",
                    lambda: build_period_report(since, until, username))


def usage_report(first: date, last: date, who: str | None, username: str) -> bytes:
    """The PDF of the Usage page for a range of days (see `ml.reports.usage`), audited; admins only."""
    from ml.reports.usage import build_usage_report
    return _audited(username, "usage", "usage report", f"{first} to {last}{' of ' + who if who else ''}",
                    lambda: build_usage_report(first, last, who, username))
