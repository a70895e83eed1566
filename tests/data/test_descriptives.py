"""Table 1 and the flow diagram built from a cleaning flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data.descriptives import flow_table, sankey, table1

FLOW = {"posts": {"raw": 10, "final": 4, "stages": [
    {"stage": "duplicate", "n_in": 10, "n_out": 8, "n_excluded": 2},
    {"stage": "text_cleaning", "n_in": 8, "n_out": 8, "n_excluded": 0},
    {"stage": "too_short", "n_in": 8, "n_out": 4, "n_excluded": 4}]}}


def test_sankey_links_conserve_records():
    figure = sankey(FLOW, "posts")
    link = figure.data[0].link
    labels = figure.data[0].node.label
    outflow: dict[int, int] = {}
    for source, value in zip(link.source, link.value, strict=True):
        outflow[source] = outflow.get(source, 0) + value
    inflow = {t: v for t, v in zip(link.target, link.value, strict=True)}
    for node, total in outflow.items():
        if node in inflow:
            assert inflow[node] == total  # what enters a stage leaves it, kept or excluded
    assert outflow[0] == 10 and labels[-1].endswith(": 4")
    assert sum("duplicate" in label for label in labels) == 2  # excluded branch + spine node
    assert flow_table(FLOW, "posts").loc["too_short", "n_excluded"] == 4


def test_table1_statistics_and_missing_columns():
    posts = pd.DataFrame({"liked_count": [0, 1, 2, 3, 4], "fans": pd.array([None] * 5, dtype="Int64")})
    comments = pd.DataFrame({"comment_length": [30, 40]})
    table = table1(posts, comments)
    assert table.loc["Likes", "M"] == 2 and table.loc["Likes", "SD"] == pytest.approx(np.std([0, 1, 2, 3, 4], ddof=1))
    assert table.loc["ln(likes + 1)", "Max"] == pytest.approx(np.log(5))
    assert table.loc["Followers", "N"] == 0  # follower counts absent: reported, not invented
    assert "Shares" not in table.index and table.loc["Comment length", "Mdn"] == 35
