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
