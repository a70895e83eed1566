"""Refit Models 1–4 with statsmodels ``MixedLM`` as an independent check on lme4.

Both maximise the same REML criterion for a random-intercept (or intercept + slope) model, so
on the same rows the fixed effects must agree closely; a disagreement beyond the tolerance
points at a data-passing or convergence problem in one of the two stacks.  Crossed random
effects (Model 5) are outside what MixedLM fits directly, so the check covers Models 1–4.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from helpers.engagement.data import ModelFrame
from helpers.engagement.lmer import LmerFit


def fit_mixedlm(frame: ModelFrame, reml: bool = True):
    """statsmodels MixedLM of the frame's model (one grouping factor; optional predictor slope)."""
    import statsmodels.formula.api as smf

    spec = frame.spec
    if len(spec.groups) != 1:
        raise ValueError(f"{spec.name}: MixedLM cross-check needs exactly one grouping factor, has {spec.groups}")
    group = spec.groups[0]
    re_formula = f"~{spec.predictor}" if group in spec.slopes else "1"
    model = smf.mixedlm(f"{spec.response} ~ {' + '.join(spec.fixed_terms)}", frame.data,
                        groups=frame.data[group], re_formula=re_formula)
    last_error: Exception | None = None
    for method in ("lbfgs", "bfgs", "powell"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # boundary/convergence chatter; agreement is the test
            try:
                result = model.fit(reml=reml, method=method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                last_error = exc
                continue
        if result.converged:
            return result
    if last_error is not None:
        raise RuntimeError(f"{spec.name}: MixedLM did not converge ({last_error})")
    return result


def compare_with_lme4(fit: LmerFit, frame: ModelFrame, tol: float = 1e-3) -> pd.DataFrame:
    """Fixed effects of lme4 and MixedLM side by side, with |difference| and a pass flag."""
    result = fit_mixedlm(frame, reml=fit.reml)
    sm = result.fe_params.rename(index={"Intercept": "(Intercept)"})
    sm_se = result.bse_fe.rename(index={"Intercept": "(Intercept)"})
    table = fit.coefs[["term", "estimate", "std_error"]].rename(
        columns={"estimate": "lme4", "std_error": "lme4_se"}).copy()
    table["statsmodels"] = table["term"].map(sm)
    table["statsmodels_se"] = table["term"].map(sm_se)
    table["abs_diff"] = (table["lme4"] - table["statsmodels"]).abs()
    table["agrees"] = table["abs_diff"] <= tol
    table.insert(0, "model", fit.spec.name)
    return table


def crosscheck(results: list, tol: float = 1e-3) -> pd.DataFrame:
    """lme4 vs MixedLM for every fitted single-grouping model (Models 1–4)."""
    tables = []
    for res in results:
        if res.fit is None or res.frame is None or len(res.spec.groups) != 1:
            continue
        try:
            tables.append(compare_with_lme4(res.fit, res.frame, tol=tol))
        except Exception as exc:  # noqa: BLE001 - shown in the table, not raised
            tables.append(pd.DataFrame([{"model": res.spec.name, "term": "—", "agrees": False,
                                         "note": f"MixedLM failed: {exc}"}]))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
