"""Models page (AppTest): metrics, confusion matrix and ROC of the active model; activate and archive."""
import json

import numpy as np
import pytest
from conftest import texts

from data import audit, registry
from ml.datasets.splits import Dataset, load_embedded, split
from ml.lab import training


def test_models_page_shows_metrics_confusion_and_roc(open_app):
    at = open_app("ana", "models")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == f"{registry.get(1).metrics['accuracy']:.2%}"
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("ROC curves, one digit against the rest" in spec and "micro-average (AUC" in spec for spec in charts)
    assert any("Confusion matrix (counts)" in spec for spec in charts)
    assert "Model #1 · hog_svc · active" in texts(at)
    at.toggle(key="cm_normalised").set_value(True).run()
    assert not at.exception


def test_activate_another_model_is_audited(open_app):
    other = training.train_and_register(load_embedded(), "knn", {}, trained_by="ana")
    at = open_app("ana", "models")
    at.dataframe(key="models_table_0")  # the table is there
    at.session_state["models_table_0"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="act_activate").click().run()
    assert not at.exception
    assert registry.active_id() == other
    assert "activate_model" in set(audit.page(username="ana")["action"])
    assert any(f"Model #{other} is active" in s.value for s in at.success)  # the action says it happened


def test_archive_and_unarchive_say_so(open_app):
    other = training.train_and_register(load_embedded(), "knn", {}, trained_by="ana")
    at = open_app("ana", "models")
    at.session_state["models_table_0"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="act_archive").click().run()
    assert not at.exception and registry.get(other).status == "archived"
    assert any(f"Model #{other} is archived" in s.value for s in at.success)
    at.button(key="act_archive").click().run()
    assert not at.exception and registry.get(other).status == "ready"
    assert any(f"Model #{other} is back" in s.value for s in at.success)


def test_models_page_tabs_render_and_feedback_evaluation_works(open_app):

    from data import predictions
    from ml.lab import scoring
    X, y, proba = scoring.test_split_predictions(1)  # images in the active model's own convention
    picked = [int(np.flatnonzero(y == d)[k]) for d in range(10) for k in range(2)]  # two of each digit
    for i in picked:
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, int(proba[i].argmax()), 0.9, [0.1] * 10,
                                                           X[i].tolist(), None, 1.0))
        predictions.add_feedback(pid, "ana", int(y[i]), int(proba[i].argmax()) == int(y[i]))
    at = open_app("ana", "models")
    assert not at.exception
    at.button(key="eval_feedback").click().run()
    assert not at.exception
    expected = float((proba[picked].argmax(axis=1) == y[picked]).mean())
    assert {m.label: m.value for m in at.metric}["Accuracy on feedback"] == f"{expected:.2%}"


def test_compare_shows_disagreements_between_two_models(open_app):
    first = training.train_and_register(load_embedded(), "logreg", {}, trained_by="ana")
    second = training.train_and_register(load_embedded(), "knn", {"n_neighbors": 15}, trained_by="ana")
    at = open_app("ana", "compare")
    at.multiselect(key="compare_models").set_value([first, second]).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2
    assert any("Where they disagree" in s.value for s in at.subheader)
    for table in at.dataframe:  # accuracy and F1 are both shares: one format (98.61%), not 98.61 % beside 0.9861
        config = json.loads(table.proto.columns)
        assert config["accuracy"]["type_config"]["format"] == config["macro F1"]["type_config"]["format"] == "%.2f%%"
        assert 50 < table.value["macro F1"].iloc[0] <= 100


def test_the_models_table_gives_sizes_in_kb_as_the_caption_does(open_app):
    at = open_app("ana", "models")
    table = at.dataframe[0]
    assert json.loads(table.proto.columns)["size_bytes"]["label"] == "size (KB)"
    size = registry.get(1).size_bytes / 1024
    assert table.value.set_index("id").loc[1, "size_bytes"] == size
    assert f"{size:.0f} KB" in texts(at)
    order = list(table.proto.column_order)
    assert order[:3] == ["id", "active", "status"] and order[-1] == "notes"  # what picks a version is on screen


def test_compare_models_split_by_different_seeds_on_the_images_none_trained_on(open_app):
    digits = load_embedded()
    first = training.train_and_register(digits, "logreg", {}, trained_by="ana", seed=1)
    second = training.train_and_register(digits, "knn", {}, trained_by="ana", seed=2)
    X, y, probas, note = training.shared_test_predictions([first, second])
    trained_on = set()
    for seed in (1, 2):
        trained_on |= {digits.X[i].tobytes() for i in split(digits.X, digits.y, seed=seed, test_size=0.2)["train"]}
    assert 0 < len(y) < 0.2 * len(digits.y) and not any(x.tobytes() in trained_on for x in X)
    assert "none trained on them" in note and set(probas) == {first, second}

    at = open_app("ana", "compare")
    at.multiselect(key="compare_models").set_value([first, second]).run()
    assert not at.exception
    assert any(f"Scored on the {len(y):,} images of digits" in c.value for c in at.caption)
    assert len(at.dataframe) == 2 and len(at.dataframe[1].value) == 2  # recorded metrics, then shared-set metrics
    at.radio(key="compare_where").set_value("another dataset").run()
    at.text_input(key="compare_spec").input("zip:nowhere.zip").run()
    assert not at.exception
    assert any("not a zip file" in e.value for e in at.error)


def test_models_of_different_datasets_are_compared_on_one_the_user_picks(open_app):
    digits = load_embedded()
    first = training.train_and_register(digits, "logreg", {}, trained_by="ana")
    half = Dataset("digits-half", digits.X[::2], digits.y[::2], digits.convention, "digits")
    other = training.train_and_register(half, "knn", {}, trained_by="ana")
    with pytest.raises(ValueError, match="different datasets"):
        training.shared_test_predictions([first, other])
    X, y, probas, note = training.shared_test_predictions([first, other], "digits")
    assert len(y) == len(digits.y) and note == f"all {len(y):,} images of digits"


def test_a_validation_share_is_scored_apart_and_leaves_the_test_split_alone(open_app):
    digits = load_embedded()
    plain = training.train_and_register(digits, "knn", {}, trained_by="ana")
    held = training.train_and_register(digits, "knn", {}, trained_by="ana", val_size=0.2)
    split_plain, split_held = registry.get(plain).split, registry.get(held).split
    assert split_held["n_val"] == 360 and split_held["n_train"] == split_plain["n_train"] - 360
    assert split_held["n_test"] == split_plain["n_test"]
    _, y_plain, _ = training.test_split_predictions(plain)
    X_held, y_held, _ = training.test_split_predictions(held)
    assert (y_plain == y_held).all()  # the very same test images
    validation = registry.get(held).metrics["validation"]
    assert validation["n_test"] == 360 and 0.9 < validation["accuracy"] <= 1.0

    training.activate_model(held, by="ana")  # the page opens on the active model
    at = open_app("ana", "models")
    assert not at.exception
    assert any("360 validation" in c.value for c in at.caption)
    assert any("Validation split (360 images" in c.value and f"{validation['accuracy']:.2%}" in c.value
               for c in at.caption)


def test_a_model_whose_training_files_moved_still_opens_with_a_clear_message(open_app, tmp_path):
    from ml.datasets.sources import load_spec, write_idx
    images, labels = tmp_path / "img.idx", tmp_path / "lab.idx"
    digits = load_embedded()
    big = np.kron(digits.X[:300].reshape(-1, 8, 8), np.ones((1, 3, 3))) * 15  # 24x24, 0..240
    write_idx(images, np.pad(big, ((0, 0), (2, 2), (2, 2))).astype(np.uint8))  # 28x28 MNIST format
    write_idx(labels, digits.y[:300].astype(np.uint8))
    model_id = training.train_and_register(load_spec(f"idx:{images},{labels}"), "knn", trained_by="ana")
    training.activate_model(model_id, by="ana")
    images.unlink()
    at = open_app("ana", "models")
    assert not at.exception
    assert any("cannot be rebuilt" in w.value and "img.idx" in w.value for w in at.warning)
    assert {m.label for m in at.metric} >= {"Accuracy", "Macro F1"}  # the recorded metrics still show


def test_the_confusion_matrix_opens_on_a_confusion_and_a_test_image_can_be_relabelled(open_app):
    from dashboard.text import as_read
    from data import predictions
    at = open_app("ana", "models")
    heading = next(s.value for s in at.subheader if s.value.startswith("Test images:"))
    true_digit, read_as = (int(w.rstrip(",")) for w in heading.split() if w.rstrip(",").isdigit())
    assert true_digit != read_as  # the gallery opens on a confusion, never an empty cell
    assert [i for i in at.get("image") if i.proto.imgs]  # shown 144 px wide (test_relabel: the pictures' size)
    assert any(f"read as {read_as}: " in as_read(c.value) and "%" in c.value for c in at.caption)
    save = next(b for b in at.button if (b.key or "").startswith("relabel_save_"))
    position = save.key.removeprefix("relabel_save_")
    at.selectbox(key=f"relabel_digit_{position}").set_value(true_digit)
    save.click().run()
    assert not at.exception
    X, y = predictions.feedback_samples(784, "canon28")  # the default model's convention
    assert y.tolist() == [true_digit] and X.shape == (1, 784)  # training data for the `feedback` dataset
    assert predictions.live_accuracy(1).empty  # a relabelled test image is not live traffic
    assert "feedback" in set(audit.page(username="ana")["action"])
    save = next(b for b in at.button if b.key == f"relabel_save_{position}")
    at.selectbox(key=f"relabel_digit_{position}").set_value((true_digit + 1) % 10)
    save.click().run()  # relabelled again: the same row, the latest digit
    assert predictions.feedback_samples(784, "canon28")[1].tolist() == [(true_digit + 1) % 10]


def test_delete_asks_in_a_dialog_naming_the_model_then_clears_the_selection(open_app):
    other = training.train_and_register(load_embedded(), "knn", {}, trained_by="ana")
    at = open_app("admin", "models")
    at.session_state["models_table_0"] = {"selection": {"rows": [0], "columns": []}}  # newest first: the k-NN
    at.run()
    assert any(s.value.startswith(f"Model #{other} · knn") for s in at.subheader)
    at.button(key="act_delete").click().run()
    assert registry.get(other) is not None  # nothing deleted before the confirmation
    assert any(f"model #{other}" in m.value and "cannot be undone" in m.value for m in at.markdown)
    at.button(key="confirm_delete").click().run()
    assert not at.exception
    assert registry.get(other) is None
    assert any(f"Model #{other} deleted." in s.value for s in at.success)
    assert any(s.value.startswith("Model #1 · hog_svc · active") for s in at.subheader)  # no row picked any more
    assert "delete_model" in set(audit.page(username="admin")["action"])


def test_the_risk_coverage_curve_shows_the_threshold_in_use(open_app):
    """The default model measured its own "not sure" threshold; the chart marks where it answers."""
    threshold = registry.get(1).metrics["confidence_threshold"]
    at = open_app("ana", "models")
    assert not at.exception
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Share of test images answered" in spec and f"threshold in use ({100 * threshold:.2f}%)" in spec
               for spec in charts)
    assert any(f"Below {threshold:.0%} confidence" in c.value and "measured" in c.value for c in at.caption)


def test_clicking_a_cell_of_the_confusion_matrix_opens_its_images(open_app):
    """A click on the heatmap (plotly's selection event) picks the cell whose images are shown."""
    from data import registry
    model_id = registry.active_id()
    at = open_app("ana", "models")
    first = next(s.value for s in at.subheader if s.value.startswith("Test images:"))
    picked = (3, 3) if "true 3, read as 3" not in first else (4, 4)
    at.session_state[f"cm_chart_{model_id}"] = {"selection": {"points": [{"x": picked[1], "y": picked[0]}],
                                                              "point_indices": [], "box": [], "lasso": []}}
    at.run()
    assert not at.exception
    heading = next(s.value for s in at.subheader if s.value.startswith("Test images:"))
    assert heading == f"Test images: true {picked[0]}, read as {picked[1]}"
    assert [i for i in at.get("image") if i.proto.imgs]  # a diagonal cell: images read right
