"""Our engagement estimates beside the study's 20 reported coefficients: table, verdicts, forest plot.

The Results text gives β, SE, t and p for post sentiment and the three covariates in all five
models (:data:`helpers.study.du_gu.COEFFICIENTS`).  They are compared on one scale only, the
one declared in :data:`helpers.study.du_gu.COEFFICIENT_SCALE` (raw coefficients: the reasoning
from the paper's SE pattern is :func:`helpers.study.du_gu.coefficient_scale_reasoning`).  The
scale is never chosen per outcome, or at all, by closeness to the paper's numbers.

Verdicts say what a comparison can show:

* on a synthetic run (a ``truth.json`` is present) the generator planted the study's values,
  so agreement only shows that the pipeline recovers what was put in: "recovered the planted
  value (the generator planted the study's value)";
* only on a real export does a verdict compare with the study: "consistent with the study"
  when our 95 % CI covers the paper's β, "differs from the study" when it does not;
* without a CI (model not fitted, term dropped) or when a term was fitted on another scale
  than the study's (a sweep over transforms), the verdict is "cannot tell".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.engagement.data import PREDICTOR, ModelSpec
from helpers.engagement.lmer import ModelResult
from helpers.study import du_gu

RECOVERED = "recovered the planted value (the generator planted the study's value)"
NOT_RECOVERED = "did not recover the planted value (the generator planted the study's value)"
CONSISTENT = "consistent with the study"
DIFFERS = "differs from the study"
CANNOT_TELL = "cannot tell"


def term_scale(spec: ModelSpec, term: str) -> str:
    """How ``term`` entered this fit: 'raw' (sentiment), 'ln1p', 'none' or 'none/<unit>'."""
    if term == PREDICTOR:
        return "raw"
    if spec.transform_of(term) == "ln1p":
        return "ln1p"
    unit = spec.unit_of(term)
    return f"none/{unit:g}" if unit != 1 else "none"


def declared_term_scale(term: str) -> str:
    """The scale the paper's β is read on (:data:`helpers.study.du_gu.COEFFICIENT_SCALE`)."""
    if term == PREDICTOR:
        return "raw"
    if du_gu.TRANSFORMS[term] == "ln1p":
        return "ln1p"
    return f"none/{du_gu.POST_LENGTH_UNIT:g}" if term == "post_length" else "none"


def verdict(covers: bool | None, synthetic: bool, same_scale: bool = True) -> str:
    """The verdict wording for one comparison (see the module docstring)."""
    if covers is None or not same_scale:
        return CANNOT_TELL
    if synthetic:
        return RECOVERED if covers else NOT_RECOVERED
    return CONSISTENT if covers else DIFFERS


def _ours(result: ModelResult | None, term: str) -> pd.Series | None:
    if result is None or result.fit is None:
        return None
    column = result.spec.covariate_term(term) if term != PREDICTOR else PREDICTOR
    match = result.fit.coefs.loc[result.fit.coefs["term"] == column]
    return None if match.empty else match.iloc[0]


def comparison_table(results: list[ModelResult], synthetic: bool, alpha: float = 0.05) -> pd.DataFrame:
    """All 20 reported rows: the paper's β, SE, t, p beside ours (raw scale), with verdicts."""
    by_outcome = {r.spec.outcome: r for r in results}
    rows = []
    for rep in du_gu.COEFFICIENTS:
        result = by_outcome.get(rep.outcome)
        ours = _ours(result, rep.term)
        fitted_scale = term_scale(result.spec, rep.term) if result is not None else None
        same_scale = fitted_scale == declared_term_scale(rep.term)
        row = {
            "model": rep.model, "outcome": rep.outcome, "term": rep.term,
            "paper_beta": rep.beta, "paper_se": rep.se, "paper_t": rep.t, "paper_p": rep.p,
            "paper_p_text": rep.p_text(), "paper_significant": rep.significant, "paper_where": rep.where,
            "declared_scale": declared_term_scale(rep.term), "fitted_scale": fitted_scale,
        }
        if ours is None:
            row.update(ours_beta=np.nan, ours_se=np.nan, ours_t=np.nan, ours_p=np.nan, ci_low=np.nan,
                       ci_high=np.nan, ci_covers_paper=None, significance_agrees=None,
                       status=(result.error if result is not None and result.error else "not fitted / term dropped"))
        else:
            covers = bool(ours["conf_low"] <= rep.beta <= ours["conf_high"])
            row.update(ours_beta=float(ours["estimate"]), ours_se=float(ours["std_error"]),
                       ours_t=float(ours["t_stat"]), ours_p=float(ours["p_value"]),
                       ci_low=float(ours["conf_low"]), ci_high=float(ours["conf_high"]),
                       ci_covers_paper=covers if same_scale else None,
                       significance_agrees=(bool((ours["p_value"] < alpha) == rep.significant)
                                            if same_scale else None),
                       status=result.fit.status())
        row["verdict"] = verdict(row["ci_covers_paper"], synthetic, same_scale)
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many of the 20 rows got each verdict."""
    return {k: int(v) for k, v in table["verdict"].value_counts().items()}


def display_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Human-readable version: the paper's four numbers, ours, the CI and the verdict."""
    def num(v: float, d: int = digits) -> str:
        return "—" if pd.isna(v) else f"{v:.{d}f}"

    return pd.DataFrame({
        "model": table["model"], "outcome": table["outcome"],
        "term": table["term"].map(du_gu.TERMS),
        "paper β": table["paper_beta"].map(lambda v: f"{v:.2f}"),
        "paper SE": table["paper_se"].map(lambda v: f"{v:.2f}"),
        "paper t": table["paper_t"].map(lambda v: f"{v:.2f}"),
        "paper p": table["paper_p_text"],
        "our β": table["ours_beta"].map(num), "our SE": table["ours_se"].map(num),
        "our t": table["ours_t"].map(lambda v: num(v, 2)), "our p": table["ours_p"].map(lambda v: num(v, 4)),
        "our 95 % CI": [("—" if pd.isna(lo) else f"[{lo:.{digits}f}, {hi:.{digits}f}]")
                        for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
        "scale": table["fitted_scale"].fillna("—"),
        "verdict": table["verdict"],
    })


def forest_figure(table: pd.DataFrame):
    """Plotly forest plot on the declared scale: our 95 % CIs, the paper's β as diamonds."""
    import plotly.graph_objects as go

    shown = table.loc[table["ours_beta"].notna()]
    labels = [f"{m} · {o} · {du_gu.TERMS[t]}" for m, o, t in zip(table["model"], table["outcome"], table["term"],
                                                                  strict=True)]
    shown_labels = [labels[i] for i in shown.index]
    fig = go.Figure()
    fig.add_scatter(x=shown["ours_beta"], y=shown_labels, mode="markers", marker={"color": "#1f77b4", "size": 7},
                    error_x={"type": "data", "symmetric": False, "array": shown["ci_high"] - shown["ours_beta"],
                             "arrayminus": shown["ours_beta"] - shown["ci_low"]},
                    name="ours (95 % CI)")
    fig.add_scatter(x=table["paper_beta"], y=labels, mode="markers",
                    marker={"symbol": "diamond", "color": "#d62728", "size": 10}, name="study (reported β)")
    fig.add_vline(x=0, line_dash="dot", line_color="grey")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(420, 26 * len(labels) + 120),
                      title=f"Our estimates vs the study's 20 coefficients ({du_gu.COEFFICIENT_SCALE} scale)",
                      legend={"orientation": "h", "y": -0.08}, margin={"l": 300})
    return fig
