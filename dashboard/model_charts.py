"""Plotly figures of the model lab: confusion matrix and ROC curves."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def confusion_heatmap(matrix: np.ndarray, normalised: bool) -> go.Figure:
    counts = np.asarray(matrix, dtype=float)
    values = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalised else counts
    text = [[f"{v:.0%}" if normalised else f"{int(v)}" for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=values, x=[str(d) for d in range(values.shape[1])], y=[str(d) for d in range(values.shape[0])],
        text=text, texttemplate="%{text}", colorscale="Blues", showscale=False, customdata=counts,
        hovertemplate="true %{y}, predicted %{x}: %{customdata:.0f} images<extra></extra>"))
    fig.update_layout(title="Confusion matrix" + (" (share of each true digit)" if normalised else " (counts)"),
                      xaxis_title="Predicted digit", yaxis_title="True digit", height=480,
                      yaxis_autorange="reversed", margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(dtick=1)
    return fig


def roc_figure(curves: dict[str, dict]) -> go.Figure:
    fig = go.Figure()
    for name, curve in curves.items():
        average = name in ("micro", "macro")
        fig.add_trace(go.Scatter(
            x=curve["fpr"], y=curve["tpr"], mode="lines",
            name=f"{name}-average (AUC {curve['auc']:.4f})" if average else f"digit {name} (AUC {curve['auc']:.4f})",
            line=dict(width=3 if average else 1.2, dash="dash" if average else "solid"),
            hovertemplate="false positive rate %{x:.3f}<br>true positive rate %{y:.3f}<extra>%{fullData.name}</extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line=dict(color="grey", dash="dot")))
    fig.update_layout(title="ROC curves, one digit against the rest", xaxis_title="False positive rate",
                      yaxis_title="True positive rate", height=480, margin=dict(l=10, r=10, t=50, b=10))
    return fig
