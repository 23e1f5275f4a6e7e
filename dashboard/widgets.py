"""Blocks more than one page shows: the prediction result and the feedback form."""
from __future__ import annotations

import streamlit as st

from dashboard import charts
from data.users import User
from ml import policy
from ml.predict import Prediction, record_feedback


def result_block(result: Prediction) -> None:
    top = st.columns(3)
    top[0].metric("Predicted digit", result.digit)
    top[1].metric("Confidence", f"{result.confidence:.1%}")
    top[2].metric("Latency", f"{result.latency_ms:.1f} ms", help="Preprocessing and model time for this image")
    if result.confidence < 0.5:
        st.warning("The model is unsure about this one: check the probabilities below.")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.probability_bars(result.probabilities, result.digit), key="proba_chart")
    right.plotly_chart(charts.model_input_heatmap(result.model_input, result.convention.max_value),
                       key="input_chart")
    st.caption(f"Model {result.model_id} · prediction #{result.prediction_id}")


def feedback_block(result: Prediction, user: User) -> None:
    """Correct / pick the real digit; stored against the prediction (viewers cannot train models)."""
    if result.prediction_id is None:
        return
    if not policy.can(user.role, "feedback"):
        st.caption("Viewers cannot send feedback that trains models.")
        return
    done_key = f"feedback_done_{result.prediction_id}"
    if done_key in st.session_state:
        st.success(st.session_state[done_key])
        return
    st.write("**Was this right?**")
    cols = st.columns([1, 2, 1])
    if cols[0].button("Correct", key=f"fb_ok_{result.prediction_id}", icon=":material/check:"):
        record_feedback(result.prediction_id, username=user.username, true_digit=result.digit)
        st.session_state[done_key] = "Thanks: recorded as correct."
        st.rerun()
    true_digit = cols[1].selectbox("The real digit", list(range(10)), index=None, placeholder="Pick the digit",
                                   key=f"fb_digit_{result.prediction_id}")
    if cols[2].button("Save correction", key=f"fb_fix_{result.prediction_id}", disabled=true_digit is None):
        correct = record_feedback(result.prediction_id, username=user.username, true_digit=int(true_digit))
        st.session_state[done_key] = ("Thanks: recorded as correct." if correct
                                      else f"Thanks: recorded the real digit {true_digit}; it becomes training data.")
        st.rerun()
