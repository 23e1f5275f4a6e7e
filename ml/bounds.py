"""A bounded value: the one range check shared by model parameters, tuning dimensions and settings.

`ml.models.families.Param`, `ml.tuning.space.Dim`, `ml.governance.settings.Setting` and
`ml.governance.batch_limits.Setting` are frozen dataclasses with a `low` and a `high`; each is a
`Bounded`, so whether a value lies in its range is decided here and nowhere else. Each keeps its own
sentence for a value outside (a model parameter, a search range and an admin setting are told apart).
"""
from __future__ import annotations

from typing import Any


class Bounded:
    """A value with a closed range `low`..`high` (a side that is None has no bound).

    Mixed into frozen dataclasses that declare the `low` and `high` fields themselves.
    """
    __slots__ = ()
    low: Any
    high: Any

    def within(self, value: float) -> bool:
        """Whether `value` lies in the range, both ends included."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def clamp(self, value: float) -> Any:
        """`value` moved into the range: the nearer end when it lies outside."""
        if self.low is not None and value < self.low:
            return self.low
        if self.high is not None and value > self.high:
            return self.high
        return value
