"""The VOS mapping technique (van Eck & Waltman 2007/2010), vectorised with numpy/scipy.

VOS ("visualization of similarities") places items in two dimensions by minimising

    V(x_1..x_n) = Σ_{i<j} s_ij ‖x_i − x_j‖²   subject to   (2 / n(n−1)) Σ_{i<j} ‖x_i − x_j‖ = 1,

with s_ij the association strength: strongly associated terms are pulled
together, and the constraint (mean distance 1) stops everything collapsing onto
one point.  Both terms are homogeneous in the scale of the map (degree 2 and 1),
so the constrained minimum is a rescaling of the minimum of the unconstrained

    U(X) = Σ_{i<j} s_ij d_ij² − Σ_{i<j} d_ij,

which is smooth away from coincident points and is what VOSviewer optimises
too.  VOSviewer's reference library (CWTSLeiden/networkanalysis 1.3.0,
``VOSLayoutAlgorithm.calcQuality``) writes the general form

    Q(X) = Σ_{i<j} s_ij d_ij^a / a − Σ_{i<j} d_ij^r / r     (r = 0: − Σ log d_ij),

with attraction a = 2 and repulsion r = 1 by default; VOSviewer's user interface
also offers r = 0, which spreads dense groups further from each other.  Both are
offered here (``repulsion=1`` default, ``repulsion=0``).  With r = 1 Q is U/2 up
to the factor on the attraction term, so the minimiser is the same up to scale.
We minimise Q with L-BFGS and an analytic gradient from several random starts and
keep the start with the lowest Q, as the reference's ``RunNetworkLayout`` does.

The kept solution is then standardised by the reference's rule
(``Layout.standardize(true)``): centre; rotate onto the principal axes of the
coordinate covariance (first axis = largest variance), computed with the
reference's closed form; flip each axis whose median is positive (so the median
is ≤ 0 on both axes); and divide by the mean pairwise distance.  The project's
earlier rule (reflect so that the most frequent term lies at x, y ≥ 0) is kept
as ``orientation="first_item"``; the reference rule is the default.

U is unbounded below when the similarity graph is disconnected (two components
can drift apart for free); VOSviewer therefore maps only the largest connected
set of items, and :func:`largest_component` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

_EPS = 1e-12


@dataclass(frozen=True)
class VosLayout:
    """Coordinates and the quality of the kept solution."""

    coords: np.ndarray  # n × 2, mean pairwise distance 1
    objective: float  # Σ_{i<j} s_ij d_ij² at mean distance 1 (lower is better)
    objectives: tuple[float, ...]  # the same for every random start, in order
    best_start: int


def largest_component(s: sp.spmatrix) -> np.ndarray:
    """Sorted indices of the largest connected component of the similarity graph."""
    s = sp.csr_matrix(s)
    n_comp, labels = connected_components(s, directed=False)
    if n_comp <= 1:
        return np.arange(s.shape[0])
    sizes = np.bincount(labels)
    return np.flatnonzero(labels == int(np.argmax(sizes)))


def _pairwise(coords: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", coords, coords)
    d2 = sq[:, None] + sq[None, :] - 2.0 * coords @ coords.T
    np.maximum(d2, 0.0, out=d2)
    return np.sqrt(d2)


def _objective_and_gradient(flat: np.ndarray, s, lap, n: int):
    """U(X) and its gradient: 2 L X for the attraction, Σ_j (x_i − x_j)/d_ij for the repulsion.

    ``lap`` is the Laplacian diag(S·1) − S, dense (fast BLAS product) or sparse.
    Coordinate differences are formed per axis (two n × n arrays) rather than through
    X Xᵀ, which is both cheaper for two dimensions and exact for nearby points.
    """
    x = flat.reshape(n, 2)
    dx = x[:, 0, None] - x[None, :, 0]
    dy = x[:, 1, None] - x[None, :, 1]
    d = dx * dx
    d += dy * dy
    np.sqrt(d, out=d)
    d.flat[:: n + 1] = 1.0  # placeholder so that 1/d is finite on the diagonal
    repulsion = (d.sum() - n) / 2.0  # Σ_{i<j} d_ij
    inv = np.reciprocal(np.maximum(d, _EPS, out=d), out=d)
    inv.flat[:: n + 1] = 0.0
    lx = lap @ x
    attraction = float(np.einsum("ij,ij->", x, lx))  # Σ_{i<j} s_ij d_ij²
    grad = 2.0 * lx
    grad[:, 0] -= np.einsum("ij,ij->i", inv, dx)
    grad[:, 1] -= np.einsum("ij,ij->i", inv, dy)
    return attraction - repulsion, grad.ravel()


def _objective_and_gradient_log(flat: np.ndarray, s, lap, n: int):
    """Q(X) for repulsion 0: Σ_{i<j} s_ij d_ij² / 2 − Σ_{i<j} log d_ij, and its gradient."""
    x = flat.reshape(n, 2)
    dx = x[:, 0, None] - x[None, :, 0]
    dy = x[:, 1, None] - x[None, :, 1]
    d2 = dx * dx
    d2 += dy * dy
    d2.flat[:: n + 1] = 1.0  # log 1 = 0 on the diagonal
    np.maximum(d2, _EPS, out=d2)
    repulsion = 0.5 * float(np.log(d2).sum()) / 2.0  # Σ_{i<j} log d_ij = ½ Σ_{i<j} log d_ij²
    inv = np.reciprocal(d2, out=d2)
    inv.flat[:: n + 1] = 0.0
    lx = lap @ x
    attraction = 0.5 * float(np.einsum("ij,ij->", x, lx))  # Σ_{i<j} s_ij d_ij² / 2
    grad = lx.copy()
    grad[:, 0] -= np.einsum("ij,ij->i", inv, dx)
    grad[:, 1] -= np.einsum("ij,ij->i", inv, dy)
    return attraction - repulsion, grad.ravel()


def reference_quality(coords: np.ndarray, s: sp.spmatrix, repulsion: int = 1) -> float:
    """The reference library's layout quality Q (attraction 2) of ``coords`` (lower is better)."""
    s = sp.csr_matrix(s)
    n = coords.shape[0]
    lap = sp.diags(np.asarray(s.sum(axis=1)).ravel()) - s
    attraction = 0.5 * float(np.einsum("ij,ij->", coords, lap @ coords))
    d = _pairwise(coords)[np.triu_indices(n, k=1)]
    if repulsion == 1:
        return attraction - float(d.sum())
    if repulsion == 0:
        return attraction - float(np.log(np.maximum(d, _EPS)).sum())
    raise ValueError(f"repulsion must be 0 or 1, got {repulsion}")


def constrained_objective(coords: np.ndarray, s: sp.spmatrix) -> float:
    """Σ_{i<j} s_ij d_ij² after rescaling ``coords`` to mean pairwise distance 1."""
    s = sp.csr_matrix(s)
    n = coords.shape[0]
    d = _pairwise(coords)
    mean_d = d[np.triu_indices(n, k=1)].mean()
    lap = sp.diags(np.asarray(s.sum(axis=1)).ravel()) - s
    return float(np.einsum("ij,ij->", coords, lap @ coords)) / mean_d**2


def standardize(coords: np.ndarray, orientation: str = "reference") -> np.ndarray:
    """Centre, rotate to principal axes, fix reflections, scale to mean distance 1.

    ``orientation="reference"`` follows ``Layout.standardize(true)`` of VOSviewer's
    reference library line by line (its closed-form eigenvectors, then a flip of
    every axis whose median is positive); ``"first_item"`` is the project's earlier
    rule (SVD axes, then reflect so that the first item lies at x, y ≥ 0).
    """
    if orientation not in ("reference", "first_item"):
        raise ValueError(f"orientation must be 'reference' or 'first_item', not {orientation!r}")
    n = coords.shape[0]
    x = np.asarray(coords, dtype=float) - coords.mean(axis=0)
    if orientation == "first_item":
        mean_d = _pairwise(x)[np.triu_indices(n, k=1)].mean()
        x = x / mean_d
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        x = x @ vt.T
        return x * np.where(x[0] < 0, -1.0, 1.0)
    v1, v2 = float(np.mean(x[:, 0] ** 2)), float(np.mean(x[:, 1] ** 2))
    cov = float(np.mean(x[:, 0] * x[:, 1]))
    root = np.sqrt(v1 * v1 + v2 * v2 - 2 * v1 * v2 + 4 * cov * cov)
    e_small, e_large = (v1 + v2 - root) / 2, (v1 + v2 + root) / 2
    # The reference's vectors (v1 + cov − λ, v2 + cov − λ): the sum of the columns of
    # M − λI, which lies along the *other* eigenvector, so the first axis gets the
    # largest variance.  They vanish only for an isotropic cloud (no rotation then).
    a = np.array([v1 + cov - e_small, v2 + cov - e_small])
    b = np.array([v1 + cov - e_large, v2 + cov - e_large])
    if np.linalg.norm(a) > _EPS and np.linalg.norm(b) > _EPS:
        a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
        x = np.column_stack([x @ a, x @ b])
    for axis in range(2):
        if np.median(x[:, axis]) > 0:
            x[:, axis] = -x[:, axis]
    mean_d = _pairwise(x)[np.triu_indices(n, k=1)].mean()
    return x / mean_d if mean_d > 0 else x


def vos_layout(
    s: sp.spmatrix,
    n_starts: int = 5,
    seed: int = 0,
    max_iter: int = 2000,
    tol: float = 1e-8,
    repulsion: int = 1,
    orientation: str = "reference",
) -> VosLayout:
    """VOS map coordinates for a *connected* association-strength matrix.

    Parameters
    ----------
    s
        Symmetric non-negative similarity matrix (association strengths).
    n_starts
        Random starts; the best solution (lowest constrained objective) is kept,
        because U has local minima, as VOSviewer's own optimiser does.
    seed
        Seed of the random starting positions.
    repulsion
        1 (default, VOSviewer's default) or 0 (VOSviewer's alternative, log repulsion).
    orientation
        ``"reference"`` (default): VOSviewer's standardisation; ``"first_item"``: the
        project's earlier reflection rule (see :func:`standardize`).
    """
    if repulsion not in (0, 1):
        raise ValueError(f"repulsion must be 0 or 1 (VOSviewer's two settings), got {repulsion}")
    s = sp.csr_matrix(s, dtype=np.float64)
    n = s.shape[0]
    if s.shape != (n, n):
        raise ValueError(f"similarity matrix must be square, got {s.shape}")
    if n_starts < 1:
        raise ValueError("n_starts must be >= 1")
    if n == 0:
        raise ValueError("cannot lay out an empty map")
    if n == 1:
        return VosLayout(np.zeros((1, 2)), 0.0, (0.0,), 0)
    if s.nnz and s.data.min() < 0:
        raise ValueError("similarities must be non-negative")
    if len(largest_component(s)) != n:
        raise ValueError(
            "the similarity graph is disconnected; lay out its largest component "
            "(helpers.networks.vos_layout.largest_component), as VOSviewer does"
        )
    s = s.copy()
    s.setdiag(0.0)
    s.eliminate_zeros()
    lap = (sp.diags(np.asarray(s.sum(axis=1)).ravel()) - s).tocsr()
    # The repulsion term is dense (n × n) anyway, so a dense Laplacian costs no extra order of
    # memory and turns the sparse product with a 2-column matrix into one fast BLAS call.
    lap_op = lap.toarray() if n <= 4000 else lap
    rng = np.random.default_rng(seed)
    function = _objective_and_gradient if repulsion == 1 else _objective_and_gradient_log
    best: tuple[float, np.ndarray] | None = None
    objectives: list[float] = []
    best_start = 0
    for start in range(n_starts):
        x0 = rng.uniform(-1.0, 1.0, size=(n, 2))
        # Products with an n × 2 matrix gain nothing from BLAS threads; on a busy machine the
        # threads' synchronisation made each evaluation several times slower.
        with threadpool_limits(1, user_api="blas"):
            res = minimize(
                function, x0.ravel(), args=(s, lap_op, n), jac=True,
                method="L-BFGS-B", options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-7},
            )
        coords = res.x.reshape(n, 2)
        objectives.append(constrained_objective(coords, s))
        # Starts are compared on the quality the optimiser minimised, as the reference does
        # (for repulsion 1 this orders starts exactly as the constrained objective does).
        value = reference_quality(coords, s, repulsion)
        if best is None or value < best[0]:
            best = (value, coords)
            best_start = start
    assert best is not None
    coords = standardize(best[1], orientation)
    return VosLayout(coords, objectives[best_start], tuple(objectives), best_start)
