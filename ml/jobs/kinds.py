"""What a job kind is (request type, lane, capability, handler) and the table the engine was handed.

The table itself is written in the composition root (`ml.composition`): the engine names no feature.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ml.jobs.requests import JobRequest

if TYPE_CHECKING:
    from ml.jobs.context import JobContext

LANES: tuple[str, ...] = ("train", "tune", "batch")  # one worker each: a long study never blocks a training job


@dataclass(frozen=True)
class JobKind:
    name: str
    lane: str
    request: type[JobRequest]
    run: Callable[[Any, JobContext], dict]   # (typed request, context) -> result with a "message"
    capability: str                            # ml.governance.policy capability the submitter must hold


_registered: dict[str, JobKind] = {}


def register(kinds: dict[str, JobKind]) -> None:
    """The composition root hands the engine its table of kinds (`ml.composition.wire`)."""
    _registered.clear()
    _registered.update(kinds)


def registered() -> dict[str, JobKind]:
    if not _registered:
        raise RuntimeError("No job kinds are registered: the entry point calls ml.composition.wire() first.")
    return _registered
