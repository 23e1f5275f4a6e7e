"""Data: a dataset's class balance, samples per class, convention, and augmentation preview."""
import streamlit as st

from dashboard import auth, failures, text
from dashboard.charts import models as model_charts
from data import dataset_records
from ml.datasets.augment import Augmentation, augment
from ml.datasets.sources import load_spec
from ml.datasets.splits import Dataset, class_counts, one_per_class
from ml.lab import training
from ml.recognition.conventions import title

user = auth.require("datasets")
st.title("Datasets")


@st.cache_data(max_entries=4, show_spinner="Loading the dataset…")
def loaded(spec: str):
    ds = load_spec(spec)
    return ds.X, ds.y, ds.convention, ds.source


choice = st.selectbox("Dataset", ["digits", "feedback", "other"], key="data_source",
                      format_func={"digits": "Embedded digits", "feedback": "Feedback from users",
                                   "other": "Other SPEC…"}.get)
spec = st.text_input("SPEC", key="data_spec", placeholder="idx:IMAGES,LABELS · folder:PATH · zip:PATH") \
    if choice == "other" else choice
if not spec:
    st.stop()
with failures.boundary("open_dataset", user.username):
    X, y, conv, source = loaded(spec)

counts = class_counts(y)
cols = st.columns(4)
cols[0].metric("Images", f"{len(y):,}")
cols[1].metric("Convention", f"{conv.size}×{conv.size}, 0..{conv.max_value:g}")
cols[2].metric("Smallest class", f"{min(counts):,}")
cols[3].metric("Largest class", f"{max(counts):,}")
st.caption(f"Images in {title(conv)}: ink scaled into a {conv.box}-pixel box ({conv.fill} fills it), "
           f"centred by {'bounding box' if conv.center == 'bbox' else 'centre of mass'}"
           + (f", {conv.block}×{conv.block} blocks counted" if conv.block > 1 else "") + ".")
left, right = st.columns(2)
left.plotly_chart(model_charts.class_balance(counts), key="balance_chart")
right.plotly_chart(model_charts.sample_grid(X, y, conv.size, per_class=8), key="samples_chart")
if st.button("Register this dataset", key="register_dataset",
             help="Record its counts, convention and content hash (training does this too)."):
    with failures.boundary("register_dataset", user.username):
        training.register_dataset(Dataset(spec, X, y, conv, source), by=user.username)
    st.toast("Dataset registered.")

st.subheader("Augmentation preview")
a = st.columns(4)
aug = Augmentation(
    copies=7, rotation=a[0].slider("Rotation (°)", 0, 30, 10, key="aug_rotation"),
    shift=a[1].slider("Shift (share of side)", 0.0, 0.2, 0.08, key="aug_shift"),
    scale=a[2].slider("Scale (±)", 0.0, 0.3, 0.1, key="aug_scale"),
    shear=a[3].slider("Shear (±)", 0.0, 0.5, 0.15, key="aug_shear"),
    thickness=st.slider("Stroke thickness change (probability)", 0.0, 1.0, 0.3, key="aug_thickness"),
    elastic=st.slider("Elastic distortion", 0.0, 3.0, 0.0, key="aug_elastic"),
    seed=int(st.number_input("Seed", 0, 10_000, 0, key="aug_seed")))
pick = one_per_class(y, aug.seed)
X_aug, _ = augment(X[pick], y[pick], conv, aug)
st.plotly_chart(model_charts.augmentation_grid(X_aug, len(pick), conv.size), key="augment_chart")
st.caption("Use the CLI's `--augment N` (or a training job's augment copies) to add N such copies of every "
           "training image; the test split is never augmented.")

st.subheader("Registered datasets")
st.dataframe(text.blank_missing(dataset_records.all_datasets()), hide_index=True, key="datasets_table")
