"""The Batch page's upload form (digits or whole numbers), live progress (cancel, resume) and jobs table.

The batch runs in the job runner; these views only read job rows, so leaving the page or
refreshing the browser changes nothing for the batch. The live block is a fragment refreshed every
second; when a batch it showed running has ended, it reruns the page so the jobs table shows it.
"""
from __future__ import annotations

import streamlit as st

from dashboard import failures, text
from dashboard.components.export_panel import export_panel
from dashboard.components.readings import length_input
from dashboard.text import md
from data import batches
from data import jobs as job_rows
from data.users import User
from ml.batch import numbers, uploads
from ml.batch.request import BatchRequest
from ml.errors import RequestError
from ml.governance import batch_limits, policy
from ml.inputs.archives import IMAGE_SUFFIXES
from ml.jobs import engine as jobs

UPLOAD_TYPES = sorted(s.lstrip(".") for s in IMAGE_SUFFIXES | {".zip"})
JOB_COLUMNS = {
    "job": st.column_config.NumberColumn("job", width=50),
    "resume_of": st.column_config.NumberColumn("resumes", width=65, help="The batch this run finished"),
    "owner": st.column_config.TextColumn("owner", width="small"),
    "model": st.column_config.NumberColumn("model", width=55),
    "numbers": st.column_config.CheckboxColumn("numbers?", width=70, help="Each image read as a whole number"),
    "status": st.column_config.TextColumn("status", width=75),
    "items": st.column_config.NumberColumn("items", width=60),
    "predicted": st.column_config.NumberColumn("predicted", width=75),
    "errors": st.column_config.NumberColumn("errors", width=55),
    "accuracy": st.column_config.TextColumn("accuracy", width=70, help="On the labelled images of a labelled batch "
                                                                       "(numbers: whole strings right)"),
    "started": st.column_config.TextColumn("started", width=95),  # text.short_when: blank while queued or running
    "finished": st.column_config.TextColumn("finished", width=95),
    "duration_s": st.column_config.NumberColumn("seconds", format="%.1f", width=65),
}
# The full result sentence is long: it is shown with the picked batch below the table, not in a cell.


def owner_scope(user: User) -> str | None:
    """Admins see everyone's batches (None), analysts their own."""
    return None if policy.can(user.role, "batch_all") else user.username


def upload_form(user: User) -> None:
    """Digits or numbers, files, the labelled switch (and, for numbers, the expected length and a labels
    CSV) and Start: the files go to the upload area, the job is queued."""
    limits = batch_limits.current()
    kind = st.segmented_control("Each image holds", ["One digit", "A number"], default="One digit", key="batch_mode",
                                help="A number: each image is read as a whole number (a meter reading, an amount, "
                                     "a code), every digit with its confidence.")
    numbers_mode = kind == "A number"
    files = st.file_uploader("Images and zip files of images", type=UPLOAD_TYPES, accept_multiple_files=True,
                             key="batch_files", max_upload_size=max(1, limits.file_bytes // batch_limits.MB))
    st.caption(f"Up to {limits.files:,} files, {batch_limits.megabytes(limits.total_bytes)} in all, "
               f"{limits.images:,} images per batch (zips counted by their images), "
               f"{limits.pixels / 1e6:g} megapixels per image.")
    length, labels_file = None, None
    if numbers_mode:
        cols = st.columns([3, 1], vertical_alignment="bottom")
        labelled = cols[0].toggle("Labelled: the real number is the file name (1450.png, meter_1450.png)",
                                  key="batch_labelled",
                                  help="The name without its extension, or its part after the last _, when it is "
                                       "digits and separators. The batch then reports how many numbers it read right.")
        with cols[1]:
            length = length_input("batch_length")
        labels_file = st.file_uploader("Labels (optional): a CSV of file,label lines", type=["csv"],
                                       key="batch_labels_csv", max_upload_size=numbers.LABELS_BYTES // batch_limits.MB,
                                       help="file is the image's name, or a zip member's path in its zip; label is "
                                            "the number as written (1450, 14.50, 07/12). It wins over the file name.")
    else:
        labelled = st.toggle("Labelled: the real digit is the folder (0–9) or the end of the name (_7.png)",
                             key="batch_labelled", help="The batch then reports its accuracy and confusions.")
    if st.button("Start batch", key="batch_start", icon=":material/play_arrow:", disabled=not files, type="primary"):
        with failures.boundary("job_batch", user.username, stop=False):
            labels = numbers.parse_labels(labels_file.getvalue()) if labels_file is not None else {}
            token, entries = uploads.save(((f.name, f.getvalue()) for f in files), limits)
            try:
                job_id = jobs.submit(BatchRequest(user.username, token, entries, bool(labelled), numbers=numbers_mode,
                                                  length=length, labels=labels))
            except Exception:
                uploads.remove(token)
                raise
            st.session_state["batch_open"] = job_id
            st.toast(f"Batch #{job_id} started: it runs in the background, leave the page if you like.")


def _progress_text(row) -> str:
    text = f"#{row.id} · {md(row.title)} · {md(row.created_by)}"
    if row.status == "queued":
        return text + " — waiting for the batch worker"
    text += f" — {md(row.message or row.stage)}"
    if row.rate == row.rate and row.rate and row.total == row.total and row.total:  # NaN-safe
        text += f" · {row.rate:,.0f} images/s, ~{max(0.0, (row.total - row.done) / row.rate):,.0f} s left"
    return text


@st.fragment(run_every=1.0)
def live(user: User) -> None:
    """Running and queued batches with Cancel; interrupted ones with Resume."""
    frame = jobs.recent(kind="batch", created_by=owner_scope(user), limit=10)
    active = frame[frame["status"].isin(["queued", "running"])] if not frame.empty else frame
    shown = set(st.session_state.get("batch_active", ()))
    now = {int(i) for i in active["id"]} if not frame.empty else set()
    st.session_state["batch_active"] = now
    if shown - now:
        st.rerun(scope="app")  # a batch ended: refresh the jobs table and its results
    for row in active.itertuples():
        with st.container(border=True):
            st.progress(float(row.progress), text=_progress_text(row))
            if st.button("Cancel", key=f"batch_cancel_{row.id}", icon=":material/stop:"):
                with failures.boundary("cancel_job", user.username, stop=False):
                    jobs.cancel(int(row.id), by=user.username)
                    st.toast(f"Cancelling batch job #{row.id}: what is stored stays.")
    stopped = frame[frame["status"] == "interrupted"] if not frame.empty and active.empty else frame.iloc[0:0]
    for row in (r for r in stopped.itertuples() if _resumable(int(r.id))):
        cols = st.columns([5, 1], vertical_alignment="center")
        cols[0].warning(f"Batch job #{row.id} was interrupted (the server stopped) at {row.done or 0:,.0f} of "
                        f"{row.total or 0:,.0f} images. Resume predicts only the rest.")
        if cols[1].button("Resume", key=f"batch_resume_{row.id}", icon=":material/replay:"):
            with failures.boundary("job_batch", user.username, stop=False):
                job_id = jobs.submit(BatchRequest(user.username, resume_of=int(row.id)))
                st.toast(f"Resuming as job #{job_id}.")
                st.rerun(scope="app")


def _resumable(job_id: int) -> bool:
    """An interrupted batch whose files are still in the upload area (a finished resume removed them)."""
    record = job_rows.get(job_id)
    try:
        return record is not None and uploads.folder_path(record.params.get("folder", "")).is_dir()
    except RequestError:
        return False


def jobs_table(user: User) -> int | None:
    """Batch jobs (own, or everyone's for admins) with counts and durations; the picked job's id."""
    query = batches.jobs_query(owner_scope(user))
    frame = batches.frame(query, limit=200)
    if frame.empty:
        st.info("No batches yet: add images or zips above and press Start.")
        return None
    # owner only for those who see everyone's; resumes and numbers only when some batch is one (room at 1280 px)
    hidden = {"owner"} if owner_scope(user) is not None else set()
    hidden |= {c for c in ("resume_of", "numbers") if not frame[c].astype(bool).any()}
    order = [c for c in JOB_COLUMNS if c not in hidden]
    shown = text.blank_missing(frame, {"started": text.short_when, "finished": text.short_when,
                                       "accuracy": text.share})
    picked = st.dataframe(shown, hide_index=True, key="batch_jobs", column_config=JOB_COLUMNS, column_order=order,
                          on_select="rerun", selection_mode="single-row", width="stretch")
    export_panel("batch-jobs", query, user.username, key="batch_jobs_export")
    rows = picked.selection.rows if picked and picked.selection else []
    if rows:
        return int(frame.iloc[rows[0]]["job"])
    opened = st.session_state.get("batch_open")
    return int(opened) if opened in set(frame["job"].astype(int)) else int(frame.iloc[0]["job"])
