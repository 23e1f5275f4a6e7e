"""PDF reports rendered back to pixels with pypdfium2: the pages exist, are not blank, carry the
numbers of the store; generation is audited and refused to roles without the page's capability."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pypdfium2 as pdfium
import pytest

from data import audit, predictions, registry
from ml.cli import commands as cli
from ml.errors import DatasetError, PolicyError, RequestError
from ml.lab import scoring
from ml.reports import document as reports


def _pages(data: bytes) -> list[tuple[str, object]]:
    """(text, rendered RGB image) of each page."""
    doc = pdfium.PdfDocument(data)
    return [(page.get_textpage().get_text_range(), page.render(scale=1).to_pil().convert("RGB")) for page in doc]


def _inked(image) -> float:
    """The share of pixels that are not white (a blank page is 0)."""
    return float((np.asarray(image.convert("L")) < 240).mean())


def _bluish(image) -> float:
    """The share of clearly blue pixels (the confusion matrix's shading and the ROC lines)."""
    rgb = np.asarray(image).astype(int)
    return float(((rgb[..., 2] > rgb[..., 0] + 40) & (rgb[..., 2] > 120)).mean())


def test_the_model_card_has_the_facts_then_the_matrix_and_roc_images(seeded_store):
    model_id = registry.active_id()
    record = registry.get(model_id)
    pid = predictions.append([predictions.PredictionRow("ana", "upload", model_id, 3, 0.9, [0.1] * 10, [0.0] * 64,
                                                        None, 1.0)])[0]
    predictions.add_feedback(pid, "ana", 3, True)
    pages = _pages(reports.model_card(model_id, "ana"))
    assert len(pages) == 2
    first, second = pages
    assert f"Model card: model #{model_id} ({record.family})" in first[0]
    assert reports.share(record.metrics["accuracy"]) in first[0]
    assert f"{reports.share(record.metrics['macro_f1'])} / {reports.share(record.metrics['weighted_f1'])}" in first[0]
    assert record.dataset in first[0]
    assert "1 of this model's predictions were checked by people; 100.00% of them were right." in first[0]
    assert "Confusion matrix" in second[0] and "not available" not in second[0]
    assert 0.02 < _inked(first[1]) < 0.5
    assert _inked(second[1]) > 0.03 and _bluish(second[1]) > 0.002  # the shaded matrix and the curves are drawn
    detail = json.loads(audit.page(username="ana", action="report")["detail"].iloc[0])
    assert detail["kind"] == "model card" and detail["of"] == f"model {model_id}"


def test_the_period_report_counts_the_periods_predictions_and_feedback(seeded_store):
    now = datetime.now()
    ids = predictions.append([
        predictions.PredictionRow(u, s, 1, d, 0.8, [0.1] * 10, [0.0] * 64, None, 1.0, ts=now - timedelta(days=ago))
        for u, s, d, ago in [("ana", "draw", 3, 0), ("ana", "upload", 5, 1), ("vic", "draw", 7, 2),
                             ("vic", "cli", 1, 40)]])
    predictions.add_feedback(ids[0], "ana", 3, True)
    predictions.add_feedback(ids[1], "ana", 6, False)
    pages = _pages(reports.period_report(date.today() - timedelta(days=6), date.today(), "admin"))
    text = "\n".join(t for t, _ in pages).replace("\r\n", "\n")
    assert len(pages) == 2  # the figures and the tables on page 1, the per-person table on page 2
    assert "Activity per person" in pages[1][0]
    assert "Predictions 3\n" in text and "People 2\n" in text and "Checked by feedback 2\n" in text
    assert "Accuracy from feedback 50.00%" in text
    assert "Most confused digits" in text and "ana 2 0 80.00% 2" in text
    assert 0.03 < _inked(pages[0][1]) < 0.5
    assert _bluish(pages[0][1]) > 0.005  # the bars and the accuracy line


def test_reports_are_refused_without_the_capability_and_a_missing_model_is_a_sentence(seeded_store):
    with pytest.raises(PolicyError):
        reports.period_report(date.today(), date.today(), "vic")
    assert audit.page(username="vic", action="report")["outcome"].tolist() == ["denied"]
    with pytest.raises(RequestError, match="Model 999 is not in the registry"):
        reports.model_card(999, "ana")
    with pytest.raises(RequestError, match="swap the two dates"):
        reports.period_report(date.today(), date.today() - timedelta(days=1), "ana")
    assert audit.page(username="ana", action="report")["outcome"].tolist() == ["error", "error"]


def test_the_cli_writes_both_reports(seeded_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(scoring, "test_split_predictions", _moved)  # an old model: the card still prints
    card, period = tmp_path / "card.pdf", tmp_path / "period.pdf"
    assert cli.main(["report", "model", str(registry.active_id()), "--out", str(card), "--user", "ana"]) == 0
    today = date.today().isoformat()
    assert cli.main(["report", "period", "--since", today, "--until", today, "--out", str(period)]) == 0
    pages = _pages(card.read_bytes())
    assert len(pages) == 2 and "ROC curves are not available" in pages[1][0] and "Confusion matrix" in pages[1][0]
    assert "Period report" in _pages(period.read_bytes())[0][0]
    assert cli.main(["report", "model", "999", "--out", str(tmp_path / "no.pdf")]) == 1
    assert "not in the registry" in capsys.readouterr().err
    assert not (tmp_path / "no.pdf").exists()


def _moved(model_id):
    raise DatasetError("its data has changed since training")


def test_the_models_page_and_the_analytics_page_hand_over_the_pdfs(open_app, monkeypatch):
    monkeypatch.setattr(scoring, "test_split_predictions", _moved)  # no test split to rebuild: a faster page
    at = open_app("ana", "models")
    at.button(key="act_card_make").click().run()
    assert not at.exception
    assert [b.label for b in at.get("download_button") if "card.pdf" in b.label] == [
        f"Download model-{registry.active_id()}-card.pdf"]
    at = open_app("ana", "analytics")
    at.button(key="analytics_report_make").click().run()
    assert not at.exception
    today = date.today()
    assert [b.label for b in at.get("download_button") if b.label.endswith(".pdf")] == [
        f"Download report-{today - timedelta(days=29)}-{today}.pdf"]
    kinds = [json.loads(d)["kind"] for d in audit.page(username="ana", action="report")["detail"]]
    assert sorted(kinds) == ["model card", "period report"]


def test_the_usage_report_counts_each_users_images_and_is_for_admins(seeded_store):
    from ml.errors import PolicyError
    now = datetime.now()
    predictions.append([
        predictions.PredictionRow(u, s, 1, 3, 0.8, [0.1] * 10, [0.0] * 64, None, 2.0, ts=now - timedelta(days=ago))
        for u, s, ago in [("ana", "draw", 0), ("ana", "upload", 1), ("ana", "upload", 1), ("vic", "draw", 2),
                          ("vic", "cli", 40)]])
    from ml.governance import quotas
    quotas.consume("ana", 3, "draw")  # what ana's predictions counted against her quota today
    pages = _pages(reports.usage_report(date.today() - timedelta(days=6), date.today(), None, "admin"))
    text = "\n".join(t for t, _ in pages).replace("\r\n", "\n")
    assert "Usage report" in text and "Images predicted 4\n" in text and "People 2\n" in text
    assert "upload 2 2 0 0" in text  # per action: count, images, errors, quota refusals (hand counted)
    assert "ana 3 3 0 0" in text and "vic 1 1 0 0" in text  # top users
    assert "Quota consumption per user and day" in text and f"{date.today()} ana 3 0 3" in text
    assert _inked(pages[0][1]) > 0.02 and _bluish(pages[0][1]) > 0.002  # the per-day bars
    with pytest.raises(PolicyError):
        reports.usage_report(date.today(), date.today(), None, "ana")


def test_report_charts_label_whole_days_even_with_one_day_of_data(monkeypatch):
    """The PDF's day charts: one day of data gets a date tick, never hours (as on the Analytics page)."""
    import pandas as pd

    from ml.reports import charts as reports_charts
    labels: list[list[str]] = []
    real = reports_charts._png

    def keep(fig):
        fig.canvas.draw()
        labels.append([t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()])
        return real(fig)
    monkeypatch.setattr(reports_charts, "_png", keep)
    day = pd.Timestamp("2026-11-04")
    reports_charts.per_day_by_source(pd.DataFrame({"day": [day], "source": ["upload"], "predictions": [3]}))
    reports_charts.accuracy_by_day(pd.DataFrame({"day": [day], "accuracy": [0.75]}))
    assert labels == [["04 Nov 2026"], ["04 Nov 2026"]]


def test_right_to_left_text_is_shaped_and_drawn_in_reading_order():
    """Arabic letters take their joined forms; a Hebrew word is drawn from its last letter (its reading order
    right to left), not left to right as typed. Glyph codes are given in the order glyphs are first drawn."""
    report = reports.Report("Notes", "مرحبا بالعالم")
    report.paragraph("model notes: שלום and مرحبا")
    report.output()
    font = report.pdf.fonts["dejavu"]
    names = set(font.subset.get_all_glyph_names())
    assert {"uniFEE3", "uniFEAE", "uniFE91"} <= names  # meem initial, reh final, beh initial: joined letters
    shin, final_mem = font.subset.pick(ord("ש")), font.subset.pick(ord("ם"))
    assert final_mem < shin


def test_a_report_does_not_fill_the_log_with_font_subsetting_lines(caplog):
    import logging
    with caplog.at_level(logging.INFO):
        report = reports.Report("Log", "quiet")
        report.paragraph("text")
        report.output()
    assert not [r for r in caplog.records if r.name.startswith("fontTools")]
