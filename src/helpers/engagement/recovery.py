"""Do the fitted models recover the 20 coefficients planted in the synthetic corpus?

``raw/truth.json`` (written by ``helpers.synth.xhs_corpus``) plants all four terms of all five
models on the raw scale the book declares for the paper's β (post sentiment as scored, post
length unlogged per 100 characters, ln(days+1), ln(followers+1); each covariate's scale is
stored in ``term_scales``).  A term fitted on another scale than it was planted on (a sweep
over transforms that did not regenerate the corpus) is reported, not compared.

One run says little: a 95 % interval misses its planted value one time in twenty.  Recovery is
therefore a *coverage rate* over many seeds, computed by :func:`coverage_from_sweep` from the
table a sweep writes (``data/sweeps/planted_coverage.yml``).

The chapter's models use the *estimated* sentiment of chapter 02, whose measurement error
attenuates the sentiment effect; recovery is checked on the latent (planted) sentiment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.engagement.data import PREDICTOR
from helpers.engagement.lmer import ModelResult
from helpers.engagement.paper_comparison import term_scale
from helpers.study import du_gu

TERMS = tuple(du_gu.TERMS)


def read_truth(run_dir: str | Path) -> dict[str, Any] | None:
    """The planted truth of a synthetic run, or None for real data (no truth file)."""
    path = Path(run_dir) / "raw" / "truth.json"
    return json.loads(path.read_text()) if path.exists() else None


def planted_effects(truth: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """outcome -> term -> {target, scale, source} from a truth.json dict."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for outcome, info in truth.get("engagement", {}).items():
        coefs = info.get("coefficients", {})
        scales = info.get("term_scales", {})
        for term, value in coefs.items():
            out.setdefault(outcome, {})[term] = {
                "target": float(value), "scale": scales.get(term, "unknown"), "source": info.get("source", "")}
    return out


def recovery_table(results: list[ModelResult], truth: dict[str, Any]) -> pd.DataFrame:
    """One row per planted coefficient: planted value, our estimate and 95 % CI, covered or not."""
    planted = planted_effects(truth)
    rows = []
    for res in results:
        for term, target in planted.get(res.spec.outcome, {}).items():
            fitted_scale = term_scale(res.spec, term)
            row = {"model": res.spec.name, "outcome": res.spec.outcome, "term": term,
                   "planted": target["target"], "planted_scale": target["scale"], "fitted_scale": fitted_scale,
                   "source": target["source"]}
            column = PREDICTOR if term == PREDICTOR else res.spec.covariate_term(term)
            coefs = res.fit.coefs.set_index("term") if res.fit is not None else None
            if coefs is None or column not in coefs.index:
                row.update(estimate=np.nan, conf_low=np.nan, conf_high=np.nan, covered=None,
                           status=res.error or "term not in the fit")
            elif fitted_scale != target["scale"]:
                c = coefs.loc[column]
                row.update(estimate=float(c["estimate"]), conf_low=float(c["conf_low"]),
                           conf_high=float(c["conf_high"]), covered=None,
                           status=f"fitted on {fitted_scale}, planted on {target['scale']}: not comparable")
            else:
                c = coefs.loc[column]
                row.update(estimate=float(c["estimate"]), conf_low=float(c["conf_low"]),
                           conf_high=float(c["conf_high"]),
                           covered=bool(c["conf_low"] <= target["target"] <= c["conf_high"]),
                           status=res.fit.status())
            rows.append(row)
    return pd.DataFrame(rows)


def recovery_results(table: pd.DataFrame) -> dict[str, Any]:
    """The recovery table as nested dicts for ``results/03_engagement_models.json``."""
    out: dict[str, Any] = {"covered": {}, "estimate": {}, "planted": {}}
    for row in table.itertuples(index=False):
        out["covered"].setdefault(row.outcome, {})[row.term] = row.covered
        out["estimate"].setdefault(row.outcome, {})[row.term] = None if pd.isna(row.estimate) else row.estimate
        out["planted"].setdefault(row.outcome, {})[row.term] = row.planted
    known = [v for v in table["covered"] if v is not None]
    out["n_compared"] = len(known)
    out["n_covered"] = int(sum(known))
    return out


def _interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson interval for a binomial proportion."""
    if n == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def coverage_from_sweep(results: pd.DataFrame, step: str = "03_engagement_models",
                        prefix: str = "recovery.covered.") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Coverage of every planted coefficient over the runs of a sweep table (``results.csv``).

    Returns one row per (outcome, term) — runs compared, runs covered, rate, Clopper–Pearson
    95 % interval — and a summary over all coefficients and runs.
    """
    sel = results.loc[(results["step"] == step) & results["metric"].astype(str).str.startswith(prefix)].copy()
    if sel.empty:
        return pd.DataFrame(columns=["outcome", "term", "runs", "covered", "rate", "low", "high"]), {
            "runs": 0, "coefficients": 0, "compared": 0, "covered": 0, "rate": None}
    flag = sel["value_text"].astype(str).str.lower().map({"true": True, "false": False})
    sel = sel.assign(flag=flag).dropna(subset=["flag"])
    parts = sel["metric"].str.removeprefix(prefix).str.split(".", n=1, expand=True)
    sel = sel.assign(outcome=parts[0], term=parts[1])
    rows = []
    for (outcome, term), grp in sel.groupby(["outcome", "term"], sort=False):
        n, k = len(grp), int(grp["flag"].sum())
        lo, hi = _interval(k, n)
        rows.append({"outcome": outcome, "term": term, "runs": n, "covered": k, "rate": k / n, "low": lo, "high": hi})
    table = pd.DataFrame(rows)
    order = {o: i for i, o in enumerate(du_gu.MODELS.values())}
    table = table.sort_values(["outcome", "term"], key=lambda s: s.map(order) if s.name == "outcome"
                              else s.map({t: i for i, t in enumerate(TERMS)})).reset_index(drop=True)
    n_all, k_all = int(table["runs"].sum()), int(table["covered"].sum())
    lo, hi = _interval(k_all, n_all)
    summary = {"runs": int(sel["run"].nunique()), "coefficients": len(table), "compared": n_all,
               "covered": k_all, "rate": k_all / n_all if n_all else None, "low": lo, "high": hi,
               "seeds": sorted(int(s) for s in sel["seed"].dropna().unique()),
               "scales": sorted(float(s) for s in sel["scale"].dropna().unique())}
    return table, summary
