"""Inputs of the semantic-network chapter: scored comments grouped by post sentiment, planted themes.

The study built one map per *post* sentiment category (comments under positive,
neutral and negative posts), so the chapter needs chapter 02's
``sentiment/comments_scored.parquet``.  When it is missing the chapter stops
with a message saying which notebook to run, instead of falling back to some
other grouping that would silently change the analysis.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from helpers.book.run_folder import RunLayout
from helpers.study import du_gu

CATEGORIES: tuple[str, ...] = ("positive", "neutral", "negative")

#: The study's map-level totals as printed by VOSviewer (links, total link strength;
#: Results / Semantic network analysis), read from :mod:`helpers.study.du_gu`.
STUDY_TOTALS: dict[str, dict[str, int]] = {
    cat: {"links": du_gu.NETWORK_MAPS[cat]["L"], "total_link_strength": du_gu.NETWORK_MAPS[cat]["TLS"]}
    for cat in CATEGORIES
}


def load_scored_comments(layout: RunLayout) -> pd.DataFrame:
    """Comments with ``text`` and ``post_sentiment_category`` (from chapters 01 and 02)."""
    root = layout.root
    scored = root / "sentiment" / "comments_scored.parquet"
    if not scored.exists():
        raise FileNotFoundError(
            f"{scored} is missing: the semantic networks group comments by the sentiment of their "
            "post, which chapter 02 computes. Run it first: "
            f"python -m helpers run --run-dir {root} --only 01 02"
        )
    frame = pd.read_parquet(scored)
    if "post_sentiment_category" not in frame.columns:
        raise ValueError(f"{scored} has no 'post_sentiment_category' column (columns: {list(frame.columns)})")
    if "text" not in frame.columns:
        clean = root / "clean" / "comments.parquet"
        if not clean.exists() or "comment_id" not in frame.columns:
            raise ValueError(f"{scored} has no 'text' column and {clean} cannot supply it")
        texts = pd.read_parquet(clean, columns=["comment_id", "text"])
        frame = frame.merge(texts, on="comment_id", how="left", validate="one_to_one")
    unknown = set(frame["post_sentiment_category"].dropna()) - {*CATEGORIES, "uncategorized"}
    if unknown:
        raise ValueError(f"unexpected post_sentiment_category values: {sorted(unknown)}")
    return frame


def planted_themes(truth_path: str | Path) -> dict[str, str] | None:
    """Term → planted theme from the synthetic corpus' ``truth.json`` (None for real data).

    Accepts ``themes`` as ``{term: theme}`` or as ``{theme: [terms]}`` (or
    ``{theme: {"terms": [...]}}``), so the check survives either layout.
    """
    path = Path(truth_path)
    if not path.exists():
        return None
    themes = json.loads(path.read_text(encoding="utf-8")).get("themes")
    if not themes:
        return None
    out: dict[str, str] = {}
    for key, value in themes.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, Mapping) and "terms" in value:
            out.update({t: key for t in value["terms"]})
        elif isinstance(value, list | tuple):
            out.update({t: key for t in value})
        else:
            raise ValueError(f"{path}: cannot read themes entry {key!r}")
    return out
