"""Compare: two or more models side by side, and where they disagree."""
import pandas as pd
import streamlit as st

from dashboard import auth, failures, model_charts
from data import db, registry
from ml import scoring
from ml.datasets import as_picture
from ml.evaluation import classification_metrics, disagreements, roc_curves

user = auth.require("compare")


@st.cache_data(max_entries=8, ttl=60, show_spinner="Scoring the models…")
def shared_scores(store: str, model_ids: tuple[int, ...], spec: str | None):  # noqa: ARG001 - `store` keys the cache
    """Cached across reruns (picking models, toggling the radio); a minute at most, as feedback grows."""
    return scoring.shared_test_predictions(list(model_ids), spec)


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
st.caption("As recorded at training time, each on its own test split:")
FORMATS = {"accuracy": st.column_config.NumberColumn(format="%.2f%%"),
           "macro F1": st.column_config.NumberColumn(format="%.4f"),
           "weighted F1": st.column_config.NumberColumn(format="%.4f"),
           "log-loss": st.column_config.NumberColumn(format="%.4f"),
           "fit (s)": st.column_config.NumberColumn(format="%.2f"),
           "size (KB)": st.column_config.NumberColumn(format="%.0f")}
for row in rows:
    row["accuracy"] *= 100
st.dataframe(pd.DataFrame(rows), hide_index=True, key="compare_table", column_config=FORMATS)

same_dataset = len({r.dataset for r in records}) == 1
where = st.radio("Score them on", ["their shared test images", "another dataset"], horizontal=True,
                 index=0 if same_dataset else 1, key="compare_where",
                 help="Shared test images: those in every model's test split, so none trained on them. "
                      "Another dataset: e.g. the feedback users gave, or an IDX test file.")
spec = None
if where == "another dataset":
    spec = st.text_input("Dataset SPEC", value="feedback", key="compare_spec",
                         help="digits · feedback · idx:IMAGES,LABELS · folder:PATH · zip:PATH").strip() or None
with failures.boundary("compare_models", user.username):  # a bad SPEC, moved files, data changed since training
    scored = shared_scores(str(db.db_path()), tuple(chosen), spec)
X, y, probas = scored.X, scored.y, scored.probabilities
st.caption(f"Scored on {scored.note}.")
shared = []
for m, p in probas.items():
    scores = classification_metrics(y, p, range(10))
    shared.append({"model": labels[m], "accuracy": 100 * scores["accuracy"], "macro F1": scores["macro_f1"],
                   "log-loss": scores["log_loss"]})
st.dataframe(pd.DataFrame(shared), hide_index=True, key="compare_shared_table", column_config=FORMATS)
st.plotly_chart(model_charts.overlaid_roc({labels[m]: roc_curves(y, p)["micro"] for m, p in probas.items()}),
                key="compare_roc")
answers, disagree = disagreements(list(probas.values()))
st.subheader(f"Where they disagree: {len(disagree)} of {len(y)} test images")
cols = st.columns(6)
for k, i in enumerate(disagree[:18]):
    says = " · ".join(f"#{m}: {answers[j, i]}" for j, m in enumerate(chosen))
    cols[k % 6].image(as_picture(X[i]), width=84, caption=f"true {y[i]} — {says}")
