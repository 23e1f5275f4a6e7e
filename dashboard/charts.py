"""Plotly figures shared by the pages."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go


def probability_bars(probabilities: Sequence[float], predicted: int, also: int | None = None) -> go.Figure:
    """Bars per digit, the answer in red; `also` (the runner-up of a "not sure" answer) in orange."""
    digits = [str(d) for d in range(10)]
    colours = ["#e4572e" if d == predicted else "#f3a712" if d == also else "#8da0cb" for d in range(10)]
    fig = go.Figure(go.Bar(x=digits, y=list(probabilities), marker_color=colours,
                           hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(title="Probability per digit", xaxis_title="Digit", yaxis_title="Probability",
                      yaxis_range=[0, 1], yaxis_tickformat=".0%", height=300, xaxis_type="category",
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def model_input_heatmap(model_input: np.ndarray, max_value: float) -> go.Figure:
    fig = px.imshow(model_input, color_continuous_scale="gray_r", zmin=0, zmax=max_value,
                    labels=dict(color="ink"), title=f"What the model saw ({model_input.shape[0]}×{model_input.shape[1]})")
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), coloraxis_showscale=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
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
    fig.update_xaxes(tickformat="%d %b", dtick=86_400_000)
    return fig
