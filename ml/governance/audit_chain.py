"""Checking the audit log's hash chain (`python -m ml audit verify`, the Audit page's button).

One vectorised SQL scan (about a second per million rows). The chain begins at a recorded genesis
(`data.audit.genesis`: its first row's id and hash, and the count and digest of the rows written
before it, in the settings table and every backup manifest). Rows before it were written before the
chain existed (migration 00010): counted, not verifiable one by one, but they must be exactly the rows
recorded at the genesis, so a forged backdated row is found. From the genesis on, every row must have
prev_hash equal to the hash of the row before it (the first: ''), and its hash must be that of its own
content: an edited row fails the second check, a deleted row makes the next row fail the first, a
deleted genesis row or an emptied log is named too. What the chain cannot show alone: the newest rows
cut off the end — give `verify` the head (the newest hash, printed in full by every check) noted
earlier, and it says whether rows after it were removed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from data import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainReport:
    checked: int                 # hashed rows checked (up to the first break)
    legacy: int                  # rows written before the chain existed
    broken_id: int | None = None  # the first row that does not fit
    reason: str = ""
    head: str = ""               # hash of the newest row checked
    known_head: str = ""         # the head the person noted earlier, when given (found in the log)

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.reason

    @property
    def message(self) -> str:
        before = (f" {self.legacy:,} older rows were written before the chain existed and cannot be checked "
                  "one by one." if self.legacy else "")
        if self.ok:
            if not self.head:
                return "The audit log has no chained rows yet." + before
            noted = (f" The head you noted ({self.known_head[:16]}…) is still in the log: no rows after it were "
                     "removed." if self.known_head else "")
            return (f"The audit chain is intact: {self.checked:,} rows checked, newest hash {self.head} (note it to "
                    "check later that no newer rows were removed)." + noted + before)
        where = f"at row {self.broken_id}" if self.broken_id is not None else "at its end"
        return (f"The audit chain is broken {where}: {self.reason} "
                f"{self.checked:,} rows before it are intact." + before)


REASONS = {
    "missing": "its hash is missing, though it was written after the chain began.",
    "link": "the row before it was deleted or changed (its link to the previous row does not match).",
    "changed": "its content was changed after it was written.",
    "genesis": "the chain's first row was deleted or replaced (the log may have been emptied).",
    "legacy": "rows dated before the chain began were added, deleted or changed ({found:,} such rows now, "
              "{kept:,} when the chain began).",
    "truncated": "the head you noted ({head}…) is no longer in the log: rows after it were removed.",
}


def verify(known_head: str | None = None) -> ChainReport:
    """Check every row in one SQL scan (`data.audit.VERIFY`, DuckDB's sha256) and name the first that
    does not fit. `known_head`: a newest hash noted earlier, which must still be in the log."""
    known_head = (known_head or "").strip().lower()
    start = audit.genesis()
    if start is None:
        scan = audit.verify(2**62)  # nothing hashed yet: every row is from before the chain
        return _report(ChainReport(0, scan.legacy), known_head)
    scan = audit.verify(start.id)
    if scan.genesis != start.hash:
        return _broken(ChainReport(0, scan.legacy, start.id, REASONS["genesis"]))
    if (scan.legacy, scan.legacy_digest) != (start.legacy, start.legacy_digest):
        first = scan.lowest if scan.legacy else start.id
        return _broken(ChainReport(0, scan.legacy, first, REASONS["legacy"].format(found=scan.legacy,
                                                                                  kept=start.legacy)))
    if scan.bad_id is not None:
        return _broken(ChainReport(scan.good, scan.legacy, int(scan.bad_id), REASONS[scan.problem], scan.head or ""))
    return _report(ChainReport(scan.good, scan.legacy, head=scan.head or ""), known_head)


def _report(report: ChainReport, known_head: str) -> ChainReport:
    if known_head and known_head != report.head and not audit.holds_hash(known_head):
        return _broken(ChainReport(report.checked, report.legacy, None, REASONS["truncated"].format(
            head=known_head[:16]), report.head))
    if known_head:
        report = ChainReport(report.checked, report.legacy, head=report.head, known_head=known_head)
    log.info("audit chain verified: %s", report.message)
    return report


def _broken(report: ChainReport) -> ChainReport:
    log.warning("audit chain broken: %s", report.message)
    return report
