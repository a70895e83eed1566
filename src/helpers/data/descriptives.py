"""Descriptive statistics (the study's Table 1) and the cleaning flow diagram.

Table 1 of the study describes the analysed sample: engagement counts,
followers, time since posting and text lengths, each with mean, SD, median and
range, both raw and as ln(x+1) (the scale the models use, because the counts
are heavily right-skewed).  The flow diagram shows, per stage, how many records
went in, how many stayed and how many were excluded and why.
"""

from __future__ import annotations

import pandas as pd

TABLE1_ROWS = (
    ("posts", "liked_count", "Likes"),
    ("posts", "collected_count", "Favorites"),
    ("posts", "share_count", "Shares"),
    ("posts", "comment_count", "Comments (platform count)"),
    ("posts", "fans", "Followers"),
    ("posts", "days_since_post", "Time since posting (days)"),
    ("posts", "post_length", "Post length"),
    ("comments", "comment_length", "Comment length"),
    ("comments", "like_count", "Comment likes"),
)

STAGE_LABELS = {
    "duplicate": "duplicate crawl", "video": "video note", "text_cleaning": "empty after cleaning",
    "too_short": "too short", "self_disclosure": "not a self-disclosure", "unknown_note": "unknown note",
    "note_excluded": "post excluded", "by_post_creator": "by the post's creator",
    "reply": "reply to audience member",
}


def table1(posts: pd.DataFrame, comments: pd.DataFrame, log: bool = True) -> pd.DataFrame:
    """N, M, SD, Mdn, Min, Max per variable (and of ln(x+1) when ``log``); missing columns skipped."""
    import numpy as np

    frames = {"posts": posts, "comments": comments}
    rows = []
    for table, column, label in TABLE1_ROWS:
        frame = frames[table]
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64").dropna()
        if values.empty:
            rows.append({"Variable": label, "N": 0})
            continue
        variants = [(label, values)]
        if log:
            variants.append((f"ln({label.split(' (')[0].lower()} + 1)", np.log1p(values.clip(lower=0))))
        for name, v in variants:
            rows.append({"Variable": name, "N": int(v.size), "M": v.mean(), "SD": v.std(ddof=1),
                         "Mdn": v.median(), "Min": v.min(), "Max": v.max()})
    return pd.DataFrame(rows).set_index("Variable")


def flow_table(flow: dict, kind: str) -> pd.DataFrame:
    """The stage rows of ``flow.json`` for 'posts' or 'comments' as a table."""
    return pd.DataFrame(flow[kind]["stages"]).set_index("stage")


def sankey(flow: dict, kind: str, title: str | None = None):
    """A plotly Sankey: a spine of kept records through the stages, one branch per exclusion."""
    import plotly.graph_objects as go

    stages = flow[kind]["stages"]
    labels = [f"{kind} crawled: {flow[kind]['raw']:,}"]
    sources, targets, values, colours = [], [], [], []
    current = 0
    for row in stages:
        if row["n_excluded"]:
            labels.append(f"{STAGE_LABELS.get(row['stage'], row['stage'])}: {row['n_excluded']:,}")
            sources.append(current)
            targets.append(len(labels) - 1)
            values.append(row["n_excluded"])
            colours.append("rgba(200,80,80,0.35)")
        if row is stages[-1]:
            labels.append(f"{kind} analysed: {row['n_out']:,}")
        else:
            labels.append(f"after {STAGE_LABELS.get(row['stage'], row['stage'])}: {row['n_out']:,}")
        sources.append(current)
        targets.append(len(labels) - 1)
        values.append(max(row["n_out"], 0))
        colours.append("rgba(60,120,200,0.35)")
        current = len(labels) - 1
    figure = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": labels, "pad": 14, "thickness": 14},
        link={"source": sources, "target": targets, "value": values, "color": colours},
    ))
    figure.update_layout(title=title or f"{kind.capitalize()}: cleaning flow", height=420,
                         margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
