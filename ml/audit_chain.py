"""Checking the audit log's hash chain (`python -m ml audit verify`, the Audit page's button).

Rows are read in id order in batches. Rows before the first hashed one were written before the chain
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


def verify() -> ChainReport:
    """Walk the chain and stop at the first row that does not fit (~1 s per million rows)."""
    legacy = checked = 0
    prev: str | None = None  # None until the first hashed row
    for batch in audit.chain_batches():
        for (row_id, ts, username, role, action, outcome, target, detail, details, session_id,
             prev_hash, own) in batch:
            if prev is None:
                if own is None and prev_hash is None:
                    legacy += 1
                    continue
                prev = audit.GENESIS
            if own is None:
                return _broken(checked, legacy, row_id, "its hash is missing.", prev)
            if prev_hash != prev:
                return _broken(checked, legacy, row_id, "the row before it was deleted or changed "
                               "(its link to the previous row does not match).", prev)
            text = audit.content(ts, username, role, action, outcome, target, detail, details, session_id)
            if audit.chain_hash(prev_hash, text) != own:
                return _broken(checked, legacy, row_id, "its content was changed after it was written.", prev)
            prev = own
            checked += 1
    report = ChainReport(checked, legacy, head=prev or "")
    log.info("audit chain verified: %s", report.message)
    return report


def _broken(checked: int, legacy: int, row_id: int, reason: str, head: str) -> ChainReport:
    report = ChainReport(checked, legacy, row_id, reason, head)
    log.warning("audit chain broken: %s", report.message)
    return report
