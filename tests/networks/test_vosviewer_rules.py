"""VOSviewer's own rules, checked on small cases computed by hand from the reference's Java code.

Reference: CWTSLeiden/networkanalysis 1.3.0 — ``CPMClusteringAlgorithm.removeSmallClustersBasedOnNNodes``
and ``removeCluster`` (small-cluster merging), ``Network.createNormalizedNetworkUsingAssociationStrength``,
``VOSLayoutAlgorithm.calcQuality`` (repulsion 0 and 1) and ``Layout.standardize`` (rotation and flips).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad

from helpers.networks.semantic_map import build_semantic_map
from helpers.networks.vos_clustering import merge_small_clusters, vos_clustering
from helpers.networks.vos_layout import (
    _objective_and_gradient_log,
    reference_quality,
    standardize,
    vos_layout,
)


def _sym(n: int, links: dict[tuple[int, int], float]) -> sp.csr_matrix:
    m = np.zeros((n, n))
    for (i, j), w in links.items():
        m[i, j] = m[j, i] = w
    return sp.csr_matrix(m)


# --- small-cluster merging ----------------------------------------------------------------

def test_reference_merge_uses_link_strength_per_member_not_cpm_gain():
    # A = nodes 0-5 (6 members), B = nodes 6-7 (2), C = node 8 (1, undersized).
    links = {(i, j): 2.0 for i in range(6) for j in range(i + 1, 6)}
    links[(6, 7)] = 2.0
    links.update({(8, 0): 1.0, (8, 1): 1.0, (8, 2): 1.0})  # C -> A: 3.0 in all
    links.update({(8, 6): 0.75, (8, 7): 0.75})  # C -> B: 1.5 in all
    s = _sym(9, links)
    labels = np.array([0] * 6 + [1] * 2 + [2])
    # Reference: A scores 3.0 / 6 = 0.5, B scores 1.5 / 2 = 0.75 -> C joins B.
    ref = merge_small_clusters(s, labels, min_size=2, rule="reference")
    assert ref[8] == ref[6] and ref[8] != ref[0]
    # CPM gain at γ = 0.1: A gains 3.0 − 0.1·1·6 = 2.4, B gains 1.5 − 0.1·1·2 = 1.3 -> C joins A.
    gain = merge_small_clusters(s, labels, min_size=2, resolution=0.1, rule="cpm_gain")
    assert gain[8] == gain[0] and gain[8] != gain[6]


def test_reference_merge_order_and_updated_sizes():
    # A = 0-3 (4), B = 4-6 (3), x = 7 (1), y = 8-9 (2); minimum size 3.
    links = {(i, j): 1.0 for i in range(4) for j in range(i + 1, 4)}
    links.update({(4, 5): 1.0, (4, 6): 1.0, (5, 6): 1.0, (8, 9): 1.0})
    links.update({(7, 0): 2.0, (7, 4): 1.2, (7, 8): 0.9})  # x: A 2/4 = .5, B 1.2/3 = .4, y .9/2 = .45
    # y, once x has joined A: to A 1.0 + 0.9 (its link to x) over A's new size 5 = .38;
    # to B 1.3 / 3 = .433 -> B.  Against A's old size 4 A would win (1.9 / 4 = .475).
    links.update({(8, 0): 1.0, (9, 4): 1.3})
    s = _sym(10, links)
    labels = np.array([0] * 4 + [1] * 3 + [2] + [3] * 2)
    out = merge_small_clusters(s, labels, min_size=3)
    assert out[7] == out[0]  # the smallest (x) goes first, to A
    assert out[8] == out[9] == out[4]  # then y, judged against A's new size 5, goes to B
    assert sorted(np.bincount(out)) == [5, 5]


def test_reference_merge_leaves_an_unlinked_small_cluster():
    s = _sym(5, {(0, 1): 1.0, (1, 2): 1.0, (0, 2): 1.0, (3, 4): 1.0})
    out = merge_small_clusters(s, np.array([0, 0, 0, 1, 1]), min_size=3)
    assert len(set(out[:3])) == 1 and out[3] == out[4] != out[0]  # no positive link: not merged


def test_merge_rule_is_validated_and_reachable_from_vos_clustering():
    s = _sym(3, {(0, 1): 1.0, (1, 2): 1.0})
    with pytest.raises(ValueError, match="rule"):
        merge_small_clusters(s, np.array([0, 0, 1]), 2, rule="largest")
    result = vos_clustering(s, resolution=0.1, min_cluster_size=2, merge_rule="cpm_gain", n_starts=1)
    assert result.labels.size == 3


# --- normalisation after the largest connected set ----------------------------------------

def test_association_strength_is_computed_on_the_kept_component():
    # a-b twice, b-c once (component {a, b, c}); d-e five times (a smaller component).
    docs = [["a", "b"], ["a", "b"], ["b", "c"]] + [["d", "e"]] * 5 + [["a"], ["c"], ["d"]]
    smap = build_semantic_map(docs, top_n=10, min_occurrences=1, min_cluster_size=1, n_layout_starts=1)
    assert sorted(smap.terms) == ["a", "b", "c"]
    s = smap.similarity.toarray()
    idx = {t: i for i, t in enumerate(smap.terms)}
    # Kept set: k_a = 2, k_b = 3, k_c = 1, m = 3: s_ab = 2·3·2/(2·3) = 2, s_bc = 2·3·1/(3·1) = 2.
    # (Normalising before dropping d-e would use m = 8 and give 16/3 for both.)
    assert s[idx["a"], idx["b"]] == pytest.approx(2.0)
    assert s[idx["b"], idx["c"]] == pytest.approx(2.0)


# --- repulsion 0 and 1 -----------------------------------------------------------------------

def test_reference_quality_by_hand():
    coords = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])  # distances 3, 4, 5
    s = _sym(3, {(0, 1): 2.0, (0, 2): 1.0})
    # attraction: (2·9 + 1·16)/2 = 17
    assert reference_quality(coords, s, repulsion=1) == pytest.approx(17 - 12)
    assert reference_quality(coords, s, repulsion=0) == pytest.approx(17 - np.log(60))
    with pytest.raises(ValueError, match="repulsion"):
        reference_quality(coords, s, repulsion=2)


def test_log_repulsion_gradient_and_two_point_optimum():
    s = _sym(4, {(0, 1): 1.0, (1, 2): 2.0, (2, 3): 0.5, (0, 3): 1.5})
    lap = (sp.diags(np.asarray(s.sum(axis=1)).ravel()) - s).toarray()
    x0 = np.random.default_rng(3).normal(size=8)
    err = check_grad(lambda v: _objective_and_gradient_log(v, s, lap, 4)[0],
                     lambda v: _objective_and_gradient_log(v, s, lap, 4)[1], x0)
    assert err < 1e-5
    # Two points with weight w: w d²/2 − log d is smallest at d = 1/√w.
    w = 4.0
    s2 = _sym(2, {(0, 1): w})
    lap2 = (sp.diags(np.asarray(s2.sum(axis=1)).ravel()) - s2).toarray()
    values = [(_objective_and_gradient_log(np.array([0, 0, d, 0.0]), s2, lap2, 2)[0], d)
              for d in np.linspace(0.1, 2, 1901)]
    assert min(values)[1] == pytest.approx(1 / np.sqrt(w), abs=1e-3)


def test_repulsion_zero_gives_another_layout():
    rng = np.random.default_rng(0)
    blocks = sp.block_diag([np.ones((6, 6)), np.ones((6, 6)), np.ones((6, 6))]).toarray()
    s = sp.csr_matrix(blocks * 4 + rng.uniform(0.05, 0.2, size=(18, 18)))
    s = sp.csr_matrix((s + s.T) / 2)
    s.setdiag(0)
    one, zero = vos_layout(s, n_starts=2, seed=1), vos_layout(s, n_starts=2, seed=1, repulsion=0)
    d1 = np.linalg.norm(one.coords[:, None] - one.coords[None], axis=2)
    d0 = np.linalg.norm(zero.coords[:, None] - zero.coords[None], axis=2)
    assert d0[np.triu_indices(18, 1)].mean() == pytest.approx(1.0)
    assert not np.allclose(d1, d0, atol=1e-3)
    # both keep the blocks apart
    for d in (d0, d1):
        assert d[:6, 6:].mean() > 2 * d[:6, :6].mean()
    with pytest.raises(ValueError, match="repulsion"):
        vos_layout(s, repulsion=2)


# --- standardisation (rotation and mirroring) -------------------------------------------------

def test_standardize_rotation_by_hand():
    # variance (2, 0.5), covariance 0: λ = 0.5, 2; the reference's vectors are (1.5, 0) and
    # (0, −1.5): x stays, y is negated by the rotation itself; both medians are 0 (no flip).
    x = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    mean_d = (4 + 2 + 4 * np.sqrt(5)) / 6
    out = standardize(x)
    np.testing.assert_allclose(out, np.array([[2, 0], [-2, 0], [0, -1], [0, 1]]) / mean_d, atol=1e-12)


def test_standardize_flips_an_axis_with_positive_median():
    x = np.array([[-3.0, 0.0], [1.0, 0.0], [1.0, 0.1], [1.0, -0.1]])  # x median 1 > 0
    out = standardize(x)
    assert np.median(out[:, 0]) < 0 and out[0, 0] > 0
    earlier = standardize(x, orientation="first_item")
    assert earlier[0, 0] >= 0 and earlier[0, 1] >= 0
    with pytest.raises(ValueError, match="orientation"):
        standardize(x, orientation="north")


def test_standardize_rotates_a_tilted_cloud_onto_the_first_axis():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(300, 2)) * [3, 0.5]
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    out = standardize(pts @ rot.T + [5, -2])
    cov = np.cov(out.T)
    assert abs(cov[0, 1]) < 1e-10 and cov[0, 0] > cov[1, 1]
    assert np.median(out[:, 0]) <= 0 and np.median(out[:, 1]) <= 0
