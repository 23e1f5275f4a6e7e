"""The Models page's blocks: version picker, summary, recorded metrics and the test-split tabs.

Scoring a model's test split is cached per database; when it cannot be rebuilt (its files moved,
its data changed since training, its artifact was tampered with) the page says why and still shows
what was recorded at training.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import failures, navigation, text
from dashboard.charts import models as model_charts
from data import db, registry, studies
from data.registry import ModelRecord
from data.users import User
from ml.errors import DigitLabError
from ml.evaluation.confidence import risk_coverage
from ml.evaluation.metrics import cell_examples, pr_curves, reliability, roc_curves
from ml.governance import policy
from ml.lab import scoring
from ml.prediction import relabel as relabel_mod
from ml.prediction.predictor import NOT_SURE_BELOW

TABLE_COLUMNS = {"created_at": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
                 "accuracy": text.share_column("accuracy", help="On the model's test split."),
                 "size_bytes": st.column_config.NumberColumn("size (KB)", format="%.0f"),  # as the caption
                 "trained_by": "trained by",
                 "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
                 "status": st.column_config.TextColumn("status", width=76),  # "archived" whole
                 "notes": st.column_config.TextColumn("notes", width="medium"),
                 "active": st.column_config.CheckboxColumn("active", width=56)}
# What picks a version first (active, status), the long texts last: the table fits 1280 px
TABLE_ORDER = ("id", "active", "status", "family", "accuracy", "dataset", "created_at", "trained_by", "fit_seconds",
               "size_bytes", "notes")
SHARE = text.share_column()


@st.cache_data(max_entries=8, show_spinner="Scoring the test split…")
def _scored(model_id: int, store: str):  # noqa: ARG001 - `store` keys the cache (ids repeat across databases)
    X, y, proba = scoring.test_split_predictions(model_id)
    return {"X": X, "y": y, "proba": proba, "roc": roc_curves(y, proba), "pr": pr_curves(y, proba),
            "calibration": reliability(y, proba), "risk_coverage": risk_coverage(y, proba)}


def test_scores(model_id: int) -> dict | None:
    """The model's test-split images, probabilities and curves; None (with the reason shown) when unavailable."""
    try:
        return _scored(model_id, str(db.db_path()))
    except DigitLabError as exc:  # an expected state of an old model, not a failure of this page
        st.warning(f"The test images of this model cannot be rebuilt, so its curves and gallery are not shown: {exc}")
        return None


def pick_model(table: pd.DataFrame) -> int:
    """The version picked in the registry table (filterable by family); the active one by default."""
    families = st.multiselect("Families", sorted(table["family"].unique()), key="models_family")
    shown = table[table["family"].isin(families)] if families else table
    st.caption("Pick a row to inspect that version; the active model is the one behind predictions.")
    generation = st.session_state.setdefault("models_table_generation", 0)  # bumped to clear the selection
    table_frame = text.as_percent(shown, "accuracy").assign(size_bytes=shown["size_bytes"] / 1024)
    picked = st.dataframe(text.blank_missing(table_frame), hide_index=True,
                          key=f"models_table_{generation}", on_select="rerun", selection_mode="single-row",
                          column_config=TABLE_COLUMNS, column_order=TABLE_ORDER)
    rows = picked.selection.rows if picked and picked.selection else []
    return int(shown.iloc[rows[0]]["id"]) if rows else (registry.active_id() or int(table.iloc[0]["id"]))


def summary(record: ModelRecord, active: bool) -> None:
    """Who trained it on what, the split, and the metrics recorded on its test (and validation) split."""
    st.subheader(f"Model #{record.id} · {record.family}{' · active' if active else ''}")
    split, n_val = record.split, record.split.get("n_val") or 0
    st.caption(f"Trained by {text.md(record.trained_by)} on {text.md(record.dataset)} ({split.get('n_train')} train / "
               + (f"{n_val} validation / " if n_val else "")
               + f"{split.get('n_test')} test images, seed {split.get('seed')}) in {record.fit_seconds:.1f} s · "
               f"{record.size_bytes / 1024:.0f} KB · sha256 {record.sha256[:12]}…"
               + (f" · data sha256 {record.dataset_sha256[:12]}…" if record.dataset_sha256 else ""))
    m = record.metrics
    cols = st.columns(6)
    cols[0].metric("Accuracy", text.share(m["accuracy"]), help="On the test split, never trained on.")
    cols[1].metric("Macro F1", text.share(m["macro_f1"]))
    cols[2].metric("Weighted F1", text.share(m["weighted_f1"]))
    cols[3].metric("Macro precision", text.share(m["macro_precision"]))
    cols[4].metric("Macro recall", text.share(m["macro_recall"]))
    cols[5].metric("Log-loss", f"{m['log_loss']:.4f}")
    if link := studies.model_link(record.id):
        study = studies.get(link[0])
        if study is not None:
            navigation.link("tuning", f"Trained from trial {link[1]} of study '{text.md(study.name)}'",
                            query_params={"study": str(study.id)})
    if validation := m.get("validation"):
        st.caption(f"Validation split ({validation['n_test']} images, held out of training, apart from the test "
                   f"split): accuracy {text.share(validation['accuracy'])} · macro F1 {text.share(validation['macro_f1'])} · "
                   f"log-loss {validation['log_loss']:.4f}")


def per_digit(record: ModelRecord) -> None:
    st.plotly_chart(model_charts.per_digit_bars(record.metrics["per_class"]), key="per_digit_chart")
    frame = text.as_percent(pd.DataFrame(record.metrics["per_class"]), "precision", "recall", "f1")
    st.dataframe(frame, hide_index=True, key="per_class_table",  # shares, as the macro figures above
                 column_config={"precision": SHARE, "recall": SHARE, "f1": SHARE})


def _default_cell(matrix: list[list[int]]) -> tuple[int, int]:
    """The most frequent confusion (an off-diagonal cell), so the gallery never opens on an empty cell."""
    off = [(matrix[t][p], t, p) for t in range(len(matrix)) for p in range(len(matrix)) if t != p]
    count, t, p = max(off, default=(0, 0, 0))
    return (t, p) if count else (0, 0)


def _picked_cell(record: ModelRecord) -> tuple[int, int]:
    """The cell last clicked in this model's matrix (the chart's selection event), else the default."""
    event = st.session_state.get(f"cm_chart_{record.id}") or {}  # read before the chart runs: as stored (a mapping)
    points = (event.get("selection") or {}).get("points") or []
    if points:
        st.session_state[f"cm_cell_{record.id}"] = (int(points[0]["y"]), int(points[0]["x"]))
    return st.session_state.get(f"cm_cell_{record.id}") or _default_cell(record.metrics["confusion"])


def confusion(record: ModelRecord, scores: dict | None, user: User) -> None:
    """The recorded confusion matrix; a click on a cell shows its test images (when the split can be
    rebuilt) with their probabilities, and each can be relabelled."""
    matrix = record.metrics["confusion"]
    normalised = st.toggle("Share of each true digit", key="cm_normalised")
    true_digit, predicted = _picked_cell(record)
    st.plotly_chart(model_charts.confusion_heatmap(matrix, normalised, (true_digit, predicted)),
                    key=f"cm_chart_{record.id}", on_select="rerun", selection_mode="points")
    st.caption("Click a cell to see its test images.")
    if scores is None:
        return
    X, y, proba = scores["X"], scores["y"], scores["proba"]
    hits = cell_examples(y, proba, true_digit, predicted, limit=12)
    what = f"true {true_digit}, read as {predicted}"
    st.subheader(f"Test images: {what}")
    if not hits:
        st.caption(f"No test image of a {true_digit} was read as {predicted}.")
        return
    relabel = policy.can(user.role, "feedback")
    gallery = st.columns(4)
    for k, i in enumerate(hits):
        with gallery[k % 4]:
            st.image(relabel_mod.picture(X[i]), width=144)
            st.caption(f"read as {predicted}: {text.share(proba[i][predicted])} · "
                       f"{true_digit}: {text.share(proba[i][true_digit])}")
            if relabel:
                _relabel(record, int(i), X[i], proba[i], int(y[i]), user)


def _relabel(record: ModelRecord, position: int, image, probabilities, labelled: int, user: User) -> None:
    with st.popover("Relabel", icon=":material/edit:"):
        digit = st.selectbox("The real digit", list(range(10)), index=labelled, key=f"relabel_digit_{position}")
        if st.button("Save as training data", key=f"relabel_save_{position}"):
            with failures.boundary("feedback", user.username):
                relabel_mod.relabel_test_image(record, position, image, probabilities, int(digit),
                                               username=user.username)
            st.toast(f"Saved: this image is a {digit} in the feedback dataset.")


def curves(scores: dict | None, which: str, record: ModelRecord) -> None:
    """ROC, precision-recall, reliability or risk–coverage chart of the test split."""
    if scores is None:
        st.caption("Not available: the test split of this model cannot be rebuilt (see above).")
        return
    if which == "risk_coverage":
        threshold = record.metrics.get("confidence_threshold")
        used = threshold if threshold is not None else NOT_SURE_BELOW
        st.plotly_chart(model_charts.risk_coverage_figure(scores[which], used), key="risk_coverage_chart")
        st.caption(f"Below {used:.0%} confidence Draw and Upload answer \"not sure\" with the two likeliest digits "
                   + ("(measured: where this model is right less than 90 % of the time)." if threshold is not None
                      else "(a fixed fallback: this model has no held-out share to measure its own)."))
        return
    figure = {"roc": model_charts.roc_figure, "pr": model_charts.pr_figure,
              "calibration": model_charts.reliability_figure}[which]
    st.plotly_chart(figure(scores[which]), key=f"{which}_chart")
