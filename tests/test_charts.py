"""Shared chart builders: a day axis shows days, and a day's bar is a bar even when there is one day."""
from __future__ import annotations

import plotly.express as px

from dashboard.charts import common as charts


def test_one_days_bar_is_most_of_a_day_wide_not_a_hairline():
    fig = charts.date_axis(px.bar(x=["2026-11-25"], y=[50]), ["2026-11-25"])
    assert fig.data[0].width == charts.DAY_MS * 0.8
    assert fig.layout.xaxis.tickformat == "%d %b %Y"


def test_lines_keep_their_own_look():
    fig = charts.date_axis(px.line(x=["2026-11-24", "2026-11-25"], y=[1, 2]), ["2026-11-24", "2026-11-25"])
    assert fig.data[0].type == "scatter" and "width" not in fig.data[0].to_plotly_json()


def test_the_model_input_is_drawn_as_plotly_express_drew_it():
    """Built without plotly express (costly on every answer): the same trace, scale, square
    pixels and row 0 on top as `px.imshow`."""
    import numpy as np
    image = np.random.default_rng(3).random((28, 28))
    figure = charts.model_input_heatmap(image, 1.0)
    assert figure.data[0].type == "heatmap" and np.array_equal(figure.data[0].z, image)
    ours = figure.to_plotly_json()
    theirs = px.imshow(image, color_continuous_scale="gray_r", zmin=0, zmax=1.0).to_plotly_json()
    trace = ours["data"][0]
    assert (trace["zmin"], trace["zmax"], trace["showscale"]) == (0, 1.0, False)
    assert trace["colorscale"] == theirs["layout"]["coloraxis"]["colorscale"]
    for axis in ("xaxis", "yaxis"):
        for key in ("autorange", "scaleanchor", "constrain"):
            assert ours["layout"][axis].get(key) == theirs["layout"][axis].get(key), (axis, key)
    assert ours["layout"]["yaxis"]["autorange"] == "reversed" and ours["layout"]["title"]["text"] == "Model input (28×28)"


def test_the_mistakes_count_axis_has_whole_ticks():
    import pandas as pd

    from dashboard.charts.analytics import confused_pairs
    fig = confused_pairs(pd.DataFrame({"true_digit": [4, 7], "predicted": [9, 1], "times": [2, 1]}))
    assert fig.layout.xaxis.tickformat == "d" and fig.layout.xaxis.dtick == 1  # 0, 1, 2: never 0.5
    many = confused_pairs(pd.DataFrame({"true_digit": [4], "predicted": [9], "times": [40]}))
    assert many.layout.xaxis.dtick == 5
