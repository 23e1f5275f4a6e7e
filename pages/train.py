"""Train: pick a family and a dataset, start a background job, watch its progress."""
from datetime import datetime

import streamlit as st

from dashboard import auth
from data import jobs as job_store
from ml import jobs, training  # noqa: F401 - training registers the "train" job
from ml.families import FAMILIES
from ml.sources import convention_of

user = auth.require("train")
st.title("Train a model")
st.caption("Training runs in the background: you can change page or refresh, the job keeps going.")

family = st.selectbox("Model family", list(FAMILIES), format_func=lambda f: FAMILIES[f].label, key="train_family")
spec = FAMILIES[family]
# The dataset is picked outside the form: its image convention sets the parameter defaults.
source = st.selectbox("Dataset", ["digits", "feedback", "other"], key="train_source",
                      format_func={"digits": "Embedded digits (1,797 images, 8×8)",
                                   "feedback": "Feedback from users (corrected predictions)",
                                   "other": "Other: IDX files, a folder or a zip (type a SPEC below)"}.get)
other = ""
if source == "other":
    other = st.text_input("Dataset SPEC", key="train_spec", placeholder="idx:/data/train-images.gz,/data/train-labels.gz",
                          help="idx:IMAGES,LABELS · folder:PATH (sub-folders 0-9) · zip:PATH · openml:mnist_784 (online only)")
dataset = other.strip() if source == "other" else source
convention = convention_of(dataset)
st.caption(f"Images in the {convention.name} convention ({convention.size}×{convention.size}): "
           "defaults below are the ones measured best for it.")
with st.form("train_form"):
    cols = st.columns(3)
    params = {}
    for i, p in enumerate(spec.params):
        box, key, default = cols[i % 3], f"p_{family}_{convention.name}_{p.name}", p.default_for(convention.name)
        if p.kind == "choice":
            params[p.name] = box.selectbox(p.name, p.choices, index=p.choices.index(default), help=p.help, key=key)
        elif p.kind == "int":
            params[p.name] = box.number_input(p.name, min_value=int(p.low), max_value=int(p.high), value=int(default),
                                              step=1, help=p.help, key=key)
        else:
            params[p.name] = box.number_input(p.name, min_value=float(p.low), max_value=float(p.high),
                                              value=float(default), format="%g", help=p.help, key=key)
    deskew = st.checkbox("Deskew: straighten slanted digits before the model", value=convention.deskew,
                         key=f"train_deskew_{convention.name}",
                         help="Part of the model: applied to training images and to every later input. "
                              "Worth ~2 points on 28×28 MNIST-format data (see README); it costs half a point on the 8×8 digits, so it is off there.")
    left, right = st.columns(2)
    test_size = left.slider("Test share", 0.1, 0.5, 0.2, 0.05, key="train_test_size",
                            help="Held out, never trained on: the metrics come from it.")
    val_size = right.slider("Validation share", 0.0, 0.3, 0.0, 0.05, key="train_val_size",
                            help="Also held out and scored apart: compare parameter choices by it and keep "
                                 "the test split for the final word. The test split is the same either way.")
    copies = st.number_input("Augmented copies per training image", 0, 5, 0, key="train_augment",
                             help="Each copy is rotated, shifted, scaled, sheared and thickened a little "
                                  "(defaults of the Data page preview); the test split is never augmented.")
    activate = st.checkbox("Make it the active model when done", key="train_activate")
    submitted = st.form_submit_button("Start training", icon=":material/play_arrow:")

if submitted:
    if not dataset:
        st.error("Type a dataset SPEC, or pick the embedded digits or the feedback.")
    else:
        job_id = jobs.runner().submit("train", {
            "family": family, "params": params, "dataset": dataset, "seed": int(params.get("seed", 0)),
            "test_size": test_size, "val_size": val_size, "activate": activate, "trained_by": user.username,
            "augment": {"copies": int(copies)} if copies else None, "deskew": deskew}, created_by=user.username)
        st.toast(f"Training job #{job_id} started.")


@st.fragment(run_every=1.0)
def job_list() -> None:
    st.subheader("Training jobs")
    frame = job_store.page(kind="train", limit=8)
    if frame.empty:
        st.info("No training jobs yet.")
        return
    for row in frame.itertuples():
        params = job_store.get(int(row.id)).params
        started = row.started_at if row.started_at == row.started_at and row.started_at is not None else None
        end = row.finished_at if row.finished_at == row.finished_at and row.finished_at is not None else datetime.now()
        elapsed = f"{(end - started).total_seconds():.0f} s" if started is not None else "waiting"
        title = f"#{row.id} · {FAMILIES.get(params['family']).label if params['family'] in FAMILIES else params['family']} on {params['dataset']} · {row.created_by} · {elapsed}"
        with st.container(border=True):
            if row.status in ("queued", "running"):
                st.progress(float(row.progress), text=f"{title} — {row.message or row.stage}")
                if st.button("Cancel", key=f"cancel_{row.id}", icon=":material/stop:"):
                    jobs.runner().cancel(int(row.id), by=user.username)
                    st.toast(f"Cancelling job #{row.id} (forests, boosting and the MLP stop within a step; SVC, k-NN and logistic regression at the end of their fit).")
            elif row.status == "succeeded":
                st.success(f"{title} — {row.message}")
            elif row.status == "failed":
                st.error(f"{title} — failed: {row.message}")
            else:
                st.warning(f"{title} — {row.status}: {row.message}")


job_list()
