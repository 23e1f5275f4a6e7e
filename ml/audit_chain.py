"""Checking the audit log's hash chain (`python -m ml audit verify`, the Audit page's button).

One vectorised SQL scan (about a second per million rows). Rows before the first hashed one were written before the chain
existed (migration 00010) and are counted as unverifiable, not as broken. From the first hashed row
on, every row must have prev_hash equal to the hash of the row before it (the first: ''), and its
hash must be that of its own content: an edited row fails the second check, a deleted row makes
the next row fail the first. What the chain cannot show alone: the newest rows cut off the end —
compare `head` (the newest hash, printed by verify) with one noted earlier.
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

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    @property
    def message(self) -> str:
        before = (f" {self.legacy:,} older rows were written before the chain existed and cannot be checked."
                  if self.legacy else "")
        if self.ok:
            return (f"The audit chain is intact: {self.checked:,} rows checked, newest hash {self.head[:16]}…."
                    + before)
        return (f"The audit chain is broken at row {self.broken_id}: {self.reason} "
                f"{self.checked:,} rows before it are intact." + before)


REASONS = {
    "missing": "its hash is missing.",
    "link": "the row before it was deleted or changed (its link to the previous row does not match).",
    "changed": "its content was changed after it was written.",
}


def verify() -> ChainReport:
    """Check every row in one SQL scan (`data.audit.VERIFY`, DuckDB's sha256) and name the first that
    does not fit."""
    legacy, good, bad_id, problem, head = audit.verify()
    if bad_id is not None:
        return _broken(int(good), int(legacy), int(bad_id), REASONS[problem], head or "")
    report = ChainReport(int(good), int(legacy), head=head or "")
    log.info("audit chain verified: %s", report.message)
    return report


def _broken(checked: int, legacy: int, row_id: int, reason: str, head: str) -> ChainReport:
    report = ChainReport(checked, legacy, row_id, reason, head)
    log.warning("audit chain broken: %s", report.message)
    return report
