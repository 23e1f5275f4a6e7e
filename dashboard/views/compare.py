"""The Compare page's blocks: recorded metrics side by side, then all models scored on one set of
images (metrics, micro-average ROC overlaid, the images they disagree on)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import text
from dashboard.charts import models as model_charts
from data import db
from data.registry import ModelRecord
from ml.evaluation.metrics import classification_metrics, disagreements, roc_curves
from ml.lab import scoring
from ml.prediction.relabel import picture

FORMATS = {"accuracy": text.share_column(),  # F1 is a share too: both in the app's one format (98.61%)
           "macro F1": text.share_column(),
           "weighted F1": text.share_column(),
           "log-loss": st.column_config.NumberColumn(format="%.4f"),
           "fit (s)": st.column_config.NumberColumn(format="%.2f"),
           "size (KB)": st.column_config.NumberColumn(format="%.0f")}


@st.cache_data(max_entries=8, ttl=60, show_spinner="Scoring the models…")
def _shared(store: str, model_ids: tuple[int, ...], spec: str | None):  # noqa: ARG001 - `store` keys the cache
    """Cached across reruns (picking models, toggling the radio); a minute at most, as feedback grows."""
    return scoring.shared_test_predictions(list(model_ids), spec)


def shared_scores(model_ids: list[int], spec: str | None) -> scoring.SharedScores:
    return _shared(str(db.db_path()), tuple(model_ids), spec)


def recorded(records: list[ModelRecord], labels: dict[int, str]) -> None:
    rows = [{"model": labels[r.id], "accuracy": 100 * r.metrics["accuracy"], "macro F1": 100 * r.metrics["macro_f1"],
             "weighted F1": 100 * r.metrics["weighted_f1"], "log-loss": r.metrics["log_loss"], "fit (s)": r.fit_seconds,
             "size (KB)": r.size_bytes / 1024} for r in records]
    st.caption("As recorded at training time, each on its own test split:")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="compare_table", column_config=FORMATS)


def where_to_score(same_dataset: bool) -> str | None:
    """None for the models' shared test images, else the dataset SPEC the person names."""
    where = st.radio("Score them on", ["their shared test images", "another dataset"], horizontal=True,
                     index=0 if same_dataset else 1, key="compare_where",
                     help="Shared test images: those in every model's test split, so none trained on them. "
                          "Another dataset: e.g. the feedback users gave, or an IDX test file.")
    if where != "another dataset":
        return None
    return st.text_input("Dataset SPEC", value="feedback", key="compare_spec",
                         help="digits · feedback · idx:IMAGES,LABELS · folder:PATH · zip:PATH").strip() or None


def shared(scored: scoring.SharedScores, labels: dict[int, str]) -> None:
    y, probas = scored.y, scored.probabilities
    st.caption(f"Scored on {text.md(scored.note)}.")
    rows = []
    for m, p in probas.items():
        scores = classification_metrics(y, p, range(10))
        rows.append({"model": labels[m], "accuracy": 100 * scores["accuracy"], "macro F1": 100 * scores["macro_f1"],
                     "log-loss": scores["log_loss"]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="compare_shared_table", column_config=FORMATS)
    st.plotly_chart(model_charts.overlaid_roc({labels[m]: roc_curves(y, p)["micro"] for m, p in probas.items()}),
                    key="compare_roc")
    answers, disagree = disagreements(list(probas.values()))
    st.subheader(f"Where they disagree: {len(disagree)} of {len(y)} test images")
    cols = st.columns(6)
    for k, i in enumerate(disagree[:18]):
        says = " · ".join(f"#{m}: {answers[j, i]}" for j, m in enumerate(probas))
        cols[k % 6].image(picture(scored.X[i], 144), width=144, caption=f"true {y[i]} — {says}")
