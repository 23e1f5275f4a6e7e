"""Home page (AppTest): who is signed in, the active model and its accuracy, today's predictions."""
from conftest import texts

from data import predictions, registry


def test_home_shows_user_model_and_todays_count(open_app):
    for i in range(3):
        predictions.insert(predictions.PredictionRow("ana", "draw", 1, i, 0.9, [0.1] * 10, [0.0] * 64, None, 1.0))
    at = open_app("ana")
    assert not at.exception
    shown = texts(at)
    assert "Welcome, Ana Analyst" in shown and "analyst" in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Active model"].startswith("#1")
    assert metrics["Held-out accuracy"] == f"{registry.get(1).metrics['accuracy']:.2%}"  # the record's own figure
    assert metrics["Predictions today"] == "3"


def test_menu_lists_only_pages_the_role_may_open(open_app):
    admin_links = {p.label for p in open_app("admin").sidebar.get("page_link")}
    viewer_links = {p.label for p in open_app("vic").sidebar.get("page_link")}
    assert {"Users", "Audit log"} <= admin_links
    assert {"Home", "Draw", "Upload"} <= viewer_links and not {"Users", "Audit log"} & viewer_links


def test_viewer_sees_only_own_counts(open_app):
    predictions.insert(predictions.PredictionRow("ana", "draw", 1, 1, 0.9, [0.1] * 10, [0.0] * 64, None, 1.0))
    at = open_app("vic")
    assert {m.label: m.value for m in at.metric}["Your predictions today"] == "0"
