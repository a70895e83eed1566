"""Correct the sentiment coefficient for the error of the sentiment model.

The engagement models use *predicted* sentiment W in place of the true sentiment X.  Unless
the predictions are perfect, the slope on W is biased — usually towards zero (attenuation) —
and its confidence interval ignores that W itself is an estimate.  The labelled test split of
chapter 02 holds pairs (X = the coders' score, W = the model's prediction) from which the
error can be measured, and two standard corrections follow (Carroll, Ruppert, Stefanski &
Crainiceanu 2006, *Measurement Error in Nonlinear Models*, chapters 4–5):

* **regression calibration** (RC): replace W by E[X | W] = a + bW, estimated on the labelled
  pairs.  Because that is an affine map of one predictor, a linear (mixed) model refitted on it
  has the naive sentiment slope divided by b and every other coefficient unchanged, so the
  correction needs no refit;
* **SIMEX** (Cook & Stefanski 1994): write the predictions in the classical form
  W = c + dX + U, add *more* error of variance λσ²_U to W, refit, watch how the slope decays
  with λ, and extrapolate the curve back to λ = −1 (no error).  Each λ is repeated with fresh
  noise; for lme4 fits the repeats run in one R loop.

Confidence intervals include the sentiment model's error: each bootstrap draw re-estimates the
calibration from a resample of the labelled pairs and combines it with a draw of the naive
slope from its sampling distribution (the two come from different data, so are independent).
For SIMEX the calibration uncertainty enters through the error variance σ²_U and slope d of
each resample, read off the same extrapolation curve (no refits).

Assumptions a reader should know: the error is non-differential (W carries no information on
the outcome beyond X), the labelled texts are like the analysed ones, and the calibration does
not depend on the other covariates.  In Model 5 the outcome (comment sentiment) is predicted
too; a prediction scale that shrinks towards the mean (d < 1) biases that slope as well, so the
outcome is divided by the comment calibration slope d.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_LAMBDAS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)


class MeasurementError(ValueError):
    """The labelled pairs cannot support a correction; the message says why and what to do."""


@dataclass(frozen=True)
class Calibration:
    """The measurement model of the predictions, estimated on labelled pairs (X true, W predicted).

    ``rc_intercept``/``rc_slope``: E[X | W] = a + bW (regression calibration).
    ``cl_intercept``/``cl_slope``/``error_var``: W = c + dX + U with Var(U) = σ²_U (SIMEX).
    ``r2``: squared correlation of X and W (the reliability of W when d = 1).
    """

    n: int
    rc_intercept: float
    rc_slope: float
    rc_resid_var: float
    cl_intercept: float
    cl_slope: float
    error_var: float
    r2: float
    true: np.ndarray = field(repr=False, compare=False)
    predicted: np.ndarray = field(repr=False, compare=False)

    @classmethod
    def fit(cls, true: Sequence[float], predicted: Sequence[float]) -> Calibration:
        x = np.asarray(true, dtype=float)
        w = np.asarray(predicted, dtype=float)
        ok = np.isfinite(x) & np.isfinite(w)
        x, w = x[ok], w[ok]
        if len(x) < 5:
            raise MeasurementError(f"only {len(x)} labelled pairs with a prediction; a calibration needs at "
                                   "least 5 (label more texts, or use a larger --scale)")
        if np.var(w) == 0 or np.var(x) == 0:
            raise MeasurementError("the labelled scores or the predictions are constant; no calibration possible")
        p = _pair_moments(x[None, :], w[None, :])
        return cls(len(x), float(p["rc_intercept"][0]), float(p["rc_slope"][0]), float(p["rc_resid_var"][0]),
                   float(p["cl_intercept"][0]), float(p["cl_slope"][0]), float(p["error_var"][0]),
                   float(p["r2"][0]), x, w)

    def bootstrap(self, rng: np.random.Generator, n_boot: int) -> dict[str, np.ndarray]:
        """The calibration's parameters on ``n_boot`` resamples of the labelled pairs (vectorised).

        A degenerate resample (constant scores) gives NaN and drops out of the percentiles.
        """
        idx = rng.integers(0, self.n, size=(n_boot, self.n))
        with np.errstate(divide="ignore", invalid="ignore"):
            return _pair_moments(self.true[idx], self.predicted[idx])

    def calibrate(self, w: Any) -> Any:
        """E[X | W] for predictions ``w``."""
        return self.rc_intercept + self.rc_slope * np.asarray(w, dtype=float)

    def latent_variance(self, w_var: float) -> float:
        """Var(X) in a sample whose predictions have variance ``w_var`` (classical form)."""
        return (w_var - self.error_var) / self.cl_slope ** 2

    def summary(self) -> dict[str, float]:
        return {"n_pairs": self.n, "r2": self.r2, "rc_slope_b": self.rc_slope, "rc_intercept_a": self.rc_intercept,
                "classical_slope_d": self.cl_slope, "error_variance": self.error_var,
                "reliability_of_W": self.cl_slope ** 2 * np.var(self.true, ddof=1) / np.var(self.predicted, ddof=1)}


def _pair_moments(x: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Both regressions (X on W, W on X) for each row of paired samples ``x``, ``w`` (k × n)."""
    n = x.shape[1]
    mx, mw = x.mean(axis=1), w.mean(axis=1)
    dx, dw = x - mx[:, None], w - mw[:, None]
    sxx, sww, sxw = (dx * dx).sum(axis=1), (dw * dw).sum(axis=1), (dx * dw).sum(axis=1)
    b = sxw / sww
    d = sxw / sxx
    dof = max(n - 2, 1)
    return {"rc_slope": b, "rc_intercept": mx - b * mw, "rc_resid_var": (sxx - b * sxw) / dof,
            "cl_slope": d, "cl_intercept": mw - d * mx, "error_var": (sww - d * sxw) / dof,
            "r2": sxw ** 2 / (sxx * sww)}


def read_calibration_pairs(run_dir: str | Path) -> pd.DataFrame:
    """The test split of chapter 02: ``score`` (coders' label) and ``prediction`` per text."""
    path = Path(run_dir) / "sentiment" / "fine_tune" / "test_predictions.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run chapter 02 (python -m helpers run --only 02_sentiment), "
                                "which saves the held-out test predictions there")
    pairs = pd.read_parquet(path)
    missing = {"score", "prediction"} - set(pairs.columns)
    if missing:
        raise MeasurementError(f"{path} lacks column(s) {sorted(missing)}; re-run chapter 02")
    return pairs


# ------------------------------------------------------------------------------ estimates

@dataclass
class Corrected:
    """One coefficient: naive and corrected, raw and standardised, with 95 % intervals."""

    method: str
    estimate: float
    conf_low: float
    conf_high: float
    std_estimate: float
    std_conf_low: float
    std_conf_high: float
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {"method": self.method, "estimate": self.estimate, "conf_low": self.conf_low,
                "conf_high": self.conf_high, "std_estimate": self.std_estimate,
                "std_conf_low": self.std_conf_low, "std_conf_high": self.std_conf_high,
                "notes": "; ".join(self.notes)}


@dataclass(frozen=True)
class NaiveFit:
    """The naive slope on W and what the corrections need to rescale it.

    ``w_var`` and ``y_var`` are the variances of the predictor and the outcome over the model
    frame's rows; ``df`` the degrees of freedom of the slope's t distribution (∞ for z tests).
    """

    estimate: float
    std_error: float
    df: float
    w_var: float
    y_var: float

    def draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        t = rng.standard_t(self.df, size=n) if np.isfinite(self.df) else rng.standard_normal(n)
        return self.estimate + self.std_error * t


def _quantiles(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) < 10:
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _sd_true(var_obs: float, cl_slope: Any = None, error_var: Any = None) -> Any:
    """√((Var_obs − σ²_U) / d²): the SD of the error-free variable (NaN where not positive)."""
    if cl_slope is None:
        return np.sqrt(var_obs)
    v = (var_obs - np.asarray(error_var)) / np.asarray(cl_slope) ** 2
    with np.errstate(invalid="ignore"):
        return np.where(v > 0, np.sqrt(np.abs(v)), np.nan)


def _cal_parts(cal: Calibration | None) -> tuple[Any, Any]:
    return (None, None) if cal is None else (cal.cl_slope, cal.error_var)


def naive_interval(fit: NaiveFit, level: float = 0.95) -> Corrected:
    """The uncorrected slope with its model-based interval (standardised by the observed SDs)."""
    q = stats.t.ppf(0.5 + level / 2, fit.df) if np.isfinite(fit.df) else stats.norm.ppf(0.5 + level / 2)
    lo, hi = fit.estimate - q * fit.std_error, fit.estimate + q * fit.std_error
    factor = np.sqrt(fit.w_var / fit.y_var)
    return Corrected("naive", fit.estimate, lo, hi, fit.estimate * factor, lo * factor, hi * factor)


def regression_calibration(fit: NaiveFit, calibration: Calibration, *,
                           outcome_calibration: Calibration | None = None, n_boot: int = 2000,
                           level: float = 0.95, seed: int = 0) -> Corrected:
    """RC estimate β_X = β_W / b (÷ d of the outcome's calibration when the outcome is predicted).

    The standardised slope uses the latent SDs, sd(X) = √((Var W − σ²_U) / d²) (and likewise
    for a predicted outcome).  The interval is a percentile bootstrap over resamples of the
    labelled pairs and draws of the naive slope.
    """
    notes = []
    out_d = outcome_calibration.cl_slope if outcome_calibration is not None else 1.0
    raw = fit.estimate / calibration.rc_slope / out_d
    std = raw * _sd_true(fit.w_var, *_cal_parts(calibration)) / _sd_true(fit.y_var, *_cal_parts(outcome_calibration))
    rng = np.random.default_rng(seed)
    draws = fit.draws(rng, n_boot)
    cal = calibration.bootstrap(rng, n_boot)
    out = _outcome_draws(calibration, outcome_calibration, cal, rng, n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_raw = draws / cal["rc_slope"] / out[0]
        boot_std = (boot_raw * _sd_true(fit.w_var, cal["cl_slope"], cal["error_var"])
                    / _sd_true(fit.y_var, *out[1:]) if outcome_calibration is not None
                    else boot_raw * _sd_true(fit.w_var, cal["cl_slope"], cal["error_var"]) / np.sqrt(fit.y_var))
    if calibration.n < 30:
        notes.append(f"calibration on only {calibration.n} labelled pairs: wide, unstable interval")
    lo, hi = _quantiles(boot_raw, level)
    slo, shi = _quantiles(boot_std, level)
    return Corrected("regression calibration", float(raw), lo, hi, float(std), slo, shi, notes)


def _outcome_draws(calibration: Calibration, outcome: Calibration | None, cal: dict[str, np.ndarray],
                   rng: np.random.Generator, n_boot: int) -> tuple[Any, Any, Any]:
    """(d, d, σ²_U) of the outcome's calibration per draw: the predictor's when they are the same."""
    if outcome is None:
        return 1.0, None, None
    parts = cal if outcome is calibration else outcome.bootstrap(rng, n_boot)
    return parts["cl_slope"], parts["cl_slope"], parts["error_var"]


# ------------------------------------------------------------------------------ SIMEX

#: refit(noise) -> (estimates, std_errors): the model refitted with W + noise[:, k] for each k.
Refit = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class SimexCurve:
    """Slopes refitted at each added error variance v = λσ²_U (v = 0: the naive fit)."""

    added_variance: np.ndarray  # one per λ, including 0
    mean_estimate: np.ndarray
    var_estimate: np.ndarray  # variance of the repeated estimates at each v (0 at v = 0)
    mean_model_var: np.ndarray  # mean squared model SE at each v
    estimates: pd.DataFrame  # every refit: lambda, added_variance, rep, estimate, std_error
    fallback: bool = False  # the rational extrapolant failed and the quadratic was used
    pole: float = float("nan")

    @classmethod
    def from_estimates(cls, estimates: pd.DataFrame, naive: NaiveFit) -> SimexCurve:
        """The curve from a table of refits (columns of :attr:`estimates`) and the naive fit."""
        table = estimates.copy()
        g = table.groupby("lambda", sort=True)
        v = np.concatenate([[0.0], g["added_variance"].first().to_numpy(float)])
        return cls(
            added_variance=v,
            mean_estimate=np.concatenate([[naive.estimate], g["estimate"].mean().to_numpy()]),
            var_estimate=np.concatenate([[0.0], g["estimate"].var(ddof=1).to_numpy()]),
            mean_model_var=np.concatenate([[naive.std_error ** 2],
                                           g["std_error"].apply(lambda s: np.mean(s ** 2)).to_numpy()]),
            estimates=table,
        )

    def max_mc_se(self) -> float:
        """The largest Monte-Carlo standard error of a mean refitted slope (SD / √refits per λ)."""
        counts = self.estimates.groupby("lambda", sort=True)["estimate"].count().to_numpy()
        return float(np.nanmax(np.sqrt(self.var_estimate[1:] / counts))) if len(counts) else float("nan")

    def extrapolant(self, method: str = "rational", w_var: float | None = None) -> Callable[[Any], Any]:
        """θ(v) fitted through the mean refitted slopes.

        ``rational``: θ(v) = b / (c + v), exact for a linear model with classical error when the
        other covariates are uncorrelated with W (the naive slope is then cov / (Var W + v)); two
        parameters keep it stable on few repeats; started from that form, so ``w_var`` helps.  Falls
        back to the quadratic when the fit fails or its pole lies inside the extrapolated range.
        ``quadratic``: the conservative textbook default (under-corrects large errors).
        """
        v, m = self.added_variance, self.mean_estimate
        quad = np.polyfit(v, m, 2)
        if method == "quadratic":
            return lambda t: np.polyval(quad, t)
        if method != "rational":
            raise MeasurementError(f"extrapolant must be 'rational' or 'quadratic', not {method!r}")
        from scipy.optimize import curve_fit

        c0 = w_var if w_var and w_var > 0 else max(v.max(), 1e-3)

        def f(t: Any, b: float, c: float) -> Any:
            return b / (c + t)

        try:
            (b, c), _ = curve_fit(f, v, m, p0=(m[0] * c0, c0), maxfev=5000)
        except (RuntimeError, ValueError):
            self.fallback = True
            return lambda t: np.polyval(quad, t)
        self.fallback = False
        self.pole = -c
        return lambda t: f(np.asarray(t, dtype=float), b, c)

def simex_curve(refit: Refit, naive: NaiveFit, noise_shape: tuple[int, int] | int, error_var: float, *,
                lambdas: Sequence[float] = DEFAULT_LAMBDAS, n_rep: int = 20, rng: np.random.Generator,
                expand: Callable[[np.ndarray], np.ndarray] | None = None) -> SimexCurve:
    """Refit with extra error at every λ, ``n_rep`` times each.

    Noise is drawn per *unit that carries the prediction* (``noise_shape`` rows; a post in
    Model 5) and mapped to the model's rows by ``expand`` — the same post's comments share its
    added error, as they share its prediction error.
    """
    rows = noise_shape if isinstance(noise_shape, int) else noise_shape[0]
    base = rng.standard_normal((rows, len(lambdas) * n_rep))
    scale = np.repeat(np.sqrt(np.asarray(lambdas, dtype=float) * error_var), n_rep)
    noise = base * scale
    if expand is not None:
        noise = expand(noise)
    est, se = refit(noise)
    table = pd.DataFrame({"lambda": np.repeat(lambdas, n_rep), "rep": np.tile(np.arange(n_rep), len(lambdas)),
                          "estimate": est, "std_error": se})
    table["added_variance"] = table["lambda"] * error_var
    return SimexCurve.from_estimates(table, naive)


def simex(curve: SimexCurve, naive: NaiveFit, calibration: Calibration, *,
          outcome_calibration: Calibration | None = None, n_boot: int = 2000, level: float = 0.95,
          seed: int = 0, extrapolant: str = "rational") -> Corrected:
    """SIMEX estimate d·θ(−σ²_U) (per unit of X), with an interval that includes calibration error.

    Each bootstrap draw takes (d, σ²_U) from a resample of the labelled pairs, reads θ(−σ²_U)
    off the fitted extrapolant, and scales it by a draw of the naive slope over the naive
    estimate — the sampling error of the data enters as it does for RC (the correction factor
    keeps the naive t ratio), rather than through the Stefanski–Cook variance, whose quadratic
    extrapolation proved far too narrow at the error sizes of this study.
    """
    notes = []
    curve_fn = curve.extrapolant(extrapolant, naive.w_var)
    if extrapolant == "rational" and curve.fallback:
        notes.append("rational extrapolant did not fit; quadratic used")
    elif extrapolant == "rational" and curve.pole >= -calibration.error_var * 1.05:
        curve_fn = curve.extrapolant("quadratic")
        notes.append("rational extrapolant has its pole inside the extrapolated range; quadratic used")
    theta = float(curve_fn(-calibration.error_var))
    out_d = outcome_calibration.cl_slope if outcome_calibration is not None else 1.0
    raw = calibration.cl_slope * theta / out_d
    std = raw * _sd_true(naive.w_var, *_cal_parts(calibration)) / _sd_true(naive.y_var, *_cal_parts(outcome_calibration))
    rng = np.random.default_rng(seed)
    cal = calibration.bootstrap(rng, n_boot)
    out = _outcome_draws(calibration, outcome_calibration, cal, rng, n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta_b = curve_fn(-cal["error_var"]) * naive.draws(rng, n_boot) / naive.estimate
        boot_raw = cal["cl_slope"] * theta_b / out[0]
        sd_y = _sd_true(naive.y_var, *out[1:]) if outcome_calibration is not None else np.sqrt(naive.y_var)
        boot_std = boot_raw * _sd_true(naive.w_var, cal["cl_slope"], cal["error_var"]) / sd_y
    lo, hi = _quantiles(boot_raw, level)
    slo, shi = _quantiles(boot_std, level)
    if calibration.error_var > 2 * max(curve.added_variance):
        notes.append("extrapolation reaches further than twice the simulated range")
    return Corrected("SIMEX", float(raw), lo, hi, float(std), slo, shi, notes)


# ------------------------------------------------------------------------------ refitters

def ols_refit(y: np.ndarray, w: np.ndarray, covariates: np.ndarray | None = None,
              cluster: np.ndarray | None = None) -> tuple[NaiveFit, Refit]:
    """The naive OLS fit of y on W (+ covariates) and a SIMEX refitter (statsmodels OLS).

    Standard errors are clustered when ``cluster`` is given (creators); this is the fast engine
    of the coverage study, where thousands of refits are needed.
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    other = np.empty((len(y), 0)) if covariates is None else np.asarray(covariates, dtype=float).reshape(len(y), -1)
    groups = None if cluster is None else pd.factorize(np.asarray(cluster))[0]
    kwargs = {} if groups is None else {"cov_type": "cluster", "cov_kwds": {"groups": groups}}

    def fit_one(wk: np.ndarray) -> tuple[float, float, float]:
        x = sm.add_constant(np.column_stack([wk, other]), has_constant="add")
        res = sm.OLS(y, x).fit(**kwargs)
        df = float(len(np.unique(groups)) - 1) if groups is not None else float(res.df_resid)
        return float(res.params[1]), float(res.bse[1]), df

    est, se, df = fit_one(w)
    naive = NaiveFit(est, se, df, float(np.var(w, ddof=1)), float(np.var(y, ddof=1)))
    n_groups = 0 if groups is None else int(groups.max()) + 1

    def refit(noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # every refit at once, by the formulas statsmodels uses (a test checks they agree):
        # β = (X'X)⁻¹X'y; clustered cov = c·B·(Σ_g s_g s_g')·B with B = (X'X)⁻¹, s_g = Σ_{i∈g} x_i e_i,
        # c = G/(G − 1)·(n − 1)/(n − p); without clusters the classical σ̂²(X'X)⁻¹
        noise = np.asarray(noise, dtype=float)
        k = noise.shape[1]
        x = np.empty((k, len(y), 2 + other.shape[1]))
        x[:, :, 0] = 1.0
        x[:, :, 1] = (w[:, None] + noise).T
        x[:, :, 2:] = other[None]
        n, p = x.shape[1], x.shape[2]
        bread = np.linalg.inv(np.einsum("kni,knj->kij", x, x))
        beta = np.einsum("kij,knj,n->ki", bread, x, y)
        resid = y[None] - np.einsum("knp,kp->kn", x, beta)
        if groups is None:
            sigma2 = (resid ** 2).sum(axis=1) / (n - p)
            return beta[:, 1], np.sqrt(sigma2 * bread[:, 1, 1])
        scores = np.zeros((k, n_groups, p))
        np.add.at(scores, (slice(None), groups), x * resid[:, :, None])
        meat = np.einsum("kgi,kgj->kij", scores, scores)
        cov = np.einsum("kij,kjl,klm->kim", bread, meat, bread)
        factor = n_groups / (n_groups - 1) * (n - 1) / (n - p)
        return beta[:, 1], np.sqrt(factor * cov[:, 1, 1])

    return naive, refit


_R: dict[str, Any] = {}


def _r_simex() -> Any:
    if "simex" in _R:
        return _R["simex"]
    from helpers.engagement.lmer import require_r

    ro = require_r(("lme4",), pymer4=False)
    _R["simex"] = ro.r(
        """
        function(formula, data, column, noise, ncol) {
          base <- data[[column]]
          noise <- matrix(noise, ncol = ncol)
          f <- stats::as.formula(formula)
          ctrl <- lme4::lmerControl(calc.derivs = FALSE)
          est <- numeric(ncol); se <- numeric(ncol)
          for (k in seq_len(ncol)) {
            data[[column]] <- base + noise[, k]
            m <- suppressWarnings(suppressMessages(lme4::lmer(f, data = data, REML = TRUE, control = ctrl)))
            s <- stats::coef(summary(m))
            est[k] <- s[column, 1]; se[k] <- s[column, 2]
          }
          list(est = est, se = se)
        }
        """
    )
    return _R["simex"]


def lmer_refit(frame: Any) -> Refit:
    """SIMEX refitter for a chapter-03 model frame: lme4 REML refits in one R loop.

    The frame is sent to R once; every refit only adds a column of noise there.  Standard
    errors are lme4's (no Satterthwaite step; the extrapolation needs only their size).
    """
    from rpy2.robjects import FloatVector

    from helpers.engagement.lmer import _copy, _named, _to_r_frame

    r_data = _to_r_frame(frame.data)
    formula = frame.spec.formula()
    column = frame.spec.predictor

    def refit(noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = _named(_r_simex()(formula, r_data, column, FloatVector(noise.ravel(order="F")), noise.shape[1]))
        return _copy(out["est"]), _copy(out["se"])

    return refit


#: How SIMEX refits a chapter-03 model: ``gls`` (variance components held at the naive REML fit,
#: one sparse factorisation for every refit; :func:`gls_refit`) or ``lme4`` (a full REML refit per
#: noise draw; :func:`lmer_refit`).
REFIT_METHODS = ("gls", "lme4")


def gls_refit(frame: Any, variance_components: pd.DataFrame) -> Refit:
    """SIMEX refitter with the variance components held at the naive fit's REML estimates.

    For a random-intercepts model y = Xβ + Zb + e, with b ~ N(0, σ²Λ²) and e ~ N(0, σ²I), the
    REML fixed effects at given variance components are the GLS estimate
    β̂ = (X'V⁻¹X)⁻¹X'V⁻¹y with V = I + ZΛ²Z' (Woodbury: V⁻¹M = M − ZΛ(I + ΛZ'ZΛ)⁻¹ΛZ'M).  Adding
    noise to one column of X leaves Z and Λ alone, so one factorisation of the q × q matrix
    I + ΛZ'ZΛ serves every refit, and each refit is a p × p solve.  At zero noise this *is* the
    naive lme4 estimate (a test checks it to 1e-6); with noise it is the REML slope at the
    naive variance components instead of at re-estimated ones: a small *systematic* difference
    (noise moves the variance components a little, and they are not followed).  A test bounds
    it against full lme4 refits on the same noise (under a tenth of the refit-to-refit SD, 2 %
    of the mean slope), and chapter 03 measures it on its own Models 1–4 (:func:`compare_refits`).  The standard error uses the profiled σ̂² = r'V⁻¹r / (n − p), as lme4 does.

    Random *slopes* on the predictor put the noise into Z as well; such a model is refused here
    (use :func:`lmer_refit`).
    """
    import scipy.sparse as sp
    from scipy.linalg import cho_factor, cho_solve

    spec = frame.spec
    if spec.slopes:
        raise MeasurementError(f"{spec.name} has random slopes on {list(spec.slopes)}: the GLS refit holds Z "
                               "fixed, which added noise on the predictor would change; use the lme4 refit")
    data = frame.data
    terms = list(spec.fixed_terms)
    columns = [spec.response, *terms, *spec.groups]
    missing = [c for c in columns if c not in data]
    if missing:
        raise MeasurementError(f"{spec.name}: the model frame lacks column(s) {missing}")
    x = np.column_stack([np.ones(len(data)), data[terms].to_numpy(float)])
    y = data[spec.response].to_numpy(float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise MeasurementError(f"{spec.name}: missing values in the model frame; the GLS refit needs complete rows")
    vc = variance_components.set_index("group")
    sigma2 = float(vc.loc["Residual", "variance"])
    blocks, scales = [], []
    for group in spec.groups:
        row = variance_components.loc[(variance_components["group"] == group)
                                      & (variance_components["term"] == "(Intercept)")
                                      & variance_components["term2"].isna()]
        if len(row) != 1:
            raise MeasurementError(f"{spec.name}: no random-intercept variance for {group!r} in the fit")
        codes, levels = pd.factorize(data[group])
        blocks.append(sp.csr_matrix((np.ones(len(data)), (np.arange(len(data)), codes)),
                                    shape=(len(data), len(levels))))
        scales.append(np.full(len(levels), np.sqrt(max(float(row["variance"].iloc[0]), 0.0) / sigma2)))
    # C = I + ΛZ'ZΛ.  The block of the factor with most levels is diagonal (each row has one
    # level of it), so it is eliminated exactly and the rest (a few hundred levels) is a small dense
    # Cholesky of its Schur complement: no sparse fill-in, whatever the crossing of the factors.
    big = int(np.argmax([b.shape[1] for b in blocks]))
    zl_big = blocks[big] @ sp.diags(scales[big])
    rest = [k for k in range(len(blocks)) if k != big]
    zl_rest = (sp.hstack([blocks[k] @ sp.diags(scales[k]) for k in rest]).tocsr() if rest
               else sp.csr_matrix((len(data), 0)))
    d_big = 1.0 + np.asarray(zl_big.multiply(zl_big).sum(axis=0)).ravel()
    cross = (zl_rest.T @ zl_big).toarray()  # q_rest × q_big
    schur = np.eye(zl_rest.shape[1]) + (zl_rest.T @ zl_rest).toarray() - (cross / d_big) @ cross.T
    factor = cho_factor(schur) if schur.size else None
    z_lambda = sp.hstack([zl_big, zl_rest]).tocsr()

    def inner_solve(v: np.ndarray) -> np.ndarray:
        v_big, v_rest = v[:zl_big.shape[1]], v[zl_big.shape[1]:]
        u_rest = cho_solve(factor, v_rest - cross @ (v_big / d_big[:, None])) if factor else v_rest
        u_big = (v_big - cross.T @ u_rest) / d_big[:, None]
        return np.vstack([u_big, u_rest])

    j = 1 + terms.index(spec.predictor)
    n, p = x.shape

    def v_inv(m: np.ndarray) -> np.ndarray:
        return m - z_lambda @ inner_solve(np.asarray(z_lambda.T @ m))

    vx, vy = v_inv(x), v_inv(y[:, None])[:, 0]

    gram0, rhs0, yvy = x.T @ vx, vx.T @ y, float(y @ vy)

    def refit(noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # X_k = X + n_k e_j': X_k'V⁻¹X_k = X'V⁻¹X + e_j a_k' + a_k e_j' + s_k e_j e_j' with
        # a_k = X'V⁻¹n_k, s_k = n_k'V⁻¹n_k; X_k'V⁻¹y = X'V⁻¹y + e_j n_k'V⁻¹y (all refits at once)
        noise = np.asarray(noise, dtype=float)
        vn = v_inv(noise)
        a = x.T @ vn  # p × K
        s_k = np.einsum("ij,ij->j", noise, vn)
        gram = np.repeat(gram0[None], noise.shape[1], axis=0)
        gram[:, j, :] += a.T
        gram[:, :, j] += a.T
        gram[:, j, j] += s_k
        rhs = np.repeat(rhs0[None], noise.shape[1], axis=0)
        rhs[:, j] += vn.T @ y
        beta = np.linalg.solve(gram, rhs[..., None])[..., 0]
        sigma2_k = (yvy - np.einsum("kp,kp->k", beta, rhs)) / (n - p)
        return beta[:, j].copy(), np.sqrt(sigma2_k * np.linalg.inv(gram)[:, j, j])

    return refit


def model_refit(frame: Any, variance_components: pd.DataFrame | None, method: str = "gls") -> tuple[Refit, str]:
    """The SIMEX refitter of one chapter-03 model and the name of the route it takes.

    ``gls`` falls back to full lme4 refits where it does not apply (random slopes on the
    predictor, or no variance components at hand), and says so in the returned name.
    """
    if method not in REFIT_METHODS:
        raise MeasurementError(f"SIMEX refit must be one of {REFIT_METHODS}, not {method!r}")
    if method == "gls" and not frame.spec.slopes and variance_components is not None:
        return gls_refit(frame, variance_components), "gls"
    return lmer_refit(frame), ("lme4" if method == "lme4" else "lme4 (random slopes: GLS refit does not apply)")


def compare_refits(frame: Any, variance_components: pd.DataFrame, error_var: float, *, n_draws: int = 4,
                   lam: float = 2.0, rng: np.random.Generator) -> dict[str, float]:
    """GLS against full lme4 refits of one model on the same noise (variance λσ²_U added).

    Returns the largest absolute difference of the slopes, and the SD of the lme4 slopes over
    the draws (what one refit varies by from noise alone).  The GLS refit is worth using where
    the first is far below the Monte-Carlo error the second implies.
    """
    if frame.spec.slopes:
        raise MeasurementError(f"{frame.spec.name} has random slopes: the GLS refit does not apply")
    if frame.spec.level == "comment":  # the noise of a post is shared by its comments, as in SIMEX
        n_units, expand = post_expander(frame.data["note_id"])
        noise = expand(rng.standard_normal((n_units, n_draws)) * np.sqrt(lam * error_var))
    else:
        noise = rng.standard_normal((len(frame.data), n_draws)) * np.sqrt(lam * error_var)
    gls, _ = gls_refit(frame, variance_components)(noise)
    full, _ = lmer_refit(frame)(noise)
    return {"max_abs_diff": float(np.max(np.abs(gls - full))), "mean_diff": float(np.mean(gls - full)),
            "sd_between_draws": float(np.std(full, ddof=1)), "mean_full": float(np.mean(full)), "draws": int(n_draws)}


def post_expander(frame_notes: Sequence[Any]) -> tuple[int, Callable[[np.ndarray], np.ndarray]]:
    """Rows → posts map: noise drawn per post and repeated on each of its rows (Model 5)."""
    codes, uniques = pd.factorize(pd.Series(list(frame_notes)))
    return len(uniques), (lambda noise: noise[codes])


# ------------------------------------------------------------------------------ coverage

def coverage_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Share of seeds whose 95 % interval covers the planted value, per model and method.

    ``runs`` has one row per (seed, model, method) with ``planted``, ``std_estimate``,
    ``std_conf_low`` and ``std_conf_high``.  The Monte-Carlo SE of a coverage rate over k seeds
    is √(c(1 − c)/k).
    """
    data = runs.copy()
    data["covered"] = (data["std_conf_low"] <= data["planted"]) & (data["planted"] <= data["std_conf_high"])
    data["bias"] = data["std_estimate"] - data["planted"]
    g = data.groupby(["model", "outcome", "method"], sort=False)
    out = g.agg(planted=("planted", "first"), seeds=("seed", "nunique"), coverage=("covered", "mean"),
                mean_estimate=("std_estimate", "mean"), mean_bias=("bias", "mean"),
                median_width=("std_conf_high", lambda s: np.nan)).reset_index()
    widths = (data["std_conf_high"] - data["std_conf_low"]).groupby([data["model"], data["outcome"], data["method"]],
                                                                    sort=False).median()
    out["median_width"] = widths.to_numpy()
    out["coverage_mc_se"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["seeds"])
    return out


def coverage_study(effects: Any, *, n_posts: int, sentiment_r2: float, calibration_n: int,
                   sentiment_slope: float = 1.0, seeds: Sequence[int] = tuple(range(20)),
                   outcomes: Sequence[str] | None = None, n_rep: int = 10,
                   lambdas: Sequence[float] = DEFAULT_LAMBDAS, n_boot: int = 500) -> pd.DataFrame:
    """Naive, RC and SIMEX intervals against the planted effect, over many simulated data sets.

    Each seed draws posts from ``effects`` (see :mod:`helpers.engagement.power`) with
    predictions W = dX + U of the given R² and slope d, and — independently — a labelled
    calibration sample of ``calibration_n`` pairs with the same error model, as chapter 02's test
    split would be.  Models 1–4 are fitted by OLS with creator-clustered SEs (the fast engine;
    an lme4 loop over seeds would take hours).  The targets are the planted standardised β.
    """
    from helpers.engagement.power import (
        FRAME_TERMS,
        TERMS,
        Design,
        model_name,
        observed_sentiment,
        simulate,
    )

    design = Design(n_posts, 0.0, sentiment_r2, posts_per_creator=effects.posts_per_creator,
                    sentiment_slope=sentiment_slope)
    outcomes = list(outcomes or effects.coefficients)
    terms = [FRAME_TERMS[t] for t in TERMS[1:]]  # the covariates, named as chapter 03 names them
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        data = simulate(effects, design, rng, with_comments=False).posts
        x_cal = rng.standard_normal(calibration_n)
        cal = Calibration.fit(x_cal, observed_sentiment(x_cal, sentiment_r2, rng, sentiment_slope, sd=1.0))
        for outcome in outcomes:
            y = data[f"ln_{outcome}"].to_numpy()
            naive, refit = ols_refit(y, data["post_sentiment"].to_numpy(), data[terms].to_numpy(),
                                     cluster=data["creator_id"].to_numpy())
            curve = simex_curve(refit, naive, len(y), cal.error_var, lambdas=lambdas, n_rep=n_rep, rng=rng)
            # the planted β is per SD of X on a total-variance-1 outcome; rescale to this sample's SDs
            planted = effects.coefficients[outcome]["post_sentiment"]
            for est in (naive_interval(naive),
                        regression_calibration(naive, cal, n_boot=n_boot, seed=seed),
                        simex(curve, naive, cal, n_boot=n_boot, seed=seed)):
                rows.append({"seed": seed, "model": model_name(outcome), "outcome": outcome,
                             "planted": planted, **est.row(), "calibration_r2": cal.r2})
    return pd.DataFrame(rows)
