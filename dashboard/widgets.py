"""Blocks more than one page shows: the prediction result and the feedback form."""
from __future__ import annotations

import streamlit as st

from dashboard import charts, failures
from data.users import User
from ml import policy
from ml.predict import Prediction, record_feedback


def not_sure_text(result: Prediction) -> str:
    first, second = result.likeliest
    return f"Not sure — {first} or {second}?"


def result_block(result: Prediction) -> None:
    """The answer, or "Not sure — 3 or 5?" when the confidence is below the model's threshold
    (a confident wrong answer is worse than a question), then the evidence."""
    top = st.columns(3)
    if result.not_sure:
        first, second = result.likeliest
        top[0].metric("Not sure", f"{first} or {second}?")
        st.warning(f"{not_sure_text(result)} The model's confidence ({result.confidence:.0%}) is below the "
                   f"{result.threshold:.0%} it needs to answer, so this prediction is flagged for review.")
    else:
        top[0].metric("Predicted digit", result.digit)
    top[1].metric("Confidence", f"{result.confidence:.1%}")
    top[2].metric("Latency", f"{result.latency_ms:.1f} ms", help="Preprocessing and model time for this image")
    left, right = st.columns([3, 2])
    also = result.runner_up if result.not_sure else None
    left.plotly_chart(charts.probability_bars(result.probabilities, result.digit, also), key="proba_chart")
    right.plotly_chart(charts.model_input_heatmap(result.model_input, result.convention.max_value),
                       key="input_chart")
    st.caption(f"Model {result.model_id} · prediction #{result.prediction_id}")


def _save(result: Prediction, user: User, true_digit: int) -> None:
    with failures.boundary("feedback", user.username):
        correct = record_feedback(result.prediction_id, username=user.username, true_digit=true_digit)
    st.session_state[f"feedback_done_{result.prediction_id}"] = (
        "Thanks: recorded as correct." if correct
        else f"Thanks: recorded the real digit {true_digit}; it becomes training data.")
    st.rerun()


def feedback_block(result: Prediction, user: User) -> None:
    """Correct / pick the real digit (for a "not sure" answer: which of the two it is); stored
    against the prediction (viewers cannot train models)."""
    if result.prediction_id is None:
        return
    if not policy.can(user.role, "feedback"):
        st.caption("Viewers cannot send feedback that trains models.")
        return
    pid = result.prediction_id
    done_key = f"feedback_done_{pid}"
    if done_key in st.session_state:
        st.success(st.session_state[done_key])
        return
    st.write("**Which is it?**" if result.not_sure else "**Was this right?**")
    cols = st.columns([1, 1, 2, 1]) if result.not_sure else st.columns([1, 2, 1])
    if result.not_sure:
        for col, digit, key in zip(cols[:2], result.likeliest, ("fb_first", "fb_second")):
            if col.button(f"It is {digit}", key=f"{key}_{pid}"):
                _save(result, user, digit)
    elif cols[0].button("Correct", key=f"fb_ok_{pid}", icon=":material/check:"):
        _save(result, user, result.digit)
    true_digit = cols[-2].selectbox("The real digit", list(range(10)), index=None, placeholder="Pick the digit",
                                    key=f"fb_digit_{pid}")
    if cols[-1].button("Save correction", key=f"fb_fix_{pid}", disabled=true_digit is None):
        _save(result, user, int(true_digit))
