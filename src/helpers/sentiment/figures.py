"""Chapter 02's figures, built here so the notebook only calls and shows them.

Each function returns plotly figures (the chapter calls ``.show()``); the data
behind every trace comes from the tables the chapter prints beside them, so
what is drawn and what is tabulated cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.sentiment.calibration import reliability_table
from helpers.sentiment.categories import Thresholds


def reliability_figure(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str,
                       points: tuple[Sequence[float], Sequence[float]] | None = None, bins: int = 10,
                       label_axis: str = "label"):
    """Mean label per equal-count bin of the score, one line per curve, and the diagonal.

    ``curves`` maps a name to ``(labels, scores)``; ``points`` (labels, scores)
    adds the individual texts as faint markers.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    if points is not None:
        fig.add_trace(go.Scatter(x=np.asarray(points[1], float), y=np.asarray(points[0], float), mode="markers",
                                 name="texts", marker={"size": 4, "opacity": 0.25, "color": "grey"}))
    for name, (labels, scores) in curves.items():
        table = reliability_table(labels, scores, bins=bins)
        fig.add_trace(go.Scatter(x=table["mean_prediction"], y=table["mean_label"], mode="lines+markers", name=name,
                                 text=table["n"], hovertemplate="score %{x:.2f}, label %{y:.2f}, n=%{text}"))
    fig.add_trace(go.Scatter(x=[-1, 1], y=[-1, 1], mode="lines", name="perfect calibration",
                             line={"dash": "dot", "color": "grey"}))
    fig.update_layout(title=title, xaxis_title="predicted sentiment (bin mean)",
                      yaxis_title=f"{label_axis} (bin mean)", width=680, height=480,
                      xaxis={"range": [-1.05, 1.05]}, yaxis={"range": [-1.05, 1.05]})
    return fig


def error_by_length_figure(by_length: pd.DataFrame):
    """Bar chart of MAE by text-length band (from :func:`helpers.sentiment.regressor.error_by_length`)."""
    import plotly.express as px

    fig = px.bar(by_length, x="length", y="mae", text="n", title="Mean absolute error by text length",
                 labels={"length": "characters", "mae": "MAE"})
    fig.update_traces(texttemplate="n=%{text}")
    return fig


def distribution_figures(scores: Mapping[str, pd.Series], cuts: Thresholds, *, basis: str = "sentiment",
                         nbins: int = 40) -> list:
    """One histogram per text type with the category cuts as dotted lines."""
    import plotly.express as px

    figures = []
    for kind, s in scores.items():
        frame = pd.DataFrame({basis: pd.Series(s, dtype=float)})
        fig = px.histogram(frame, x=basis, nbins=nbins, range_x=[-1, 1],
                           title=f"{basis.replace('_', ' ').capitalize()} of {kind} (n = {frame[basis].notna().sum():,})")
        for x in (cuts.negative, cuts.neutral_low, cuts.neutral_high, cuts.positive):
            fig.add_vline(x=x, line_dash="dot", line_color="grey")
        fig.update_layout(width=640, height=360, bargap=0.05)
        figures.append(fig)
    return figures


def schedule_figure(table: pd.DataFrame):
    """Test R² against measured training seconds, one point per schedule (from ``compare_schedules``)."""
    import plotly.express as px

    fig = px.scatter(table, x="wall_seconds", y="test_r2", text="schedule", color="method",
                     title="Real-text test R² against measured training time (indicative: shared machine)",
                     labels={"wall_seconds": "seconds (measured in this run)", "test_r2": "test R²"})
    fig.update_traces(textposition="top center", marker={"size": 12})
    fig.update_layout(width=680, height=420)
    return fig


def depth_figure(table: pd.DataFrame, chosen: int):
    """Cross-validated R² by encoder depth (±1 SE), the chosen depth marked (from ``depth_table``)."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(
        x=table["depth"], y=table["cv_r2"], mode="lines+markers", name="cross-validated R²",
        error_y={"type": "data", "array": table["cv_r2_se"], "visible": True}))
    row = table[table["depth"] == chosen]
    fig.add_trace(go.Scatter(x=row["depth"], y=row["cv_r2"], mode="markers", name=f"chosen: {chosen} layers",
                             marker={"size": 14, "symbol": "star"}))
    fig.update_layout(title="Ridge on each layer's mean-pooled output (labelled training texts)",
                      xaxis_title="encoder layers run (0: token embeddings only)", yaxis_title="5-fold CV R²",
                      width=680, height=420)
    return fig
