"""Models: the registry, and each version's metrics, confusion matrix and ROC curves."""
import pandas as pd
import streamlit as st

from dashboard import auth, model_charts
from data import audit, db, predictions, registry
from ml import artifacts, training
from ml.datasets import as_picture
from ml.evaluation import cell_examples, pr_curves, reliability, roc_curves
from ml.sources import DatasetError

user = auth.require("models")
st.title("Models")


@st.cache_data(max_entries=8, show_spinner="Scoring the test split…")
def scored(model_id: int, store: str):  # noqa: ARG001 - `store` keys the cache (ids repeat across databases)
    X, y, proba = training.test_split_predictions(model_id)
    return X, y, proba, roc_curves(y, proba), pr_curves(y, proba), reliability(y, proba)


table = registry.table()
if table.empty:
    st.info("No models yet: train one on the Train page.")
    st.stop()
family_filter = st.multiselect("Families", sorted(table["family"].unique()), key="models_family")
shown = table[table["family"].isin(family_filter)] if family_filter else table
st.caption("Pick a row to inspect that version; the active model is the one behind predictions.")
picked = st.dataframe(shown, hide_index=True, key="models_table", on_select="rerun", selection_mode="single-row",
                      column_config={"created_at": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
                                     "accuracy": st.column_config.NumberColumn(format="%.4f"),
                                     "size_bytes": st.column_config.NumberColumn("size (bytes)", format="%d"),
                                     "trained_by": "trained by",
                                     "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
                                     "active": st.column_config.CheckboxColumn("active")})
rows = picked.selection.rows if picked and picked.selection else []
model_id = int(shown.iloc[rows[0]]["id"]) if rows else (registry.active_id() or int(table.iloc[0]["id"]))
record = registry.get(model_id)
active = model_id == registry.active_id()
st.subheader(f"Model #{model_id} · {record.family}{' · active' if active else ''}")
n_val = record.split.get("n_val") or 0
st.caption(f"Trained by {record.trained_by} on {record.dataset} ({record.split.get('n_train')} train / "
           + (f"{n_val} validation / " if n_val else "")
           + f"{record.split.get('n_test')} test images, seed {record.split.get('seed')}) in {record.fit_seconds:.1f} s · "
           f"{record.size_bytes / 1024:.0f} KB · sha256 {record.sha256[:12]}…")

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

try:
    X, y, proba, curves, pr, calibration = scored(model_id, str(db.db_path()))
except ValueError as exc:  # e.g. the IDX files it was trained on have moved (DatasetError is a ValueError)
    st.warning(f"The test images of this model cannot be rebuilt, so its curves and gallery are not shown: {exc}")
    X = y = proba = curves = pr = calibration = None

metrics_tab, confusion_tab, roc_tab, pr_tab, calibration_tab, live_tab, actions_tab = st.tabs(
    ["Per digit", "Confusion matrix", "ROC curves", "Precision-recall", "Calibration", "Live accuracy", "Actions"])
with metrics_tab:
    st.plotly_chart(model_charts.per_digit_bars(m["per_class"]), key="per_digit_chart")
    number = st.column_config.NumberColumn(format="%.4f")
    st.dataframe(pd.DataFrame(m["per_class"]), hide_index=True, key="per_class_table",
                 column_config={"precision": number, "recall": number, "f1": number})
with confusion_tab:
    normalised = st.toggle("Share of each true digit", key="cm_normalised")
    st.plotly_chart(model_charts.confusion_heatmap(m["confusion"], normalised), key="cm_chart")
    pick = st.columns(2)
    true_digit = pick[0].selectbox("True digit", range(10), key="cm_true")
    predicted = pick[1].selectbox("Predicted digit", range(10), index=(true_digit + 1) % 10, key="cm_pred")
    if proba is not None:
        hits = cell_examples(y, proba, true_digit, predicted)
        if not hits:
            st.caption(f"No test image of a {true_digit} was read as {predicted}.")
        gallery = st.columns(6)
        for k, i in enumerate(hits):
            gallery[k % 6].image(as_picture(X[i]), width=84,
                                 caption=f"{predicted}: {proba[i][predicted]:.0%} · {true_digit}: {proba[i][true_digit]:.0%}")
with roc_tab:
    if curves is not None:
        st.plotly_chart(model_charts.roc_figure(curves), key="roc_chart")
with pr_tab:
    if pr is not None:
        st.plotly_chart(model_charts.pr_figure(pr), key="pr_chart")
with calibration_tab:
    if calibration is not None:
        st.plotly_chart(model_charts.reliability_figure(calibration), key="calibration_chart")
with live_tab:
    live = predictions.live_accuracy(model_id)
    if live.empty:
        st.info("No feedback on this model's predictions yet.")
    else:
        st.plotly_chart(model_charts.accuracy_over_time(live), key="live_chart")
    if st.button("Evaluate on all feedback", key="eval_feedback",
                 help="Score this model on every image users corrected or confirmed, whichever model served it."):
        try:
            result = training.evaluate(model_id, "feedback")
        except (DatasetError, ValueError) as exc:
            st.warning(str(exc))
        else:
            st.metric("Accuracy on feedback", f"{result['accuracy']:.2%}", help=f"{result['n_test']} images")
with actions_tab:
    act = st.columns(4)
    if act[0].button("Activate", key="act_activate", disabled=active or record.status == "archived",
                     help="Make this the model behind every prediction."):
        training.activate_model(model_id, by=user.username)
        st.rerun()
    archived = record.status == "archived"
    if act[1].button("Unarchive" if archived else "Archive", key="act_archive", disabled=active):
        registry.set_status(model_id, "ready" if archived else "archived")
        audit.record(user.username, "archive_model", "ok", f"model {model_id} {'unarchived' if archived else 'archived'}")
        st.rerun()
    path = artifacts.artifact_file(record.artifact_path)
    if path.exists():
        act[2].download_button("Download artifact", path.read_bytes(), file_name=path.name, key="act_download",
                               mime="application/octet-stream")
    if user.role == "admin" and act[3].button("Delete", key="act_delete", disabled=active,
                                             help="Admins only; never the active model."):
        registry.delete(model_id)
        path.unlink(missing_ok=True)
        audit.record(user.username, "delete_model", "ok", f"model {model_id}")
        st.rerun()
    notes = st.text_area("Notes", value=record.notes, key=f"notes_{model_id}")
    if st.button("Save notes", key="act_notes"):
        registry.set_notes(model_id, notes)
        st.toast("Notes saved.")
