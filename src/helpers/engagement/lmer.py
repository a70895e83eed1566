"""Fit the engagement models with R's lme4 + lmerTest through pymer4 (REML, Satterthwaite df).

Two routes give the same numbers:

* ``engine="pymer4"`` — ``pymer4.models.lmer(formula, data).fit()``: the full pymer4 pipeline
  (easystats parameter table, broom glance/augment, performance metrics).  Convenient, but
  those extras cost minutes on Model 5 (17k comments, three crossed random intercepts).
* ``engine="lmerTest"`` — the same ``lmerTest::lmer`` fit reached through rpy2's own converter,
  reading only what the chapter needs (``summary()`` Satterthwaite table, AIC/BIC, variance
  components, fitted values and conditional modes without their variances).  A test checks
  that its coefficient table equals pymer4's to numerical precision.

* ``engine="blocked"`` — :mod:`helpers.engagement.crossed_lmm`: the same REML/ML criterion
  for models with crossed random *intercepts* only, factored block by block (the factor with
  most levels eliminated in closed form, a dense Cholesky of the rest), with lmerTest's
  Satterthwaite df.  lme4's single sparse factor fills in under Model 5's crossing of audience
  members with posts, so its cost grows with about the 1.7th power of the crawl; the tests
  check the two engines agree (estimates, SEs, df, log-likelihood, variances).

``engine="auto"`` (default) takes lmerTest for every model up to :data:`AUTO_BLOCKED_MIN_ROWS`
rows (Model 5 at the study's size is fitted by lme4, as in the study) and the blocked engine
for larger crossed models with random intercepts only.  pymer4's full pipeline gives the same
coefficients seconds later per model (its import alone loads a dozen R packages), so it runs
only when asked for.
R warnings and messages (singular fits, convergence failures) are captured per fit and kept on
the result — the chapter prints them instead of hiding them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.engagement.data import ModelFrame, ModelSpec
from helpers.engagement.r_bridge import (  # noqa: F401 - re-exported for callers
    R_FIX,
    REngineUnavailable,
    r_function,
    require_r,
)
from helpers.engagement.r_bridge import copy_vector as _copy
from helpers.engagement.r_bridge import named_list as _named
from helpers.engagement.r_bridge import to_r_frame as _to_r_frame

#: Above this many rows a crossed, intercepts-only model is fitted by the blocked engine under
#: ``engine="auto"`` (about 1.6 times the study's 17,301 comments).
AUTO_BLOCKED_MIN_ROWS = 28_000
ENGINES = ("auto", "pymer4", "lmerTest", "blocked")

_R_CACHE: dict[str, Any] = {}


def _r_helpers() -> dict[str, Any]:
    """R closures defined once per session: fitting with captured warnings, and extraction."""
    if _R_CACHE:
        return _R_CACHE
    require_r(pymer4=False)  # only engine="pymer4" needs pymer4 itself (imported there)
    _R_CACHE["fit"] = r_function(
        """
        function(formula, data, REML) {
          out <- xhs_capture(lmerTest::lmer(stats::as.formula(formula), data = data, REML = REML))
          list(model = out$value, messages = out$messages)
        }
        """
    )
    _R_CACHE["fit_ml"] = r_function(
        """
        function(formula, data, control) {
          ctrl <- if (nzchar(control)) eval(parse(text = control)) else lme4::lmerControl()
          out <- xhs_capture(lme4::lmer(stats::as.formula(formula), data = data, REML = FALSE, control = ctrl))
          list(model = out$value, messages = out$messages)
        }
        """
    )
    _R_CACHE["refit_ml"] = r_function(
        """
        function(m) {
          out <- xhs_capture(lme4::refitML(m))
          list(model = out$value, messages = out$messages)
        }
        """
    )
    _R_CACHE["extract"] = r_function(
        """
        function(m, full) {
          s <- if (inherits(m, "lmerModLmerTest")) summary(m)$coefficients else NULL
          vc <- as.data.frame(lme4::VarCorr(m))
          conv <- m@optinfo$conv$lme4$messages
          ll <- stats::logLik(m)
          out <- list(
            coef_names = if (is.null(s)) character(0) else rownames(s),
            coef = if (is.null(s)) numeric(0) else as.numeric(s),
            vc_grp = as.character(vc$grp), vc_var1 = as.character(vc$var1),
            vc_var2 = as.character(vc$var2), vc_vcov = vc$vcov, vc_sdcor = vc$sdcor,
            aic = stats::AIC(m), bic = stats::BIC(m), loglik = as.numeric(ll),
            npar = as.numeric(attr(ll, "df")), sigma = stats::sigma(m),
            singular = lme4::isSingular(m),
            conv = if (is.null(conv)) character(0) else as.character(conv),
            optwarn = as.character(unlist(m@optinfo$warnings)),
            nobs = stats::nobs(m), ngrps = lme4::ngrps(m))
          if (full) {
            out$fitted <- as.numeric(stats::fitted(m))
            out$resid <- as.numeric(stats::residuals(m))
            out$fixed_pred <- as.numeric(stats::predict(m, re.form = NA))
            re <- lme4::ranef(m, condVar = FALSE)
            out$re_names <- names(re)
            out$re <- lapply(re, function(d) list(levels = rownames(d), terms = colnames(d),
                                                 values = as.numeric(as.matrix(d))))
          }
          out
        }
        """
    )
    return _R_CACHE


@dataclass
class LmerFit:
    """One fitted linear mixed model and everything the chapter reports about it."""

    spec: ModelSpec
    formula: str
    reml: bool
    engine: str
    coefs: pd.DataFrame  # term, estimate, std_error, df, t_stat, p_value, conf_low, conf_high
    variance_components: pd.DataFrame  # group, term, term2, variance, sd_or_cor
    aic: float
    bic: float
    loglik: float
    n_params: int
    sigma: float
    n_obs: int
    n_groups: dict[str, int]
    singular: bool
    messages: list[str]
    seconds: float
    fitted: np.ndarray | None = None
    residuals: np.ndarray | None = None
    fixed_prediction: np.ndarray | None = None
    ranef: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    r_model: Any = field(default=None, repr=False)
    #: relative SDs of the random intercepts (blocked engine only; a warm start for a refit)
    theta: np.ndarray | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        """False when lme4 reported a convergence problem (a singular fit is reported separately)."""
        return not any("converge" in m.lower() or "eigenvalue" in m.lower() for m in self.messages)

    def coef(self, term: str) -> pd.Series:
        row = self.coefs.loc[self.coefs["term"] == term]
        if row.empty:
            raise KeyError(f"{self.spec.name} has no term {term!r} (terms: {list(self.coefs['term'])})")
        return row.iloc[0]

    def status(self) -> str:
        flags = []
        if self.singular:
            flags.append("singular fit")
        if not self.converged:
            flags.append("convergence warning")
        return ", ".join(flags) if flags else "ok"


def _coef_table(names: list[str], values: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    mat = np.array(values, dtype=float).reshape(5, len(names)).T
    table = pd.DataFrame(mat, columns=["estimate", "std_error", "df", "t_stat", "p_value"])
    table.insert(0, "term", names)
    q = stats.t.ppf(0.5 + level / 2, table["df"])
    table["conf_low"] = table["estimate"] - q * table["std_error"]
    table["conf_high"] = table["estimate"] + q * table["std_error"]
    return table


def _variance_table(parts: dict[str, Any]) -> pd.DataFrame:
    def clean(values: Any) -> list[str | None]:
        return [None if (v is None or str(v) in ("NA", "NA_character_")) else str(v) for v in values]

    return pd.DataFrame({
        "group": list(parts["vc_grp"]),
        "term": clean(parts["vc_var1"]),
        "term2": clean(parts["vc_var2"]),
        "variance": _copy(parts["vc_vcov"], dtype=float),
        "sd_or_cor": _copy(parts["vc_sdcor"], dtype=float),
    })


def _from_r(model: Any, messages: list[str], spec: ModelSpec, formula: str, reml: bool,
            engine: str, seconds: float, full: bool) -> LmerFit:
    parts = _named(_r_helpers()["extract"](model, full))
    names = list(parts["coef_names"])
    coefs = _coef_table(names, _copy(parts["coef"])) if names else pd.DataFrame()
    msgs = list(messages) + [str(m) for m in parts["conv"]] + [str(m) for m in parts["optwarn"]]
    msgs = list(dict.fromkeys(m.strip() for m in msgs if m and m.strip()))
    ngrps = parts["ngrps"]
    fit = LmerFit(
        spec=spec, formula=formula, reml=reml, engine=engine, coefs=coefs,
        variance_components=_variance_table(parts),
        aic=float(parts["aic"][0]), bic=float(parts["bic"][0]), loglik=float(parts["loglik"][0]),
        n_params=int(parts["npar"][0]), sigma=float(parts["sigma"][0]), n_obs=int(parts["nobs"][0]),
        n_groups={str(k): int(v) for k, v in zip(ngrps.names, list(ngrps), strict=True)},
        singular=bool(parts["singular"][0]), messages=msgs, seconds=seconds, r_model=model,
    )
    if full:
        fit.fitted = _copy(parts["fitted"], dtype=float)
        fit.residuals = _copy(parts["resid"], dtype=float)
        fit.fixed_prediction = _copy(parts["fixed_pred"], dtype=float)
        for name, re in zip(parts["re_names"], parts["re"], strict=True):
            re = _named(re)
            levels, terms = list(re["levels"]), list(re["terms"])
            values = _copy(re["values"], dtype=float).reshape(len(terms), len(levels)).T
            fit.ranef[str(name)] = pd.DataFrame(values, columns=terms, index=pd.Index(levels, name=str(name)))
    return fit


def relative_sds(fit: LmerFit) -> dict[str, float]:
    """Random-intercept SDs over the residual SD (lme4's θ for intercepts-only terms), by group.

    A warm start for a refit of the same intercepts by the blocked engine: the slope
    selection's ML fit (on a subsample, when it screened) is close to the final REML fit.
    """
    vc = fit.variance_components
    sigma = float(vc.loc[vc["group"] == "Residual", "sd_or_cor"].iloc[0])
    rows = vc[(vc["group"] != "Residual") & (vc["term"] == "(Intercept)") & vc["term2"].isna()]
    return {str(r.group): float(r.sd_or_cor) / sigma for r in rows.itertuples()} if sigma > 0 else {}


def fit_lmer(frame: ModelFrame, *, reml: bool = True, engine: str = "auto", full: bool = True,
             start: dict[str, float] | None = None) -> LmerFit:
    """Fit ``frame.spec`` with lmerTest (REML by default) and return an :class:`LmerFit`.

    ``full`` also pulls fitted values, residuals and conditional modes (for diagnostics).
    ``start`` (group -> θ, see :func:`relative_sds`) is where the blocked engine starts; the
    lme4 routes start from lme4's own default.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if engine == "auto":
        engine = auto_engine(frame)
    formula = frame.spec.formula()
    started = time.perf_counter()
    if engine == "blocked":
        fit = fit_blocked(frame, reml=reml, full=full, start=start)
    elif engine == "pymer4":
        fit = _fit_pymer4(frame, formula, reml)
    else:
        out = _named(_r_helpers()["fit"](formula, _to_r_frame(frame.data), reml))
        fit = _from_r(out["model"], [str(m) for m in out["messages"]], frame.spec, formula, reml,
                      "lmerTest", 0.0, full)
    fit.seconds = time.perf_counter() - started
    fit.notes = list(frame.notes)
    return fit


def auto_engine(frame: ModelFrame) -> str:
    """The engine ``engine="auto"`` picks for ``frame`` (see the module docstring)."""
    n = len(frame.data)
    if n > AUTO_BLOCKED_MIN_ROWS and len(frame.spec.groups) > 1 and not frame.spec.slopes:
        return "blocked"
    return "lmerTest"


def fixed_effect_matrix(frame: ModelFrame) -> pd.DataFrame:
    """The fixed-effect design of ``frame.spec``: intercept, predictor, covariate terms (lme4's order)."""
    spec = frame.spec
    terms = [spec.predictor, *(spec.covariate_term(c) for c in spec.covariates)]
    x = pd.DataFrame({"(Intercept)": np.ones(len(frame.data))}, index=frame.data.index)
    for t in terms:
        x[t] = pd.to_numeric(frame.data[t], errors="raise").astype(float)
    return x


def fit_blocked(frame: ModelFrame, *, reml: bool = True, full: bool = True,
                start: dict[str, float] | None = None) -> LmerFit:
    """Fit an intercepts-only crossed model with :mod:`helpers.engagement.crossed_lmm`, as an :class:`LmerFit`.

    ``start``: θ by group to start the optimiser from (missing groups start at 1).

    Singular means some θ below 1e-4 (lme4's ``isSingular`` tolerance); AIC/BIC use the REML
    criterion for REML fits, as lme4's do.
    """
    from helpers.engagement.crossed_lmm import CrossedModelError, build_design, fit_crossed

    spec = frame.spec
    if spec.slopes:
        raise CrossedModelError(f"{spec.name}: the blocked engine fits random intercepts only, not slopes "
                                f"over {list(spec.slopes)}; use engine='lmerTest'")
    x = fixed_effect_matrix(frame)
    design = build_design(frame.data, spec.response, x, spec.groups)
    x0 = None if not start else [float(start.get(g, 1.0)) for g in design.groups]
    fit = fit_crossed(design, reml=reml, start=x0, satterthwaite=reml)
    variances = fit.variances()
    vc = pd.DataFrame({"group": list(variances), "term": [*["(Intercept)"] * len(design.groups), None],
                       "term2": [None] * len(variances), "variance": list(variances.values()),
                       "sd_or_cor": np.sqrt(list(variances.values()))})
    coefs = fit.coef_table()
    if not reml:  # lme4's ML summary has no df either
        coefs[["df", "p_value", "conf_low", "conf_high"]] = np.nan
    messages = [] if fit.converged else [f"blocked engine: the optimiser did not converge ({fit.message})"]
    out = LmerFit(
        spec=spec, formula=spec.formula(), reml=reml, engine="blocked", coefs=coefs, variance_components=vc,
        aic=fit.deviance + 2 * fit.n_params, bic=fit.deviance + np.log(design.n) * fit.n_params,
        loglik=fit.loglik, n_params=fit.n_params, sigma=fit.sigma, n_obs=design.n,
        n_groups={g: int(len(lv)) for g, lv in zip(design.groups, design.levels, strict=True)},
        singular=bool((fit.theta < 1e-4).any()), messages=messages, seconds=fit.seconds, theta=fit.theta,
    )
    out.notes.append(f"fitted by the blocked Cholesky engine ({fit.n_evals} deviance evaluations)")
    if full:
        modes = fit.conditional_modes()
        fixed = x.to_numpy() @ fit.beta
        fitted = fixed.copy()
        for k, g in enumerate(design.groups):
            fitted += modes[g].to_numpy()[design.codes[k]]
            out.ranef[g] = modes[g].rename("(Intercept)").to_frame().rename_axis(g)
        out.fixed_prediction = fixed
        out.fitted = fitted
        out.residuals = frame.data[spec.response].to_numpy(float) - fitted
    return out


def _fit_pymer4(frame: ModelFrame, formula: str, reml: bool) -> LmerFit:
    """The documented pymer4 route; coefficients from ``result_fit``, the rest from the R model."""
    require_r()
    import polars as pl
    from pymer4.models import lmer

    if not reml:
        raise ValueError("pymer4's lmer().fit() always uses REML; use engine='lmerTest' for ML fits")
    model = lmer(formula, data=pl.from_pandas(frame.data))
    model.fit(verbose=False)
    console = [str(m) for m in model.r_console if "Convergence status" not in str(m)]
    fit = _from_r(model.r_model, console, frame.spec, formula, True, "pymer4", 0.0, True)
    table = model.result_fit.to_pandas()
    fit.coefs = table[["term", "estimate", "std_error", "df", "t_stat", "p_value", "conf_low", "conf_high"]].copy()
    return fit


def refit_ml(fit: LmerFit) -> LmerFit:
    """The same model refitted by maximum likelihood (for AIC/BIC and likelihood-ratio tests)."""
    started = time.perf_counter()
    out = _named(_r_helpers()["refit_ml"](fit.r_model))
    ml = _from_r(out["model"], [str(m) for m in out["messages"]], fit.spec, fit.formula, False,
                 "lme4 ML", 0.0, False)
    ml.seconds = time.perf_counter() - started
    return ml


#: ``lmerControl`` settings an ML fit may use, by name (``fit_ml(control=...)``).
#: ``no_derivs`` skips lme4's numerical gradient and Hessian at the optimum: the estimates and
#: the likelihood are those of the default fit, but the derivative-based convergence warnings
#: ("Model failed to converge with max|grad| ...") are no longer computed for that fit.
ML_CONTROLS: dict[str, str] = {
    "default": "",
    "no_derivs": "lme4::lmerControl(calc.derivs = FALSE)",
}


def fit_ml(frame: ModelFrame, *, control: str = "default", engine: str = "lme4") -> LmerFit:
    """Maximum-likelihood fit with plain lme4 (no Satterthwaite step): for AIC/BIC and LRTs.

    REML likelihoods are not comparable across fixed-effect structures and are biased for
    comparing random-effect structures by AIC; ML is the standard for both.  ``control`` is a
    key of :data:`ML_CONTROLS` (lme4's own defaults unless told otherwise).
    """
    if control not in ML_CONTROLS:
        raise ValueError(f"control must be one of {sorted(ML_CONTROLS)}, not {control!r}")
    if engine == "blocked":
        return fit_blocked(frame, reml=False, full=False)
    if engine != "lme4":
        raise ValueError(f"engine must be 'lme4' or 'blocked', not {engine!r}")
    formula = frame.spec.formula()
    started = time.perf_counter()
    out = _named(_r_helpers()["fit_ml"](formula, _to_r_frame(frame.data), ML_CONTROLS[control]))
    fit = _from_r(out["model"], [str(m) for m in out["messages"]], frame.spec, formula, False,
                  "lme4 ML", 0.0, False)
    fit.seconds = time.perf_counter() - started
    return fit


def standardised_from_raw(fit: LmerFit, scales: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Standardised β from a raw-scale fit: b · sd(x) / sd(y).

    A linear mixed model is equivariant under affine rescaling of the response and of the
    predictors (with an intercept), so this equals refitting on z-scored data — a test checks
    it — while costing nothing (Model 5 takes most of the chapter's fitting time).
    t, df and p are unchanged by the rescaling.
    """
    sd_y = scales[fit.spec.response][1]
    table = fit.coefs.copy()
    factor = np.array([scales[t][1] / sd_y if t in scales else np.nan for t in table["term"]])
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        table[col] = table[col] * factor
    return table.loc[table["term"] != "(Intercept)"].reset_index(drop=True)


@dataclass
class ModelResult:
    """What the chapter shows for one model: the fit (or why it could not be fitted)."""

    spec: ModelSpec
    fit: LmerFit | None
    standardised: pd.DataFrame | None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    frame: ModelFrame | None = field(default=None, repr=False)


def fit_models(
    specs: list[ModelSpec],
    posts: pd.DataFrame,
    comments: pd.DataFrame | None,
    *,
    engine: str = "auto",
    min_groups: int = 5,
    standardise: bool = True,
    starts: dict[str, LmerFit] | None = None,
) -> list[ModelResult]:
    """Fit every spec; a model the data cannot support is returned with its reason, not raised.

    With ``standardise`` the standardised coefficients are derived from the raw fit.
    ``starts`` maps model names to a fit of the same random intercepts (the slope selection's,
    :attr:`helpers.engagement.random_slopes.ModelsSlopeSelection.fits`) whose θ warm-starts
    the blocked engine.
    """
    from helpers.engagement.data import EngagementDataError, build_frame

    results = []
    for spec in specs:
        try:
            frame = build_frame(spec, posts, comments if spec.level == "comment" else None,
                                min_groups=min_groups)
        except EngagementDataError as exc:
            results.append(ModelResult(spec, None, None, error=str(exc)))
            continue
        try:
            warm = (starts or {}).get(spec.name)
            fit = fit_lmer(frame, engine=engine, start=relative_sds(warm) if warm is not None else None)
        except REngineUnavailable:
            raise
        except Exception as exc:  # an R error (e.g. lme4 refusing the design) is reported per model
            results.append(ModelResult(frame.spec, None, None, error=f"lme4 could not fit: {exc}", notes=frame.notes))
            continue
        std = standardised_from_raw(fit, frame.scales) if standardise else None
        results.append(ModelResult(frame.spec, fit, std, notes=frame.notes, frame=frame))
    return results


def coefficient_table(results: list[ModelResult], scaling: str = "raw") -> pd.DataFrame:
    """All models' fixed effects in one long table (``scaling`` = ``raw`` or ``standardised``)."""
    rows = []
    for res in results:
        if res.fit is None:
            continue
        table = res.fit.coefs if scaling == "raw" else res.standardised
        if table is None:
            continue
        table = table.copy()
        table.insert(0, "outcome", res.spec.outcome)
        table.insert(0, "model", res.spec.name)
        table["scaling"] = scaling
        rows.append(table)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
