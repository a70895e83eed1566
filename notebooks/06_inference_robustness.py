# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Inference a researcher can trust: measurement error, power, and the multiverse
#
# Chapter 03 answers the study's question with one set of choices and one predictor that is
# itself an estimate. This chapter asks three questions the study left open:
#
# 1. **Measurement error.** The predictor "post sentiment" is the output of chapter 02's
#    model, not the coders' score. Its error pulls the sentiment coefficient towards zero.
#    The labelled test split of chapter 02 holds the true and the predicted scores side by
#    side, so the error can be measured and corrected: with **regression calibration** and
#    with **SIMEX**. Both come with bootstrap intervals that include the sentiment model's own
#    error, and both are checked for coverage against simulated truth over many seeds.
# 2. **Power.** How likely was a study of 535 posts and 17,301 comments to detect effects of
#    the planted size, and how many posts would a new crawl need? The answer comes from
#    simulation: power for every effect of Models 1–5, against the number of posts, the
#    comments per post and the sentiment model's R².
# 3. **A specification curve** (Simonsohn, Simmons & Nelson 2020). It fits the post-sentiment
#    effect on each outcome under every reasonable combination of the analytic choices the
#    study made or left open, and reports the share that agree with the published sign and
#    significance.
#
# On the embedded corpus every number comes from synthetic data. A synthetic check shows
# whether the methods recover what was planted under the stated error model. It cannot show
# that the real sentiment model's errors behave the same way, or that the planted effects are
# the real ones.

# %% tags=["remove-cell"]
# On Google Colab only: fetch the project and install it (R's lme4 stack included) with
# helpers.book.colab.setup_colab. Elsewhere this cell does nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    REPO = "/content/xhs-depression-book"
    subprocess.run(f"test -d {REPO} || git clone -q https://github.com/xhs-depression-book/xhs-depression-book {REPO}",
                   shell=True, check=True)
    sys.path.insert(0, f"{REPO}/src")
    from helpers.book.colab import setup_colab

    setup_colab(REPO)

# %% tags=["parameters"]
run_dir = "_build/run"
scale = 1.0
seed = 20241111
sections = "measurement,power,curve"  # which parts to run; a sweep can run one of them
alpha = 0.05
min_groups = 5
# measurement error
n_boot = 2000  # bootstrap draws of each corrected interval (with measurement_source refit)
simex_lambdas = "0.5,1,1.5,2"  # multiples of the measured error variance added by SIMEX
simex_reps = 0  # refits per lambda with measurement_source refit (0: 50 with the GLS refit, 5 with lme4 refits)
simex_refit = "gls"  # gls: variance components held at the naive REML fit; lme4: full REML refits
measurement_source = "auto"  # auto: chapter 03's corrections of this run folder when they match it, else refit; chapter03; refit
coverage_seeds = 20  # simulated data sets for the coverage check (at least 20)
coverage_calibration_n = 0  # labelled pairs per simulated calibration set (0: as many as the test split of this run)
# power
power_posts = "auto"  # comma list of numbers of posts, or auto (scaled to the run)
power_comments_per_post = "auto"  # comma list, or auto (about 32 as in the study, and 10)
power_r2 = "auto"  # comma list of sentiment-model R², or auto (the R² of this run, 0.4, 0.7, 0.95)
power_sims = 0  # simulated data sets per design (0: 10 below scale 0.5, else 50)
power_engine = "ols_cluster"  # ols_cluster (fast), mixedlm (Models 1-4), lme4 (slow, exact)
power_executor = "local"  # local or dask
power_workers = 1  # Dask workers (with the dask executor)
power_sweep = ""  # folder of a finished power sweep (e.g. _build/sweeps/power) to plot instead
# specification curve
curve_outcomes = "likes,favorites,shares,comments,comment_sentiment"
curve_sources = "estimated,corrected,latent"  # latent only on synthetic runs
curve_codings = "continuous,study_bands,terciles,median_split"
curve_outcome_transforms = "ln1p,none"
curve_covariate_transforms = "ln1p,study,none"
curve_slopes = "none,all"
curve_min_post_lengths = "100,150,200"
curve_min_comment_lengths = "30,50"
curve_families = "lmm,nb_mixed,nb_fixed"
curve_max_specs = 0  # per outcome, sampled at random, the specification of the study always kept (0: 8 below scale 0.5, else 4 per post-level model and the study's own for Model 5; 40: the former full-scale curve; -1: all)
curve_sweep = ""  # folder of a finished specification-curve sweep to add its runs
curve_map_counting = "full,fractional"  # co-occurrence counting of the maps
curve_map_top_n = "50,100,150"  # terms per map
curve_map_min_occurrences = "2,3,5"
curve_map_categories = "study_bands,terciles"  # how posts are split into negative and positive

# %% tags=["remove-cell"]
# Opened on its own on Colab, a chapter first runs the earlier chapters it reads from.
from helpers.book.colab import prepare_chapter

prepare_chapter("06_inference_robustness", run_dir, scale=scale, seed=seed)

# %% tags=["remove-cell"]
# Opened on its own on Colab, the chapter first runs chapters 01 and 02, which it reads from.
from helpers.book.colab import missing_upstream, on_colab

if on_colab():
    from helpers.book.runner import run_notebooks

    todo = [s for s in missing_upstream("06_inference_robustness", run_dir) if s[:2] in ("01", "02")]
    if todo:
        run_notebooks(run_dir, steps=todo, scale=scale, seed=seed)

# %%
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from helpers.book.figures import use_notebook_renderer
from helpers.book.results_schema import InferenceResults
from helpers.book.run_folder import RunLayout
from helpers.engagement import measurement_error as me
from helpers.engagement import power as pw
from helpers.engagement import specification_curve as sc
from helpers.engagement.corrections import (
    CHAPTER03_FILES,
    correct_models,
    correction_figure,
    curves_from_table,
    latent_rows,
    planted_slopes,
    read_chapter03_corrections,
)
from helpers.engagement.data import load_comments, load_posts, study_model_specs
from helpers.engagement.lmer import fit_models, require_r
from helpers.engagement.recovery import read_truth
from helpers.study.du_gu import STUDY_SIZE

use_notebook_renderer()
pd.set_option("display.precision", 3)
pd.set_option("display.max_colwidth", 80)
layout = RunLayout.at(run_dir)
chapter_started = time.perf_counter()


def as_list(text, cast=str):
    return [cast(x.strip()) for x in str(text).split(",") if x.strip()]


parts = set(as_list(sections))
unknown = parts - {"measurement", "power", "curve"}
if unknown:
    raise ValueError(f"sections: unknown part(s) {sorted(unknown)}; use measurement, power, curve")
truth = read_truth(layout.root)
synthetic = truth is not None
results = {"scale": scale, "seed": seed, "synthetic": synthetic, "sections": sorted(parts)}
have_scores = (layout.root / "sentiment" / "posts_scored.parquet").exists()
calibration = None
if have_scores:
    pairs = me.read_calibration_pairs(layout.root)
    calibration = me.Calibration.fit(pairs["score"], pairs["prediction"])


def effects_for_run():
    """The planted effects of the power and coverage simulations, standardised with this run's SDs.

    Synthetic runs: the truth file's raw coefficients, converted with the SDs of the planted
    sentiment and the covariates in the cleaned data. Real runs: the study's raw coefficients,
    converted with the SDs of the user's own data (the sentiment SD corrected for prediction
    error where a calibration exists).
    """
    if synthetic:
        sds = pw.sds_of_data(load_posts(layout.root, sentiment="latent"), load_comments(layout.root, sentiment="latent"))
        return pw.PlantedEffects.from_truth(truth, sds)
    if not have_scores:
        return pw.PlantedEffects.from_study()
    est_posts = load_posts(layout.root, sentiment="estimated")
    sds = pw.sds_of_data(est_posts, load_comments(layout.root, sentiment="estimated"))
    if calibration is not None:
        latent_var = calibration.latent_variance(float(est_posts["post_sentiment"].var()))
        for entry in sds.values():
            if latent_var > 0 and "post_sentiment" in entry:
                entry["post_sentiment"] = float(np.sqrt(latent_var))
    return pw.PlantedEffects.from_study(sds)


def sweep_source(folder, label):
    """One sentence naming the sweep a figure came from: spec file, scale, seeds, runs, date."""
    from helpers.book.sweep import read_provenance

    info = read_provenance(folder)
    if not info:
        return f"{label} read from the sweep folder `{Path(folder).name}` (no `sweep.json`: spec and date unknown)."
    return (f"{label} read from the sweep `{info.get('spec') or info.get('name')}` ({info['ok']} of {info['runs']} "
            f"runs finished; scale {', '.join(f'{x:g}' for x in info['scales'])}; seeds "
            f"{', '.join(str(x) for x in info['seeds'])}; swept {info['started']} to {info['finished']} on "
            f"{info['machine']}).")


display(Markdown(
    f"**Run folder:** {'synthetic corpus (planted truth available)' if synthetic else 'real data (no planted truth)'}; "
    + (f"sentiment scores of chapter 02 with a labelled test split of {calibration.n} texts."
       if calibration else "no sentiment scores (chapter 02 not run): only the latent sentiment can be used.")
))

# %% [markdown]
# ## 1. Measurement error in the sentiment predictor
#
# ### The measurement model
#
# Two regressions on the labelled test split describe the error. E[X | W] = a + bW is
# regression calibration's map from a prediction to the expected true score. W = c + dX + U is
# the classical form SIMEX needs: d < 1 means the model compresses the scale, and σ²_U is the
# variance of the error that remains. On a synthetic run the same two regressions can also be
# fitted on *all* analysed posts against their planted sentiment. That shows whether the small
# test split describes the error the posts actually carry.

# %%
do_measurement = "measurement" in parts and calibration is not None
if "measurement" in parts and calibration is None:
    display(Markdown("Chapter 02 has not been run in this folder, so there is no test split: section skipped."))
if do_measurement:
    rows = {"test split (posts and comments)": calibration.summary()}
    posts_est = load_posts(layout.root, sentiment="estimated")
    if synthetic:
        latent = pd.read_parquet(layout.root / "raw" / "truth_posts.parquet", columns=["note_id", "latent_sentiment"])
        both = posts_est.merge(latent, on="note_id")
        rows["analysed posts vs planted sentiment"] = me.Calibration.fit(
            both["latent_sentiment"], both["post_sentiment"]).summary()
    display(pd.DataFrame(rows).T)

# %% [markdown]
# ### Naive and corrected estimates
#
# Chapter 03 already fits Models 1–5 on chapter 02's scores and corrects their sentiment slope
# with the same labelled pairs and the same code (`helpers.engagement.corrections`). By default
# (`measurement_source = "auto"`) this chapter reads those results from the run folder instead
# of fitting the same models again. It does so only when chapter 03 ran on the estimated
# sentiment, with this run's labelled pairs and the same numbers of posts and comments; otherwise
# it refits here, and the line under the table says which happened. Chapter 03's models carry the
# random slopes its selection kept (listed under the table), and its bootstrap uses its own
# `n_boot`. With `measurement_source = "refit"` this chapter fits Models 1–5 itself with lme4,
# random intercepts only, so that the corrections apply to one fixed structure, with this
# chapter's `n_boot` and `simex_reps`. Either way the sentiment coefficient is then
#
# * **naive**: as fitted on the predicted sentiment;
# * **regression calibration**: the naive slope divided by b. Refitting on a + bW gives exactly
#   this, because an affine map of one predictor changes only its own coefficient. In Model 5
#   the outcome is a prediction too, so the slope is also divided by the comment scale's d;
# * **SIMEX**: refits with extra noise of variance λσ²_U for each λ, repeated with fresh
#   noise. The curve of mean slopes is extrapolated back to λ = −1 with the rational form
#   b / (c + v), which is exact for a linear model with classical error. In Model 5 the noise
#   is added per post, shared by all of that post's comments. By default a refit keeps the naive
#   fit's variance components and re-estimates the fixed effects by GLS (chapter 03 explains
#   this and compares it with full lme4 refits); `simex_refit = "lme4"` refits everything.
#
# Both intervals are bootstrap percentiles. Each draw re-estimates the calibration on a
# resample of the test split and combines it with a draw of the naive slope from its sampling
# distribution. The raw slopes are per unit of the true sentiment, the scale the generator
# plants on and the one compared with the planted value; standardised β (using the latent SDs
# the measurement model implies) are listed too. On a synthetic run, the same models fitted on
# the *planted* sentiment, and the planted effects themselves, are shown beside them. Chapter 03
# also shows the coverage of these intervals over 20 seeds of the whole pipeline.

# %%
correction_table = pd.DataFrame()
simex_curves = {}
measurement_from = ""
if do_measurement:
    if measurement_source not in ("auto", "chapter03", "refit"):
        raise ValueError(f"measurement_source must be auto, chapter03 or refit, not {measurement_source!r}")
    comments_est = load_comments(layout.root, sentiment="estimated")
    planted = planted_slopes(truth) or {}
    table03 = refits03 = latent03 = None
    if measurement_source != "refit":
        table03, refits03, latent03, why = read_chapter03_corrections(
            layout.root, calibration, n_posts=len(posts_est), n_comments=len(comments_est))
        if table03 is None and measurement_source == "chapter03":
            raise ValueError(f"measurement_source = 'chapter03', but {why}: run chapter 03 first, or use 'auto'")
    if table03 is not None:
        rows = table03.drop(columns=["covered"], errors="ignore")
        simex_curves = curves_from_table(refits03)
        info03 = json.loads((layout.results / "03_engagement_models.json").read_text())
        kept = {m: s for m, s in (info03.get("random_slopes_kept") or {}).items() if s}
        measurement_from = (f"Read from chapter 03 of this run folder (`models/{CHAPTER03_FILES['table']}`, its "
                            "SIMEX refits and, on a synthetic run, its fits on the planted sentiment); random "
                            "slopes in those models: "
                            + ("; ".join(f"{m}: {', '.join(s)}" for m, s in kept.items()) if kept else "none")
                            + ". Refit them here with `measurement_source = \"refit\"`.")
    else:
        require_r(("lme4", "lmerTest"), pymer4=False)  # the fits call lmerTest directly
        fits = fit_models(study_model_specs(), posts_est, comments_est, engine="lmerTest", min_groups=min_groups)
        rows = correct_models(fits, calibration, planted=planted or None, lambdas=as_list(simex_lambdas, float),
                              n_rep=int(simex_reps) or None, n_boot=int(n_boot), seed=seed, refit=simex_refit,
                              curves=simex_curves).drop(columns=["covered"], errors="ignore")
        measurement_from = ("Fitted here (random intercepts only"
                            + (f"; chapter 03's results not reused: {why}" if measurement_source == "auto" else "")
                            + ").")
    if synthetic:
        rows["planted"] = rows["outcome"].map(planted)
        if latent03 is None:
            require_r(("lme4", "lmerTest"), pymer4=False)  # the fits call lmerTest directly
            latent03 = latent_rows(fit_models(study_model_specs(), load_posts(layout.root, sentiment="latent"),
                                              load_comments(layout.root, sentiment="latent"), engine="lmerTest",
                                              min_groups=min_groups), planted)
        rows = pd.concat([rows, latent03], ignore_index=True)
    correction_table = rows.reset_index(drop=True)
    if "planted" in correction_table:
        correction_table["covers_planted"] = ((correction_table["conf_low"] <= correction_table["planted"])
                                              & (correction_table["planted"] <= correction_table["conf_high"]))
    correction_table.to_csv(layout.models / "inference_measurement_error.csv", index=False)
    cols = [c for c in ["model", "outcome", "method", "estimate", "conf_low", "conf_high", "planted",
                        "covers_planted", "std_estimate", "notes"] if c in correction_table]
    display(Markdown(measurement_from))
    display(correction_table[cols])

# %%
if do_measurement and not correction_table.empty:
    correction_figure(correction_table, height=460,
                      title="Post-sentiment slope (raw scale, the planted one, 95 % intervals): naive and corrected"
                      ).show()
    first = next(iter(simex_curves), None)
    if first:
        import plotly.graph_objects as go

        curve, first_naive = simex_curves[first]
        fn = curve.extrapolant("rational", first_naive.w_var)
        grid = np.linspace(-calibration.error_var, curve.added_variance.max(), 50)
        fig = go.Figure([
            go.Scatter(x=curve.estimates["added_variance"], y=curve.estimates["estimate"], mode="markers",
                       name="refits with added error", marker={"size": 4, "opacity": 0.4}),
            go.Scatter(x=curve.added_variance, y=curve.mean_estimate, mode="markers", name="mean per λ",
                       marker={"size": 9}),
            go.Scatter(x=grid, y=fn(grid), mode="lines", name="extrapolant b / (c + v)"),
        ])
        fig.add_vline(x=-calibration.error_var, line_dash="dot", annotation_text="no error (λ = −1)")
        fig.update_layout(title=f"SIMEX for {first}: raw slope on W against the added error variance",
                          xaxis_title="added error variance v = λσ²_U", yaxis_title="slope on predicted sentiment",
                          height=400, width=760)
        fig.show()

# %% [markdown]
# ### Coverage over simulated seeds
#
# One corpus cannot show whether an interval covers the truth 95 % of the time, so the three
# estimators are run on many simulated data sets. Each has this run's number of posts and
# creators, the planted effects, and predictions with this run's measured R² and scale
# compression d. Each also gets its own labelled calibration sample of the test split's size,
# drawn independently. The fast inner loop here is **OLS with creator-clustered standard
# errors (statsmodels)**, not lme4. The check needs thousands of refits (SIMEX refits every
# model 40 times per seed), which lme4 would make take hours. The correction formulas are the
# same ones used above. Chapter 03 has the slower, fuller check: the coverage of all five
# models' planted sentiment slopes over 20 seeds of the whole pipeline (generator, cleaning and
# lme4 fits), from the `measurement_error_coverage` sweep.

# %%
coverage = pd.DataFrame()
if do_measurement:
    effects = effects_for_run()
    n_cal = int(coverage_calibration_n) or calibration.n
    started = time.perf_counter()
    cov_runs = me.coverage_study(
        effects, n_posts=max(len(posts_est), 20), sentiment_r2=float(np.clip(calibration.r2, 0.05, 0.999)),
        calibration_n=max(n_cal, 8), sentiment_slope=float(calibration.cl_slope),
        seeds=range(seed, seed + int(coverage_seeds)), n_rep=8, lambdas=as_list(simex_lambdas, float),
        n_boot=min(int(n_boot), 1000))
    coverage = me.coverage_table(cov_runs)
    coverage.to_csv(layout.models / "measurement_error_coverage.csv", index=False)
    display(Markdown(
        f"{int(coverage_seeds)} seeds, {max(len(posts_est), 20)} posts each, calibration samples of "
        f"{max(n_cal, 8)} pairs, R² {calibration.r2:.2f}, d {calibration.cl_slope:.2f} "
        f"({time.perf_counter() - started:.0f} s). Monte-Carlo SE of a coverage rate: `coverage_mc_se`."))
    display(coverage)

# %% [markdown]
# ## 2. Power
#
# Each simulated data set follows a stated model. Standard-normal predictors (followers
# constant within a creator), Gaussian creator intercepts, and, for Model 5, crossed
# intercepts for creators, posts and audience members. The planted effects come from this
# run's `truth.json`; on real data they come from the study's reported coefficients. Both are on
# the raw scale the book declares for the paper's β, so they are standardised first with the SDs
# of this run's data (β_std = β_raw · SD(x) / SD(y)); where the study alone must supply an SD
# that it does not report, it is inferred from the paper's standard errors and the printed
# notes say so. The variance parts are stated assumptions. Sentiment (the post predictor and Model 5's
# outcome) is replaced by a prediction of the given R². Power is the share of data sets with
# p < α; failed fits count as misses. The default engine is **OLS with creator-clustered
# standard errors (statsmodels)**. It is a valid test of fixed effects under nesting and fast
# enough for a grid; `power_engine = "lme4"` refits the study's own models and is meant for the
# full-scale sweep. The dotted line marks the study's 535 posts (17,301 comments, about 32 per
# post).
#
# The grid is drawn from a **sweep**: `python -m helpers book` first runs
# `data/sweeps/power_small.yml` (the embedded corpus at scale 0.05, a few designs, 10 simulated
# data sets each: a smoke run, wide Monte-Carlo error) and passes its folder as `power_sweep`;
# the line under the figure names the sweep, its scale, seeds and date. Without a sweep the
# chapter computes a small grid of its own. The full grid (15 runs of 3 designs, 500 simulated
# data sets each) is one documented command:
#
# ```bash
# .venv/bin/python -m helpers sweep data/sweeps/power.yml --dask
# .venv/bin/python -m helpers run --only 06_inference_robustness -p power_sweep _build/sweeps/power
# ```

# %%
power_table = pd.DataFrame()
if "power" in parts:
    effects = effects_for_run()
    for note in effects.notes:
        print(note)
    if power_sweep:
        try:
            power_table = pw.load_power_sweep(power_sweep)
            display(Markdown(sweep_source(power_sweep, f"**Power grid** ({power_table['sweep_run'].nunique()} runs)")))
        except FileNotFoundError as exc:
            display(Markdown(f"**The power sweep could not be read** ({exc}); the small grid of this run is "
                             "computed instead."))
    if power_table.empty:
        run_r2 = round(float(calibration.r2), 2) if calibration is not None else None
        # auto: a small grid around the study's design; the full grid is the power sweep's job
        posts_axis = (sorted({max(20, round(535 * scale)), 100, 535} if scale < 0.5 else [100, 535, 1500])
                      if power_posts == "auto" else as_list(power_posts, int))
        cpp_axis = ([round(STUDY_SIZE["comments"] / STUDY_SIZE["posts"], 1)]
                    if power_comments_per_post == "auto" else as_list(power_comments_per_post, float))
        r2_axis = (sorted({r for r in [run_r2, 0.4, 0.95] if r and 0 < r <= 1})
                   if power_r2 == "auto" else as_list(power_r2, float))
        sims = int(power_sims) or (10 if scale < 0.5 else 50)
        designs = pw.design_grid(posts_axis, cpp_axis, r2_axis, effects)
        started = time.perf_counter()
        power_table = pw.power_grid(effects, designs, n_sims=sims, seed=seed, engine=power_engine,
                                    executor=power_executor, n_workers=int(power_workers))
        display(Markdown(f"{len(designs)} designs × {sims} simulated data sets, engine `{power_engine}`, "
                         f"executor `{power_executor}`: {time.perf_counter() - started:.0f} s."))
    power_table.to_csv(layout.models / "power_grid.csv", index=False)
    pw.power_figure(power_table, study_posts=STUDY_SIZE["posts"], study_comments=STUDY_SIZE["comments"]).show()

# %%
if not power_table.empty:
    needed = pw.required_posts(power_table)
    display(Markdown("**Posts needed for 80 % power** (the smallest simulated size that reaches it; "
                     "empty where none of the simulated sizes does):"))
    display(needed.loc[needed["term"] == "post_sentiment"].pivot_table(
        index=["model", "outcome", "planted", "comments_per_post"], columns="sentiment_r2", values="posts_needed"))
    study_cell = pw.at_design(power_table, STUDY_SIZE["posts"], STUDY_SIZE["comments"] / STUDY_SIZE["posts"],
                              calibration.r2 if calibration is not None else None)
    display(Markdown(f"**At the design nearest the study's** ({int(study_cell['n_posts'].iloc[0])} posts, "
                     f"{study_cell['comments_per_post'].iloc[0]:g} comments per post, sentiment R² "
                     f"{study_cell['sentiment_r2'].iloc[0]:g}), power for every effect:"))
    display(study_cell.pivot_table(index=["model", "outcome"], columns="term", values="power"))

# %% [markdown]
# ## 3. Specification curve
#
# The choices (see `helpers.engagement.specification_curve`) are these:
#
# * the sentiment source: estimated, regression-calibrated, or, on synthetic runs, planted;
# * its coding: continuous, the study's bands as −1/0/1 (texts in the gaps left out, as in the
#   maps), terciles, or a median split;
# * the transforms: ln(Y+1) or raw outcomes, and covariates all logged, as the paper's method
#   describes them (length raw), or raw;
# * random slopes for sentiment: none, or every admissible one;
# * length filters stricter than chapter 01's;
# * the model family: the log-linear mixed model, a mixed negative binomial (glmmTMB), or a
#   fixed-effects NB2.
#
# **What runs by default.** Below scale 0.5 this run fits a random sample of 8 specifications
# per outcome. At scale 0.5 and above it fits 4 per post-level model (Models 1–4, quick fits
# on a few hundred posts) and, for Model 5, only the study's own specification. Chapter 03 has
# already fitted that one on the same rows; its fit is read from the run folder when it matches
# (the line under the table counts such reused fits). An lme4 fit of
# Model 5 on every comment is slow, much slower with random slopes, and the 40 specifications per
# outcome this chapter used to fit at full scale spent nearly all their time on Model 5. The
# line under the table gives the time this run took. The study's own specification is always
# among those fitted.
#
# The larger curve of this run folder is one parameter away:
#
# ```bash
# .venv/bin/python -m helpers run --only 06_inference_robustness -p curve_max_specs 40   # or -1: every specification
# ```
#
# Looser length filters need chapter 01 re-run. The specification-curve sweep does that, and
# its runs are added to this run's own specifications (`curve_sweep`): `python -m helpers book`
# first runs `data/sweeps/specification_curve_small.yml` (scale 0.05, chapter 01 at two length
# filters, the planted sentiment, six specifications per outcome) and the line under the table
# names the sweep, its scale, seeds and date. At full scale (chapters 01 and 02 re-run for each
# filter, 200 specifications per outcome):
#
# ```bash
# .venv/bin/python -m helpers sweep data/sweeps/specification_curve.yml --dask
# .venv/bin/python -m helpers run --only 06_inference_robustness -p curve_sweep _build/sweeps/specification_curve
# ```
#
# In the figures, the top panel shows the sorted estimates, per SD of
# sentiment, with 95 % intervals; red and blue mark significant negative and positive
# estimates, grey not significant; the study's own specification is ringed. Bottom panel: the
# choices behind each estimate.

# %% tags=["remove-stderr"]
curve_table = pd.DataFrame()
curve_summary = pd.DataFrame()
if "curve" in parts:
    require_r(("lme4", "lmerTest", "glmmTMB"), pymer4=False)  # the curve fits lme4 directly, not through pymer4
    flow = json.loads((layout.clean / "flow.json").read_text()) if (layout.clean / "flow.json").exists() else {}
    cleaned = flow.get("parameters", {})
    data = sc.SpecData({}, {}, int(cleaned.get("min_post_length", 100)), int(cleaned.get("min_comment_length", 30)))
    wanted_sources = as_list(curve_sources)
    if have_scores:
        data.posts["estimated"] = load_posts(layout.root, sentiment="estimated")
        data.comments["estimated"] = load_comments(layout.root, sentiment="estimated")
        if calibration is not None:
            data.posts["corrected"], data.comments["corrected"] = sc.corrected_sources(
                data.posts["estimated"], data.comments["estimated"], calibration)
    if synthetic:
        data.posts["latent"] = load_posts(layout.root, sentiment="latent")
        data.comments["latent"] = load_comments(layout.root, sentiment="latent")
    sources = [s for s in wanted_sources if s in data.posts]
    if not sources:
        raise ValueError(f"none of the sentiment sources {wanted_sources} is available in {layout.root}")
    # filters at least as strict as the cleaning of chapter 01, which is always one of them
    lengths = sorted({data.cleaned_min_post_length,
                      *(v for v in as_list(curve_min_post_lengths, int) if v >= data.cleaned_min_post_length)})
    comment_lengths = sorted({data.cleaned_min_comment_length,
                              *(v for v in as_list(curve_min_comment_lengths, int)
                                if v >= data.cleaned_min_comment_length)})
    options = {"sentiment_source": sources, "sentiment_coding": as_list(curve_codings),
               "outcome_transform": as_list(curve_outcome_transforms),
               "covariate_transform": as_list(curve_covariate_transforms), "random_slopes": as_list(curve_slopes),
               "min_post_length": lengths, "min_comment_length": comment_lengths, "family": as_list(curve_families)}
    all_specs = sc.enumerate_specifications(as_list(curve_outcomes), options, synthetic=synthetic)
    max_specs = (None if int(curve_max_specs) < 0 else
                 (int(curve_max_specs) or sc.default_sample_sizes(scale, as_list(curve_outcomes))))
    specs = sc.sample_specifications(all_specs, max_specs, seed=seed)
    started = time.perf_counter()
    reused_fits = (sc.chapter03_fits(layout.root, n_posts=len(data.posts["estimated"]),
                                     n_comments=len(data.comments["estimated"]))
                   if "estimated" in data.posts and data.comments.get("estimated") is not None else {})
    curve_table = sc.run_curve(specs, data, min_groups=min_groups, alpha=alpha, reuse=reused_fits)
    curve_table["cleaning_min_post_length"] = data.cleaned_min_post_length
    curve_table["cleaning_min_comment_length"] = data.cleaned_min_comment_length
    curve_table.to_csv(layout.models / "specification_curve.csv", index=False)
    display(Markdown(
        f"{len(specs)} of {len(all_specs)} specifications fitted"
        + ((f" (a random sample of at most {max_specs} per outcome, the study's own always included)"
            if isinstance(max_specs, int) else
            " (the default sample: at most " + ", ".join(f"{v} for {k}" for k, v in max_specs.items())
            + ", the study's own always included; `curve_max_specs = 40` fits the 40 per outcome this chapter "
            "used to fit at full scale, `-1` all of them)") if max_specs else "")
        + f" in {time.perf_counter() - started:.0f} s; {int((curve_table['status'] != 'ok').sum())} could not be "
        "fitted (listed below)."
        + (f" {int(curve_table['messages'].str.contains('reused', na=False).sum())} of them, the study's own "
           "specification on the estimated sentiment, are chapter 03's fits of the same models and rows, read from "
           "this run folder rather than fitted again." if curve_table["messages"].str.contains("reused", na=False).any()
           else "")))
    if curve_sweep:
        try:
            swept = sc.load_curve_sweep(curve_sweep)
            display(Markdown(sweep_source(
                curve_sweep, f"**Added {len(swept)} specifications** from {swept['sweep_run'].nunique()} runs,")
                + " Their chapter-01 length filters are the `param.01.*` columns; the figure shows this run's "
                "specifications and the sweep's together."))
            curve_table = pd.concat([curve_table.assign(sweep_run="this run"), swept], ignore_index=True)
        except FileNotFoundError as exc:
            display(Markdown(f"**The specification-curve sweep could not be read** ({exc}); only this run's "
                             "specifications are shown."))
    curve_summary = sc.summarise(curve_table, alpha=alpha)
    display(curve_summary)
    failed = curve_table.loc[curve_table["status"] != "ok", ["model", *sc.CHOICES, "status"]]
    if len(failed):
        display(failed)

# %%
if not curve_table.empty:
    for outcome in curve_table["outcome"].drop_duplicates():
        if (curve_table.loc[curve_table["outcome"] == outcome, "status"] == "ok").any():
            sc.curve_figure(curve_table, outcome, alpha=alpha).show()

# %% [markdown]
# ### The maps: co-occurrence counting and term selection
#
# The semantic maps of chapter 04 rest on choices the study did not report: full or fractional
# co-occurrence counting, how many terms a map keeps, and how often a term must occur. The
# post categories themselves can also be drawn differently. No test compares two maps, so the
# curve follows the two contrasts between the negative-post and the positive-post map that the
# study's numbers imply. The first is the log ratio of their total link strengths; in the study
# the negative map is far denser. The second is the same ratio per comment mapped, which is
# nearly equal in the study. The share of map specifications with the study's sign is
# reported for each. Comments are segmented with chapter 04's default tokenizer.

# %% tags=["remove-stderr"]
map_table = pd.DataFrame()
map_summary = pd.DataFrame()
if "curve" in parts:
    from helpers.networks.segmenter import ChineseTokenizer

    clean_comments = pd.read_parquet(layout.clean / "comments.parquet", columns=["comment_id", "text"])
    terms = dict(zip(clean_comments["comment_id"], ChineseTokenizer().tokenize_many(clean_comments["text"].tolist()),
                     strict=True))
    map_tables = []
    for source in sources:
        comments_src = data.comments[source]
        post_scores = data.posts[source].set_index("note_id")["post_sentiment"]
        merged = comments_src.assign(post_score=comments_src["note_id"].map(post_scores)).dropna(subset=["post_score"])
        map_tables.append(sc.map_curve(
            [terms.get(cid, []) for cid in merged["comment_id"]], merged["post_score"].to_numpy(),
            {"counting": as_list(curve_map_counting), "top_n": as_list(curve_map_top_n, int),
             "min_occurrences": as_list(curve_map_min_occurrences, int),
             "post_categories": as_list(curve_map_categories)}, source=source))
    if map_tables:
        map_table = pd.concat(map_tables, ignore_index=True)
        map_table.to_csv(layout.networks / "map_specification_curve.csv", index=False)
        map_summary = sc.summarise_maps(map_table)
        display(map_summary)
        sc.map_curve_figure(map_table, "log_tls_ratio").show()
        sc.map_curve_figure(map_table, "log_tls_per_comment_ratio").show()

# %% [markdown]
# ## In short

# %%
lines = []
if not correction_table.empty:
    for model, group in correction_table.dropna(subset=["std_estimate"]).groupby("model", sort=False):
        g = group.set_index("method")
        text = ", ".join(f"{m} {g.loc[m, 'std_estimate']:.2f}" for m in g.index)
        lines.append(f"- {model} ({group['outcome'].iloc[0]}): {text}"
                     + (f"; planted {group['planted'].iloc[0]:.2f}" if "planted" in group else "") + ".")
if not coverage.empty:
    mean_cov = coverage.groupby("method", sort=False)["coverage"].mean()
    lines.append(f"- Coverage of the planted effects over {int(coverage['seeds'].max())} simulated seeds (mean over "
                 "Models 1–4): " + ", ".join(f"{m} {v:.0%}" for m, v in mean_cov.items()) + ".")
if not power_table.empty:
    cell = pw.at_design(power_table, STUDY_SIZE["posts"], STUDY_SIZE["comments"] / STUDY_SIZE["posts"],
                        calibration.r2 if calibration is not None else None)
    ps = cell.loc[cell["term"] == "post_sentiment"]
    lines.append(f"- Power for post sentiment at the simulated design nearest the study's ({int(ps['n_posts'].iloc[0])} "
                 f"posts, {ps['comments_per_post'].iloc[0]:g} comments per post, sentiment R² "
                 f"{ps['sentiment_r2'].iloc[0]:g}; {int(ps['n_sims'].iloc[0])} simulations): "
                 + ", ".join(f"{r.model} {r.power:.0%}" for r in ps.itertuples()) + ".")
if not curve_summary.empty:
    lines.append("- Specifications matching the paper's sign and significance: " + ", ".join(
        f"{r.model} ({r.outcome}) {r.share_matching_paper:.0%} of {r.fitted}" if pd.notna(r.share_matching_paper)
        else f"{r.model} ({r.outcome}) cannot tell" for r in curve_summary.itertuples()) + ".")
display(Markdown("\n".join(lines) if lines else "Nothing was run (see `sections`)."))

# %% tags=["remove-output"]
if calibration is not None:
    results["calibration"] = {k: float(v) for k, v in calibration.summary().items()}
METHOD_KEYS = {"naive": "naive", "regression calibration": "rc", "SIMEX": "simex",
               "latent (planted sentiment)": "latent"}
if not correction_table.empty:
    ok = correction_table.dropna(subset=["std_estimate"])
    results["post_sentiment_std"] = {f"{r.outcome}.{METHOD_KEYS[r.method]}": float(r.std_estimate)
                                     for r in ok.itertuples()}
    if "covers_planted" in ok:
        results["covers_planted"] = {f"{r.outcome}.{METHOD_KEYS[r.method]}": bool(r.covers_planted)
                                     for r in ok.itertuples()}
if not coverage.empty:
    results["coverage"] = {f"{r.outcome}.{METHOD_KEYS[r.method]}": float(r.coverage) for r in coverage.itertuples()}
    results["coverage_seeds"] = int(coverage["seeds"].max())
if not power_table.empty:
    ps = power_table.loc[power_table["term"] == "post_sentiment"]
    results["power_post_sentiment"] = {
        f"{r.outcome}.n{r.n_posts}.c{r.comments_per_post:g}.r2_{r.sentiment_r2:g}": float(r.power)
        for r in ps.itertuples()}
    results["power_designs"] = int(power_table[["n_posts", "comments_per_post", "sentiment_r2"]].drop_duplicates().shape[0])
if not map_summary.empty:
    results["map_share_same_sign_as_study"] = {r.statistic: (None if pd.isna(r.share_same_sign_as_study)
                                                             else float(r.share_same_sign_as_study))
                                               for r in map_summary.itertuples()}
if not curve_summary.empty:
    results["curve_share_matching_paper"] = {r.outcome: (None if pd.isna(r.share_matching_paper)
                                                         else float(r.share_matching_paper))
                                             for r in curve_summary.itertuples()}
    results["curve_specifications"] = {r.outcome: int(r.fitted) for r in curve_summary.itertuples()}
results["chapter_seconds"] = round(time.perf_counter() - chapter_started, 1)
results = InferenceResults(**results)
layout.write_results("06_inference_robustness", results)
