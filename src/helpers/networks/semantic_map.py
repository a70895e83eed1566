"""One VOSviewer-style term map from tokenised comments: selection → co-occurrence → layout → clusters.

This strings together the steps VOSviewer performs when it builds a
co-occurrence map, so that the chapter calls one function per category:

1. binary comment × term matrix; keep the ``top_n`` terms by number of comments
   (at least ``min_occurrences``);
2. co-occurrence C = XᵀX (full or fractional counting);
3. restrict to the largest connected set of terms (VOSviewer's default:
   unconnected terms cannot be placed), *then* the association strength S of
   that set — in this order, as VOSviewer does: normalising first would count
   the links of the dropped terms in the total m and rescale every s_ij, which
   shifts where the clustering resolution γ cuts;
4. VOS layout and CPM/Leiden clustering on S (repulsion, small-cluster merge rule
   and orientation are VOSviewer's by default, see :mod:`~helpers.networks.vos_layout`
   and :mod:`~helpers.networks.vos_clustering`);
5. per term: occurrences, links L and total link strength TLS; per map: totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from helpers.networks.association_strength import association_strength
from helpers.networks.cooccurrence import (
    DocumentTerm,
    LinkTotals,
    cooccurrence_matrix,
    document_term_matrix,
    map_totals,
    term_link_stats,
    top_terms,
)
from helpers.networks.vos_clustering import vos_clustering
from helpers.networks.vos_layout import largest_component, vos_layout
from helpers.networks.vosviewer_io import write_map_file, write_network_file


@dataclass(frozen=True)
class SemanticMap:
    """A finished term map (items in the order of decreasing occurrences)."""

    items: pd.DataFrame  # term, occurrences, links, total_link_strength, x, y, cluster
    cooccurrence: sp.csr_matrix  # counts under the chosen counting method, zero diagonal
    similarity: sp.csr_matrix  # association strengths
    totals: LinkTotals
    n_documents: int
    n_selected: int  # terms selected before keeping the largest connected set
    counting: str

    @property
    def terms(self) -> list[str]:
        return self.items["term"].tolist()

    @property
    def n_clusters(self) -> int:
        return int(self.items["cluster"].max()) + 1 if len(self.items) else 0


def build_semantic_map(
    token_lists: Sequence[Sequence[str]],
    top_n: int = 200,
    min_occurrences: int = 3,
    counting: str = "full",
    resolution: float = 1.0,
    min_cluster_size: int = 5,
    n_layout_starts: int = 5,
    n_cluster_starts: int = 10,
    seed: int = 0,
    repulsion: int = 1,
    merge_rule: str = "reference",
    orientation: str = "reference",
) -> SemanticMap:
    """Build the co-occurrence term map of one set of comments (see the module docstring)."""
    if len(token_lists) == 0:
        raise ValueError("no comments to map")
    dt_all = document_term_matrix(token_lists)
    selected = top_terms(dt_all, top_n, min_occurrences)
    if len(selected) < 2:
        raise ValueError(
            f"only {len(selected)} term(s) occur in at least {min_occurrences} comments; "
            "lower min_occurrences or give more comments"
        )
    # The selected terms' columns of the matrix already built (no second pass over the tokens).
    columns = pd.Index(dt_all.terms).get_indexer(selected)
    dt = DocumentTerm(dt_all.matrix[:, columns].tocsr(), selected)
    c = cooccurrence_matrix(dt.matrix, counting)
    keep = largest_component(c)
    if len(keep) < 2:
        raise ValueError("no two selected terms co-occur in any comment")
    c = c[keep][:, keep].tocsr()
    s = association_strength(c)  # after keeping the connected set (see the module docstring)
    layout = vos_layout(s, n_starts=n_layout_starts, seed=seed, repulsion=repulsion, orientation=orientation)
    clusters = vos_clustering(s, resolution=resolution, min_cluster_size=min_cluster_size,
                              n_starts=n_cluster_starts, seed=seed, merge_rule=merge_rule)
    stats = term_link_stats(c)
    items = pd.DataFrame(
        {
            "term": dt.terms[keep].astype(str),
            "occurrences": dt.occurrences[keep].astype(int),
            "links": stats["links"].to_numpy(),
            "total_link_strength": stats["total_link_strength"].to_numpy(),
            "x": layout.coords[:, 0],
            "y": layout.coords[:, 1],
            "cluster": clusters.labels,
        }
    )
    return SemanticMap(items, c, s, map_totals(c), len(token_lists), len(selected), counting)


def totals_under(token_lists: Sequence[Sequence[str]], terms: Sequence[str], counting: str) -> LinkTotals:
    """Map totals of the same terms under another counting method (for the L/TLS comparison)."""
    dt = document_term_matrix(token_lists, vocabulary=list(terms))
    return map_totals(cooccurrence_matrix(dt.matrix, counting))


def export_vosviewer(smap: SemanticMap, folder: str | Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>_map.txt`` and ``<stem>_network.txt`` for VOSviewer."""
    folder = Path(folder)
    items = smap.items
    map_path = write_map_file(
        folder / f"{stem}_map.txt", items["term"].tolist(), items[["x", "y"]].to_numpy(),
        items["cluster"].to_numpy(),
        weights={
            "Links": items["links"].to_numpy(),
            "Total link strength": items["total_link_strength"].to_numpy(),
            "Occurrences": items["occurrences"].to_numpy(),
        },
    )
    net_path = write_network_file(folder / f"{stem}_network.txt", smap.cooccurrence)
    return map_path, net_path


def cluster_table(
    smap: SemanticMap, glossary: Mapping[str, str] | None = None, top_k: int = 8
) -> pd.DataFrame:
    """Per cluster: size and its ``top_k`` terms by occurrences, with English glosses."""
    glossary = glossary or {}
    rows = []
    for cluster, group in smap.items.groupby("cluster", sort=True):
        top = group.sort_values(["occurrences", "term"], ascending=[False, True]).head(top_k)
        rows.append(
            {
                "cluster": int(cluster) + 1,
                "size": len(group),
                "top terms": "、".join(top["term"]),
                "gloss": " / ".join(glossary.get(t, "?") for t in top["term"]),
            }
        )
    return pd.DataFrame(rows)


def totals_frame(smap: SemanticMap) -> dict[str, float]:
    """Map-level numbers: items, clusters, links and TLS (each link once) and per-term sums."""
    return {
        "items": smap.totals.items,
        "clusters": smap.n_clusters,
        "links": smap.totals.links,
        "total_link_strength": round(smap.totals.total_link_strength, 2),
        "sum_term_links": int(smap.items["links"].sum()),
        "sum_term_tls": round(float(smap.items["total_link_strength"].sum()), 2),
    }


def label_array(smap: SemanticMap) -> dict[str, int]:
    """Term → cluster label (0-based)."""
    return dict(zip(smap.items["term"], smap.items["cluster"].astype(int), strict=True))


def as_dense_labels(terms: Sequence[str], mapping: Mapping[str, object]) -> np.ndarray:
    """Codes of ``mapping[t]`` for each term (for ARI/NMI)."""
    return pd.factorize(pd.Series([mapping[t] for t in terms], dtype=object))[0]


@dataclass(frozen=True)
class CategoryMaps:
    """The maps of every category, and for each category that has none, why not."""

    maps: dict[str, SemanticMap]
    not_built: dict[str, str]  # category -> reason
    small: dict[str, str]  # category -> warning (built, but on few comments)
    seconds: dict[str, float]


def build_category_maps(docs_by_category: Mapping[str, Sequence[Sequence[str]]], min_comments: int = 50,
                        **options) -> CategoryMaps:
    """Try to build a map for **every** category; never drop one without a stated reason.

    A category with fewer than ``min_comments`` comments is still mapped when it can
    be, and flagged as small; one that cannot be mapped at all (no comments, or too
    few co-occurring terms) gets the reason from :func:`build_semantic_map`.
    """
    import time

    maps, not_built, small, seconds = {}, {}, {}, {}
    for category, docs in docs_by_category.items():
        if len(docs) == 0:
            not_built[category] = "no comments fall in this category in this run"
            continue
        started = time.perf_counter()
        try:
            maps[category] = build_semantic_map(docs, **options)
        except ValueError as exc:
            not_built[category] = f"{len(docs)} comments, and the map cannot be built: {exc}"
            continue
        seconds[category] = time.perf_counter() - started
        if len(docs) < min_comments:
            small[category] = (f"built on only {len(docs)} comments (fewer than min_comments = {min_comments}): "
                               "its clusters and totals are unreliable")
    return CategoryMaps(maps, not_built, small, seconds)
