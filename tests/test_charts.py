"""Shared chart builders: a day axis shows days, and a day's bar is a bar even when there is one day."""
from __future__ import annotations

import plotly.express as px

from dashboard import charts


def test_one_days_bar_is_most_of_a_day_wide_not_a_hairline():
    fig = charts.date_axis(px.bar(x=["2026-11-25"], y=[50]), ["2026-11-25"])
    assert fig.data[0].width == charts.DAY_MS * 0.8
    assert fig.layout.xaxis.tickformat == "%d %b %Y"


def test_lines_keep_their_own_look():
    fig = charts.date_axis(px.line(x=["2026-11-24", "2026-11-25"], y=[1, 2]), ["2026-11-24", "2026-11-25"])
    assert fig.data[0].type == "scatter" and "width" not in fig.data[0].to_plotly_json()
