"""Naive and measurement-error-corrected sentiment coefficients of chapter 03's five models.

Chapter 03 fits Models 1–5 on *predicted* sentiment.  This module puts the sentiment slope of
each fitted model beside its two corrections (regression calibration and SIMEX, see
:mod:`helpers.engagement.measurement_error`), with bootstrap intervals that include the error of
the calibration itself, and writes one row per (model, method) that a sweep can collect.

Where the labelled pairs come from:

* ``estimated`` sentiment (chapter 02's scores): the held-out test split chapter 02 writes
  (:func:`~helpers.engagement.measurement_error.read_calibration_pairs`), the coders' score
  against the model's prediction;
* ``simulated`` sentiment (synthetic runs only, :func:`simulated_predictions`): the planted
  sentiment of every post and comment plus prediction error drawn from a *stated* error model
  (W = d·X + U, corr²(X, W) = R²), and an independent labelled sample drawn from the same error
  model.  It lets a sweep over seeds re-run the generator, the cleaning and chapter 03's own lme4
  fits without chapter 02's fine-tune (which is far too slow to repeat 20 times on a CPU); what
  it cannot show is whether a real sentiment model's errors follow that model;
* ``latent`` sentiment has no prediction error: nothing to correct (:func:`correction_status`).

Model 5 (comment sentiment on post sentiment) has a predicted *outcome* too: its slope is also
divided by the comment calibration slope d (:func:`helpers.engagement.measurement_error.simex`).
Only the sentiment coefficient is corrected; the covariates' coefficients are left as fitted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.engagement import measurement_error as me
from helpers.engagement.data import COMMENT_OUTCOME, PREDICTOR
from helpers.engagement.lmer import ModelResult
from helpers.engagement.recovery import _interval

#: Short keys of the methods in ``results/03_engagement_models.json`` and the sweep table.
METHOD_KEYS: dict[str, str] = {"naive": "naive", "regression calibration": "rc", "SIMEX": "simex"}
SOURCES = ("estimated", "simulated", "latent")


def correction_status(sentiment_source: str) -> str | None:
    """Why no correction applies for this sentiment source, or None when it does."""
    if sentiment_source == "latent":
        return ("the models use the planted (latent) sentiment, which carries no prediction error: "
                "there is nothing to correct")
    if sentiment_source not in SOURCES:
        raise me.MeasurementError(f"sentiment_source must be one of {SOURCES}, not {sentiment_source!r}")
    return None


def simulated_predictions(posts: pd.DataFrame, comments: pd.DataFrame | None, *, r2: float, slope: float,
                          n_pairs: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                                           pd.DataFrame]:
    """Planted sentiment replaced by predictions W = slope·X + U, and a labelled sample of pairs.

    ``posts`` / ``comments`` carry the planted sentiment in ``post_sentiment`` /
    ``comment_sentiment`` (as :func:`helpers.engagement.data.load_posts` returns it with
    ``sentiment="latent"``).  One error model serves posts and comments, as one sentiment model
    scores both: Var(U) = slope²·Var(X_posts)·(1 − R²)/R², so R² holds for the posts.  The
    labelled pairs (``score``, ``prediction``) draw ``n_pairs`` true scores from the analysed
    posts' planted scores with fresh, independent error: a labelled sample *like the analysed
    posts*, which regression calibration needs (E[X | W] depends on the spread of X; comments
    spread less than posts, so a sample of comments would over-correct the post slope).  The
    outcome of Model 5 needs only the slope d, which the error model shares.  Returns copies; the
    planted values are kept as ``true_post_sentiment`` / ``true_comment_sentiment``.
    """
    if not 0 < r2 < 1:
        raise me.MeasurementError(f"simulated R² must lie strictly between 0 and 1, got {r2}")
    if slope <= 0:
        raise me.MeasurementError(f"simulated calibration slope d must be positive, got {slope}")
    if n_pairs < 5:
        raise me.MeasurementError(f"a labelled sample needs at least 5 pairs, got {n_pairs}")
    values = pd.to_numeric(posts[PREDICTOR], errors="coerce").to_numpy(float)
    values = values[np.isfinite(values)]
    if len(values) < 3 or np.std(values) == 0:
        raise me.MeasurementError("the planted post sentiment is missing or constant: nothing to simulate from")
    error_sd = slope * float(np.std(values, ddof=1)) * np.sqrt((1 - r2) / r2)

    def predict(x: np.ndarray) -> np.ndarray:
        return slope * x + rng.normal(0.0, error_sd, size=len(x))

    posts_w = posts.copy()
    posts_w["true_post_sentiment"] = posts_w[PREDICTOR]
    posts_w[PREDICTOR] = predict(pd.to_numeric(posts_w[PREDICTOR], errors="coerce").to_numpy(float))
    comments_w = None
    if comments is not None:
        comments_w = comments.copy()
        comments_w["true_comment_sentiment"] = comments_w[COMMENT_OUTCOME]
        comments_w[COMMENT_OUTCOME] = predict(pd.to_numeric(comments_w[COMMENT_OUTCOME],
                                                            errors="coerce").to_numpy(float))
    x_cal = rng.choice(values, size=int(n_pairs), replace=True)
    pairs = pd.DataFrame({"score": x_cal, "prediction": predict(x_cal)})
    return posts_w, comments_w, pairs


def naive_fit(res: ModelResult) -> me.NaiveFit:
    """The fitted sentiment slope of one model, with the variances the corrections rescale by."""
    c = res.fit.coef(PREDICTOR)
    sx = res.frame.scales[PREDICTOR][1]
    sy = res.frame.scales[res.spec.response][1]
    return me.NaiveFit(float(c["estimate"]), float(c["std_error"]), float(c["df"]), sx ** 2, sy ** 2)


#: SIMEX refits per λ when the caller leaves it open: GLS refits share one factorisation and cost little,
#: so 50 keep the Monte-Carlo error of the mean slopes small; a full lme4 refit of Model 5 costs
#: seconds, so that route keeps the 5 it always had.
DEFAULT_REPS: dict[str, int] = {"gls": 50, "lme4": 5}


def correct_models(results: Sequence[ModelResult], calibration: me.Calibration, *,
                   planted: dict[str, float] | None = None, lambdas: Sequence[float] = me.DEFAULT_LAMBDAS,
                   n_rep: int | None = None, n_boot: int = 1000, seed: int = 0, refit: str = "gls",
                   curves: dict[str, tuple[me.SimexCurve, me.NaiveFit]] | None = None) -> pd.DataFrame:
    """Naive, regression-calibrated and SIMEX sentiment slopes of every fitted model.

    One row per (model, method): raw estimate and 95 % interval (per unit of the true sentiment,
    on the outcome's true scale), the standardised ones, and — when ``planted`` (outcome → the
    planted raw slope) is given — whether the interval covers it.  SIMEX refits the model's own
    formula with added error (``refit``: ``gls`` holds the variance components at the naive
    REML fit, :func:`helpers.engagement.measurement_error.gls_refit`; ``lme4`` refits them too;
    a model with random slopes on sentiment always takes lme4).  ``n_rep`` refits per λ (None:
    :data:`DEFAULT_REPS` of the route taken).  In Model 5 the noise is drawn per post, shared by
    its comments, and the comment outcome's calibration is the same as the predictor's (one
    sentiment model scores both).  A model that was not fitted gets one row saying why.  Pass a
    dict as ``curves`` to receive each model's SIMEX curve and naive fit (model name → both).
    """
    rows: list[dict[str, Any]] = []
    for i, res in enumerate(results):
        base = {"model": res.spec.name, "outcome": res.spec.outcome}
        if res.fit is None or res.frame is None:
            rows.append({**base, "method": "not fitted", "notes": res.error or "not fitted"})
            continue
        naive = naive_fit(res)
        comment_level = res.spec.level == "comment"
        out_cal = calibration if comment_level else None
        n_units, expand = (me.post_expander(res.frame.data["note_id"]) if comment_level
                           else (len(res.frame.data), None))
        rng = np.random.default_rng(seed + i)
        refitter, route = me.model_refit(res.frame, res.fit.variance_components, refit)
        reps = int(n_rep) if n_rep else DEFAULT_REPS["gls" if route == "gls" else "lme4"]
        curve = me.simex_curve(refitter, naive, n_units, calibration.error_var,
                               lambdas=lambdas, n_rep=reps, rng=rng, expand=expand)
        if curves is not None:
            curves[res.spec.name] = (curve, naive)
        simex_est = me.simex(curve, naive, calibration, outcome_calibration=out_cal, n_boot=n_boot, seed=seed + i)
        simex_est.notes.append(f"{reps} refits per λ ({route}); Monte-Carlo SE of the mean slopes ≤ "
                               f"{curve.max_mc_se():.2g}")
        estimates = [me.naive_interval(naive),
                     me.regression_calibration(naive, calibration, outcome_calibration=out_cal,
                                               n_boot=n_boot, seed=seed + i),
                     simex_est]
        for est in estimates:
            row = {**base, **est.row()}
            if planted is not None and res.spec.outcome in planted:
                target = planted[res.spec.outcome]
                row["planted"] = target
                row["covered"] = (bool(est.conf_low <= target <= est.conf_high)
                                  if np.isfinite(est.conf_low) and np.isfinite(est.conf_high) else None)
            rows.append(row)
    return pd.DataFrame(rows)


def simex_refits_table(curves: dict[str, tuple[me.SimexCurve, me.NaiveFit]]) -> pd.DataFrame:
    """Every SIMEX refit of every model, with the naive fit it started from (for chapter 06)."""
    frames = []
    for model, (curve, naive) in curves.items():
        frames.append(curve.estimates.assign(model=model, naive_estimate=naive.estimate,
                                             naive_std_error=naive.std_error, naive_df=naive.df,
                                             naive_w_var=naive.w_var, naive_y_var=naive.y_var))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def curves_from_table(table: pd.DataFrame) -> dict[str, tuple[me.SimexCurve, me.NaiveFit]]:
    """The inverse of :func:`simex_refits_table`: model name → (SIMEX curve, naive fit)."""
    out = {}
    for model, group in table.groupby("model", sort=False):
        first = group.iloc[0]
        naive = me.NaiveFit(float(first["naive_estimate"]), float(first["naive_std_error"]), float(first["naive_df"]),
                            float(first["naive_w_var"]), float(first["naive_y_var"]))
        estimates = group[["lambda", "rep", "estimate", "std_error", "added_variance"]].reset_index(drop=True)
        out[str(model)] = (me.SimexCurve.from_estimates(estimates, naive), naive)
    return out


LATENT_METHOD = "latent (planted sentiment)"


def latent_rows(latent_results: Sequence[ModelResult], planted: dict[str, float] | None) -> pd.DataFrame:
    """The sentiment slope of each model fitted on the planted sentiment, as rows of the table.

    Raw and standardised estimate with lme4's 95 % interval (no correction: the planted score
    has no prediction error), beside the planted slope.
    """
    rows = []
    for res in latent_results:
        if res.fit is None or res.standardised is None:
            continue
        s = res.standardised.set_index("term").loc[PREDICTOR]
        c = res.fit.coef(PREDICTOR)
        rows.append({"model": res.spec.name, "outcome": res.spec.outcome, "method": LATENT_METHOD,
                     "estimate": float(c["estimate"]), "conf_low": float(c["conf_low"]),
                     "conf_high": float(c["conf_high"]), "std_estimate": float(s["estimate"]),
                     "std_conf_low": float(s["conf_low"]), "std_conf_high": float(s["conf_high"]),
                     "planted": (planted or {}).get(res.spec.outcome, np.nan), "notes": ""})
    return pd.DataFrame(rows)


#: Files chapter 03 writes under ``models/`` for chapter 06 to reuse.
CHAPTER03_FILES = {"table": "measurement_error_corrections.csv", "refits": "simex_refits.csv",
                   "latent": "latent_post_sentiment.csv"}


def read_chapter03_corrections(run_dir: Any, calibration: me.Calibration, *, n_posts: int, n_comments: int
                               ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None, str]:
    """Chapter 03's naive and corrected slopes from a run folder, if they belong to this run.

    Returns (table, refits, latent rows, reason).  The table is None — and the reason says why —
    unless chapter 03 ran on chapter 02's estimated sentiment, with the same labelled pairs (same
    size and calibration, to 1e-9) and the same numbers of posts and comments as the data the
    caller loaded: a chapter 03 older than a re-run of chapter 01 or 02 is not reused.
    """
    from pathlib import Path

    root = Path(run_dir)
    path = root / "results" / "03_engagement_models.json"
    if not path.exists():
        return None, None, None, "chapter 03 has not been run in this folder"
    info = json.loads(path.read_text())
    if info.get("sentiment_source") != "estimated":
        return None, None, None, (f"chapter 03 used the {info.get('sentiment_source')!r} sentiment, not chapter "
                                  "02's estimated scores")
    cal = info.get("measurement_error_calibration") or {}
    ours = {"n_pairs": calibration.n, "rc_slope_b": calibration.rc_slope, "classical_slope_d": calibration.cl_slope,
            "error_variance": calibration.error_var}
    if not cal or any(cal.get(k) is None or abs(float(cal[k]) - float(v)) > 1e-9 for k, v in ours.items()):
        return None, None, None, "chapter 03's labelled pairs differ from this run's (chapter 02 re-run since?)"
    if int(info.get("n_posts", -1)) != int(n_posts) or int(info.get("n_comments", -1)) != int(n_comments):
        return None, None, None, ("chapter 03 analysed other data (chapter 01 re-run since?): "
                                  f"{info.get('n_posts')} posts and {info.get('n_comments')} comments there, "
                                  f"{n_posts} and {n_comments} here")
    files = {k: root / "models" / v for k, v in CHAPTER03_FILES.items()}
    if not files["table"].exists() or not files["refits"].exists():
        return None, None, None, "chapter 03's correction tables are missing (run chapter 03 again)"
    table = pd.read_csv(files["table"])
    latent = pd.read_csv(files["latent"]) if files["latent"].exists() else None
    return table, pd.read_csv(files["refits"]), latent, f"chapter 03's results ({path.name})"


def planted_slopes(truth: dict[str, Any] | None) -> dict[str, float] | None:
    """outcome → the planted raw post-sentiment slope (``raw/truth.json``), None for real data.

    Only slopes planted on the raw scale the models are fitted on are returned.
    """
    if truth is None:
        return None
    out = {}
    for outcome, info in (truth.get("engagement") or {}).items():
        coefs = info.get("coefficients") or {}
        scale = (info.get("term_scales") or {}).get(PREDICTOR, info.get("scale"))
        if PREDICTOR in coefs and scale == "raw":
            out[outcome] = float(coefs[PREDICTOR])
    return out


def correction_results(table: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """outcome → method key → {estimate, conf_low, conf_high[, planted, covered]} for the JSON."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in table.to_dict("records"):
        key = METHOD_KEYS.get(row.get("method"))
        if key is None:
            continue
        entry = {k: (None if pd.isna(row.get(k)) else float(row[k])) for k in ("estimate", "conf_low", "conf_high")}
        if "planted" in row and pd.notna(row.get("planted")):
            entry["planted"] = float(row["planted"])
            entry["covered"] = None if row.get("covered") is None or pd.isna(row.get("covered")) else bool(row["covered"])
        out.setdefault(row["outcome"], {})[key] = entry
    return out


def correction_coverage_from_sweep(results: pd.DataFrame, step: str = "03_engagement_models",
                                   prefix: str = "measurement_error.") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Coverage of the planted sentiment slope by naive, RC and SIMEX intervals over a sweep's runs.

    ``results`` is a sweep's ``results.csv``: each run's ``measurement_error.<outcome>.<method>.*``
    rows.  Returns one row per (outcome, method) — runs, covered, rate, Clopper–Pearson 95 %
    interval, mean estimate, planted value, median interval width — and a per-method summary
    over all outcomes.
    """
    columns = ["outcome", "method", "runs", "covered", "rate", "low", "high", "planted", "mean_estimate",
               "median_width"]
    metric = results["metric"].astype(str) if "metric" in results else pd.Series(dtype=str)
    sel = results.loc[(results.get("step") == step) & metric.str.startswith(prefix)].copy() if len(results) else results
    if sel.empty:
        return pd.DataFrame(columns=columns), {"runs": 0}
    parts = sel["metric"].str.removeprefix(prefix).str.split(".", n=2, expand=True)
    sel = sel.assign(outcome=parts[0], method=parts[1], field=parts[2])
    wide = sel.pivot_table(index=["run", "outcome", "method"], columns="field", values="value", aggfunc="first")
    flags = sel.loc[sel["field"] == "covered"].set_index(["run", "outcome", "method"])["value_text"]
    wide["covered_flag"] = flags.astype(str).str.lower().map({"true": True, "false": False})
    wide = wide.reset_index()
    rows = []
    outcome_order = {o: i for i, o in enumerate(["likes", "favorites", "shares", "comments", COMMENT_OUTCOME])}
    method_order = {m: i for i, m in enumerate(METHOD_KEYS.values())}
    for (outcome, method), grp in wide.groupby(["outcome", "method"], sort=False):
        known = grp["covered_flag"].dropna()
        n, k = len(known), int(known.sum())
        lo, hi = _interval(k, n)
        width = (grp["conf_high"] - grp["conf_low"]) if {"conf_high", "conf_low"} <= set(grp) else pd.Series(dtype=float)
        rows.append({"outcome": outcome, "method": method, "runs": n, "covered": k, "rate": k / n if n else np.nan,
                     "low": lo, "high": hi, "planted": grp["planted"].mean() if "planted" in grp else np.nan,
                     "mean_estimate": grp["estimate"].mean() if "estimate" in grp else np.nan,
                     "median_width": width.median()})
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values(["outcome", "method"], key=lambda s: s.map(outcome_order if s.name == "outcome"
                                                                          else method_order)).reset_index(drop=True)
    summary: dict[str, Any] = {"runs": int(sel["run"].nunique()),
                               "seeds": sorted(int(s) for s in sel["seed"].dropna().unique()) if "seed" in sel else [],
                               "scales": sorted(float(s) for s in sel["scale"].dropna().unique()) if "scale" in sel else [],
                               "methods": {}}
    for method, grp in table.groupby("method", sort=False):
        n, k = int(grp["runs"].sum()), int(grp["covered"].sum())
        lo, hi = _interval(k, n)
        summary["methods"][method] = {"compared": n, "covered": k, "rate": k / n if n else None, "low": lo, "high": hi}
    return table, summary


#: Marker colours of the correction methods in :func:`correction_figure` (others: green).
METHOD_COLOURS = {"naive": "#9e9e9e", "regression calibration": "#1f77b4", "SIMEX": "#ff7f0e",
                  "latent (planted sentiment)": "#2ca02c"}


def correction_figure(table: pd.DataFrame, *, title: str, height: int = 440) -> Any:
    """Forest plot of the sentiment slope per model: one marker and 95 % interval per method.

    ``table`` has the columns of :func:`correct_models` (``model``, ``outcome``, ``method``,
    ``estimate``, ``conf_low``, ``conf_high``, optionally ``planted``); rows without an estimate
    are left out, and the planted slope (synthetic runs) is drawn as an open diamond.
    """
    import plotly.graph_objects as go

    shown = table.dropna(subset=["estimate"])

    def rows(frame: pd.DataFrame) -> list[str]:
        return [f"{m} ({o})" for m, o in zip(frame["model"], frame["outcome"], strict=True)]

    fig = go.Figure()
    for k, (method, group) in enumerate(shown.groupby("method", sort=False)):
        fig.add_trace(go.Scatter(
            x=group["estimate"], y=rows(group), mode="markers", name=method,
            marker={"size": 9, "color": METHOD_COLOURS.get(method, "#2ca02c")},
            error_x={"type": "data", "symmetric": False, "array": group["conf_high"] - group["estimate"],
                     "arrayminus": group["estimate"] - group["conf_low"]},
            offsetgroup=str(k)))
    if "planted" in shown:
        p = shown.drop_duplicates("model")
        fig.add_trace(go.Scatter(x=p["planted"], y=rows(p), mode="markers", name="planted",
                                 marker={"symbol": "diamond-open", "size": 14, "color": "black"}))
    fig.add_vline(x=0, line_color="lightgrey")
    fig.update_layout(title=title, xaxis_title="slope per unit of sentiment", height=height, width=860,
                      scattermode="group")
    return fig
