"""VOSviewer-style clustering: CPM quality at a resolution, optimised by Leiden, small clusters merged.

VOSviewer's clustering (Waltman, van Eck & Noyons 2010) maximises

    V(c_1..c_n) = Σ_{i<j} δ(c_i, c_j) (s_ij − γ),

with s_ij the association strength and γ the resolution: two terms gain from
sharing a cluster only when their association exceeds γ.  That is the Constant
Potts Model (CPM) of Traag et al. on the weighted graph s_ij, optimised with the
Leiden algorithm (VOSviewer itself switched from the smart local moving algorithm
to Leiden).  We call python-igraph's ``community_leiden``, the same algorithm as the
``leidenalg`` package but measured ~30× faster here on a dense 1,000-term map.  Several random starts are run and the
partition with the highest quality is kept.

A minimum cluster size is then enforced as in VOSviewer's "merge small
clusters": the smallest undersized cluster is merged into the cluster whose
union with it gives the largest quality (the least loss), until every cluster
is large enough.  Clusters are numbered by size, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Clustering:
    """Cluster label per item (0 = largest cluster) and the CPM quality of that partition."""

    labels: np.ndarray
    quality: float
    n_clusters: int


def cpm_quality(s: sp.spmatrix, labels: np.ndarray, resolution: float) -> float:
    """Σ_{i<j, same cluster} (s_ij − γ), computed from cluster aggregates (no pair loop)."""
    s = sp.csr_matrix(s)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if labels.size else 0
    h = sp.csr_matrix((np.ones(labels.size), (np.arange(labels.size), labels)), shape=(labels.size, k))
    within = (h.T @ s @ h).diagonal()
    diag = np.zeros(k)
    np.add.at(diag, labels, s.diagonal())
    internal = (within - diag) / 2.0  # each internal pair counted once, self-loops excluded
    sizes = np.bincount(labels, minlength=k).astype(float)
    return float(internal.sum() - resolution * (sizes * (sizes - 1) / 2.0).sum())


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    first = np.full(counts.size, labels.size)
    np.minimum.at(first, inverse, np.arange(labels.size))
    order = np.lexsort((first, -counts))  # largest first, then by first item
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse]


def merge_small_clusters(
    s: sp.spmatrix, labels: np.ndarray, min_size: int, resolution: float
) -> np.ndarray:
    """Merge clusters smaller than ``min_size`` into their best partner (largest quality change)."""
    s = sp.csr_matrix(s)
    labels = _relabel_by_size(np.asarray(labels))
    while True:
        sizes = np.bincount(labels).astype(float)
        if sizes.size <= 1 or sizes.min() >= min_size:
            return _relabel_by_size(labels)
        k = sizes.size
        h = sp.csr_matrix((np.ones(labels.size), (np.arange(labels.size), labels)), shape=(labels.size, k))
        between = (h.T @ s @ h).toarray()
        gain = between - resolution * np.outer(sizes, sizes)  # ΔV of merging clusters a and b
        small = int(np.lexsort((np.arange(k), sizes))[0])  # smallest cluster
        gain[small, small] = -np.inf
        target = int(np.argmax(gain[small]))
        labels = np.where(labels == small, target, labels)
        labels = _relabel_by_size(labels)


def vos_clustering(
    s: sp.spmatrix,
    resolution: float = 1.0,
    min_cluster_size: int = 1,
    n_starts: int = 10,
    seed: int = 0,
) -> Clustering:
    """Cluster items on association strengths with CPM + Leiden, then merge small clusters."""
    import random

    import igraph as ig

    s = sp.csr_matrix(s, dtype=np.float64)
    n = s.shape[0]
    if s.shape != (n, n):
        raise ValueError(f"similarity matrix must be square, got {s.shape}")
    if n == 0:
        raise ValueError("cannot cluster an empty map")
    if resolution < 0:
        raise ValueError("resolution must be >= 0")
    upper = sp.triu(s, k=1).tocoo()
    graph = ig.Graph(n=n, edges=np.column_stack([upper.row, upper.col]).tolist(), directed=False)
    weights = upper.data.tolist()
    best_labels: np.ndarray | None = None
    best_quality = -np.inf
    try:
        for start in range(max(1, n_starts)):
            # igraph draws from a pluggable RNG: a private seeded one makes starts reproducible
            # without touching the global ``random`` state of the caller.
            ig.set_random_number_generator(random.Random(int(seed) + start))
            found = graph.community_leiden(objective_function="CPM", weights=weights,
                                           resolution=resolution, n_iterations=-1)
            labels = np.asarray(found.membership)
            quality = cpm_quality(s, labels, resolution)
            if quality > best_quality:
                best_quality, best_labels = quality, labels
    finally:
        ig.set_random_number_generator(random)
    assert best_labels is not None
    labels = merge_small_clusters(s, best_labels, max(1, int(min_cluster_size)), resolution)
    return Clustering(labels, cpm_quality(s, labels, resolution), int(labels.max()) + 1)
