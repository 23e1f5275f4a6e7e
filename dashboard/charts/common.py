"""Plotly figures shared by the pages, and the two axis helpers every chart uses: dates on date
axes (whole days, never a time of day, even with one day of data) and shares on 0-100% axes."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

DAY_MS = 86_400_000


def date_axis(fig: go.Figure, days: Sequence) -> go.Figure:
    """The x axis as calendar days: ticks on whole days (at most ~10), half a day of room each side.
    Plotly's own range for one day of data runs from noon to noon and labels "23:59:59.999"."""
    values = pd.to_datetime(pd.Series(list(days)))
    if values.empty:
        return fig
    first, last = values.min().normalize(), values.max().normalize()
    step = max(1, math.ceil(((last - first).days + 1) / 10))
    fig.update_xaxes(type="date", tickformat="%d %b %Y", hoverformat="%d %b %Y", tick0=first, dtick=DAY_MS * step,
                     range=[first - pd.Timedelta(hours=12), last + pd.Timedelta(hours=12)])
    fig.update_traces(width=DAY_MS * 0.8, selector={"type": "bar"})  # a day's bar, not a hairline, for one day
    return fig


def share_axis(fig: go.Figure, axis: str = "y", low: float = 0.0) -> go.Figure:
    """A share axis: 0% (or `low`) to 100%, ticks as percentages, a little room above for markers."""
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(range=[low, 1.04], tickformat=".0%", hoverformat=".2%", autorange=False)
    return fig


def probability_bars(probabilities: Sequence[float], predicted: int, also: int | None = None) -> go.Figure:
    """Bars per digit, the answer in red; `also` (the runner-up of a "not sure" answer) in orange."""
    digits = [str(d) for d in range(10)]
    colours = ["#e4572e" if d == predicted else "#f3a712" if d == also else "#8da0cb" for d in range(10)]
    fig = go.Figure(go.Bar(x=digits, y=list(probabilities), marker_color=colours,
                           hovertemplate="digit %{x}: %{y:.2%}<extra></extra>"))
    fig.update_layout(title="Probability per digit", xaxis_title="Digit", yaxis_title="Probability",
                      height=300, xaxis_type="category", margin=dict(l=10, r=10, t=40, b=10))
    return share_axis(fig)


def model_input_heatmap(model_input: np.ndarray, max_value: float) -> go.Figure:
    """The model input as square grey pixels, row 0 on top: what `px.imshow` draws, built directly. Every
    answer on Draw and Upload shows one, and plotly express spent more of the server's CPU building it
    than the prediction took (docs/architecture.md)."""
    fig = go.Figure(go.Heatmap(z=model_input, zmin=0, zmax=max_value, colorscale="gray_r", showscale=False,
                               hovertemplate="x: %{x}<br>y: %{y}<br>ink: %{z}<extra></extra>"))
    fig.update_layout(title=f"Model input ({model_input.shape[0]}×{model_input.shape[1]})", height=300,
                      margin=dict(l=10, r=10, t=40, b=10),
                      xaxis=dict(showticklabels=False, scaleanchor="y", constrain="domain"),
                      yaxis=dict(showticklabels=False, autorange="reversed", constrain="domain"))
    return fig


def predictions_per_day(frame: pd.DataFrame, start, end) -> go.Figure:
    """Bars per calendar day from start to end, days without predictions shown as zero."""
    days = pd.date_range(start, end, freq="D")
    counts = frame.assign(day=pd.to_datetime(frame["day"])).set_index("day")["predictions"]
    full = counts.reindex(days, fill_value=0)
    fig = go.Figure(go.Bar(x=full.index, y=full.values, marker_color="#8da0cb",
                           hovertemplate="%{x|%a %d %b}: %{y} predictions<extra></extra>"))
    fig.update_layout(title="Predictions per day", xaxis_title="Day", yaxis_title="Predictions", height=280,
                      margin=dict(l=10, r=10, t=40, b=10))
    return date_axis(fig, days)
