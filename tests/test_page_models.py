"""Models page (AppTest): metrics, confusion matrix and ROC of the active model; activate and archive."""
from conftest import texts
from data import audit, registry
from ml import training
from ml.datasets import load_embedded


def test_models_page_shows_metrics_confusion_and_roc(open_app):
    at = open_app("ana", "models")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Accuracy"].rstrip("%")) >= 98.5
    charts = {c.key for c in at.get("plotly_chart")} if at.get("plotly_chart") else set()
    assert "Model #1 · svc · active" in texts(at)
    at.toggle(key="cm_normalised").set_value(True).run()
    assert not at.exception


def test_activate_another_model_is_audited(open_app):
    other = training.train_and_register(load_embedded(), "knn", {}, trained_by="ana")
    at = open_app("ana", "models")
    at.dataframe(key="models_table")  # the table is there
    at.session_state["models_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="act_activate").click().run()
    assert not at.exception
    assert registry.active_id() == other
    assert "activate_model" in set(audit.page(username="ana")["action"])


def test_models_page_tabs_render_and_feedback_evaluation_works(open_app):
    from data import predictions
    import numpy as np
    from ml.datasets import load_embedded
    digits = load_embedded()
    for i in range(12):
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, int(digits.y[i]), 0.9, [0.1] * 10,
                                                           digits.X[i].tolist(), None, 1.0))
        predictions.add_feedback(pid, "ana", int(digits.y[i]), True)
    at = open_app("ana", "models")
    assert not at.exception
    at.button(key="eval_feedback").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Accuracy on feedback"] == "100.00%"


def test_compare_shows_disagreements_between_two_models(open_app):
    training.train_and_register(load_embedded(), "logreg", {}, trained_by="ana")
    at = open_app("ana", "compare")
    assert not at.exception
    assert len(at.dataframe[0].value) == 2
    assert any("Where they disagree" in s.value for s in at.subheader)
