"""The Models page's live-accuracy and actions tabs: every change goes through `ml.lab.lifecycle`
(capability checked, audited) inside the dashboard's failure boundary."""
from __future__ import annotations

import streamlit as st

from dashboard import failures, text
from dashboard.charts import models as model_charts
from dashboard.components import report_button
from data import predictions, registry
from data.registry import ModelRecord
from data.users import User
from ml.governance import policy
from ml.lab import lifecycle, scoring
from ml.models import artifacts
from ml.reports import document as reports


def live(record: ModelRecord, user: User) -> None:
    """Per day, the share of this model's predictions users confirmed; and a score on all feedback."""
    frame = predictions.live_accuracy(record.id)
    if frame.empty:
        st.info("No feedback on this model's predictions yet.")
    else:
        st.plotly_chart(model_charts.accuracy_over_time(frame), key="live_chart")
    if st.button("Evaluate on all feedback", key="eval_feedback",
                 help="Score this model on every image users corrected or confirmed in its image convention, "
                      "whichever model served it."):
        with failures.boundary("evaluate_model", user.username, stop=False):
            result = scoring.evaluate(record.id, f"feedback:{record.convention['name']}", whole=True)
            st.metric("Accuracy on feedback", text.share(result["accuracy"]), help=f"Scored on {text.md(result['scored'])}.")


def _dismissed() -> None:
    st.session_state.pop("delete_asked", None)


@st.dialog("Delete a model", on_dismiss=_dismissed)
def _confirm_delete(record: ModelRecord, user: User) -> None:
    """Name the model before it goes; afterwards no row is selected (the page shows the active model).
    Open while `delete_asked` names it, so its buttons work on any rerun (closing it clears that)."""
    st.write(f"Delete **model #{record.id}** ({record.family} on {text.md(record.dataset)}, trained by "
             f"{text.md(record.trained_by)}, accuracy {text.share(record.metrics['accuracy'])})? Its artifact "
             "file goes too; this cannot be undone.")
    left, right = st.columns(2)
    if left.button(f"Delete model #{record.id}", key="confirm_delete", type="primary"):
        with failures.boundary("delete_model", user.username):
            lifecycle.delete(record.id, by=user.username)
        st.session_state.models_table_generation = st.session_state.get("models_table_generation", 0) + 1
        st.session_state.models_flash = f"Model #{record.id} deleted."
        _dismissed()
        st.rerun()
    if right.button("Keep it", key="cancel_delete"):
        _dismissed()
        st.rerun()


def actions(record: ModelRecord, user: User) -> None:
    """Activate, archive / unarchive, download, delete (admins; never the active model), notes."""
    active, archived = record.id == registry.active_id(), record.status == "archived"
    cols = st.columns(4)
    if cols[0].button("Activate", key="act_activate", disabled=active or archived,
                      help="Make this the model behind every prediction."):
        with failures.boundary("activate_model", user.username):
            lifecycle.activate(record.id, by=user.username)
        st.session_state.models_flash = f"Model #{record.id} is active: every prediction now comes from it."
        st.rerun()
    if cols[1].button("Unarchive" if archived else "Archive", key="act_archive", disabled=active):
        with failures.boundary("archive_model", user.username):
            lifecycle.set_archived(record.id, not archived, by=user.username)
        st.session_state.models_flash = (f"Model #{record.id} is back in the list of models to use." if archived else
                                         f"Model #{record.id} is archived: it cannot be activated until unarchived.")
        st.rerun()
    if (download := artifacts.download(record.id)) is not None:
        cols[2].download_button("Download artifact", download[1], file_name=download[0], key="act_download",
                                mime="application/octet-stream")
    if policy.can(user.role, "delete_model") and cols[3].button(
            "Delete…", key="act_delete", disabled=active, help="Admins only; never the active model."):
        st.session_state.delete_asked = record.id
    if st.session_state.get("delete_asked") == record.id:
        _confirm_delete(record, user)
    notes = st.text_area("Notes", value=record.notes, key=f"notes_{record.id}", max_chars=registry.MAX_NOTES)
    if st.button("Save notes", key="act_notes"):
        with failures.boundary("annotate_model", user.username):
            lifecycle.set_notes(record.id, notes, by=user.username)
        st.toast("Notes saved.")
    report_button.pdf_download("Model card (PDF)", f"model-{record.id}-card.pdf",
                               lambda: reports.model_card(record.id, user.username), user.username, key="act_card")
