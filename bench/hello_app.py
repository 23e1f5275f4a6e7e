"""The cold-start floor: a bare Streamlit app with one text box, timed like Digit Lab's sign-in page."""
import streamlit as st

st.text_input("Username")
