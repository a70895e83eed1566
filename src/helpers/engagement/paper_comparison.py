"""Our engagement estimates next to the study's reported values: table and forest plot.

The study reports "β" without saying whether it is a raw coefficient on ln(Y+1) or a
standardised one, so both of ours are compared; :func:`closest_scaling` says which one lands
nearer the reported numbers.  Rows the study gives only qualitatively (direction and
significance) are compared on those; numbers it does not give stay "not reported".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.engagement.lmer import ModelResult
from helpers.study.du_gu import NOT_REPORTED, reported_table

SCALINGS = ("raw", "standardised")


def _our_row(result: ModelResult, concept: str, scaling: str) -> pd.Series | None:
    if result.fit is None:
        return None
    table = result.fit.coefs if scaling == "raw" else result.standardised
    if table is None:
        return None
    match = table.loc[table["term"].str.removeprefix("ln_") == concept]
    return None if match.empty else match.iloc[0]


def _direction(estimate: float, p: float, alpha: float) -> str:
    if p >= alpha:
        return "none"
    return "negative" if estimate < 0 else "positive"


def comparison_table(results: list[ModelResult], alpha: float = 0.05) -> pd.DataFrame:
    """One row per reported coefficient: the paper's value, ours (raw and standardised), the
    difference, whether our 95 % CI covers the paper's β, and whether direction/significance agree."""
    by_outcome = {r.spec.outcome: r for r in results}
    rows = []
    for rep in reported_table().itertuples(index=False):
        row: dict = {"model": rep.model, "outcome": rep.outcome, "term": rep.term,
                     "paper_beta": rep.beta if rep.beta is not None and not pd.isna(rep.beta) else np.nan,
                     "paper_direction": rep.direction or NOT_REPORTED, "paper_source": rep.where}
        result = by_outcome.get(rep.outcome)
        for scaling in SCALINGS:
            ours = _our_row(result, rep.term, scaling) if result is not None else None
            key = "std" if scaling == "standardised" else "raw"
            if ours is None:
                row.update({f"ours_{key}": np.nan, f"ci_low_{key}": np.nan, f"ci_high_{key}": np.nan,
                            f"diff_{key}": np.nan, f"ci_covers_{key}": None})
                continue
            row.update({f"ours_{key}": ours["estimate"], f"ci_low_{key}": ours["conf_low"],
                        f"ci_high_{key}": ours["conf_high"]})
            if np.isfinite(row["paper_beta"]):
                row[f"diff_{key}"] = ours["estimate"] - row["paper_beta"]
                row[f"ci_covers_{key}"] = bool(ours["conf_low"] <= row["paper_beta"] <= ours["conf_high"])
            else:
                row[f"diff_{key}"] = np.nan
                row[f"ci_covers_{key}"] = None
            if scaling == "raw":
                row["our_p"] = ours["p_value"]
                row["our_direction"] = _direction(ours["estimate"], ours["p_value"], alpha)
        if "our_direction" in row and rep.direction:
            row["direction_agrees"] = row["our_direction"] == rep.direction
        else:
            row["direction_agrees"] = None
        rows.append(row)
    return pd.DataFrame(rows)


def closest_scaling(table: pd.DataFrame) -> dict[str, float | str]:
    """Mean |ours − paper| over the numerically reported rows, per scaling, and the closer one."""
    numeric = table.loc[np.isfinite(table["paper_beta"])]
    errors = {s: float(numeric[f"diff_{'std' if s == 'standardised' else 'raw'}"].abs().mean())
              for s in SCALINGS}
    finite = {k: v for k, v in errors.items() if np.isfinite(v)}
    best = min(finite, key=finite.get) if finite else NOT_REPORTED
    return {"closest": best, **{f"mean_abs_diff_{k}": v for k, v in errors.items()}}


def display_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Human-readable version: rounded, with "not reported" in place of missing paper values."""
    out = pd.DataFrame({
        "model": table["model"], "outcome": table["outcome"], "term": table["term"],
        "paper β": table["paper_beta"].map(lambda v: NOT_REPORTED if pd.isna(v) else f"{v:.2f}"),
        "paper direction": table["paper_direction"],
    })
    for key, label in (("raw", "raw"), ("std", "std.")):
        out[f"ours ({label})"] = [
            "—" if pd.isna(e) else f"{e:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
            for e, lo, hi in zip(table[f"ours_{key}"], table[f"ci_low_{key}"], table[f"ci_high_{key}"], strict=True)]
        out[f"diff ({label})"] = table[f"diff_{key}"].map(lambda v: "—" if pd.isna(v) else f"{v:+.{digits}f}")
        out[f"CI covers ({label})"] = table[f"ci_covers_{key}"].map(
            lambda v: "—" if v is None or (isinstance(v, float) and np.isnan(v)) else ("yes" if v else "no"))
    out["our direction"] = table.get("our_direction", pd.Series(["—"] * len(table))).fillna("—")
    out["direction agrees"] = table["direction_agrees"].map(
        lambda v: "—" if v is None or (isinstance(v, float) and np.isnan(v)) else ("yes" if v else "no"))
    return out


def forest_figure(results: list[ModelResult], table: pd.DataFrame | None = None):
    """Plotly forest plot: our estimates with 95 % CIs (raw and standardised panels) and the
    study's reported β as diamonds where it gives one."""
    from plotly.subplots import make_subplots

    table = comparison_table(results) if table is None else table
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True,
                        subplot_titles=("raw coefficients", "standardised β"))
    for col, scaling in enumerate(SCALINGS, start=1):
        labels, est, lo, hi = [], [], [], []
        for res in results:
            if res.fit is None:
                continue
            coefs = res.fit.coefs if scaling == "raw" else res.standardised
            if coefs is None:
                continue
            for row in coefs.loc[coefs["term"] != "(Intercept)"].itertuples(index=False):
                labels.append(f"{res.spec.name} · {res.spec.outcome} · {row.term.removeprefix('ln_')}")
                est.append(row.estimate)
                lo.append(row.estimate - row.conf_low)
                hi.append(row.conf_high - row.estimate)
        fig.add_scatter(x=est, y=labels, mode="markers", marker={"color": "#1f77b4", "size": 7},
                        error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
                        name="ours (95 % CI)", showlegend=col == 1, row=1, col=col)
        paper = table.loc[np.isfinite(table["paper_beta"])]
        fig.add_scatter(
            x=paper["paper_beta"],
            y=[f"{m} · {o} · {t}" for m, o, t in zip(paper["model"], paper["outcome"], paper["term"], strict=True)],
            mode="markers", marker={"symbol": "diamond", "color": "#d62728", "size": 10},
            name="study (reported β)", showlegend=col == 1, row=1, col=col)
        fig.add_vline(x=0, line_dash="dot", line_color="grey", row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(400, 24 * len(fig.data[0].y) + 120), title="Our estimates vs the study",
                      legend={"orientation": "h", "y": -0.08}, margin={"l": 260})
    return fig
