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

OTHER = "other"


def theme_recovery(smap: SemanticMap, themes: Mapping[str, str], other: str = OTHER) -> dict[str, float]:
    """How well the clusters recover planted themes, over **all** mapped terms.

    Every mapped term without a planted theme (function-word leftovers, everyday
    words, the vocabulary's long tail) is put in one ``other`` class, so the main
    score, ``ari``, charges the clustering for everything it maps, not only for the
    planted words it happens to map.  Also returned:

    * ``ari_theme_terms`` / ``nmi_theme_terms``: the same over planted theme words only
      (the narrower score this chapter used to report);
    * per theme, ``coverage_<theme>``: the share of the theme's mapped words in its
      modal cluster, and ``purity_<theme>``: the share of that cluster's terms that
      belong to the theme (other terms count against it);
    * ``themes_separated``: whether the planted themes' modal clusters are all distinct.
    """
    labels = label_array(smap)
    terms = sorted(labels)
    out: dict[str, float] = {"n_terms": len(terms)}
    truth_all = [themes.get(t, other) for t in terms]
    clusters_all = as_dense_labels(terms, labels)
    theme_terms = [t for t in terms if t in themes]
    out["n_theme_terms"] = len(theme_terms)
    out["share_theme_terms"] = len(theme_terms) / len(terms) if terms else float("nan")
    if len(terms) >= 2:
        codes = pd.factorize(pd.Series(truth_all, dtype=object))[0]
        out["ari"] = float(adjusted_rand_score(codes, clusters_all))
        out["nmi"] = float(normalized_mutual_info_score(codes, clusters_all))
    else:
        out["ari"] = out["nmi"] = float("nan")
    if len(theme_terms) >= 2:
        clusters = as_dense_labels(theme_terms, labels)
        truth = as_dense_labels(theme_terms, themes)
        out["ari_theme_terms"] = float(adjusted_rand_score(truth, clusters))
        out["nmi_theme_terms"] = float(normalized_mutual_info_score(truth, clusters))
    else:
        out["ari_theme_terms"] = out["nmi_theme_terms"] = float("nan")
    frame = pd.DataFrame({"term": terms, "truth": truth_all, "cluster": [labels[t] for t in terms]})
    modal = []
    for theme in sorted(set(themes.values())):
        group = frame.loc[frame["truth"] == theme]
        if group.empty:
            out[f"coverage_{theme}"] = out[f"purity_{theme}"] = float("nan")
            continue
        counts = group["cluster"].value_counts()
        best = int(counts.index[0])
        modal.append(best)
        out[f"coverage_{theme}"] = float(counts.iloc[0] / len(group))
        in_cluster = frame.loc[frame["cluster"] == best]
        out[f"purity_{theme}"] = float((in_cluster["truth"] == theme).mean())
    out["themes_separated"] = bool(modal) and len(set(modal)) == len(modal) == len(set(themes.values()))
    return out


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
