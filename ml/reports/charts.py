"""The report's chart images, drawn with matplotlib's object API (no pyplot: no global figure state,
safe on the app's script threads) and returned as PNG bytes for fpdf2."""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from data.predictions import SOURCE_LABELS

SOURCE_COLOURS = {"draw": "#8da0cb", "upload": "#66c2a5", "cli": "#fc8d62", "batch": "#e78ac3", "api": "#a6d854"}
DPI = 150


def _figure(width: float = 7.0, height: float = 3.2):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _tidy(ax, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def confusion(matrix: Sequence[Sequence[int]]) -> bytes:
    """Counts in each cell, shaded by the share of the true digit's images."""
    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = _figure(4.6, 4.2)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for t in range(counts.shape[0]):
        for p in range(counts.shape[1]):
            ax.text(p, t, f"{int(counts[t, p])}", ha="center", va="center", fontsize=7,
                    color="white" if shares[t, p] > 0.5 else "#333333")
    ax.set_xticks(range(counts.shape[1]))
    ax.set_yticks(range(counts.shape[0]))
    _tidy(ax, "Confusion matrix (test split)", "Predicted digit", "True digit")
    return _png(fig)


def roc(curves: dict[str, dict]) -> bytes:
    """One-vs-rest ROC per digit (thin) and the micro average (thick)."""
    fig, ax = _figure(4.6, 4.2)
    for name, curve in curves.items():
        if name.isdigit():
            ax.plot(curve["fpr"], curve["tpr"], linewidth=0.8, alpha=0.7, label=f"{name} ({curve['auc']:.3f})")
    if "micro" in curves:
        ax.plot(curves["micro"]["fpr"], curves["micro"]["tpr"], color="black", linewidth=2,
                label=f"micro ({curves['micro']['auc']:.3f})")
    ax.plot([0, 1], [0, 1], linestyle=":", color="#999999", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=6, title="digit (AUC)", title_fontsize=6, loc="lower right", ncols=2)
    _tidy(ax, "ROC curves (test split)", "False positive rate", "True positive rate")
    return _png(fig)


def _day_axis(ax, days) -> None:
    """Whole days on the x axis, never a time of day, with half a day of room each side (one day of
    data otherwise gets hour ticks)."""
    import matplotlib.dates as mdates
    days = pd.to_datetime(pd.Series(list(days)))
    if days.empty:
        return
    first, last = days.min().normalize(), days.max().normalize()
    ax.set_xlim(first - pd.Timedelta(hours=12), last + pd.Timedelta(hours=12))
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, ((last - first).days + 1) // 10 + 1)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))


def per_day_by_source(frame: pd.DataFrame) -> bytes:
    """Stacked bars of predictions per day, one colour per source."""
    table = frame.pivot_table(index="day", columns="source", values="predictions", aggfunc="sum", fill_value=0)
    days = pd.to_datetime(table.index)
    fig, ax = _figure()
    bottom = np.zeros(len(table))
    for source in table.columns:
        ax.bar(days, table[source].to_numpy(), bottom=bottom, width=0.8, label=SOURCE_LABELS.get(source, source),
               color=SOURCE_COLOURS.get(source, "#999999"))
        bottom += table[source].to_numpy()
    fig.legend(loc="outside upper right", ncols=len(table.columns), fontsize=7, frameon=False)
    _day_axis(ax, days)
    fig.autofmt_xdate()
    _tidy(ax, "Predictions per day by source", "Day", "Predictions")
    return _png(fig)


def accuracy_by_day(frame: pd.DataFrame) -> bytes:
    fig, ax = _figure(7.0, 2.8)
    ax.plot(pd.to_datetime(frame["day"]), frame["accuracy"] * 100, marker="o", markersize=3, color="#3a5aa0")
    ax.set_ylim(0, 104)
    _day_axis(ax, frame["day"])
    fig.autofmt_xdate()
    _tidy(ax, "Accuracy from feedback, by day of the prediction", "Day", "Accuracy (%)")
    return _png(fig)
