"""Theme recovery as a coverage rate over independently generated corpora.

One map of one synthetic corpus says little: a clustering can find the planted
themes in one draw and miss them in the next.  A recovery *claim* is therefore
a rate: generate the corpus again with other seeds, map each one the same way,
and count how often the themes come back.  The corpus maker is passed in by the
caller, so this module knows nothing about how the text was generated (the
generator, in turn, imports nothing from this package).

A seed counts as **recovered** when every planted theme has a distinct modal
cluster holding at least ``min_coverage`` of the theme's mapped words.  The rate
is reported with a Wilson 95 % interval, because with ten seeds the interval is wide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.networks.map_consistency import theme_recovery
from helpers.networks.semantic_map import build_semantic_map

CorpusMaker = Callable[[int], tuple[Sequence[Sequence[str]], Mapping[str, str]]]


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial rate (NaNs for n = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def recovery_over_seeds(make_corpus: CorpusMaker, seeds: Sequence[int], min_coverage: float = 0.5,
                        **map_options: Any) -> pd.DataFrame:
    """One row per seed: :func:`theme_recovery` of the map of ``make_corpus(seed)`` and ``recovered``."""
    if len(seeds) == 0:
        raise ValueError("give at least one seed")
    rows = []
    for seed in seeds:
        docs, themes = make_corpus(int(seed))
        smap = build_semantic_map(docs, **{**map_options, "seed": int(seed)})
        rec = theme_recovery(smap, themes)
        coverages = [v for k, v in rec.items() if k.startswith("coverage_")]
        rec["recovered"] = bool(rec["themes_separated"]) and all(c >= min_coverage for c in coverages)
        rows.append({"seed": int(seed), "comments": len(docs), "clusters": smap.n_clusters, **rec})
    return pd.DataFrame(rows)


def coverage_summary(per_seed: pd.DataFrame) -> dict[str, float]:
    """Rate of recovered seeds with its Wilson interval, and the spread of the ARIs."""
    n = len(per_seed)
    k = int(per_seed["recovered"].sum())
    lo, hi = wilson_interval(k, n)
    return {
        "seeds": n, "recovered": k, "rate": k / n if n else float("nan"), "rate_low": lo, "rate_high": hi,
        "ari_median": float(per_seed["ari"].median()), "ari_min": float(per_seed["ari"].min()),
        "ari_theme_terms_median": float(per_seed["ari_theme_terms"].median()),
        "share_theme_terms_median": float(per_seed["share_theme_terms"].median()),
    }
