"""Relabelling a test image: stored once as a prediction row, its feedback is the `feedback` dataset's."""
from data import audit, predictions, registry
from ml.datasets.sources import load_feedback
from ml.lab import scoring
from ml.prediction import relabel


def test_relabelled_test_images_become_the_feedback_dataset(seeded_store):
    record = registry.get(1)
    X, y, proba = scoring.test_split_predictions(1)
    for position in range(4):
        relabel.relabel_test_image(record, position, X[position], proba[position], int(y[position]), username="ana")
    relabel.relabel_test_image(record, 0, X[0], proba[0], (int(y[0]) + 1) % 10, username="ana")  # changed
    dataset = load_feedback()
    assert len(dataset.y) == 4 and dataset.y[0] == (y[0] + 1) % 10 and (dataset.y[1:] == y[1:4]).all()
    assert (dataset.X[1:] == X[1:4]).all()
    assert predictions.live_accuracy(1).empty
    assert len(audit.page(username="ana", action="feedback")) == 5


def test_pictures_are_large_enough_to_read():
    import numpy as np
    picture = relabel.picture(np.arange(64, dtype=float))
    assert picture.shape == (144, 144) and picture.dtype == np.uint8
    assert (picture[:18, :18] == picture[0, 0]).all()  # each source pixel a sharp square
