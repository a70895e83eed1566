"""The study's three sentiment categories, with the thresholds as parameters.

Du & Gu cut the continuous *post* score into *positive* (> 0.3), *neutral*
(−0.15..0.15) and *negative* (< −0.79) (Method / Semantic network analysis).
The gaps between those bands are left out on purpose (texts whose sentiment is
mild are neither clearly neutral nor clearly valenced), so here they are
labelled ``uncategorized`` rather than being dropped: every text keeps a row
and a label.

The paper counts two things (Results / Semantic network analysis): posts by
their category (114 negative, 120 neutral, 97 positive, 204 uncategorized) and
comments by the category of the **post** they answer (7,543 / 3,181 / 1,601 /
4,976).  It never reports the comments' own categories, so a table of those
has no study column (:func:`comment_own_category_table`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from helpers.study import du_gu

CATEGORIES: tuple[str, ...] = ("positive", "neutral", "negative", "uncategorized")

#: The study's published counts: posts by their category, and comments by the category of
#: their post (read from :mod:`helpers.study.du_gu`).
STUDY_COUNTS: dict[str, dict[str, int]] = {
    "posts": dict(du_gu.POST_CATEGORY_COUNTS),
    "comments_by_post_category": dict(du_gu.COMMENTS_BY_POST_CATEGORY),
}
#: The percentages as the paper prints them (one decimal).
STUDY_PERCENT: dict[str, dict[str, float]] = {
    "posts": dict(du_gu.POST_CATEGORY_PERCENT),
    "comments_by_post_category": dict(du_gu.COMMENTS_BY_POST_CATEGORY_PERCENT),
}


@dataclass(frozen=True)
class Thresholds:
    """Category bands: positive > ``positive``; ``neutral_low`` ≤ neutral ≤ ``neutral_high``;
    negative < ``negative``."""

    positive: float = du_gu.THRESHOLDS["positive"]
    neutral_low: float = du_gu.THRESHOLDS["neutral_low"]
    neutral_high: float = du_gu.THRESHOLDS["neutral_high"]
    negative: float = du_gu.THRESHOLDS["negative"]

    def __post_init__(self) -> None:
        if not (-1 <= self.negative <= self.neutral_low <= self.neutral_high <= self.positive <= 1):
            raise ValueError(
                "thresholds must satisfy -1 <= negative <= neutral_low <= neutral_high <= positive <= 1; "
                f"got {asdict(self)}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, float] | None) -> Thresholds:
        """Build from a notebook parameter dict; unknown keys are an error, missing keys default."""
        values = dict(values or {})
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown threshold(s) {sorted(unknown)}; expected {sorted(cls.__dataclass_fields__)}")
        return cls(**{k: float(v) for k, v in values.items()})


def categorize(scores: pd.Series | np.ndarray, thresholds: Thresholds | None = None) -> pd.Series:
    """Label each score; NaN scores (unscorable texts) are ``uncategorized``."""
    t = thresholds or Thresholds()
    s = pd.Series(scores, dtype="float64")
    labels = np.select(
        [s > t.positive, (s >= t.neutral_low) & (s <= t.neutral_high), s < t.negative],
        ["positive", "neutral", "negative"],
        default="uncategorized",
    )
    return pd.Series(pd.Categorical(labels, categories=list(CATEGORIES)), index=s.index)


def category_table(
    ours: Mapping[str, pd.Series], study: Mapping[str, Mapping[str, int]] = STUDY_COUNTS
) -> pd.DataFrame:
    """Counts and percentages per category, ours beside the study's, one block per text type.

    Keys of ``ours`` name what was counted; a key the study also counted (``posts``,
    ``comments_by_post_category``) gets the paper's counts and printed percentages beside it,
    any other key (e.g. the comments' own categories) gets an empty study column — the paper
    has no such numbers.
    """
    rows = []
    for kind, labels in ours.items():
        counts = pd.Series(labels).astype(str).value_counts().reindex(CATEGORIES, fill_value=0)
        total = int(counts.sum())
        ref = study.get(kind, {})
        printed = STUDY_PERCENT.get(kind, {})
        ref_total = sum(ref.values()) or np.nan
        for cat in CATEGORIES:
            rows.append({
                "texts": kind, "category": cat, "n": int(counts[cat]),
                "percent": 100 * counts[cat] / total if total else np.nan,
                "study_n": ref.get(cat, np.nan),
                "study_percent": printed.get(cat, 100 * ref.get(cat, np.nan) / ref_total),
            })
    return pd.DataFrame(rows)


def comments_per_post_table(posts_category: pd.Series, comments_post_category: pd.Series) -> pd.DataFrame:
    """Comments per post in each post category, ours beside the study's (66.2 / 26.5 / 16.5 / 24.4)."""
    n_posts = pd.Series(posts_category).astype(str).value_counts().reindex(CATEGORIES, fill_value=0)
    n_comments = pd.Series(comments_post_category).astype(str).value_counts().reindex(CATEGORIES, fill_value=0)
    study = du_gu.comments_per_post()
    return pd.DataFrame({
        "post category": list(CATEGORIES), "posts": n_posts.to_numpy(), "comments": n_comments.to_numpy(),
        "comments per post": [n_comments[c] / n_posts[c] if n_posts[c] else np.nan for c in CATEGORIES],
        "study comments per post": [study[c] for c in CATEGORIES],
    })


def comment_own_category_table(comment_category: pd.Series) -> pd.DataFrame:
    """The comments' own categories: a table the paper has no counterpart for (labelled so)."""
    table = category_table({"comments (own category)": comment_category}, study={})
    table["study_n"] = "not reported"
    table["study_percent"] = "not reported"
    return table
