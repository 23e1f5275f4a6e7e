"""The Train page's form: family, dataset, the family's parameters (defaults for the data's
convention), shares, augmentation; it returns a typed request for `ml.jobs.engine.submit` to check."""
from __future__ import annotations

import streamlit as st

from data.users import User
from ml.datasets.sources import convention_of
from ml.lab.requests import TrainRequest
from ml.models.families import FAMILIES, Family
from ml.recognition.conventions import title

SOURCES = {"digits": "Embedded digits (1,797 images, 8×8)",
           "feedback": "Feedback from users (corrected predictions)",
           "other": "Other: IDX files, a folder or a zip (type a SPEC below)"}


def _dataset() -> str:
    """The dataset SPEC; picked outside the form because its image convention sets the parameter defaults."""
    source = st.selectbox("Dataset", list(SOURCES), key="train_source", format_func=SOURCES.get)
    if source != "other":
        return source
    return st.text_input("Dataset SPEC", key="train_spec",
                         placeholder="idx:/data/train-images.gz,/data/train-labels.gz",
                         help="idx:IMAGES,LABELS · folder:PATH (sub-folders 0-9) · zip:PATH · "
                              "openml:mnist_784 (online only)").strip()


def _params(family: Family, convention: str) -> dict:
    cols, params = st.columns(3), {}
    for i, p in enumerate(family.params):
        box, key, default = cols[i % 3], f"p_{family.name}_{convention}_{p.name}", p.default_for(convention)
        if p.kind == "choice":
            params[p.name] = box.selectbox(p.name, p.choices, index=p.choices.index(default), help=p.help, key=key)
        # No min/max on the widget: the browser would silently keep the old value of an out-of-range
        # entry. The range is in the help, and the request check says what is wrong when submitted.
        elif p.kind == "int":
            params[p.name] = box.number_input(p.name, value=int(default), step=1, key=key,
                                              help=f"{p.help} ({p.low:g} to {p.high:g})")
        else:
            params[p.name] = box.number_input(p.name, value=float(default), format="%g", key=key,
                                              help=f"{p.help} ({p.low:g} to {p.high:g})")
    return params


def render(user: User) -> TrainRequest | None:
    """Draw the form; the request when "Start training" was pressed, else None."""
    name = st.selectbox("Model family", list(FAMILIES), format_func=lambda f: FAMILIES[f].label, key="train_family")
    dataset = _dataset()
    convention = convention_of(dataset)
    st.caption(f"Images in {title(convention)}: the defaults below are the ones measured best for it.")
    with st.form("train_form"):
        params = _params(FAMILIES[name], convention.name)
        deskew = st.checkbox("Deskew: straighten slanted digits before the model", value=convention.deskew,
                             key=f"train_deskew_{convention.name}",
                             help="Part of the model: applied to training images and to every later input. Worth "
                                  "~2 points on 28×28 MNIST-format data (see README); it costs half a point on the "
                                  "8×8 digits, so it is off there.")
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
    if not submitted:
        return None
    return TrainRequest(family=name, dataset=dataset, trained_by=user.username, params=params,
                        seed=int(params.get("seed", 0)), test_size=float(test_size), val_size=float(val_size),
                        activate=bool(activate), augment=int(copies), deskew=bool(deskew))
