"""The Models page's blocks: version picker, summary, recorded metrics and the test-split tabs.

Scoring a model's test split is cached per database; when it cannot be rebuilt (its files moved,
its data changed since training, its artifact was tampered with) the page says why and still shows
what was recorded at training.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import model_charts
from data import db, registry
from data.registry import ModelRecord
from ml import scoring
from ml.datasets import as_picture
from ml.errors import DigitLabError
from ml.evaluation import cell_examples, pr_curves, reliability, roc_curves

TABLE_COLUMNS = {"created_at": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
                 "accuracy": st.column_config.NumberColumn(format="%.4f"),
                 "size_bytes": st.column_config.NumberColumn("size (bytes)", format="%d"),
                 "trained_by": "trained by",
                 "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
                 "active": st.column_config.CheckboxColumn("active")}
NUMBER = st.column_config.NumberColumn(format="%.4f")


@st.cache_data(max_entries=8, show_spinner="Scoring the test split…")
def _scored(model_id: int, store: str):  # noqa: ARG001 - `store` keys the cache (ids repeat across databases)
    X, y, proba = scoring.test_split_predictions(model_id)
    return {"X": X, "y": y, "proba": proba, "roc": roc_curves(y, proba), "pr": pr_curves(y, proba),
            "calibration": reliability(y, proba)}


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
    picked = st.dataframe(shown, hide_index=True, key="models_table", on_select="rerun",
                          selection_mode="single-row", column_config=TABLE_COLUMNS)
    rows = picked.selection.rows if picked and picked.selection else []
    return int(shown.iloc[rows[0]]["id"]) if rows else (registry.active_id() or int(table.iloc[0]["id"]))


def summary(record: ModelRecord, active: bool) -> None:
    """Who trained it on what, the split, and the metrics recorded on its test (and validation) split."""
    st.subheader(f"Model #{record.id} · {record.family}{' · active' if active else ''}")
    split, n_val = record.split, record.split.get("n_val") or 0
    st.caption(f"Trained by {record.trained_by} on {record.dataset} ({split.get('n_train')} train / "
               + (f"{n_val} validation / " if n_val else "")
               + f"{split.get('n_test')} test images, seed {split.get('seed')}) in {record.fit_seconds:.1f} s · "
               f"{record.size_bytes / 1024:.0f} KB · sha256 {record.sha256[:12]}…"
               + (f" · data sha256 {record.dataset_sha256[:12]}…" if record.dataset_sha256 else ""))
    m = record.metrics
    cols = st.columns(6)
    cols[0].metric("Accuracy", f"{m['accuracy']:.2%}", help="On the test split, never trained on.")
    cols[1].metric("Macro F1", f"{m['macro_f1']:.4f}")
    cols[2].metric("Weighted F1", f"{m['weighted_f1']:.4f}")
    cols[3].metric("Macro precision", f"{m['macro_precision']:.4f}")
    cols[4].metric("Macro recall", f"{m['macro_recall']:.4f}")
    cols[5].metric("Log-loss", f"{m['log_loss']:.4f}")
    if validation := m.get("validation"):
        st.caption(f"Validation split ({validation['n_test']} images, held out of training, apart from the test "
                   f"split): accuracy {validation['accuracy']:.2%} · macro F1 {validation['macro_f1']:.4f} · "
                   f"log-loss {validation['log_loss']:.4f}")


def per_digit(record: ModelRecord) -> None:
    st.plotly_chart(model_charts.per_digit_bars(record.metrics["per_class"]), key="per_digit_chart")
    st.dataframe(pd.DataFrame(record.metrics["per_class"]), hide_index=True, key="per_class_table",
                 column_config={"precision": NUMBER, "recall": NUMBER, "f1": NUMBER})


def confusion(record: ModelRecord, scores: dict | None) -> None:
    """The recorded confusion matrix, and the test images of any cell (when the split can be rebuilt)."""
    normalised = st.toggle("Share of each true digit", key="cm_normalised")
    st.plotly_chart(model_charts.confusion_heatmap(record.metrics["confusion"], normalised), key="cm_chart")
    pick = st.columns(2)
    true_digit = pick[0].selectbox("True digit", range(10), key="cm_true")
    predicted = pick[1].selectbox("Predicted digit", range(10), index=(true_digit + 1) % 10, key="cm_pred")
    if scores is None:
        return
    X, y, proba = scores["X"], scores["y"], scores["proba"]
    hits = cell_examples(y, proba, true_digit, predicted)
    if not hits:
        st.caption(f"No test image of a {true_digit} was read as {predicted}.")
    gallery = st.columns(6)
    for k, i in enumerate(hits):
        caption = f"{predicted}: {proba[i][predicted]:.0%} · {true_digit}: {proba[i][true_digit]:.0%}"
        gallery[k % 6].image(as_picture(X[i]), width=84, caption=caption)


def curves(scores: dict | None, which: str) -> None:
    """ROC, precision-recall or reliability chart of the test split."""
    if scores is None:
        st.caption("Not available: the test split of this model cannot be rebuilt (see above).")
        return
    figure = {"roc": model_charts.roc_figure, "pr": model_charts.pr_figure,
              "calibration": model_charts.reliability_figure}[which]
    st.plotly_chart(figure(scores[which]), key=f"{which}_chart")
