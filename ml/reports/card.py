"""The model card: what a model version was trained on, with which parameters, how it scored on its
held-out test split (metrics, per-digit table, confusion matrix, ROC curves) and how it has done
since, from feedback. Page 1 is the facts, page 2 the images."""
from __future__ import annotations

from datetime import datetime

from data import predictions, registry
from ml.errors import DigitLabError, RequestError
from ml.evaluation.metrics import roc_curves
from ml.lab import scoring
from ml.reports import charts as reports_charts
from ml.reports.pdf import Report, share


def build_model_card(model_id: int, username: str) -> bytes:
    record = registry.get(int(model_id))
    if record is None:
        raise RequestError(f"Model {model_id} is not in the registry, so it has no model card.")
    active = registry.active_id() == record.id
    report = Report(f"Model card: model #{record.id} ({record.family})",
                    f"Made {datetime.now():%Y-%m-%d %H:%M} by {username}"
                    f"{' · the active model' if active else ''} · status {record.status}")
    split, m, conv = record.split, record.metrics, record.convention
    report.heading("Data")
    report.facts([
        ("Dataset", record.dataset),
        ("Data sha256", record.dataset_sha256 or "not recorded"),
        ("Image convention", f"{conv.get('name', '?')}, {conv.get('size', '?')}×{conv.get('size', '?')} pixels"),
        ("Split", f"{split.get('n_train')} train / " + (f"{split.get('n_val')} validation / " if split.get("n_val")
                                                         else "") + f"{split.get('n_test')} test images, "
                  f"seed {split.get('seed')}, test share {split.get('test_size')}"),
        ("Trained", f"{record.created_at:%Y-%m-%d %H:%M} by {record.trained_by} in {record.fit_seconds:.1f} s"),
        ("Artifact", f"{record.size_bytes / 1024:.0f} KB · sha256 {record.sha256[:16]}…"),
    ])
    report.heading("Parameters")
    params = sorted(record.params.items())
    if params:
        report.table(["parameter", "value"], [(k, v) for k, v in params], widths=(1, 2))
    else:
        report.paragraph("The family's defaults.")
    report.heading("Metrics on the test split (never trained on)")
    report.facts([("Accuracy", share(m.get("accuracy"))),
                  ("Macro F1 / weighted F1", f"{share(m.get('macro_f1'))} / {share(m.get('weighted_f1'))}"),
                  ("Macro precision / recall", f"{share(m.get('macro_precision'))} / {share(m.get('macro_recall'))}"),
                  ("Log-loss", f"{m.get('log_loss', 0):.4f}"),
                  ("Test images", m.get("n_test", split.get("n_test")))]
                 + ([("'Not sure' below", share(m["confidence_threshold"]))] if m.get("confidence_threshold") else []))
    report.table(["digit", "precision", "recall", "F1", "images"],
                 [(c["digit"], share(c["precision"]), share(c["recall"]), share(c["f1"]), c["support"])
                  for c in m.get("per_class", [])])
    live = predictions.live_accuracy(record.id)
    checked = int(live["n"].sum()) if not live.empty else 0
    report.heading("Since training: accuracy from feedback")
    report.paragraph(f"{checked:,} of this model's predictions were checked by people; "
                     f"{share(float((live['accuracy'] * live['n']).sum() / checked))} of them were right."
                     if checked else "Nobody has given feedback on this model's predictions yet.")
    if record.notes:
        report.heading("Notes")
        report.paragraph(record.notes)
    report.new_page()
    report.heading("Confusion matrix and ROC curves")
    y = report.pdf.get_y()
    half = (report.width - 6) / 2
    report.pdf.image(_bytes_io(reports_charts.confusion(m["confusion"])), x=report.pdf.l_margin, y=y, w=half)
    try:
        _, y_true, proba = scoring.test_split_predictions(record.id)
        report.pdf.image(_bytes_io(reports_charts.roc(roc_curves(y_true, proba))),
                         x=report.pdf.l_margin + half + 6, y=y, w=half)
        report.pdf.set_y(y + half * 4.2 / 4.6 + 4)
    except DigitLabError as exc:  # an old model whose data changed: the recorded matrix still prints
        report.pdf.set_y(y + half * 4.2 / 4.6 + 4)
        report.paragraph(f"ROC curves are not available: the test split cannot be rebuilt ({exc})")
    report.paragraph("The matrix was recorded at training on the test split; the ROC curves score the same images "
                     "again with the stored artifact (one digit against the rest; the thick line is the micro "
                     "average).")
    return report.output()


def _bytes_io(png: bytes):
    import io
    return io.BytesIO(png)
