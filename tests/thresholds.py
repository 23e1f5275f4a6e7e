"""Set a registered model's confidence threshold in place, as a test's starting point."""
from __future__ import annotations

import json

from data import db, registry
from ml.models import artifacts


def set_threshold(model_id: int, value: float | None) -> None:
    """Store `value` (None: no threshold) in the model's metrics and drop the cached model."""
    metrics = dict(registry.get(model_id).metrics)
    metrics.pop("confidence_threshold", None)
    if value is not None:
        metrics["confidence_threshold"] = value
    db.execute("UPDATE models SET metrics = ? WHERE id = ?", [json.dumps(metrics), model_id])
    artifacts.clear_cache()  # the threshold is read with the model
