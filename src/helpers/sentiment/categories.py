"""The study's three sentiment categories, with the thresholds as parameters.

Du & Gu cut the continuous score into *positive* (> 0.3), *neutral*
(−0.15..0.15) and *negative* (< −0.79).  The gaps between those bands are left
out on purpose (texts whose sentiment is mild are neither clearly neutral nor
clearly valenced), so here they are labelled ``uncategorized`` rather than being
dropped: every text keeps a row and a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

CATEGORIES: tuple[str, ...] = ("positive", "neutral", "negative", "uncategorized")

#: The study's published counts (posts: n = 535; comments: n = 17,301).
STUDY_COUNTS: dict[str, dict[str, int]] = {
    "posts": {"positive": 114, "neutral": 120, "negative": 97, "uncategorized": 204},
    "comments": {"positive": 7543, "neutral": 3181, "negative": 1601, "uncategorized": 4976},
}


@dataclass(frozen=True)
class Thresholds:
    """Category bands: positive > ``positive``; ``neutral_low`` ≤ neutral ≤ ``neutral_high``;
    negative < ``negative``."""

    positive: float = 0.3
    neutral_low: float = -0.15
    neutral_high: float = 0.15
    negative: float = -0.79

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
    """Counts and percentages per category, ours beside the study's, one block per text type."""
    rows = []
    for kind, labels in ours.items():
        counts = pd.Series(labels).value_counts().reindex(CATEGORIES, fill_value=0)
        total = int(counts.sum())
        ref = study.get(kind, {})
        ref_total = sum(ref.values()) or np.nan
        for cat in CATEGORIES:
            rows.append({
                "texts": kind, "category": cat, "n": int(counts[cat]),
                "percent": 100 * counts[cat] / total if total else np.nan,
                "study_n": ref.get(cat, np.nan),
                "study_percent": 100 * ref.get(cat, np.nan) / ref_total,
            })
    return pd.DataFrame(rows)
