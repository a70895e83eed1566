"""Diagnostics for the engagement models: residual and random-effect QQ, residuals vs fitted,
ICC, Nakagawa's marginal/conditional R², and variance inflation factors.

R² and ICC follow Nakagawa & Schielzeth (2013) with Johnson's (2014) extension to random
slopes: the variance of a random term is its mean contribution over the observed data,
σ²₀ + 2σ₀₁·mean(x) + σ²₁·mean(x²).  Marginal R² = σ²_f / total, conditional R² =
(σ²_f + Σσ²_RE) / total, adjusted ICC = Σσ²_RE / (Σσ²_RE + σ²_ε), with σ²_f the variance of the
fixed-effect predictions.  A test checks these against R's ``performance`` package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from helpers.engagement.data import ModelFrame
from helpers.engagement.lmer import LmerFit


def qq_points(values: np.ndarray) -> pd.DataFrame:
    """Normal QQ coordinates (Blom plotting positions) of standardised ``values``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = values.size
    if n < 3:
        return pd.DataFrame({"theoretical": [], "sample": []})
    sd = values.std(ddof=1)
    # a singular fit has all conditional modes at zero: plot them flat rather than divide by 0
    sample = np.sort((values - values.mean()) / sd) if sd > 0 else np.zeros(n)
    theoretical = stats.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))
    return pd.DataFrame({"theoretical": theoretical, "sample": sample})


def random_effect_variances(fit: LmerFit, frame: ModelFrame) -> dict[str, float]:
    """Mean variance each grouping factor adds to an observation (intercept + slope terms)."""
    vc = fit.variance_components
    out: dict[str, float] = {}
    x = frame.data[frame.spec.predictor].to_numpy(dtype=float)
    for group, part in vc.loc[vc["group"] != "Residual"].groupby("group", sort=False):
        var0 = part.loc[(part["term"] == "(Intercept)") & part["term2"].isna(), "variance"].sum()
        var1 = part.loc[(part["term"] == frame.spec.predictor) & part["term2"].isna(), "variance"].sum()
        cov = part.loc[part["term2"].notna(), "variance"].sum()
        out[str(group)] = float(var0 + 2 * cov * x.mean() + var1 * np.mean(x**2))
    return out


def variance_summary(fit: LmerFit, frame: ModelFrame) -> dict[str, float]:
    """Nakagawa marginal/conditional R², adjusted ICC, and each factor's share of variance."""
    if fit.fixed_prediction is None:
        raise ValueError("fit has no fixed-effect predictions: fit with full=True")
    var_f = float(np.var(fit.fixed_prediction, ddof=1))
    re = random_effect_variances(fit, frame)
    var_re = sum(re.values())
    var_e = fit.sigma**2
    total = var_f + var_re + var_e
    out = {
        "R2_marginal": var_f / total,
        "R2_conditional": (var_f + var_re) / total,
        "ICC_adjusted": var_re / (var_re + var_e),
    }
    for group, value in re.items():
        out[f"ICC_{group}"] = value / (var_re + var_e)
    return out


def vif_table(frame: ModelFrame) -> pd.DataFrame:
    """Variance inflation factors of the fixed-effect predictors (diagonal of the inverse
    correlation matrix).  Values above ~5 mean a coefficient's SE is inflated by collinearity."""
    terms = frame.spec.fixed_terms
    if len(terms) < 2:
        return pd.DataFrame({"term": terms, "vif": [1.0] * len(terms)})
    corr = np.corrcoef(frame.data[terms].to_numpy(dtype=float), rowvar=False)
    vif = np.diag(np.linalg.pinv(corr))
    return pd.DataFrame({"term": terms, "vif": vif, "se_inflation": np.sqrt(vif)})


def diagnostics_table(fits: list[tuple[LmerFit, ModelFrame]]) -> pd.DataFrame:
    """One row per model: R², ICC, worst VIF, residual skew/kurtosis, flags."""
    rows = []
    for fit, frame in fits:
        summary = variance_summary(fit, frame)
        vif = vif_table(frame)
        resid = fit.residuals if fit.residuals is not None else np.array([])
        rows.append({
            "model": fit.spec.name, "outcome": fit.spec.outcome, "n_obs": fit.n_obs,
            **{f"n_{g}": n for g, n in fit.n_groups.items()},
            "R2_marginal": summary["R2_marginal"], "R2_conditional": summary["R2_conditional"],
            "ICC_adjusted": summary["ICC_adjusted"], "max_VIF": float(vif["vif"].max()),
            "resid_skew": float(stats.skew(resid)) if resid.size > 2 else float("nan"),
            "resid_excess_kurtosis": float(stats.kurtosis(resid)) if resid.size > 3 else float("nan"),
            "status": fit.status(),
        })
    return pd.DataFrame(rows)


def diagnostics_figure(fit: LmerFit, max_points: int = 4000, seed: int = 0):
    """Plotly figure: residual QQ, residuals vs fitted, and random-effect QQ (first term of each
    grouping factor).  Large models are subsampled for the scatter (not for the statistics)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=3, subplot_titles=(
        "Residual QQ", "Residuals vs fitted", "Random-effect QQ"))
    rng = np.random.default_rng(seed)
    resid, fitted = fit.residuals, fit.fitted
    keep = np.arange(resid.size)
    if resid.size > max_points:
        keep = np.sort(rng.choice(resid.size, max_points, replace=False))
    qq = qq_points(resid)
    step = max(1, len(qq) // max_points)
    qq = qq.iloc[::step]
    fig.add_scatter(x=qq["theoretical"], y=qq["sample"], mode="markers", marker={"size": 4},
                    name="residuals", row=1, col=1)
    lim = [float(qq["theoretical"].min()), float(qq["theoretical"].max())] if len(qq) else [-3, 3]
    fig.add_scatter(x=lim, y=lim, mode="lines", line={"dash": "dash", "color": "grey"},
                    showlegend=False, row=1, col=1)
    fig.add_scatter(x=fitted[keep], y=resid[keep], mode="markers", marker={"size": 4, "opacity": 0.5},
                    name="resid vs fitted", showlegend=False, row=1, col=2)
    fig.add_hline(y=0, line_dash="dash", line_color="grey", row=1, col=2)
    for group, table in fit.ranef.items():
        for term in table.columns:
            q = qq_points(table[term].to_numpy())
            fig.add_scatter(x=q["theoretical"], y=q["sample"], mode="markers", marker={"size": 4},
                            name=f"{group}: {term}", row=1, col=3)
    fig.update_xaxes(title_text="normal quantile", row=1, col=1)
    fig.update_xaxes(title_text="fitted", row=1, col=2)
    fig.update_xaxes(title_text="normal quantile", row=1, col=3)
    fig.update_layout(title=f"{fit.spec.name} ({fit.spec.outcome}): diagnostics", height=360,
                      margin={"t": 60, "b": 40})
    return fig
