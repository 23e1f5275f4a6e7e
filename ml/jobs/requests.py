"""What every typed job request offers the engine; each feature's requests sit beside its handlers
(`ml.lab.requests`, `ml.tuning.requests`, `ml.batch.request`), validated when submitted.
"""
from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any, ClassVar

from ml.errors import RequestError


class JobRequest:
    """What every job request offers the runner: its kind, who asks, a title, and a JSON round trip.

    Subclasses are frozen dataclasses; `validated()` returns the request as it will run (cast and
    checked) or raises RequestError with one sentence.
    """
    kind: ClassVar[str] = ""

    @property
    def user(self) -> str:
        raise NotImplementedError

    @property
    def title(self) -> str:
        return self.kind

    def validated(self) -> JobRequest:
        return self

    def to_params(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> JobRequest:
        return cls(**params)


MAX_TIMEOUT_S = 7 * 86_400      # a study's time budget: a week at most
MAX_STUDY_NAME = 100            # characters: a name is a label in a picker, a file name, an audit target


def check_timeout(seconds: float) -> float:
    """A time budget in seconds (0: none), or RequestError: NaN and infinity are not budgets."""
    value = float(seconds)
    if not math.isfinite(value) or not 0 <= value <= MAX_TIMEOUT_S:
        raise RequestError(f"The time budget must be 0 (none) to {MAX_TIMEOUT_S:,} seconds; got {seconds!r}.")
    return value


def check_study_name(name: str) -> str:
    """A study name as it will be stored, or RequestError (too long, or holding control characters)."""
    name = name.strip()
    if len(name) > MAX_STUDY_NAME:
        raise RequestError(f"A study name has at most {MAX_STUDY_NAME} characters; this one has {len(name):,}.")
    if any(not c.isprintable() for c in name):
        raise RequestError("A study name cannot hold control characters such as line breaks or tabs.")
    return name


