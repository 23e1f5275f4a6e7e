"""Plotly figures of the model lab: confusion matrix, curves, image grids (arrays prepared in `ml.lab.tiles`)."""
from __future__ import annotations

import math

import plotly.graph_objects as go

from dashboard.charts.common import date_axis, share_axis
from dashboard.text import chart_text, share
from ml.lab import tiles


def confusion_heatmap(matrix: list[list[int]], normalised: bool, picked: tuple[int, int] | None = None) -> go.Figure:
    """The matrix, with a transparent marker on every cell so that a click selects the cell (plotly
    selection events work on markers, not on heatmap tiles); the picked cell is outlined."""
    counts = [[float(v) for v in row] for row in matrix]
    values = tiles.row_shares(matrix).tolist() if normalised else counts
    text = [[f"{v:.0%}" if normalised else f"{int(v)}" for v in row] for row in values]
    digits = [str(d) for d in range(len(values))]
    fig = go.Figure(go.Heatmap(z=values, x=digits, y=digits, text=text, texttemplate="%{text}", colorscale="Blues",
                               showscale=False, hoverinfo="skip"))
    cells = [(t, p) for t in range(len(values)) for p in range(len(values))]
    fig.add_trace(go.Scatter(
        x=[str(p) for _, p in cells], y=[str(t) for t, _ in cells], mode="markers", showlegend=False,
        marker=dict(size=34, symbol="square", color="rgba(0,0,0,0)"),
        customdata=[counts[t][p] for t, p in cells],
        hovertemplate="true %{y}, predicted %{x}: %{customdata:.0f} images — click to see them<extra></extra>"))
    if picked is not None:
        fig.add_shape(type="rect", x0=picked[1] - 0.5, x1=picked[1] + 0.5, y0=picked[0] - 0.5, y1=picked[0] + 0.5,
                      line=dict(color="#e4572e", width=3))
    fig.update_layout(title="Confusion matrix" + (" (share of each true digit)" if normalised else " (counts)"),
                      xaxis_title="Predicted digit", yaxis_title="True digit", height=480, dragmode=False,
                      yaxis_autorange="reversed", margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def per_digit_bars(per_class: list[dict]) -> go.Figure:
    """Precision, recall and F1 per digit side by side: the weak digits stand out at a glance."""
    fig = go.Figure()
    digits = [str(row["digit"]) for row in per_class]
    for measure, colour in (("precision", "#66c2a5"), ("recall", "#fc8d62"), ("f1", "#8da0cb")):
        fig.add_trace(go.Bar(x=digits, y=[row[measure] for row in per_class], name=measure, marker_color=colour,
                             customdata=[row["support"] for row in per_class],
                             hovertemplate=f"digit %{{x}}: {measure} %{{y:.2%}} (%{{customdata}} test images)<extra></extra>"))
    low = min((min(row["precision"], row["recall"]) for row in per_class), default=0.0)
    fig.update_layout(title="Precision, recall and F1 per digit", xaxis_title="Digit", yaxis_title="Score",
                      barmode="group", xaxis_type="category", height=340, margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(fig, low=max(0.0, math.floor((low - 0.05) * 10) / 10))  # the weak digits stand out


def roc_figure(curves: dict[str, dict]) -> go.Figure:
    fig = go.Figure()
    for name, curve in curves.items():
        average = name in ("micro", "macro")
        fig.add_trace(go.Scatter(
            x=curve["fpr"], y=curve["tpr"], mode="lines",
            name=f"{name}-average (AUC {curve['auc']:.4f})" if average else f"digit {name} (AUC {curve['auc']:.4f})",
            line=dict(width=3 if average else 1.2, dash="dash" if average else "solid"),
            hovertemplate="false positive rate %{x:.2%}<br>true positive rate %{y:.2%}<extra>%{fullData.name}</extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line=dict(color="grey", dash="dot")))
    fig.update_layout(title="ROC curves, one digit against the rest", xaxis_title="False positive rate",
                      yaxis_title="True positive rate", height=480, margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(share_axis(fig, "x"))


def pr_figure(curves: dict[str, dict]) -> go.Figure:
    fig = go.Figure()
    for name, curve in curves.items():
        micro = name == "micro"
        fig.add_trace(go.Scatter(
            x=curve["recall"], y=curve["precision"], mode="lines",
            name=f"micro-average (AP {curve['ap']:.4f})" if micro else f"digit {name} (AP {curve['ap']:.4f})",
            line=dict(width=3 if micro else 1.2, dash="dash" if micro else "solid"),
            hovertemplate="recall %{x:.2%}<br>precision %{y:.2%}<extra>%{fullData.name}</extra>"))
    fig.update_layout(title="Precision-recall curves", xaxis_title="Recall", yaxis_title="Precision", height=460,
                      margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(share_axis(fig, "x"))


def reliability_figure(points: dict) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line=dict(color="grey", dash="dot")))
    fig.add_trace(go.Scatter(x=points["confidence"], y=points["accuracy"], mode="lines+markers", name="model",
                             customdata=points["counts"],
                             hovertemplate="confidence %{x:.0%}: right %{y:.2%} of %{customdata} images<extra></extra>"))
    fig.update_layout(title="Reliability: is a 90 % answer right 90 % of the time?", xaxis_title="Confidence",
                      yaxis_title="Share correct", height=420, margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(share_axis(fig, "x"))


def risk_coverage_figure(points: list[dict], threshold: float) -> go.Figure:
    """Accuracy against the share of inputs answered when only the most confident are; the point where
    the "not sure" threshold in use puts the line."""
    coverage = [p["coverage"] for p in points]
    accuracy = [p["accuracy"] for p in points]
    fig = go.Figure(go.Scatter(x=coverage, y=accuracy, mode="lines", name="answered above a confidence",
                               customdata=[p["threshold"] for p in points],
                               hovertemplate="answering %{x:.1%} (confidence ≥ %{customdata:.2%}): "
                                             "%{y:.2%} right<extra></extra>"))
    kept = [p for p in points if p["threshold"] >= threshold]
    if kept:
        at = kept[-1]
        fig.add_trace(go.Scatter(x=[at["coverage"]], y=[at["accuracy"]], mode="markers", marker=dict(size=11),
                                 name=f"threshold in use ({share(threshold)})",
                                 hovertemplate="answered %{x:.1%}, %{y:.2%} right<extra></extra>"))
    fig.update_layout(title="Risk–coverage: accuracy of the answers given, by the share of inputs answered",
                      xaxis_title="Share of test images answered (the rest: not sure)",
                      yaxis_title="Accuracy of the answers", height=420, margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(share_axis(fig, "x"))


def overlaid_roc(curves_by_model: dict[str, dict]) -> go.Figure:
    """Micro-average ROC of several models on one chart."""
    fig = go.Figure()
    for label, curve in curves_by_model.items():
        fig.add_trace(go.Scatter(x=curve["fpr"], y=curve["tpr"], mode="lines",
                                 name=f"{chart_text(label)} (AUC {curve['auc']:.4f})",
                                 hovertemplate="FPR %{x:.2%}, TPR %{y:.2%}<extra>%{fullData.name}</extra>"))
    fig.update_layout(title="Micro-average ROC by model", xaxis_title="False positive rate",
                      yaxis_title="True positive rate", height=440, margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(share_axis(fig, "x"))


def accuracy_over_time(frame) -> go.Figure:
    fig = go.Figure(go.Scatter(x=frame["day"], y=frame["accuracy"], mode="lines+markers", customdata=frame["n"],
                               hovertemplate="%{x|%d %b}: %{y:.2%} right of %{customdata} checked<extra></extra>"))
    fig.update_layout(title="Live accuracy: share of predictions users confirmed", xaxis_title="Day",
                      yaxis_title="Accuracy", height=320, margin=dict(l=10, r=10, t=50, b=10))
    return share_axis(date_axis(fig, frame["day"]))


def class_balance(counts: list[int]) -> go.Figure:
    fig = go.Figure(go.Bar(x=[str(d) for d in range(len(counts))], y=counts, marker_color="#8da0cb",
                           hovertemplate="digit %{x}: %{y} images<extra></extra>"))
    fig.update_layout(title="Images per digit", xaxis_title="Digit", yaxis_title="Images", height=300,
                      xaxis_type="category", margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _grid_figure(grid, title: str) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=grid, colorscale="gray_r", showscale=False, hoverinfo="skip"))
    fig.update_layout(title=title, height=560, yaxis_autorange="reversed", margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def sample_grid(X, y, size: int, per_class: int, seed: int = 0) -> go.Figure:
    """A grid: one row per digit, `per_class` random images of it."""
    return _grid_figure(tiles.sample_grid(X, y, size, per_class, seed),
                        f"{per_class} random images per digit (rows 0 to 9)")


def augmentation_grid(X_aug, n_originals: int, size: int) -> go.Figure:
    """One row per original image: the original, then its distorted copies (as `ml.datasets.augment` stacks them)."""
    grid, copies = tiles.augmentation_grid(X_aug, n_originals, size)
    return _grid_figure(grid, f"Each digit (left) and {copies} augmented copies of it")
