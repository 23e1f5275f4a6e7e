"""Model files saved before `ml/` became packages name the old flat modules (`ml.hog`): they still load."""
from __future__ import annotations

import io
import sys

import joblib

from ml.models import hog, legacy


def _saved_under_the_old_name(monkeypatch) -> bytes:
    """A pipeline step pickled as the flat layout pickled it: its class found as `ml.hog.HOGFeatures`."""
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "ml.hog", hog)
        m.setattr(hog.HOGFeatures, "__module__", "ml.hog")
        buffer = io.BytesIO()
        joblib.dump({"estimator": hog.HOGFeatures()}, buffer)
    assert b"ml.hog" in buffer.getvalue() and "ml.hog" not in sys.modules
    return buffer.getvalue()


def test_an_old_model_file_loads_through_the_old_names(monkeypatch):
    payload = _saved_under_the_old_name(monkeypatch)
    with legacy.old_module_names():
        bundle = joblib.load(io.BytesIO(payload))
    assert type(bundle["estimator"]) is hog.HOGFeatures
    assert "ml.hog" not in sys.modules  # the old names are never left behind
