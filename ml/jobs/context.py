"""What a running job sees: its progress reports and the cancel flag (`JobContext`, `JobCancelled`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from data import jobs as job_rows


class JobCancelled(Exception):
    """Raised inside a handler when the user pressed cancel."""


@dataclass
class JobContext:
    """What a running handler reports through: structured progress, and whether to stop."""
    job_id: int
    min_interval: float = 0.25  # at most ~4 progress writes a second, plus every stage change
    _last_write: float = field(default=0.0, repr=False)
    _last_stage: str = field(default="", repr=False)
    _stage_start: tuple[float, int] | None = field(default=None, repr=False)

    def progress(self, stage: str, fraction: float, message: str = "", *, done: int | None = None,
                 total: int | None = None, detail: str = "") -> None:
        """Record stage, overall fraction, a line for people, and (for steps) done of total and the rate."""
        now = time.monotonic()
        if stage != self._last_stage:
            self._stage_start = None
        rate = None
        if done is not None:
            if self._stage_start is None:
                self._stage_start = (now, done)
            started, first = self._stage_start
            rate = (done - first) / (now - started) if now > started and done > first else None
        if stage != self._last_stage or fraction >= 1.0 or now - self._last_write >= self.min_interval:
            job_rows.update_progress(self.job_id, stage, fraction, message, done=done, total=total, rate=rate,
                                 detail=detail)
            self._last_write, self._last_stage = now, stage
            self.check_cancelled()

    def check_cancelled(self) -> None:
        if job_rows.cancel_requested(self.job_id):
            raise JobCancelled()
