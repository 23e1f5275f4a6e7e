"""Analytics page (AppTest): the lab roles see the period's numbers and charts, a confused pair shows
its images, the per-user table exports; viewers are refused."""
from datetime import date, datetime, timedelta

from images import png
from PIL import Image

from data import audit, predictions


def _row(user: str, digit: int, source: str = "upload", ts: datetime | None = None) -> predictions.PredictionRow:
    thumbnail = png(Image.new("L", (8, 8), digit * 20))
    return predictions.PredictionRow(user, source, 1, digit, 0.6, [0.1] * 10, [0.0] * 64, thumbnail, 1.0,
                                     ts=ts or datetime.now())


def test_the_period_numbers_charts_and_a_confused_pairs_images(open_app):
    ids = predictions.append([_row("ana", 5), _row("ana", 5, "draw"), _row("vic", 7), _row("vic", 3),
                              _row("vic", 1, ts=datetime.now() - timedelta(days=60))])  # outside the last 30 days
    for pid, real in zip(ids, (3, 3, 1, 3)):
        predictions.add_feedback(pid, "ana", real, real == 3 and pid == ids[3])
    at = open_app("ana", "analytics")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Predictions"] == "4" and metrics["Checked by feedback"] == "4"
    assert metrics["Accuracy from feedback"] == "25.00%"
    assert len(at.get("plotly_chart")) == 6  # volume, confidence, accuracy by day and model, pairs, users
    assert at.selectbox(key="analytics_pair").options == ["a 3 read as 5", "a 1 read as 7"]
    assert "2 newest of 2: a 3 read as 5." in [c.value for c in at.caption]
    assert len(at.get("image")) == 2
    at.session_state["analytics_pairs_chart"] = {  # a click on the second bar of the chart
        "selection": {"points": [{"customdata": [1, 7]}], "point_indices": [1], "box": [], "lasso": []}}
    at.run()
    assert "1 newest of 1: a 1 read as 7." in [c.value for c in at.caption]
    at.selectbox(key="analytics_pair").set_value("a 3 read as 5").run()  # the picker is free again after a click
    assert "2 newest of 2: a 3 read as 5." in [c.value for c in at.caption]
    users = at.dataframe[0].value
    assert users[["username", "predictions", "feedback"]].values.tolist() == [["ana", 2, 4], ["vic", 2, 0]]
    at.date_input(key="analytics_since").set_value(date.today() - timedelta(days=90)).run()
    assert {m.label: m.value for m in at.metric}["Predictions"] == "5"
    at.button(key="analytics_users_prepare").click().run()
    assert not at.exception
    assert audit.page(username="ana", action="export")["detail"].str.contains('"rows": 2').all()


def test_an_empty_period_says_so_and_viewers_are_refused(open_app):
    at = open_app("admin", "analytics")
    assert not at.exception
    assert any("No predictions in this period" in i.value for i in at.info)
    assert any("No feedback" in i.value for i in at.info)
    at.date_input(key="analytics_since").set_value(date.today() + timedelta(days=1)).run()
    assert any("starts after it ends" in i.value for i in at.info) and not at.get("plotly_chart")
    vic = open_app("vic", "analytics")
    assert any("may not open Analytics" in e.value for e in vic.error)
