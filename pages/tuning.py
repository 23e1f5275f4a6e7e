"""Tuning: set up an Optuna study, watch it run, stop or resume it, compare trials, train the best."""
import streamlit as st

from dashboard import auth

user = auth.require("tuning")
st.title("Tune hyperparameters")
