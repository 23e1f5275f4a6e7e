"""Blocks more than one page shows: the prediction result and the feedback form."""
from __future__ import annotations

import streamlit as st

from dashboard import failures, text
from dashboard.charts import common as charts
from data import predictions
from data.users import User
from ml.governance import policy
from ml.lab import handover
from ml.prediction.predict import Prediction, record_feedback, withdraw_feedback


def not_sure_text(result: Prediction) -> str:
    if result.not_digit:
        return "Not a digit"
    first, second = result.likeliest
    return f"Not sure — {first} or {second}?"


def result_block(result: Prediction, user: User | None = None) -> None:
    """The answer, or "Not sure — 3 or 5?" when the confidence is below the model's threshold
    (a confident wrong answer is worse than a question), its feedback form (when `user` is given:
    right under the answer, so both fit one laptop screen), then the evidence."""
    top = st.columns(3)
    if result.not_digit:
        top[0].metric("Answer", "Not a digit")
        st.warning("This does not look like a digit: the model's digit check reads it as something else "
                   "(a letter, a scribble), so it names no digit and the prediction is flagged for review.")
    elif result.not_sure:
        first, second = result.likeliest
        top[0].metric("Not sure", f"{first} or {second}?")
        st.warning(f"{not_sure_text(result)} The model's confidence ({text.share(result.confidence)}) is below "
                   f"the {text.share(result.threshold)} it needs to answer, so this prediction is flagged for review.")
    else:
        top[0].metric("Predicted digit", result.digit)
    top[1].metric("Confidence", text.share(result.confidence))
    top[2].metric("Latency", f"{result.latency_ms:.1f} ms", help="Preprocessing and model time for this image")
    if user is not None:
        feedback_block(result, user)
    left, right = st.columns([3, 2])
    also = result.runner_up if result.not_sure and not result.not_digit else None
    left.plotly_chart(charts.probability_bars(result.probabilities, result.digit, also), key="proba_chart")
    right.plotly_chart(charts.model_input_heatmap(result.model_input, result.convention.max_value),
                       key="input_chart")
    st.caption(f"Model {result.model_id} · prediction #{result.prediction_id}")


def feedback_said(given: int, predicted: int) -> str:
    return ("You confirmed the answer was right." if given == predicted
            else f"You said it is a {given}: it is training data now (the `feedback` dataset).")


def save_feedback(prediction_id: int, user: User, true_digit: int) -> None:
    with failures.boundary("feedback", user.username):
        record_feedback(prediction_id, username=user.username, true_digit=true_digit)
    st.session_state.pop(f"feedback_edit_{prediction_id}", None)
    st.rerun()


def given_feedback(prediction_id: int, predicted: int, user: User) -> bool:
    """What `user` said about a prediction, with Change and Withdraw; False when they said nothing
    (or pressed Change), and the caller shows the form."""
    if said := st.session_state.pop(f"feedback_done_{prediction_id}", None):
        st.success(said)
    given = predictions.feedback_by(prediction_id, user.username)
    if given is None or st.session_state.get(f"feedback_edit_{prediction_id}"):
        return False
    st.success(feedback_said(given, predicted))
    cols = st.container(horizontal=True)  # buttons as wide as their labels (fixed columns cut them to "Cha…")
    if cols.button("Change", key=f"fb_change_{prediction_id}", icon=":material/edit:"):
        st.session_state[f"feedback_edit_{prediction_id}"] = True
        st.rerun()
    if cols.button("Withdraw", key=f"fb_withdraw_{prediction_id}", icon=":material/undo:",
                      help="Take your answer back: the image leaves the training data."):
        with failures.boundary("withdraw_feedback", user.username):
            withdraw_feedback(prediction_id, username=user.username)
        st.session_state[f"feedback_done_{prediction_id}"] = (f"Feedback on prediction #{prediction_id} withdrawn: "
                                                              "the image is no longer training data.")
        st.rerun()
    return True


def feedback_block(result: Prediction, user: User) -> None:
    """Correct / pick the real digit (for a "not sure" answer: which of the two it is); stored
    against the prediction (viewers cannot train models). Once sent, it can be changed or withdrawn."""
    if result.prediction_id is None:
        return
    if not policy.can(user.role, "feedback"):
        st.caption("Viewers cannot send feedback that trains models.")
        return
    pid = result.prediction_id
    if given_feedback(pid, result.digit, user):
        return
    if result.not_digit:
        st.markdown("**If it is a digit after all, which one?**")
    else:
        st.markdown("**Which is it?**" if result.not_sure else "**Was this right?**")
    row = st.container(horizontal=True, vertical_alignment="center")  # each control as wide as its label
    if result.not_digit:
        pass  # the gate doubts it is a digit at all: its two likeliest digits mean nothing, all ten are offered
    elif result.not_sure:
        for digit, key in zip(result.likeliest, ("fb_first", "fb_second")):
            if row.button(f"It is {digit}", key=f"{key}_{pid}"):
                save_feedback(pid, user, digit)
    elif row.button("Correct", key=f"fb_ok_{pid}", icon=":material/check:"):
        save_feedback(pid, user, result.digit)
    true_digit = row.selectbox("The real digit", list(range(10)), index=None,
                               placeholder="It is a …" if result.not_digit else "Pick the digit",
                               key=f"fb_digit_{pid}", label_visibility="collapsed", width=170)
    label = "Save" if result.not_digit else "Save correction"
    if row.button(label, key=f"fb_fix_{pid}", disabled=true_digit is None):
        save_feedback(pid, user, int(true_digit))


@st.fragment(run_every=2.0)
def handover_notice() -> None:
    """While the first model is prepared, or a quick interim model serves, the default model's training
    progress; the page refreshes itself once a model answers and again once the default takes over."""
    state = handover.state()
    if state is None:
        if st.session_state.pop("_handover_seen", False):
            st.rerun()  # the default now serves: refresh the page's model figures
        return
    if st.session_state.get("_handover_seen") == "preparing" and not state.preparing:
        st.rerun()  # the first model answers: refresh the page's model figures
    st.session_state["_handover_seen"] = "preparing" if state.preparing else "interim"
    if state.preparing:
        st.progress(state.progress, text="Preparing a first model: Draw, Upload and Batch open once it answers "
                                         "(a quick model first, then the default trains in the background). "
                                         + (state.message or ""))
        return
    st.progress(state.progress, text="A quick interim model answers while the default model (trained on real "
                                     "handwriting) trains in the background; it takes over when ready. "
                                     + (state.message or ""))
    st.caption(INTERIM_ACCURACY_NOTE)


INTERIM_ACCURACY_NOTE = ("The interim model's held-out accuracy is measured on its own test images (undistorted "
                         "scans); the default model's is measured on a harder test set that also holds distorted "
                         "copies, so its figure can read lower while it reads real handwriting better.")


def wait_for_first_model() -> None:
    """For pages that answer with a model: while the first one is prepared, its progress instead of
    the page, which opens by itself once a model answers."""
    state = handover.state()
    if state is None or not state.preparing:
        return
    _first_model_progress()
    st.stop()


@st.fragment(run_every=2.0)
def _first_model_progress() -> None:
    state = handover.state()
    if state is None or not state.preparing:
        st.rerun()
    st.progress(state.progress, text="Preparing a first model; this page opens by itself once it answers. "
                                     + (state.message or ""))
