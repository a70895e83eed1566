"""Negative-binomial robustness checks for Models 1–4.

ln(Y+1) with a Gaussian model is the study's choice; counts of likes or shares are
over-dispersed and zero-heavy, so the chapter refits the raw counts with

* a mixed negative binomial (NB2: Var = μ + μ²/θ) with the same random intercepts —
  ``glmmTMB(family = nbinom2)`` by default or ``lme4::glmer.nb`` — through rpy2, and
* statsmodels' fixed-effects NB2 with α (= 1/θ) *estimated* (``smf.negativebinomial``; the GLM
  family would fix α at 1), with creator-clustered standard errors by default,

and reports, per outcome, whether the sign and the significance of post sentiment agree with
the linear mixed model.  Coefficients are on the log-count scale, so only sign and
significance are comparable with the ln(Y+1) model, not magnitudes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.engagement.data import OUTCOME_COLUMNS, ModelFrame
from helpers.engagement.r_bridge import copy_vector as _copy
from helpers.engagement.r_bridge import named_list as _named
from helpers.engagement.r_bridge import r_function, require_r
from helpers.engagement.r_bridge import to_r_frame as _to_r_frame

NB_ENGINES = ("glmmTMB", "glmer.nb")
_R: dict[str, Any] = {}


@dataclass
class NBFit:
    """Coefficients of one negative-binomial fit (log-count scale)."""

    model: str
    outcome: str
    method: str
    coefs: pd.DataFrame  # term, estimate, std_error, z, p_value
    dispersion: float  # θ for the mixed fits, α for statsmodels NB2
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def coef(self, term: str) -> pd.Series:
        return self.coefs.set_index("term").loc[term]


def _count_formula(frame: ModelFrame, random: bool) -> str:
    spec = frame.spec
    count = OUTCOME_COLUMNS[spec.outcome]
    rhs = " + ".join(spec.fixed_terms)
    if random:
        rhs += " + " + " + ".join(f"(1 | {g})" for g in spec.groups)
    return f"{count} ~ {rhs}"


def _r_nb() -> Any:
    if _R:
        return _R["fit"]
    require_r(("lme4", "glmmTMB"), pymer4=False)  # pymer4 is not used here; its import costs seconds
    _R["fit"] = r_function(
        """
        function(formula, data, engine) {
          f <- stats::as.formula(formula)
          if (engine == "glmmTMB") {
            out <- xhs_capture(glmmTMB::glmmTMB(f, data = data, family = glmmTMB::nbinom2))
            m <- out$value
            s <- summary(m)$coefficients$cond
            theta <- stats::sigma(m)
          } else {
            out <- xhs_capture(lme4::glmer.nb(f, data = data))
            m <- out$value
            s <- summary(m)$coefficients
            theta <- lme4::getME(m, "glmer.nb.theta")
          }
          list(names = rownames(s), coef = as.numeric(s), theta = as.numeric(theta), messages = out$messages)
        }
        """
    )
    return _R["fit"]


def fit_mixed_nb(frame: ModelFrame, engine: str = "glmmTMB") -> NBFit:
    """Mixed NB2 on the raw counts with the frame's random intercepts and predictors."""
    if engine not in NB_ENGINES:
        raise ValueError(f"engine must be one of {NB_ENGINES}, not {engine!r}")
    if frame.spec.level != "post":
        raise ValueError(f"{frame.spec.name} is not a count model")
    started = time.perf_counter()
    out = _named(_r_nb()(_count_formula(frame, True), _to_r_frame(frame.data), engine))
    names = list(out["names"])
    mat = _copy(out["coef"], dtype=float).reshape(4, len(names)).T
    coefs = pd.DataFrame(mat, columns=["estimate", "std_error", "z", "p_value"])
    coefs.insert(0, "term", names)
    return NBFit(frame.spec.name, frame.spec.outcome, f"mixed NB2 ({engine})", coefs,
                 float(out["theta"][0]), [str(m) for m in out["messages"]],
                 time.perf_counter() - started)


def fit_fixed_nb2(frame: ModelFrame, cluster: str | None = "creator_id") -> NBFit:
    """statsmodels NB2 with estimated α; creator-clustered SEs unless ``cluster`` is None."""
    import statsmodels.formula.api as smf

    started = time.perf_counter()
    data = frame.data
    model = smf.negativebinomial(_count_formula(frame, False), data=data)
    kwargs: dict[str, Any] = {"disp": 0, "maxiter": 300}
    if cluster:
        groups = pd.factorize(data[cluster])[0]
        kwargs.update(cov_type="cluster", cov_kwds={"groups": groups})
    result = model.fit(**kwargs)
    terms = [t for t in result.params.index if t != "alpha"]
    coefs = pd.DataFrame({
        "term": ["(Intercept)" if t == "Intercept" else t for t in terms],
        "estimate": result.params[terms].to_numpy(),
        "std_error": result.bse[terms].to_numpy(),
        "z": result.tvalues[terms].to_numpy(),
        "p_value": result.pvalues[terms].to_numpy(),
    })
    messages = [] if result.mle_retvals.get("converged", True) else ["statsmodels NB2 did not converge"]
    method = "NB2 fixed effects (statsmodels" + (", clustered SE)" if cluster else ")")
    return NBFit(frame.spec.name, frame.spec.outcome, method, coefs, float(result.params["alpha"]),
                 messages, time.perf_counter() - started)


def agreement_table(
    linear: dict[str, pd.Series],
    mixed_nb: dict[str, NBFit | str],
    fixed_nb: dict[str, NBFit | str],
    term: str = "post_sentiment",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per outcome: post sentiment's sign and significance under the LMM and both NB fits.

    ``linear`` maps outcome -> the LMM coefficient row (estimate, p_value); NB entries may be a
    string (why that fit failed), which counts as "no agreement possible".
    """
    rows = []
    for outcome, lmm in linear.items():
        row: dict[str, Any] = {"outcome": outcome, "lmm_estimate": lmm["estimate"], "lmm_p": lmm["p_value"]}
        signs, sig = [np.sign(lmm["estimate"])], [lmm["p_value"] < alpha]
        for label, source in (("mixed_nb", mixed_nb), ("nb2", fixed_nb)):
            fit = source.get(outcome)
            if isinstance(fit, NBFit):
                c = fit.coef(term)
                row[f"{label}_estimate"], row[f"{label}_p"] = c["estimate"], c["p_value"]
                row[f"{label}_{'theta' if label == 'mixed_nb' else 'alpha'}"] = fit.dispersion
                signs.append(np.sign(c["estimate"]))
                sig.append(c["p_value"] < alpha)
            else:
                row[f"{label}_estimate"] = row[f"{label}_p"] = np.nan
                row[f"{label}_note"] = fit or "not fitted"
                signs.append(np.nan)
                sig.append(None)
        complete = all(s is not None for s in sig) and not any(np.isnan(signs))
        row["sign_agrees"] = bool(complete and len(set(signs)) == 1)
        row["significance_agrees"] = bool(complete and len(set(sig)) == 1)
        # a sign flip between two non-significant estimates is noise, not disagreement
        any_significant = complete and any(sig)
        row["agrees"] = row["significance_agrees"] and (row["sign_agrees"] or not any_significant)
        rows.append(row)
    return pd.DataFrame(rows)


def negbin_checks(results: list, engine: str = "glmmTMB", cluster: str | None = "creator_id",
                  term: str = "post_sentiment", alpha: float = 0.05) -> tuple[pd.DataFrame, list[NBFit]]:
    """Run both NB fits for every fitted count model (Models 1–4) and build the agreement table.

    A fit that fails is recorded in the table with its error instead of stopping the chapter.
    """
    linear: dict[str, pd.Series] = {}
    mixed: dict[str, NBFit | str] = {}
    fixed: dict[str, NBFit | str] = {}
    fits: list[NBFit] = []
    for res in results:
        if res.fit is None or res.frame is None or res.spec.level != "post":
            continue
        linear[res.spec.outcome] = res.fit.coef(term)
        for store, fn in ((mixed, lambda f: fit_mixed_nb(f, engine)), (fixed, lambda f: fit_fixed_nb2(f, cluster))):
            try:
                nb = fn(res.frame)
            except Exception as exc:  # noqa: BLE001 - report any engine failure per outcome
                store[res.spec.outcome] = f"failed: {exc}"
                continue
            store[res.spec.outcome] = nb
            fits.append(nb)
    return agreement_table(linear, mixed, fixed, term=term, alpha=alpha), fits
