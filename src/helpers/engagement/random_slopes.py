"""Forward selection of random slopes for post sentiment, as the study describes it.

Start from the random-intercept model; at each step try adding a random slope of the predictor
for each remaining grouping factor, keep the best candidate only if it improves the chosen
criterion (by default both AIC and BIC), and stop when nothing improves.  All comparisons use
maximum-likelihood fits; the likelihood-ratio test is reported next to AIC/BIC (its p value is
conservative because the slope variance sits on the boundary of its space under H0).

A slope for a grouping factor within which the predictor never varies (post sentiment within a
post, in Model 5) is not identifiable: it is listed as skipped, not tried.  Singular fits and
convergence warnings are shown in the table; by default a singular candidate is not accepted,
because its extra variance is estimated at zero (or a correlation at ±1).

On a large crawl the candidates are *screened on a subsample* (``screen_rows``): whole
creators are drawn at random, with all their posts and comments, until the subsample holds
``screen_rows`` rows, and the selection runs there.  Why: every candidate is an lme4 ML fit
with a random slope, which the blocked engine (:mod:`helpers.engagement.crossed_lmm`) cannot
fit, and lme4's cost grows with about the 1.7th power of Model 5's rows.  What it costs: a
subsample has less power, so a slope whose variance is small may be kept out that the full
data would let in; the table says when the decision was made on a subsample, and
``screen_rows=None`` selects on all rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from helpers.engagement.data import ModelFrame, ModelSpec
from helpers.engagement.lmer import LmerFit, fit_ml

CRITERIA = ("aic_bic", "aic", "bic", "lrt")
#: Rows above which the candidates are screened on a subsample of whole creators (about 1.6
#: times the study's 17,301 comments, the size at which lme4 fits Model 5 in seconds).
SCREEN_ROWS = 28_000


def screening_subsample(frame: ModelFrame, rows: int, seed: int = 0, unit: str = "creator_id") -> ModelFrame:
    """Whole ``unit`` levels drawn at random (all their rows) until at least ``rows`` rows are in.

    Whole creators keep what the slope candidates need: a creator's posts differ in
    sentiment, and an audience member's comments stay on the posts they were written on.
    """
    data = frame.data
    if unit not in data.columns:
        unit = frame.spec.groups[0]
    sizes = data.groupby(unit, observed=True).size()
    order = np.random.default_rng(seed).permutation(len(sizes))
    cumulative = np.cumsum(sizes.to_numpy()[order])
    take = sizes.index[order[: int(np.searchsorted(cumulative, rows)) + 1]]
    sub = data[data[unit].isin(set(take))].reset_index(drop=True)
    note = (f"{frame.spec.name}: random slopes screened on a subsample of {len(sub):,} of {len(data):,} rows "
            f"({len(take):,} of {len(sizes):,} {unit} levels, drawn at random with seed {seed}); the slopes "
            "chosen there are used for the fit on all rows")
    return replace(frame, data=sub, notes=[*frame.notes, note])

@dataclass
class SlopeSelection:
    """The comparison table and the structure it settles on."""

    spec: ModelSpec
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    fit: LmerFit | None = None  # the ML fit of the structure chosen (on the subsample when screened)


def varies_within(frame: ModelFrame, group: str, min_groups: int = 3) -> bool:
    """True when the predictor takes ≥ 2 values within at least ``min_groups`` levels of ``group``."""
    per_level = frame.data.groupby(group, observed=True)[frame.spec.predictor].nunique()
    return int((per_level > 1).sum()) >= min_groups


def _accepts(criterion: str, d_aic: float, d_bic: float, p: float, alpha: float) -> bool:
    if criterion == "aic_bic":
        return d_aic < 0 and d_bic < 0
    if criterion == "aic":
        return d_aic < 0
    if criterion == "bic":
        return d_bic < 0
    return p < alpha


def _row(step: int, added: str, spec: ModelSpec, fit: LmerFit, base: LmerFit | None) -> dict:
    row = {
        "model": spec.name, "step": step, "added_slope": added, "formula": spec.formula(),
        "n_params": fit.n_params, "logLik": fit.loglik, "AIC": fit.aic, "BIC": fit.bic,
        "dAIC": float("nan"), "dBIC": float("nan"), "LRT_chisq": float("nan"), "LRT_df": float("nan"),
        "LRT_p": float("nan"), "singular": fit.singular, "converged": fit.converged,
        "warnings": "; ".join(fit.messages), "accepted": False, "seconds": fit.seconds,
    }
    if base is not None:
        chisq = max(2 * (fit.loglik - base.loglik), 0.0)
        df = fit.n_params - base.n_params
        row.update(dAIC=fit.aic - base.aic, dBIC=fit.bic - base.bic, LRT_chisq=chisq, LRT_df=df,
                   LRT_p=float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"))
    return row


def select_random_slopes(
    frame: ModelFrame,
    candidates: Sequence[str] | None = None,
    *,
    criterion: str = "aic_bic",
    alpha: float = 0.05,
    reject_singular: bool = True,
    ml_control: str = "no_derivs",
    screen_rows: int | None = SCREEN_ROWS,
    seed: int = 0,
) -> SlopeSelection:
    """Forward-select random slopes of the predictor over ``candidates`` (default: all groups).

    With more than ``screen_rows`` rows the selection runs on :func:`screening_subsample`
    (``seed``) and says so in ``notes`` and in the table's ``screened_rows`` column.

    ``ml_control`` names the lme4 settings of every ML fit (see :data:`helpers.engagement.lmer.ML_CONTROLS`).
    The default, ``no_derivs``, skips lme4's numerical derivatives at each optimum: they change
    neither the estimates nor the likelihoods the selection compares, and on Model 5 (three
    crossed grouping factors) they were most of the selection's time in
    ``benchmarks/slope_selection_speed.py``.  What is lost is the derivative-based convergence
    warning of each candidate fit; the final REML fits (:func:`helpers.engagement.lmer.fit_lmer`)
    keep lme4's full checks.  ``ml_control="default"`` restores them for the selection too.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, not {criterion!r}")
    full_rows = len(frame.data)
    screened = screen_rows is not None and full_rows > int(screen_rows)
    if screened:
        frame = screening_subsample(frame, int(screen_rows), seed)
    spec = replace(frame.spec, slopes=())
    candidates = list(frame.spec.groups if candidates is None else candidates)
    unknown = [c for c in candidates if c not in spec.groups]
    if unknown:
        raise ValueError(f"{spec.name}: slope candidates {unknown} are not grouping factors {spec.groups}")
    notes: list[str] = [frame.notes[-1]] if screened else []
    rows: list[dict] = []
    for group in list(candidates):
        if not varies_within(frame, group):
            notes.append(f"{spec.name}: no random slope over {group}: {spec.predictor} (almost) never varies "
                         f"within a {group}, so the slope is not identifiable.")
            rows.append({"model": spec.name, "step": 0, "added_slope": group, "formula": "",
                         "accepted": False, "warnings": "skipped: not identifiable"})
            candidates.remove(group)

    current = fit_ml(replace(frame, spec=spec), control=ml_control)
    base_row = _row(0, "(random intercepts only)", spec, current, None)
    base_row["accepted"] = True
    rows.append(base_row)
    step = 0
    while candidates:
        step += 1
        tried = []
        for group in candidates:
            trial_spec = spec.with_slopes((*spec.slopes, group))
            try:
                fit = fit_ml(replace(frame, spec=trial_spec), control=ml_control)
            except Exception as exc:  # lme4 refuses the design: report and move on
                rows.append({"model": spec.name, "step": step, "added_slope": group,
                             "formula": trial_spec.formula(), "accepted": False,
                             "warnings": f"fit failed: {exc}"})
                continue
            row = _row(step, group, trial_spec, fit, current)
            ok = _accepts(criterion, row["dAIC"], row["dBIC"], row["LRT_p"], alpha)
            if ok and reject_singular and fit.singular:
                ok = False
                row["warnings"] = "; ".join(filter(None, [row["warnings"], "singular: not accepted"]))
            rows.append(row)
            if ok:
                tried.append((fit.aic, group, trial_spec, fit, len(rows) - 1))
        if not tried:
            break
        _, group, spec, current, index = min(tried, key=lambda t: t[0])
        rows[index]["accepted"] = True
        candidates.remove(group)
    table = pd.DataFrame(rows)
    table["screened_rows"] = len(frame.data) if screened else np.nan
    table["all_rows"] = full_rows
    return SlopeSelection(replace(frame.spec, slopes=spec.slopes), table, notes, current)


@dataclass
class ModelsSlopeSelection:
    """Slope selection over all of a chapter's models: the structures chosen and why."""

    specs: list[ModelSpec]
    table: pd.DataFrame  # every fit tried, all models stacked (empty when nothing was selected)
    notes: list[str] = field(default_factory=list)
    #: model name -> the ML fit of the structure chosen (warm starts for the final fits)
    fits: dict[str, LmerFit] = field(default_factory=dict)


def select_slopes_for_models(
    specs: Sequence[ModelSpec],
    posts: pd.DataFrame,
    comments: pd.DataFrame | None,
    *,
    select: bool = True,
    fixed_slopes: Sequence[str] = (),
    min_groups: int = 3,
    criterion: str = "aic_bic",
    alpha: float = 0.05,
    reject_singular: bool = True,
    ml_control: str = "no_derivs",
    screen_rows: int | None = SCREEN_ROWS,
    seed: int = 0,
) -> ModelsSlopeSelection:
    """Chapter 03's step: choose each model's random slopes, or apply ``fixed_slopes``.

    A model whose frame cannot be built, or whose selection lme4 refuses, keeps its random
    intercepts only, and the reason goes into ``notes``: one failing model must not stop the
    other four (a sweep over many seeds hits such designs now and then).  With ``select``
    false, the slopes in ``fixed_slopes`` that are grouping factors of a model are imposed
    (sweeps that must not depend on the selection).  ``ml_control``, ``screen_rows`` and ``seed``
    see :func:`select_random_slopes`.
    """
    from helpers.engagement.data import EngagementDataError, build_frame

    chosen: list[ModelSpec] = []
    tables: list[pd.DataFrame] = []
    notes: list[str] = []
    fits: dict[str, LmerFit] = {}
    for spec in specs:
        if not select:
            chosen.append(spec.with_slopes([g for g in fixed_slopes if g in spec.groups]))
            continue
        try:
            frame = build_frame(spec, posts, comments if spec.level == "comment" else None, min_groups=min_groups)
            selection = select_random_slopes(frame, criterion=criterion, alpha=alpha, reject_singular=reject_singular,
                                             ml_control=ml_control, screen_rows=screen_rows, seed=seed)
        except EngagementDataError as exc:
            notes.append(f"{spec.name}: slope selection skipped — {exc}")
            chosen.append(spec)
            continue
        except Exception as exc:  # an lme4 error on this model: report it, keep intercepts only
            notes.append(f"{spec.name}: slope selection failed — {exc}")
            chosen.append(spec)
            continue
        chosen.append(spec.with_slopes(selection.spec.slopes))
        tables.append(selection.table)
        notes.extend(selection.notes)
        if selection.fit is not None:
            fits[spec.name] = selection.fit
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return ModelsSlopeSelection(chosen, table, notes, fits)
