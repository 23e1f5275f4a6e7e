"""History page (AppTest): own rows by default, everyone's for the lab roles, and the filter for
predictions flagged for review ("not sure")."""
from data import predictions


def _row(user: str, digit: int, flagged: bool) -> predictions.PredictionRow:
    return predictions.PredictionRow(user, "upload", 1, digit, 0.4 if flagged else 0.97, [0.1] * 10, [0.0] * 64,
                                     None, 1.0, filename=f"{user}-{digit}.png", needs_review=flagged,
                                     runner_up=(digit + 1) % 10 if flagged else None)


def _shown(at) -> list[str]:
    return sorted(at.dataframe[0].value["filename"].tolist())


def test_flagged_filter_shows_only_not_sure_predictions(open_app):
    predictions.append([_row("ana", 3, True), _row("ana", 4, False), _row("ana", 5, True), _row("vic", 6, True)])
    at = open_app("ana", "history")
    assert not at.exception
    assert _shown(at) == ["ana-3.png", "ana-4.png", "ana-5.png"]
    at.toggle(key="history_flagged").set_value(True).run()
    assert _shown(at) == ["ana-3.png", "ana-5.png"]
    assert sorted(at.dataframe[0].value["runner_up"].tolist()) == ["4", "6"]
    at.toggle(key="history_all").set_value(True).run()
    assert _shown(at) == ["ana-3.png", "ana-5.png", "vic-6.png"]


def test_viewer_sees_only_their_own_and_an_empty_filter_says_so(open_app):
    predictions.append([_row("ana", 3, True), _row("vic", 6, False)])
    at = open_app("vic", "history")
    assert not at.exception
    assert not [t for t in at.toggle if t.key == "history_all"]
    assert not [s for s in at.selectbox if s.key == "history_user"]  # no list of other accounts either
    assert _shown(at) == ["vic-6.png"]
    assert not any("feedback" in c.value for c in at.caption)  # viewers give none: nothing offers it
    at.toggle(key="history_flagged").set_value(True).run()
    assert any("No predictions flagged for review" in i.value for i in at.info)


def test_the_api_s_predictions_are_listed_and_filtered_as_api(open_app):
    api_row = predictions.PredictionRow("vic", "api", 1, 2, 0.9, [0.1] * 10, [0.0] * 64, None, 1.0, filename="vic-2.png")
    predictions.append([_row("vic", 6, False), api_row])
    at = open_app("vic", "history")
    assert not at.exception
    sources = at.multiselect(key="history_sources")
    assert "API" in sources.options
    assert sorted(at.dataframe[0].value["source"].tolist()) == ["API", "upload"]
    sources.set_value(["api"]).run()
    assert _shown(at) == ["vic-2.png"]


def test_a_picked_row_lets_its_author_change_or_withdraw_feedback(open_app):
    from data import audit
    pid, other = predictions.append([_row("ana", 3, True), _row("ana", 4, False)])
    predictions.add_feedback(pid, "ana", 3, True)
    at = open_app("ana", "history")
    table = at.dataframe[0].value
    assert table.loc[table["id"] == other, "true_digit"].tolist() == [""]  # blank, not None
    position = table.index[table["id"] == pid][0]
    at.session_state["history_table"] = {"selection": {"rows": [int(position)], "columns": []}}
    at.run()
    assert any("You confirmed the answer was right" in s.value for s in at.success)
    from dashboard.text import md
    assert any(c.value == f"File: {md('ana-3.png')}" for c in at.caption)  # the whole name, which the table's column may cut
    at.button(key=f"fb_withdraw_{pid}").click().run()
    assert not at.exception
    assert predictions.feedback_by(pid, "ana") is None
    assert audit.page(username="ana", action="withdraw_feedback")["detail"].tolist() == [f"prediction {pid}: had said 3"]
    assert any(f"Feedback on prediction #{pid} withdrawn" in s.value for s in at.success)  # it says it happened
    at.selectbox(key=f"history_digit_{pid}").set_value(5).run()
    at.button(key=f"history_save_{pid}").click().run()
    assert predictions.feedback_by(pid, "ana") == 5


def test_filters_narrow_the_table_and_the_total_and_the_export_follows(open_app):
    from datetime import date, datetime

    from data import audit
    rows = [_row("ana", 3, True), _row("ana", 4, False), _row("vic", 3, False), _row("admin", 7, True)]
    rows[0].source, rows[2].source = "draw", "draw"
    rows[0].image = b"\x89PNG-ana-3"
    rows[3].ts = datetime(2020, 1, 2, 9)
    ids = predictions.append(rows)
    predictions.add_feedback(ids[2], "ana", 5, False)
    at = open_app("ana", "history")
    at.toggle(key="history_all").set_value(True).run()
    assert _shown(at) == ["admin-7.png", "ana-3.png", "ana-4.png", "vic-3.png"]
    assert any("of 4," in c.value for c in at.caption)
    thumbs = dict(zip(at.dataframe[0].value["filename"], at.dataframe[0].value["thumbnail"]))
    assert thumbs["ana-3.png"].startswith("data:image/png;base64,") and thumbs["ana-4.png"] == ""  # blank, not "None"
    at.multiselect(key="history_digits").set_value([3]).run()
    assert _shown(at) == ["ana-3.png", "vic-3.png"]
    at.multiselect(key="history_sources").set_value(["draw"]).run()
    at.selectbox(key="history_feedback").set_value("Corrected (the answer was wrong)").run()
    assert _shown(at) == ["vic-3.png"]
    assert any("of 1," in c.value for c in at.caption)
    at.button(key="history_prepare").click().run()
    assert not at.exception
    assert audit.page(username="ana", action="export")["detail"].str.contains('"rows": 1').all()
    at.multiselect(key="history_digits").set_value([]).run()
    at.multiselect(key="history_sources").set_value([]).run()
    at.selectbox(key="history_feedback").set_value("Any").run()
    at.slider(key="history_confidence").set_value((0, 50)).run()
    assert _shown(at) == ["admin-7.png", "ana-3.png"]
    at.date_input(key="history_until").set_value(date(2020, 1, 2)).run()
    assert _shown(at) == ["admin-7.png"]
    at.selectbox(key="history_user").set_value("ana").run()
    assert any("No predictions match these filters" in i.value for i in at.info)


def test_paging_after_a_filter_change_raises_no_streamlit_warning(open_app, monkeypatch, caplog):
    """New filters put the page number back to 1 through session state; the page input must not also
    carry a default of its own (Streamlit warns about the pair in the server log)."""
    import logging

    from streamlit.elements.lib import policies
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # warned once per process at most
    predictions.append([_row("ana", d % 10, d % 2 == 0) for d in range(30)])
    caplog.set_level(logging.WARNING)
    at = open_app("ana", "history")
    at.number_input(key="history_page").set_value(2).run()
    at.toggle(key="history_flagged").set_value(True).run()
    assert not at.exception
    assert at.number_input(key="history_page").value == 1
    assert not [r for r in caplog.records if "created with a default value" in r.getMessage()]
