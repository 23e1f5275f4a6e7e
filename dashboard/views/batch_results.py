"""One batch's results: the labelled report, the items (thumbnail, file, digit, confidence, "not sure"),
all probabilities and feedback of a picked item, the filterable errors list, and their exports. A batch
of numbers shows its readings instead (dashboard.views.batch_numbers)."""
from __future__ import annotations

import base64

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import text
from dashboard.charts import common as charts
from dashboard.components import widgets
from dashboard.components.export_panel import export_panel
from dashboard.views import batch_numbers as number_results  # a batch of numbers: its own results view
from data import batches, predictions
from data import jobs as job_rows
from data.users import User
from ml.batch import job as batch
from ml.batch import numbers
from ml.errors import PolicyError
from ml.governance import policy

PAGE_SIZE = 50
COLUMNS = {
    "thumbnail": st.column_config.ImageColumn("image", width=60),
    "item": st.column_config.NumberColumn("#", width=50),
    "file": st.column_config.TextColumn("file"),
    "digit": st.column_config.NumberColumn("digit", width=55),
    "confidence": text.share_column("confidence"),
    "not_sure": st.column_config.CheckboxColumn("not sure?", width="small"),
    "runner_up": st.column_config.TextColumn("or maybe", width="small"),
    "label": st.column_config.TextColumn("label", width=55, help="The real digit its folder or name gives"),
}


def _thumb(png) -> str | None:
    return None if png is None else "data:image/png;base64," + base64.b64encode(bytes(png)).decode()


def batch_of(job_id: int, user: User) -> tuple[int, bool, str, str | None, bool] | None:
    """(batch id, labelled, status line, why it failed or None, number mode) of a batch job the user may
    see; None when there is none."""
    record = job_rows.get(job_id)
    if record is None or record.kind != "batch":
        return None
    if record.created_by != user.username and not policy.can(user.role, "batch_all"):
        raise PolicyError("This batch belongs to someone else; only admins see everyone's batches.")
    batch_id = int(record.params.get("resume_of") or record.id)
    failed = (record.message or "The batch failed.") if record.status == "failed" else None
    return (batch_id, bool(record.params.get("labelled")), f"{record.status}: {record.message}", failed,
            bool(record.params.get("numbers")))


def labelled_report(result: dict) -> None:
    """Accuracy, the confusion matrix and the worst confusions of a labelled batch."""
    if not result.get("labelled"):
        st.info("No image of this batch was labelled (folders 0–9 or names ending _<digit>).")
        return
    cols = st.columns([1, 2])
    cols[0].metric("Accuracy", text.share(result["accuracy"]), help=f"On {result['labelled']:,} labelled images")
    worst = pd.DataFrame(result["worst"], columns=["true", "predicted", "count"])
    cols[0].markdown("**Worst confusions**")
    cols[0].dataframe(worst, hide_index=True, key="batch_worst") if not worst.empty else cols[0].caption("None.")
    cols[1].plotly_chart(confusion_figure(result["confusion"]), key="batch_confusion")


def confusion_figure(matrix: list[list[int]]) -> go.Figure:
    """Counts of (real digit, answer) of a labelled batch; the diagonal is what it got right."""
    digits = [str(d) for d in range(len(matrix))]
    fig = go.Figure(go.Heatmap(z=matrix, x=digits, y=digits, text=matrix, texttemplate="%{text}", colorscale="Blues",
                               showscale=False, hovertemplate="real %{y}, answered %{x}: %{z}<extra></extra>"))
    fig.update_layout(title="Confusion matrix", xaxis_title="Answer", yaxis_title="Real digit", height=360,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis_autorange="reversed")
    fig.update_xaxes(type="category", dtick=1)
    fig.update_yaxes(type="category", dtick=1)
    return fig


def results(batch_id: int, user: User) -> None:
    """Filtered, paged items with thumbnails; a picked item shows all its probabilities and feedback."""
    cols = st.columns([2, 2, 1], vertical_alignment="bottom")
    top = cols[0].slider("Confidence at most", 0, 100, 100, 5, format="%d%%", key="batch_max_conf",
                         help="Lower it to review the answers the model was least sure of.") / 100
    unsure = cols[1].toggle("Only \"not sure\" answers", key="batch_unsure")
    page_no = cols[2].number_input("Page", min_value=1, value=1, step=1, key="batch_page")
    query = batches.results_query(batch_id, max_confidence=top, only_not_sure=unsure)
    frame = batches.results_page(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    if frame.empty:
        st.info("No items match these filters." if page_no == 1 else "No more items: go back a page.")
    else:
        frame["thumbnail"] = frame.pop("image").map(_thumb)
        shown = text.blank_missing(text.as_percent(frame, "confidence"), {"runner_up": text.plain,
                                                                         "label": text.plain})
        picked = st.dataframe(shown, hide_index=True, key="batch_results", column_config=COLUMNS,
                              column_order=list(COLUMNS), on_select="rerun", selection_mode="single-row",
                              width="stretch")
        rows = picked.selection.rows if picked and picked.selection else []
        if rows:
            _item(frame.iloc[rows[0]], user)
    export_panel(f"batch-{batch_id}-results", query, user.username, key="batch_results_export")


def _item(row: pd.Series, user: User) -> None:
    pid, digit = int(row["prediction_id"]), int(row["digit"])
    st.markdown(f"**{text.md(row['file'])}**: answered {digit}")
    stored = predictions.get(pid)
    if stored is not None:
        also = int(row["runner_up"]) if row["not_sure"] and pd.notna(row["runner_up"]) else None
        st.plotly_chart(charts.probability_bars(stored["probabilities"], digit, also), key=f"batch_proba_{pid}")
    if not policy.can(user.role, "feedback") or widgets.given_feedback(pid, digit, user):
        return
    cols = st.columns([1, 2, 1])
    if cols[0].button("Correct", key=f"batch_ok_{pid}", icon=":material/check:"):
        widgets.save_feedback(pid, user, digit)
    real = cols[1].selectbox("The real digit", list(range(10)), index=None, placeholder="Pick the real digit",
                             key=f"batch_digit_{pid}", label_visibility="collapsed")
    if cols[2].button("Save correction", key=f"batch_fix_{pid}", disabled=real is None):
        widgets.save_feedback(pid, user, int(real))


def errors(batch_id: int, user: User) -> None:
    """Refused items with their reasons, filtered by kind of problem."""
    kinds = batches.problems(batch_id)
    if not kinds:
        st.caption("No item was refused.")
        return
    problem = st.selectbox("Problem", kinds, index=None, placeholder="Every problem", key="batch_problem")
    query = batches.errors_query(batch_id, problem)
    st.dataframe(text.blank_missing(batches.frame(query, limit=1000)), hide_index=True, key="batch_errors",
                 width="stretch")  # a member without a name or a reason shows a blank cell, not "None"
    export_panel(f"batch-{batch_id}-errors", query, user.username, key="batch_errors_export")


def show(job_id: int, user: User) -> None:
    found = batch_of(job_id, user)
    if found is None:
        return
    batch_id, labelled, status, failed, numbers_mode = found
    result = numbers.report(batch_id) if numbers_mode else batch.report(batch_id, labelled)
    st.subheader(f"Batch #{batch_id}" + (" · numbers" if numbers_mode else ""))
    if failed is not None:
        st.error(f"Job #{job_id} failed: {text.md(failed)}", icon=":material/error:")
    else:
        st.caption(f"Job #{job_id} · {text.md(status)}")
    if failed is not None and not result["items"]:
        return  # refused before any item was stored (quota, images per batch, no model): nothing to list
    cols = st.columns(3)
    cols[0].metric("Images", f"{result['items']:,}")
    cols[1].metric("Read" if numbers_mode else "Predicted", f"{result['predicted']:,}")
    cols[2].metric("Errors", f"{result['errors']:,}")
    if numbers_mode:
        number_results.report(result)
    elif labelled:
        labelled_report(result)
    tabs = st.tabs(["Results", f"Errors ({result['errors']:,})"])
    with tabs[0]:
        (number_results.results if numbers_mode else results)(batch_id, user)
    with tabs[1]:
        errors(batch_id, user)
