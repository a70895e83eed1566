"""The VOS mapping technique (van Eck & Waltman 2007/2010), vectorised with numpy/scipy.

VOS ("visualization of similarities") places items in two dimensions by minimising

    V(x_1..x_n) = Σ_{i<j} s_ij ‖x_i − x_j‖²   subject to   (2 / n(n−1)) Σ_{i<j} ‖x_i − x_j‖ = 1,

with s_ij the association strength: strongly associated terms are pulled
together, and the constraint (mean distance 1) stops everything collapsing onto
one point.  Both terms are homogeneous in the scale of the map (degree 2 and 1),
so the constrained minimum is a rescaling of the minimum of the unconstrained

    U(X) = Σ_{i<j} s_ij d_ij² − Σ_{i<j} d_ij,

which is smooth away from coincident points and is what VOSviewer optimises
too.  We minimise U with L-BFGS and an analytic gradient from several random
starts, rescale each solution to mean distance 1, and keep the one with the
lowest constrained objective.  As in VOSviewer the final map is centred, rotated
so that its principal axis is horizontal, and reflected deterministically, so
that maps from different runs are comparable.

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


def constrained_objective(coords: np.ndarray, s: sp.spmatrix) -> float:
    """Σ_{i<j} s_ij d_ij² after rescaling ``coords`` to mean pairwise distance 1."""
    s = sp.csr_matrix(s)
    n = coords.shape[0]
    d = _pairwise(coords)
    mean_d = d[np.triu_indices(n, k=1)].mean()
    lap = sp.diags(np.asarray(s.sum(axis=1)).ravel()) - s
    return float(np.einsum("ij,ij->", coords, lap @ coords)) / mean_d**2


def _normalise(coords: np.ndarray) -> np.ndarray:
    """Centre, scale to mean distance 1, rotate to principal axes, reflect deterministically."""
    n = coords.shape[0]
    x = coords - coords.mean(axis=0)
    mean_d = _pairwise(x)[np.triu_indices(n, k=1)].mean()
    x = x / mean_d
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    x = x @ vt.T
    # Reflect each axis so that the first item (the most frequent term) lies at x, y >= 0.
    signs = np.where(x[0] < 0, -1.0, 1.0)
    return x * signs


def vos_layout(
    s: sp.spmatrix,
    n_starts: int = 5,
    seed: int = 0,
    max_iter: int = 2000,
    tol: float = 1e-8,
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
    """
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
    best: tuple[float, np.ndarray] | None = None
    objectives: list[float] = []
    best_start = 0
    for start in range(n_starts):
        x0 = rng.uniform(-1.0, 1.0, size=(n, 2))
        # Products with an n × 2 matrix gain nothing from BLAS threads; on a busy machine the
        # threads' synchronisation made each evaluation several times slower.
        with threadpool_limits(1, user_api="blas"):
            res = minimize(
                _objective_and_gradient, x0.ravel(), args=(s, lap_op, n), jac=True,
                method="L-BFGS-B", options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-7},
            )
        coords = res.x.reshape(n, 2)
        value = constrained_objective(coords, s)
        objectives.append(value)
        if best is None or value < best[0]:
            best = (value, coords)
            best_start = start
    assert best is not None
    coords = _normalise(best[1])
    return VosLayout(coords, float(best[0]), tuple(objectives), best_start)
