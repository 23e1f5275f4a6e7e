"""Compare: two or more models side by side, and where they disagree."""
import pandas as pd
import streamlit as st

from dashboard import auth, model_charts
from data import registry
from ml import training
from ml.datasets import as_picture
from ml.evaluation import disagreements, roc_curves

user = auth.require("compare")
st.title("Compare models")
table = registry.table()
if len(table) < 2:
    st.info("Train at least two models to compare them.")
    st.stop()
labels = {int(r.id): f"#{r.id} {r.family} on {r.dataset}" for r in table.itertuples()}
chosen = st.multiselect("Models", list(labels), default=list(labels)[:2], format_func=labels.get, key="compare_models")
if len(chosen) < 2:
    st.info("Pick two or more models.")
    st.stop()

records = [registry.get(m) for m in chosen]
rows = [{"model": labels[r.id], "accuracy": r.metrics["accuracy"], "macro F1": r.metrics["macro_f1"],
         "weighted F1": r.metrics["weighted_f1"], "log-loss": r.metrics["log_loss"], "fit (s)": r.fit_seconds,
         "size (KB)": r.size_bytes / 1024} for r in records]
st.dataframe(pd.DataFrame(rows), hide_index=True, key="compare_table")

same_split = len({(r.dataset, r.split.get("seed"), r.split.get("test_size")) for r in records}) == 1
if not same_split:
    st.warning("These models were tested on different data or splits: ROC and disagreements need the same test set.")
    st.stop()

scored = {m: training.test_split_predictions(m) for m in chosen}
st.plotly_chart(model_charts.overlaid_roc({labels[m]: roc_curves(y, p)["micro"] for m, (_, y, p) in scored.items()}),
                key="compare_roc")
X, y, _ = scored[chosen[0]]
answers, disagree = disagreements([p for _, _, p in scored.values()])
st.subheader(f"Where they disagree: {len(disagree)} of {len(y)} test images")
cols = st.columns(6)
for k, i in enumerate(disagree[:18]):
    says = " · ".join(f"#{m}: {answers[j, i]}" for j, m in enumerate(chosen))
    cols[k % 6].image(as_picture(X[i]), width=84, caption=f"true {y[i]} — {says}")
