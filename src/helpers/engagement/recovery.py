"""Do the fitted models recover the engagement effects planted in the synthetic corpus?

``raw/truth.json`` (written by ``helpers.synth.xhs_corpus``) plants Models 1–4 as *standardised*
coefficients (ln(Y+1) and predictors z-scored over the kept posts), so they are compared with
our standardised β.  Model 5 is planted on a normal-score scale and mapped to the comment
sentiment marginal; the generator also stores the realised standardised slope on the kept
comments, which is the comparable target (the normal-score slope is shown beside it).

The chapter's models use the *estimated* sentiment of chapter 02, whose measurement error
attenuates the sentiment effect; the recovery test therefore fits on the latent (planted)
sentiment, and the chapter reports both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.engagement.data import COMMENT_OUTCOME, PREDICTOR
from helpers.engagement.lmer import ModelResult


def read_truth(run_dir: str | Path) -> dict[str, Any] | None:
    """The planted truth of a synthetic run, or None for real data (no truth file)."""
    path = Path(run_dir) / "raw" / "truth.json"
    return json.loads(path.read_text()) if path.exists() else None


def planted_effects(truth: dict[str, Any], term: str = PREDICTOR) -> dict[str, dict[str, Any]]:
    """outcome -> {target, scale, note} for ``term`` from a truth.json dict."""
    engagement = truth.get("engagement", {})
    out: dict[str, dict[str, Any]] = {}
    for outcome, info in engagement.items():
        if outcome == COMMENT_OUTCOME:
            if term != PREDICTOR or "realised_slope_standardised" not in info:
                continue
            out[outcome] = {"target": float(info["realised_slope_standardised"]), "scale": "standardised",
                            "note": f"realised slope of the planted copula model (normal-score slope "
                                    f"{info.get('planted_slope_normal_scores')})"}
        else:
            coefs = info.get("coefficients", {})
            concept = term.removeprefix("ln_")
            if concept not in coefs:
                continue
            scale = "standardised" if info.get("standardised", False) else "raw"
            out[outcome] = {"target": float(coefs[concept]), "scale": scale, "note": info.get("source", "")}
    return out


def recovery_table(results: list[ModelResult], truth: dict[str, Any], term: str = PREDICTOR) -> pd.DataFrame:
    """Planted value, our estimate and 95 % CI on the same scale, and whether the CI covers it."""
    planted = planted_effects(truth, term)
    rows = []
    for res in results:
        target = planted.get(res.spec.outcome)
        if target is None:
            continue
        row = {"model": res.spec.name, "outcome": res.spec.outcome, "term": term,
               "planted": target["target"], "scale": target["scale"], "planted_note": target["note"]}
        table = None
        if res.fit is not None:
            table = res.standardised if target["scale"] == "standardised" else res.fit.coefs
        if table is None or term not in set(table["term"]):
            row.update(estimate=float("nan"), conf_low=float("nan"), conf_high=float("nan"), covered=False,
                       status=res.error or "not fitted")
        else:
            c = table.set_index("term").loc[term]
            row.update(estimate=float(c["estimate"]), conf_low=float(c["conf_low"]),
                       conf_high=float(c["conf_high"]),
                       covered=bool(c["conf_low"] <= target["target"] <= c["conf_high"]),
                       status=res.fit.status())
        rows.append(row)
    return pd.DataFrame(rows)
