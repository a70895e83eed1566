"""Linear mixed models with crossed random intercepts, fitted through a blocked Cholesky factor.

Why this exists: Model 5 crosses three random intercepts (creators, posts, audience members),
and audience members comment on several posts.  lme4 factors the whole penalised
cross-product ``ΛᵀZᵀZΛ + I`` with one sparse (supernodal) Cholesky.  Under this crossing
that factor fills in: on the embedded corpus at 4× the study's size it holds 7 million
non-zeros for 23,628 random effects, and each deviance evaluation costs seconds, so the cost
of a fit grows with about the 1.7th power of the data (``benchmarks/scale_ladder.py``).

The structure allows a cheaper exact factorisation, the one MixedModels.jl uses (Bates et
al.): the random-intercept term with the most levels has a *diagonal* block in
``ΛᵀZᵀZΛ + I`` (each comment has one author), so it can be eliminated in closed form, and only
the Schur complement on the other terms (posts and creators: thousands, not tens of thousands
of levels) is factored, as a dense matrix by LAPACK.  The likelihood is the same function of
the same parameters, so the estimates agree with lme4's to the optimiser's tolerance; the
tests compare the two fit by fit (estimates, standard errors, log-likelihood, variances).

One more step of structure: posts are *nested* in creators.  The two intercepts of a post's
comments, ``b_post + b_creator``, are then one random effect per post whose covariance is
block-diagonal by creator (``θ_post² I + θ_creator² 11ᵀ`` within a creator's posts).  Folding
them into that single factor leaves the likelihood unchanged (it depends on the covariance of
``Zb`` only) and shrinks the dense factor from posts + creators to posts alone (at ten times
the study's size about 2.4 times fewer operations).  The square root of the block is
closed-form, so applying it costs a group mean.  A test checks that both routes give the same
deviance.

What it fits: ``y ~ X β + Σ_k Z_k b_k + ε`` with ``b_k ~ N(0, σ² θ_k² I)`` and
``ε ~ N(0, σ² I)``, random *intercepts* only, by ML or REML, with lme4's profiled deviance
(Bates, Mächler, Bolker & Walker 2015, eqs. 34 and 41) minimised over θ ≥ 0 by L-BFGS-B.
Standard errors are ``σ̂² (RXᵀRX)⁻¹`` as in lme4; Satterthwaite degrees of freedom are
computed as lmerTest defines them (the delta method on the variance parameters, with the
deviance's Hessian and the covariance's Jacobian taken by central differences).
Random slopes are outside what it fits: :func:`fit_crossed` raises for them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp
from scipy import optimize, stats


class CrossedModelError(ValueError):
    """The model is outside what the blocked engine fits (e.g. a random slope)."""


@dataclass
class CrossedDesign:
    """Everything the deviance needs that does not depend on θ: counts and cross-products."""

    groups: list[str]  # the grouping factors, the diagonal (largest) one first
    levels: list[np.ndarray]  # level labels of each factor, in code order
    codes: list[np.ndarray]  # row -> level code, per factor
    counts: list[np.ndarray]  # rows per level, per factor
    cross: dict[tuple[int, int], sp.csr_matrix]  # (j, k), j < k: Z_jᵀ Z_k as a sparse count matrix
    zw: list[np.ndarray]  # Z_kᵀ W (W = [X, y]) per factor: level sums of each column
    ww: np.ndarray  # Wᵀ W
    n: int
    p: int  # fixed-effect columns
    x_names: list[str]
    #: when factor 1 is nested in factor 2 (each level of 1 in one level of 2): level of 2 of each
    #: level of 1, and how many levels of 1 each level of 2 holds; the fold described above
    parent_of: np.ndarray | None = None
    parent_size: np.ndarray | None = None
    parent_matrix: sp.csr_matrix | None = None  # parents × children indicator (sums by parent)

    @property
    def sizes(self) -> list[int]:
        return [len(c) for c in self.counts]


def build_design(data: pd.DataFrame, response: str, x: pd.DataFrame, groups: Sequence[str]) -> CrossedDesign:
    """Cross-products of the model, computed once per fit (θ changes only the scaling)."""
    order = sorted(groups, key=lambda g: -data[g].nunique())  # the diagonal block: the most levels
    codes, levels, counts = [], [], []
    for g in order:
        c, lv = pd.factorize(data[g], sort=True)
        if (c < 0).any():
            raise CrossedModelError(f"grouping factor {g!r} has missing values")
        codes.append(c.astype(np.int64))
        levels.append(np.asarray(lv))
        counts.append(np.bincount(c, minlength=len(lv)).astype(float))
    n = len(data)
    w = np.column_stack([x.to_numpy(float), data[response].to_numpy(float)])
    zw = [np.stack([np.bincount(c, weights=w[:, j], minlength=len(lv)) for j in range(w.shape[1])], axis=1)
          for c, lv in zip(codes, levels, strict=True)]
    ones = np.ones(n)
    cross = {}
    for j in range(len(order)):
        for k in range(j + 1, len(order)):
            cross[(j, k)] = sp.csr_matrix((ones, (codes[j], codes[k])), shape=(len(levels[j]), len(levels[k])))
    parent_of = parent_size = None
    if len(order) == 3 and np.all(np.diff(cross[(1, 2)].indptr) == 1):  # factor 1 nested in factor 2
        parent_of = cross[(1, 2)].indices.astype(np.int64)
        parent_size = np.bincount(parent_of, minlength=len(levels[2])).astype(float)
    parent_matrix = None if parent_of is None else sp.csr_matrix(
        (np.ones(len(parent_of)), (parent_of, np.arange(len(parent_of)))), shape=(len(levels[2]), len(parent_of)))
    return CrossedDesign(order, levels, codes, counts, cross, zw, w.T @ w, n, x.shape[1], list(x.columns),
                         parent_of, parent_size, parent_matrix)


def _nested_root(design: CrossedDesign, theta: np.ndarray):
    """``x ↦ H^{1/2} x`` with ``H = θ_1² I + θ_2² P Pᵀ`` (P: factor-1 level → its factor-2 level).

    Within a parent's block of m children ``H`` has eigenvalue ``θ_1² + m θ_2²`` along the
    all-ones direction and ``θ_1²`` across it, so ``H^{1/2} = θ_1 I + α P diag(1/m) Pᵀ`` with
    ``α = sqrt(θ_1² + m θ_2²) − θ_1``.
    """
    parent, m = design.parent_of, design.parent_size
    t1, t2 = float(theta[1]), float(theta[2])
    alpha = np.sqrt(t1 ** 2 + m * t2 ** 2) - t1
    weight = np.divide(alpha, m, out=np.zeros_like(m), where=m > 0)
    sum_by_parent = design.parent_matrix  # parents × children, one 1 per column

    def apply(x: np.ndarray) -> np.ndarray:  # acts on the rows of x (levels of factor 1)
        sums = sum_by_parent @ x
        sums *= weight[:, None] if x.ndim == 2 else weight
        out = sums[parent]
        out += t1 * x
        return out

    return apply


def _eliminate_first(design: CrossedDesign, th: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The diagonal block of factor 0 and its share of the solve: ``(d0, Λ_0 Z_0ᵀ W, log|D_0|, WᵀW − f_0ᵀ D_0⁻¹ f_0)``."""
    d0 = th[0] ** 2 * design.counts[0] + 1.0
    f0 = th[0] * design.zw[0]
    return d0, f0, float(np.log(d0).sum()), design.ww - f0.T @ (f0 / d0[:, None])


def _solve_nested(design: CrossedDesign, th: np.ndarray) -> _Solve:
    """Factor 0 eliminated in closed form, factors 1 and 2 folded into one (see the module docstring)."""
    d0, f0, logdet, g = _eliminate_first(design, th)
    root = _nested_root(design, th)
    z10 = design.cross[(0, 1)].T.tocsr()  # Z_1ᵀ Z_0: levels_1 × levels_0
    scaled = z10.multiply((th[0] ** 2 / d0)[None, :]).tocsr()
    k = (scaled @ z10.T).toarray()
    np.negative(k, out=k)
    k[np.diag_indices_from(k)] += design.counts[1]  # Z_1ᵀ (I − Z_0 Λ_0 D⁻¹ Λ_0 Z_0ᵀ) Z_1
    s = root(k)
    s = np.ascontiguousarray(root(s.T).T)  # H^{1/2} K H^{1/2} (K and H^{1/2} symmetric)
    del k
    s[np.diag_indices_from(s)] += 1.0
    rhs = root(design.zw[1] - (z10 @ (th[0] * f0 / d0[:, None])))  # H^{1/2} Z_1ᵀ (W − Z_0 Λ_0 D⁻¹ f_0)
    chol = sla.cho_factor(s, lower=True, overwrite_a=True, check_finite=False)
    logdet += 2.0 * float(np.log(np.diag(chol[0])).sum())
    xr = sla.cho_solve(chol, rhs, check_finite=False)
    g = g - rhs.T @ xr
    return _Solve(logdet, g, None)


@dataclass
class _Solve:
    logdet_a: float  # log|ΛᵀZᵀZΛ + I|
    g: np.ndarray  # Wᵀ W − (ΛZᵀW)ᵀ A⁻¹ (ΛZᵀW): (p+1) × (p+1)
    u: list[np.ndarray] | None = None  # A⁻¹ ΛZᵀW, split per factor (kept on request)


def _solve(design: CrossedDesign, theta: np.ndarray, keep: bool = False, nested: bool = True) -> _Solve:
    """Block elimination of the diagonal factor, dense Cholesky of the Schur complement.

    A nested pair of factors is folded (``nested``) except when the conditional modes are
    wanted (``keep``): those are computed once, after the fit, on the unfolded route.
    """
    sizes = design.sizes
    th = np.asarray(theta, float)
    if design.parent_of is not None and nested and not keep:
        return _solve_nested(design, th)
    d0, f0, logdet, g = _eliminate_first(design, th)  # the diagonal block of the first factor
    if len(sizes) == 1:
        u = [f0 / d0[:, None]] if keep else None
        return _Solve(logdet, g, u)
    # the other factors: C = Λ_r Z_rᵀ Z_r Λ_r + I and B = Λ_r Z_rᵀ Z_0 Λ_0
    offsets = np.cumsum([0, *sizes[1:]])
    r = int(offsets[-1])
    c = np.zeros((r, r))
    b_blocks = []
    for k in range(1, len(sizes)):
        sl = slice(offsets[k - 1], offsets[k])
        c[sl, sl] += np.diag(th[k] ** 2 * design.counts[k] + 1.0)
        for m in range(k + 1, len(sizes)):
            sm = slice(offsets[m - 1], offsets[m])
            block = (th[k] * th[m]) * design.cross[(k, m)].toarray()
            c[sl, sm] += block
            c[sm, sl] += block.T
        b_blocks.append((th[k] * th[0]) * design.cross[(0, k)].T.tocsr())  # levels_k × levels_0
    b = sp.vstack(b_blocks).tocsr()  # r × q0
    b_scaled = b.multiply(1.0 / d0[None, :]).tocsr()
    s = c - (b_scaled @ b.T).toarray()  # the Schur complement (dense)
    fr = np.vstack([th[k] * design.zw[k] for k in range(1, len(sizes))])  # Λ_r Z_rᵀ W
    rhs = fr - b_scaled @ f0
    chol = sla.cho_factor(s, lower=True, overwrite_a=True, check_finite=False)
    logdet += 2.0 * float(np.log(np.diag(chol[0])).sum())
    xr = sla.cho_solve(chol, rhs, check_finite=False)
    # Wᵀ W − f0ᵀ D⁻¹ f0 − rhsᵀ S⁻¹ rhs
    g = g - rhs.T @ xr
    u = None
    if keep:
        x0 = (f0 - b.T @ xr) / d0[:, None]
        u = [x0] + [xr[offsets[k - 1]:offsets[k]] for k in range(1, len(sizes))]
    return _Solve(logdet, g, u)


def _profiled(design: CrossedDesign, solved: _Solve, reml: bool) -> tuple[float, np.ndarray, float, float]:
    """Deviance, β̂, the penalised residual sum of squares and log|RX|² (lme4's profiled forms)."""
    p = design.p
    gxx, gxy, gyy = solved.g[:p, :p], solved.g[:p, p], solved.g[p, p]
    rx = sla.cho_factor(gxx, lower=True, check_finite=False)
    beta = sla.cho_solve(rx, gxy, check_finite=False)
    prss = float(gyy - gxy @ beta)
    logdet_rx = 2.0 * float(np.log(np.diag(rx[0])).sum())
    n = design.n
    if reml:
        dof = n - p
        dev = solved.logdet_a + logdet_rx + dof * (1.0 + np.log(2.0 * np.pi * prss / dof))
    else:
        dev = solved.logdet_a + n * (1.0 + np.log(2.0 * np.pi * prss / n))
    return float(dev), beta, prss, logdet_rx


def deviance(design: CrossedDesign, theta: Sequence[float], reml: bool, nested: bool = True) -> float:
    """lme4's profiled deviance (−2 log-likelihood, or the REML criterion) at θ.

    ``nested=False`` forces the unfolded route (for the test that both agree).
    """
    return _profiled(design, _solve(design, np.asarray(theta, float), nested=nested), reml)[0]


@dataclass
class CrossedFit:
    """Estimates of one blocked-Cholesky fit, in the terms lme4 reports."""

    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    deviance: float
    reml: bool
    cov_beta: np.ndarray
    df: np.ndarray  # Satterthwaite, one per fixed effect (nan when not computed)
    n_evals: int
    converged: bool
    message: str
    design: CrossedDesign
    seconds: float

    @property
    def loglik(self) -> float:
        return -0.5 * self.deviance

    @property
    def n_params(self) -> int:
        return self.design.p + len(self.theta) + 1

    def variances(self) -> dict[str, float]:
        """Variance of each random intercept (σ² θ²) and the residual variance."""
        out = {g: float((self.sigma * t) ** 2) for g, t in zip(self.design.groups, self.theta, strict=True)}
        out["Residual"] = float(self.sigma ** 2)
        return out

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        se = np.sqrt(np.diag(self.cov_beta))
        t = self.beta / se
        df = self.df
        p = np.where(np.isfinite(df), 2 * stats.t.sf(np.abs(t), np.where(np.isfinite(df), df, 1.0)), np.nan)
        q = np.where(np.isfinite(df), stats.t.ppf(0.5 + level / 2, np.where(np.isfinite(df), df, 1.0)), np.nan)
        return pd.DataFrame({"term": self.design.x_names, "estimate": self.beta, "std_error": se, "df": df,
                             "t_stat": t, "p_value": p, "conf_low": self.beta - q * se,
                             "conf_high": self.beta + q * se})

    def conditional_modes(self) -> dict[str, pd.Series]:
        """Conditional modes b̂ = Λ û of each factor's intercepts (the BLUPs lme4's ``ranef`` gives)."""
        solved = _solve(self.design, self.theta, keep=True)
        # û = A⁻¹ ΛZᵀ(y − Xβ̂): the last column of A⁻¹ΛZᵀW minus its X columns times β̂
        out = {}
        for k, g in enumerate(self.design.groups):
            uk = solved.u[k][:, -1] - solved.u[k][:, :-1] @ self.beta
            out[g] = pd.Series(self.theta[k] * uk, index=self.design.levels[k], name=g)
        return out


def _sigma2(design: CrossedDesign, prss: float, reml: bool) -> float:
    return prss / (design.n - design.p if reml else design.n)


def satterthwaite_df(design: CrossedDesign, theta: np.ndarray, sigma: float, reml: bool,
                     center: _Solve | None = None) -> np.ndarray:
    """Satterthwaite df of each fixed effect, lmerTest's way: 2 (Var β_j)² / (∇Var β_j)ᵀ A (∇Var β_j).

    The variance parameters are lmerTest's (θ, σ); ``A`` is their asymptotic covariance,
    twice the inverse Hessian of the deviance.  In σ everything is closed-form: the deviance is
    ``f(θ) + d log(2πσ²) + r²(θ)/σ²`` (``d = n − p`` for REML, ``n`` for ML, ``f`` the log
    determinants) and ``Var β = σ² G(θ)⁻¹``.  In θ the derivatives are central differences
    (relative steps 1e-4, where lmerTest uses numDeriv's Richardson extrapolation), and the
    Hessian and the Jacobian share their evaluations: 1 + 2k + 2k(k−1) solves for k factors
    (2k + 2k(k−1) when ``center``, the solve at θ itself, is handed in).
    """
    theta = np.asarray(theta, float)
    k, p = len(theta), design.p
    h = np.maximum(np.abs(theta), 1e-2) * 1e-4
    cache: dict[tuple, tuple[float, float, np.ndarray]] = {}

    def at(steps: tuple[int, ...]) -> tuple[float, float, np.ndarray]:
        """(log determinants, r², diag G⁻¹) at θ + Σ steps·h."""
        if steps not in cache:
            th = np.abs(theta + np.asarray(steps) * h)
            solved = center if center is not None and not any(steps) else _solve(design, th)
            _, _, prss, logdet_rx = _profiled(design, solved, reml)
            logdets = solved.logdet_a + (logdet_rx if reml else 0.0)
            cache[steps] = (logdets, prss, np.diag(np.linalg.inv(solved.g[:p, :p])))
        return cache[steps]

    def unit(i: int, sign: int) -> tuple[int, ...]:
        return tuple(sign if j == i else 0 for j in range(k))

    def pair(i: int, si: int, j: int, sj: int) -> tuple[int, ...]:
        return tuple(si if m == i else sj if m == j else 0 for m in range(k))

    f0, r0, g0 = at(tuple([0] * k))
    d = design.n - p if reml else design.n
    s2 = sigma ** 2
    dev_theta = lambda f, r: f + r / s2  # noqa: E731 - the θ-dependent part of the deviance at σ
    hess = np.zeros((k + 1, k + 1))
    grad_r = np.zeros(k)
    jac = np.zeros((k + 1, p))
    for i in range(k):
        fp, rp, gp = at(unit(i, 1))
        fm, rm, gm = at(unit(i, -1))
        hess[i, i] = (dev_theta(fp, rp) - 2 * dev_theta(f0, r0) + dev_theta(fm, rm)) / h[i] ** 2
        grad_r[i] = (rp - rm) / (2 * h[i])
        jac[i] = s2 * (gp - gm) / (2 * h[i])
        for j in range(i):
            corners = [dev_theta(*at(pair(i, si, j, sj))[:2]) for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            hess[i, j] = hess[j, i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h[i] * h[j])
    hess[k, k] = -2 * d / s2 + 6 * r0 / s2 ** 2
    hess[:k, k] = hess[k, :k] = -2 * grad_r / sigma ** 3
    jac[k] = 2 * sigma * g0
    try:
        a = 2.0 * np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(p, np.nan)
    var = s2 * g0
    denom = np.einsum("ip,ij,jp->p", jac, a, jac)
    return np.where(denom > 0, 2 * var ** 2 / denom, np.nan)


def fit_crossed(design: CrossedDesign, *, reml: bool = True, start: Sequence[float] | None = None,
                satterthwaite: bool = True, tol: float = 1e-10) -> CrossedFit:
    """Minimise the profiled deviance over θ ≥ 0 (L-BFGS-B from ``start``, default all ones)."""
    started = time.perf_counter()
    k = len(design.groups)
    x0 = np.ones(k) if start is None else np.asarray(start, float)
    evals = 0

    def fun(th: np.ndarray) -> float:
        nonlocal evals
        evals += 1
        return deviance(design, th, reml)

    res = optimize.minimize(fun, np.maximum(x0, 1e-3), method="L-BFGS-B", bounds=[(0.0, None)] * k,
                            options={"ftol": tol, "gtol": 1e-8, "maxiter": 500, "eps": 1e-7})
    theta = np.maximum(res.x, 0.0)
    solved = _solve(design, theta)
    dev, beta, prss, _ = _profiled(design, solved, reml)
    s2 = _sigma2(design, prss, reml)
    cov = s2 * np.linalg.inv(solved.g[: design.p, : design.p])
    df = (satterthwaite_df(design, theta, np.sqrt(s2), reml, center=solved) if satterthwaite
          else np.full(design.p, np.nan))
    return CrossedFit(theta, beta, float(np.sqrt(s2)), dev, reml, cov, df, evals, bool(res.success),
                      str(res.message), design, time.perf_counter() - started)
