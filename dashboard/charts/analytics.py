"""Plotly figures of the Analytics page, in the house style of `dashboard.charts.common` (whole-day date axes,
0-100 % share axes, small margins). Each takes one aggregated frame of `data.queries.analytics`."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import date_axis, share_axis
from dashboard.text import chart_text, share
from data.predictions import SOURCE_LABELS

SOURCE_COLOURS = {"draw": "#8da0cb", "upload": "#66c2a5", "cli": "#fc8d62", "batch": "#e78ac3", "api": "#a6d854"}
MARGIN = dict(l=10, r=10, t=50, b=10)


def per_day_by_source(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars per day, one colour per source."""
    fig = go.Figure()
    for source, part in frame.groupby("source", sort=True):
        label = SOURCE_LABELS.get(str(source), str(source))
        fig.add_trace(go.Bar(x=part["day"], y=part["predictions"], name=label,
                             marker_color=SOURCE_COLOURS.get(str(source)),
                             hovertemplate=f"%{{x|%a %d %b}}: %{{y}} from {label}<extra></extra>"))
    fig.update_layout(title="Predictions per day by source", barmode="stack", xaxis_title="Day",
                      yaxis_title="Predictions", height=340, margin=MARGIN, legend_title_text="source")
    return date_axis(fig, frame["day"])


def confidence_by_digit(frame: pd.DataFrame) -> go.Figure:
    """A heatmap: per answered digit (rows), the share of its predictions in each 5-point confidence bin."""
    counts = frame.pivot_table(index="digit", columns="low", values="predictions", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=range(10), columns=[b / 20 for b in range(20)], fill_value=0)
    totals = counts.sum(axis=1).replace(0, 1)
    shares = counts.div(totals, axis=0)
    labels = [f"{int(round(b * 100))}–{int(round(b * 100)) + 5}%" for b in counts.columns]
    fig = go.Figure(go.Heatmap(z=shares.values, x=labels, y=[str(d) for d in range(10)], colorscale="Blues",
                               customdata=counts.values, colorbar=dict(title="share", tickformat=".0%"),
                               hovertemplate="answer %{y}, confidence %{x}: %{customdata} predictions "
                                             "(%{z:.1%})<extra></extra>"))
    fig.update_layout(title="Confidence distribution per answered digit", xaxis_title="Confidence",
                      yaxis_title="Answered digit", height=380, margin=MARGIN)
    fig.update_yaxes(type="category")
    return fig


def accuracy_by_day(frame: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(x=frame["day"], y=frame["accuracy"], mode="lines+markers", customdata=frame["checked"],
                               hovertemplate="%{x|%d %b}: %{y:.2%} right of %{customdata} checked<extra></extra>"))
    fig.update_layout(title="Accuracy from feedback, by day of the prediction", xaxis_title="Day",
                      yaxis_title="Accuracy", height=320, margin=MARGIN)
    return share_axis(date_axis(fig, frame["day"]))


def accuracy_by_model(frame: pd.DataFrame) -> go.Figure:
    labels = [f"#{int(m)} {chart_text(f or 'deleted')}" for m, f in zip(frame["model_id"], frame["family"])]
    fig = go.Figure(go.Bar(x=labels, y=frame["accuracy"], customdata=frame["checked"], marker_color="#8da0cb",
                           text=[share(a) for a in frame["accuracy"]], textposition="outside",
                           hovertemplate="%{x}: %{y:.2%} right of %{customdata} checked<extra></extra>"))
    fig.update_layout(title="Accuracy from feedback per model version", xaxis_title="Model",
                      yaxis_title="Accuracy", height=320, margin=MARGIN, xaxis_type="category")
    return share_axis(fig)


def pair_label(true_digit: int, predicted: int) -> str:
    return f"a {int(true_digit)} read as {int(predicted)}"


def confused_pairs(frame: pd.DataFrame, picked: str | None = None) -> go.Figure:
    """Horizontal bars, the most frequent mistake on top; a click on a bar selects that pair."""
    labels = [pair_label(t, p) for t, p in zip(frame["true_digit"], frame["predicted"])]
    colours = ["#e4572e" if label == picked else "#8da0cb" for label in labels]
    fig = go.Figure(go.Bar(y=labels, x=frame["times"], orientation="h", marker_color=colours,
                           customdata=list(zip(frame["true_digit"], frame["predicted"])),
                           hovertemplate="%{y}: %{x} times — click to see them<extra></extra>"))
    fig.update_layout(title="Most confused digits (from feedback)", xaxis_title="Times", height=60 + 32 * len(labels),
                      margin=MARGIN, yaxis_autorange="reversed", dragmode=False, clickmode="event+select")
    most = int(frame["times"].max()) if len(frame) else 1
    fig.update_xaxes(tickformat="d", dtick=max(1, -(-most // 8)), rangemode="tozero")  # a count: whole ticks, never 0.5
    return fig


def user_activity(frame: pd.DataFrame, top: int = 20) -> go.Figure:
    shown = frame.head(top)
    names = [chart_text(u) for u in shown["username"]]
    fig = go.Figure([go.Bar(x=names, y=shown["predictions"], name="predictions", marker_color="#8da0cb"),
                     go.Bar(x=names, y=shown["feedback"], name="feedback given", marker_color="#66c2a5")])
    fig.update_layout(title=f"Activity per user (top {min(top, len(frame))})", barmode="group", height=340,
                      margin=MARGIN, xaxis_type="category", yaxis_title="Rows")
    return fig
