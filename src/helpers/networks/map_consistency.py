"""How well term clusters recover planted themes, and how alike the category maps are.

The study's claim is that comment themes are the same whatever the sentiment of
the post; with three maps built independently this can be measured instead of
eyeballed.  Cluster numbers are arbitrary, so comparisons use label-invariant
scores over the terms two maps share: the adjusted Rand index (ARI, 0 = chance
agreement, 1 = identical partitions) and normalised mutual information (NMI),
plus, per cluster, the best Jaccard overlap of its top terms with any cluster of
the other map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from helpers.networks.semantic_map import SemanticMap, as_dense_labels, label_array


def theme_recovery(smap: SemanticMap, themes: Mapping[str, str]) -> dict[str, float]:
    """ARI and NMI between clusters and planted themes over mapped terms that have a theme."""
    labels = label_array(smap)
    shared = sorted(t for t in labels if t in themes)
    if len(shared) < 2:
        return {"n_terms": len(shared), "ari": float("nan"), "nmi": float("nan")}
    clusters = as_dense_labels(shared, labels)
    truth = as_dense_labels(shared, themes)
    return {
        "n_terms": len(shared),
        "ari": float(adjusted_rand_score(truth, clusters)),
        "nmi": float(normalized_mutual_info_score(truth, clusters)),
    }


def _top_sets(smap: SemanticMap, top_k: int) -> list[set[str]]:
    items = smap.items.sort_values(["occurrences", "term"], ascending=[False, True])
    return [set(g["term"].head(top_k)) for _, g in items.groupby("cluster", sort=True)]


def compare_maps(
    a: SemanticMap, b: SemanticMap, top_k: int = 10, terms: Iterable[str] | None = None
) -> dict[str, float]:
    """Similarity of two maps' clusterings: ARI/NMI on shared terms, mean best top-term Jaccard.

    ``terms`` restricts the ARI/NMI to a subset (e.g. terms with a planted theme), because
    generic words that belong to no theme are assigned to clusters almost arbitrarily.
    """
    la, lb = label_array(a), label_array(b)
    shared = sorted(set(la) & set(lb) & (set(terms) if terms is not None else set(la)))
    out: dict[str, float] = {"shared_terms": len(shared)}
    if len(shared) >= 2:
        xa, xb = as_dense_labels(shared, la), as_dense_labels(shared, lb)
        out["ari"] = float(adjusted_rand_score(xa, xb))
        out["nmi"] = float(normalized_mutual_info_score(xa, xb))
    else:
        out["ari"] = out["nmi"] = float("nan")
    sets_a, sets_b = _top_sets(a, top_k), _top_sets(b, top_k)
    best = [max(len(s & t) / len(s | t) for t in sets_b) for s in sets_a]
    out["mean_best_jaccard"] = float(np.mean(best)) if best else float("nan")
    return out


def consistency_table(
    maps: Mapping[str, SemanticMap], top_k: int = 10, terms: Iterable[str] | None = None
) -> pd.DataFrame:
    """Pairwise :func:`compare_maps` for every pair of category maps."""
    terms = None if terms is None else set(terms)
    names = list(maps)
    rows = []
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            rows.append({"map A": x, "map B": y, **compare_maps(maps[x], maps[y], top_k, terms)})
    return pd.DataFrame(rows)
