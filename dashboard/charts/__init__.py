"""Plotly figures in the house style: `common` (shared figures and the date and share axes), and the
Analytics and Models pages' own figures.
"""
