"""Scoring: a model's test split is rebuilt only from the data it was trained on; when that data has
changed since (feedback grew), scoring says so instead of scoring images the model may have trained on."""
from __future__ import annotations

import numpy as np
import pytest

from data import predictions, registry
from ml.datasets.sources import load_spec
from ml.datasets.splits import load_embedded
from ml.errors import DatasetError
from ml.lab import scoring, training

DIGITS = load_embedded()


def _give_feedback(indices) -> None:
    for i in indices:
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, int(DIGITS.y[i]), 0.9, [0.1] * 10,
                                                           DIGITS.X[i].tolist(), None, 1.0))
        predictions.add_feedback(pid, "ana", int(DIGITS.y[i]), True)


@pytest.fixture
def feedback_model(seeded_store) -> int:
    _give_feedback(range(60))
    return training.train_and_register(load_spec("feedback:digits8"), "knn", {}, trained_by="ana")


def test_the_test_split_of_unchanged_data_is_the_one_trained_with(feedback_model):
    X, y, proba = scoring.test_split_predictions(feedback_model)
    assert len(y) == registry.get(feedback_model).split["n_test"] == 12
    assert proba.shape == (12, 10) and np.allclose(proba.sum(axis=1), 1.0)


def test_when_feedback_grows_the_test_split_is_refused_with_a_sentence(feedback_model):
    _give_feedback(range(60, 80))
    sentence = (f"The feedback:digits8 data has changed since model {feedback_model} was trained on it (60 images then, "
                "80 now), so its test split cannot be rebuilt")
    with pytest.raises(DatasetError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        scoring.test_split_predictions(feedback_model)
    other = training.train_and_register(load_spec("feedback:digits8"), "logreg", {}, trained_by="ana")
    with pytest.raises(DatasetError, match="has changed since model"):  # Compare's "none trained on these"
        scoring.shared_test_predictions([feedback_model, other])
    shared = scoring.shared_test_predictions([feedback_model, other], "feedback:digits8")  # named data: still scored
    assert len(shared.y) == 80 and shared.note == "all 80 images of feedback:digits8"


def test_the_models_page_and_compare_say_the_data_changed(feedback_model, open_app):
    other = training.train_and_register(load_spec("feedback:digits8"), "logreg", {}, trained_by="ana")
    training.activate_model(feedback_model, by="ana")
    _give_feedback(range(60, 70))
    at = open_app("ana", "models")
    assert not at.exception
    assert any("cannot be rebuilt" in w.value and "The feedback:digits8 data has changed since model" in w.value
               for w in at.warning)
    assert not at.get("plotly_chart") or not any("ROC curves" in c.proto.spec for c in at.get("plotly_chart"))
    assert {m.label for m in at.metric} >= {"Accuracy", "Macro F1"}  # what was recorded still shows
    at = open_app("ana", "compare")
    at.multiselect(key="compare_models").set_value([feedback_model, other]).run()
    assert any("has changed since model" in e.value for e in at.error)


def test_a_model_registered_before_hashes_were_kept_still_rebuilds(seeded_store):
    from data import db
    db.execute("UPDATE models SET dataset_id = NULL, dataset_sha256 = NULL WHERE id = 1")
    X, y, _ = scoring.test_split_predictions(1)
    assert len(y) == registry.get(1).split["n_test"]


def test_compare_scores_the_default_model_and_an_8x8_model_on_the_same_feedback(seeded_store, open_app):
    """The default model reads the canonical form, a model of the embedded digits their 8×8 block counts:
    the feedback (canonical inputs) is redrawn for the 8×8 model, and every model sees the same images."""
    from ml.recognition.canonical import canonical_input
    from ml.recognition.conventions import CANON_28
    default = registry.active_id()
    for i in range(40):
        canon = canonical_input(DIGITS.X[i].reshape(8, 8) / 16.0, CANON_28)
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", default, int(DIGITS.y[i]), 0.9, [0.1] * 10,
                                                           canon.tolist(), None, 1.0))
        predictions.add_feedback(pid, "ana", int(DIGITS.y[i]), True)
    small = training.train_and_register(load_embedded(), "logreg", {}, trained_by="ana")
    shared = scoring.shared_test_predictions([default, small], "feedback")
    assert len(shared.y) == 40 and set(shared.probabilities) == {default, small}
    assert all(p.shape == (40, 10) for p in shared.probabilities.values())
    small_right = float((shared.probabilities[small].argmax(axis=1) == shared.y).mean())
    assert small_right > 0.5  # redrawn 8×8 digits it knows well, not noise
    assert f"model {small} as the 8×8 block counts of the embedded digits" in shared.note
    evaluated = scoring.evaluate(small, "feedback", whole=True)
    assert evaluated["n_test"] == 40 and "8×8 block counts" in evaluated["scored"]

    at = open_app("ana", "compare")
    at.multiselect(key="compare_models").set_value([default, small]).run()
    assert not at.exception and not at.error
    shown = " ".join(c.value for c in at.caption)
    assert "Scored on all 40 images of feedback" in shown
    assert not any(name in shown for name in ("digits8", "canon28", "mnist28"))
    assert len(at.dataframe[1].value) == 2
