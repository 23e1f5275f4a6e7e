"""Usage page (AppTest): an admin sees the figures of the range with charts, table and export;
the user filter narrows them; viewers are refused."""
import json
from datetime import datetime

from conftest import texts

from data import predictions
from ml.governance import quotas


def _row(username: str, source: str) -> None:
    predictions.insert(predictions.PredictionRow(username, source, 1, 3, 0.9, [0.1] * 10, [0.0] * 64, None, 4.0,
                                                 ts=datetime.now()))


def test_an_admin_sees_usage_and_filters_by_user(open_app):
    for _ in range(3):
        _row("ana", "draw")
    _row("vic", "upload")
    quotas.consume("ana", 3, "draw")
    at = open_app("admin", "usage")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Images predicted"] == "4"
    assert at.dataframe[0].value["images"].sum() == 4
    assert len(at.get("plotly_chart")) >= 3
    (quota,) = [d.value for d in at.dataframe if "counted" in d.value.columns]  # quota consumption: its own table
    assert quota[["username", "used", "counted"]].values.tolist() == [["ana", 3, 3]]
    assert at.button(key="usage_quota_prepare")
    at.selectbox(key="usage_user").set_value("vic").run()
    assert not at.exception
    assert at.dataframe[0].value["username"].tolist() == ["vic"]
    assert at.button(key="usage_prepare")  # the shared export panel


def test_viewers_may_not_open_usage(open_app):
    at = open_app("vic", "usage")
    assert "may not open Usage" in texts(at)


def test_rows_without_a_processing_time_show_blank_p50_and_p95_cells(open_app):
    """An export has no processing time: its p50/p95 cells are blank text, not a number column's "None"."""
    from data import audit
    _row("ana", "draw")
    audit.record("ana", "export", "ok", "history.csv")
    at = open_app("admin", "usage")
    assert not at.exception
    shown = at.dataframe[0]
    frame = shown.value.set_index("action")
    assert frame.loc["export", "p50_ms"] == "" and frame.loc["export", "p95_ms"] == ""
    assert frame.loc["draw", "p50_ms"] == "4.0"
    config = json.loads(shown.proto.columns)
    assert all(config[c]["type_config"]["type"] == "text" for c in ("p50_ms", "p95_ms"))  # "" shown as ""
