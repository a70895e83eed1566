"""A small simulator of the chapter-03 inputs (posts_scored / comments_scored shapes) for tests.

Effects are planted on the model scale: ln(Y+1) = a + b·sentiment + covariates + creator + noise,
so the fitted coefficients must land near ``PLANTED``; comment sentiment gets post, creator and
audience intercepts (Model 5's crossed structure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PLANTED = {
    "likes": {"post_sentiment": -0.36, "ln_post_length": 0.35, "ln_days_since_post": 0.22, "ln_fans": 0.35},
    "favorites": {"post_sentiment": 0.0, "ln_post_length": 0.30, "ln_days_since_post": 0.20, "ln_fans": 0.30},
    "shares": {"post_sentiment": 0.0, "ln_post_length": 0.20, "ln_days_since_post": 0.15, "ln_fans": 0.25},
    "comments": {"post_sentiment": -0.30, "ln_post_length": 0.30, "ln_days_since_post": 0.15, "ln_fans": 0.30},
    "comment_sentiment": {"post_sentiment": 0.20},
}
COUNT_COLUMNS = {"likes": "liked_count", "favorites": "collected_count", "shares": "share_count",
                 "comments": "comment_count"}
INTERCEPTS = {"likes": 1.0, "favorites": 0.0, "shares": -1.0, "comments": 0.5}


def simulate(n_posts: int = 400, n_creators: int = 150, comments_per_post: float = 8.0,
             n_audience: int = 1500, seed: int = 0, creator_sd: float = 0.5, slope_sd: float = 0.0,
             fans: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posts and comments tables with planted effects (see module docstring)."""
    rng = np.random.default_rng(seed)
    creator = rng.integers(0, n_creators, n_posts)
    creator[:n_creators] = np.arange(n_creators)  # every creator has a post
    sentiment = np.clip(rng.normal(-0.19, 0.57, n_posts), -1, 1)
    post_length = rng.lognormal(5.5, 0.6, n_posts).round() + 100
    days = rng.uniform(5, 1300, n_posts)
    creator_fans = rng.lognormal(5.0, 1.5, n_creators).round()
    fan_values = creator_fans[creator]
    z = {  # centred log covariates
        "ln_post_length": np.log1p(post_length) - np.log1p(post_length).mean(),
        "ln_days_since_post": np.log1p(days) - np.log1p(days).mean(),
        "ln_fans": np.log1p(fan_values) - np.log1p(fan_values).mean(),
    }
    posts = pd.DataFrame({
        "note_id": [f"n{i}" for i in range(n_posts)],
        "creator_id": [f"c{c}" for c in creator],
        "sentiment": sentiment,
        "post_length": post_length.astype(int),
        "days_since_post": days,
        "fans": pd.array(fan_values.astype(int) if fans else [pd.NA] * n_posts, dtype="Int64"),
    })
    for outcome, col in COUNT_COLUMNS.items():
        effects = PLANTED[outcome]
        u = rng.normal(0, creator_sd, n_creators)[creator]
        slope = rng.normal(0, slope_sd, n_creators)[creator] if slope_sd else 0.0
        ln_y = (INTERCEPTS[outcome] + 3.0 + (effects["post_sentiment"] + slope) * sentiment
                + sum(effects[k] * z[k] for k in z) + u + rng.normal(0, 0.8, n_posts))
        counts = np.maximum(np.round(np.expm1(ln_y)), 0).astype(int)
        posts[col] = counts
        posts[f"ln_{col.split('_')[0]}"] = np.log1p(counts)
    n_comments = rng.poisson(comments_per_post, n_posts) + 1
    note_idx = np.repeat(np.arange(n_posts), n_comments)
    audience = rng.integers(0, n_audience, note_idx.size)
    post_u = rng.normal(0, 0.15, n_posts)
    creator_u = rng.normal(0, 0.15, n_creators)
    audience_u = rng.normal(0, 0.2, n_audience)
    comment_sent = (-0.18 + PLANTED["comment_sentiment"]["post_sentiment"] * sentiment[note_idx]
                    + post_u[note_idx] + creator_u[creator[note_idx]] + audience_u[audience]
                    + rng.normal(0, 0.4, note_idx.size))
    comments = pd.DataFrame({
        "comment_id": [f"m{i}" for i in range(note_idx.size)],
        "note_id": posts["note_id"].to_numpy()[note_idx],
        "audience_id": [f"a{a}" for a in audience],
        "sentiment": comment_sent,
    })
    return posts, comments
