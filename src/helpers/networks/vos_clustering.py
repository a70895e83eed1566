"""VOSviewer-style clustering: CPM quality at a resolution, optimised by Leiden, small clusters merged.

VOSviewer's clustering (Waltman, van Eck & Noyons 2010) maximises

    V(c_1..c_n) = Σ_{i<j} δ(c_i, c_j) (s_ij − γ),

with s_ij the association strength and γ the resolution: two terms gain from
sharing a cluster only when their association exceeds γ.  That is the Constant
Potts Model (CPM) of Traag et al. on the weighted graph s_ij, optimised with the
Leiden algorithm (VOSviewer itself switched from the smart local moving algorithm
to Leiden).  We call python-igraph's ``community_leiden``, the same algorithm as the
``leidenalg`` package, which was slower on the dense 1,000-term maps we tried (the
layout and clustering times are in ``benchmarks/cooccurrence_speed.py``'s output).  Several random starts are run and the
partition with the highest quality is kept.

A minimum cluster size is then enforced by the rule of VOSviewer's reference
library (CWTSLeiden/networkanalysis 1.3.0, ``CPMClusteringAlgorithm.
removeSmallClustersBasedOnNNodes`` and ``removeCluster``), read from its Java
source:

1. clusters are first numbered by size, largest first (``orderClustersByNNodes``);
2. the smallest cluster with fewer than ``min_size`` items (ties: the lowest
   number) is taken out;
3. it joins the cluster j that maximises its total link strength to j divided by
   j's weight (with unit node weights, j's current size): the strongest link
   *per member of the receiving cluster*; ties go to the lowest number, and a
   cluster with no positive link to any other cluster stays as it is;
4. repeat until no undersized cluster is left that can be merged.

Sizes and weights are those of the merged clusters at each step, as in the
reference.  The earlier rule of this project (merge into the partner with the
largest CPM gain, Σ s − γ·n_a·n_b) is kept as ``rule="cpm_gain"``; the
reference rule is the default.  Clusters are numbered by size at the end.
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
    s: sp.spmatrix, labels: np.ndarray, min_size: int, resolution: float = 1.0, rule: str = "reference"
) -> np.ndarray:
    """Merge clusters smaller than ``min_size`` (see the module docstring for the two rules).

    ``rule="reference"`` (default) follows VOSviewer's reference library: the smallest
    undersized cluster joins the cluster with the largest link strength per member;
    ``rule="cpm_gain"`` joins the partner whose union changes the CPM quality most
    (``resolution`` is used only by this rule).
    """
    if rule not in ("reference", "cpm_gain"):
        raise ValueError(f"rule must be 'reference' or 'cpm_gain', not {rule!r}")
    s = sp.csr_matrix(s, dtype=np.float64)
    labels = _relabel_by_size(np.asarray(labels))
    if rule == "cpm_gain":
        return _merge_by_cpm_gain(s, labels, min_size, resolution)
    k = int(labels.max()) + 1
    h = sp.csr_matrix((np.ones(labels.size), (np.arange(labels.size), labels)), shape=(labels.size, k))
    between = (h.T @ s @ h).toarray()  # the reduced network: link strength between clusters
    np.fill_diagonal(between, 0.0)
    n_nodes = np.bincount(labels, minlength=k).astype(float)  # nodes per original cluster
    weight = n_nodes.copy()  # node weights (1 per item after association-strength normalisation)
    owner = np.arange(k)  # cluster of each original cluster in the reduced clustering
    while True:
        candidates = np.flatnonzero((n_nodes > 0) & (n_nodes < min_size))
        if candidates.size == 0:
            break
        small = int(candidates[np.argmin(n_nodes[candidates])])  # argmin: first of ties, as `<` in Java
        members = owner == small
        strength = between[members].sum(axis=0)  # link strength of the small cluster to each original one
        per_cluster = np.zeros(k)
        np.add.at(per_cluster, owner, strength)
        current_weight = np.zeros(k)
        np.add.at(current_weight, owner, weight)
        score = np.full(k, -np.inf)
        ok = (np.arange(k) != small) & (current_weight > 0)
        score[ok] = per_cluster[ok] / current_weight[ok]
        target = int(np.argmax(score))  # first maximum, as the strict `>` in Java
        if score[target] > 0:
            owner[members] = target
            n_nodes[target] += n_nodes[small]
        n_nodes[small] = 0  # merged, or cannot be merged: no longer a candidate
    return _relabel_by_size(owner[labels])


def _merge_by_cpm_gain(s: sp.csr_matrix, labels: np.ndarray, min_size: int, resolution: float) -> np.ndarray:
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
    merge_rule: str = "reference",
) -> Clustering:
    """Cluster items on association strengths with CPM + Leiden, then merge small clusters.

    ``merge_rule`` chooses how undersized clusters are merged (see :func:`merge_small_clusters`).
    """
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
    labels = merge_small_clusters(s, best_labels, max(1, int(min_cluster_size)), resolution, rule=merge_rule)
    return Clustering(labels, cpm_quality(s, labels, resolution), int(labels.max()) + 1)
