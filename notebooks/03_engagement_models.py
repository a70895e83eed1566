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
# # Engagement: multilevel models of likes, favorites, shares and comments
#
# Does the tone of a depression self-disclosure change how the audience reacts?
# Du & Gu answered with five multilevel regression models, fitted in **jamovi with the
# GAMLj module** (Method / Engagement analysis):
#
# | model | outcome | fixed effects | random effects |
# |---|---|---|---|
# | 1–4 | ln(Y+1) of likes, favorites, shares, comments of a post | post sentiment, post length, time since posting, follower count | intercept per creator |
# | 5 | sentiment of each comment | the same | crossed intercepts per creator, post and audience member |
#
# The paper adds post-sentiment random slopes when AIC/BIC improve (it does not say which were
# kept), checks the count outcomes with negative-binomial models ("consistent", no numbers),
# applies ln(X+1) to the skewed variables but not to post or comment length, and reports β, SE,
# t and p for all four terms of all five models in its Results text.
#
# This chapter fits the same models with R's lme4 and lmerTest (REML, Satterthwaite degrees
# of freedom and p values), reached from Python through rpy2 — the book's choice of software,
# not the paper's. By default only the tables the chapter shows are read back from R;
# `engine = "pymer4"` runs **pymer4**'s full pipeline, which gives the same coefficients (a
# test checks it) at a few seconds more per model. On a crawl much larger than the study's
# (above 28,000 comments) Model 5's crossing of audience members with posts makes lme4's
# sparse factor fill in, and `engine = "auto"` fits it with the book's blocked-Cholesky engine
# instead (`helpers.engagement.crossed_lmm`: the same REML criterion and Satterthwaite df,
# checked against lme4 in the tests), and screens its random slopes on a subsample of whole
# creators; the tables below say which engine fitted each model. The
# chapter then asks how much the answer depends on the choices behind it:
#
# 1. **the coefficient scale**: the paper's "β" is read on one declared scale, with the
#    reasoning from its standard errors, and never chosen by closeness to our numbers;
# 2. **random slopes** for post sentiment, kept only when they improve AIC and BIC;
# 3. **diagnostics**, **negative-binomial refits** and an **independent cross-check** with
#    statsmodels' MixedLM;
# 4. all **20 coefficients beside the study's**, with a verdict that says what the comparison
#    can show, and the paper's own numbers **checked against each other**;
# 5. on the synthetic corpus, **recovery of the 20 planted coefficients**: in this run, and as
#    a coverage rate over many seeds (a sweep).
#
# The predictor the study calls "average post sentiment" is, here, the score chapter 02's
# fine-tuned encoder gives each post (title and body scored as one text, −1..1); Model 5 pairs
# it with each comment's own score.
#
# On the embedded corpus every number below comes from synthetic data (chapter 01) whose
# generator *planted the study's published coefficients*; agreement with the study then shows
# that the pipeline recovers what was put in, not that the study's findings hold for real users.

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
outcomes = "likes,favorites,shares,comments"  # Models 1..k, in this order
covariates = "post_length,days_since_post,fans"
outcome_transform = "ln1p"  # ln1p: ln(Y+1) as in the study, or none
transforms = ""  # per-covariate overrides of the paper's transforms, e.g. post_length:ln1p; sweep it unprefixed so 01 plants on the same scale
post_groups = "creator_id"  # random intercepts of Models 1-4
comment_groups = "creator_id,note_id,audience_id"  # crossed random intercepts of Model 5
include_comment_model = True
sentiment_source = "estimated"  # estimated: scores of chapter 02, latent: planted sentiment, simulated: planted plus stated prediction error (synthetic runs only)
select_slopes = True
fixed_slopes = ""  # with select_slopes False: grouping factors given a sentiment slope, e.g. creator_id
slope_criterion = "aic_bic"  # keep a slope when aic_bic (both improve), aic, bic, or lrt
reject_singular_slopes = True
engine = "auto"  # auto (lmerTest, and the blocked-Cholesky engine for crossed intercepts-only models above 28,000 rows), lmerTest (lean extraction), pymer4 (pymer4's full pipeline: same coefficients, seconds slower per model) or blocked
nb_engine = "glmmTMB"  # mixed negative binomial: glmmTMB (nbinom2) or glmer.nb
nb_cluster = "creator_id"  # clustered SEs for the statsmodels NB2, empty string for none
min_groups = 5
alpha = 0.05
crosscheck_tol = 1e-3
recovery_on_latent = True  # synthetic runs: also fit on the planted sentiment to check recovery
run_checks = True  # diagnostics, negative-binomial refits and the MixedLM cross-check (off in coverage sweeps)
coverage_results = "data/sweeps/planted_coverage/results.csv"  # sweep table of the coverage over seeds
correct_measurement_error = True  # naive, regression-calibrated and SIMEX sentiment slopes
n_boot = 1000  # bootstrap draws of each corrected interval
simex_lambdas = "0.5,1,1.5,2"  # multiples of the measured error variance that SIMEX adds
simex_reps = 0  # refits per lambda (0: 50 with the GLS refit, 5 with full lme4 refits)
simex_refit = "gls"  # gls: variance components held at the naive REML fit (one factorisation for all refits); lme4: full REML refits (slow for Model 5)
simulated_r2 = 0.4  # with sentiment_source simulated: squared correlation of prediction and planted sentiment
simulated_slope = 0.8  # with sentiment_source simulated: slope d of the prediction on the planted sentiment
simulated_pairs = 300  # with sentiment_source simulated: size of the labelled sample
correction_coverage_results = "data/sweeps/measurement_error_coverage/results.csv"  # sweep table of the corrections over seeds

# %% tags=["remove-cell"]
# Opened on its own on Colab, a chapter first runs the earlier chapters it reads from.
from helpers.book.colab import prepare_chapter

prepare_chapter("03_engagement_models", run_dir, scale=scale, seed=seed)

# %%
import json
import time

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from helpers.book.figures import use_notebook_renderer
from helpers.book.run_folder import RunLayout
from helpers.book.runner import project_root
from helpers.engagement.corrections import (
    CHAPTER03_FILES,
    correct_models,
    correction_coverage_from_sweep,
    correction_figure,
    correction_results,
    correction_status,
    latent_rows,
    planted_slopes,
    simex_refits_table,
    simulated_predictions,
)
from helpers.engagement.data import (
    load_comments,
    load_posts,
    parse_transforms,
    study_model_specs,
)
from helpers.engagement.diagnostics import diagnostics_figure, diagnostics_table, vif_table
from helpers.engagement.lmer import coefficient_table, fit_models, require_r
from helpers.engagement.measurement_error import Calibration, compare_refits, read_calibration_pairs
from helpers.engagement.mixedlm_crosscheck import crosscheck
from helpers.engagement.negbin import negbin_checks
from helpers.engagement.paper_comparison import (
    comparison_table,
    display_table,
    forest_figure,
    verdict_counts,
)
from helpers.engagement.random_slopes import select_slopes_for_models
from helpers.engagement.recovery import (
    coverage_from_sweep,
    read_truth,
    recovery_results,
    recovery_table,
)
from helpers.study import du_gu

use_notebook_renderer()
pd.set_option("display.precision", 3)
pd.set_option("display.max_colwidth", 120)
layout = RunLayout.at(run_dir)


def as_list(text):
    return tuple(x.strip() for x in str(text).split(",") if x.strip())


def as_floats(text):
    return tuple(float(x) for x in as_list(text))


# a clear message with the fix if the R side is missing; pymer4 is imported (seconds) only for its engine
require_r(("lme4", "lmerTest", "glmmTMB"), pymer4=engine == "pymer4")
truth = read_truth(layout.root)
synthetic = truth is not None
if sentiment_source == "simulated" and not synthetic:
    raise ValueError("sentiment_source = 'simulated' needs the planted sentiment of a synthetic run "
                     "(raw/truth.json); use 'estimated' on a real export")
loaded_as = "latent" if sentiment_source == "simulated" else sentiment_source
posts = load_posts(layout.root, sentiment=loaded_as)
comments = load_comments(layout.root, sentiment=loaded_as) if include_comment_model else None
simulated_pairs_table = None
if sentiment_source == "simulated":
    posts, comments, simulated_pairs_table = simulated_predictions(
        posts, comments, r2=float(simulated_r2), slope=float(simulated_slope), n_pairs=int(simulated_pairs),
        rng=np.random.default_rng(seed))
specs = study_model_specs(
    outcomes=as_list(outcomes), covariates=as_list(covariates), outcome_transform=outcome_transform,
    transforms=parse_transforms(transforms), post_groups=as_list(post_groups),
    comment_groups=as_list(comment_groups), include_comment_model=include_comment_model,
)
display(Markdown(
    f"**Data:** {len(posts):,} posts by {posts['creator_id'].nunique():,} creators"
    + (f", {len(comments):,} comments by {comments['audience_id'].nunique():,} audience members" if comments is not None else "")
    + f" (the study: {du_gu.STUDY_SIZE['posts']} posts, {du_gu.STUDY_SIZE['comments']:,} comments; it does not "
    "report how many creators or audience members). "
    f"Sentiment: `{sentiment_source}`. "
    + ("**Synthetic corpus** (a `truth.json` is present)." if synthetic else "**Real export** (no planted truth).")
))
pd.DataFrame({"model": [s.name for s in specs], "outcome": [s.outcome for s in specs],
              "lme4 formula (before slope selection)": [s.formula() for s in specs],
              "terms": ["; ".join(f"{k}: {v}" for k, v in s.describe_terms().items()) for s in specs]})

# %% [markdown]
# ## The scale of the paper's β, declared once
#
# The paper calls its coefficients "β" without saying whether they are raw or standardised.
# Its standard errors answer the question better than any comparison with our numbers could
# (which would make the answer depend on the data): within one model all coefficients share
# the residual variance and the sample, so their SEs differ mainly through the spread of each
# predictor. The table gives, for each row, the SE relative to the smallest in its model and
# the predictor SD those SEs imply if the coefficients are raw (sentiment SD 0.57, as reported).

# %%
display(Markdown(du_gu.coefficient_scale_reasoning()))
evidence = du_gu.coefficient_scale_evidence()
evidence.assign(term=evidence["term"].map(du_gu.TERMS)).pivot(
    index="term", columns="model", values="implied_sd_if_raw").round(2)

# %% [markdown]
# ## Random slopes for post sentiment
#
# A random slope lets the sentiment effect differ between creators (or audience members).
# Starting from random intercepts only, each candidate slope is fitted by maximum
# likelihood and kept only if it improves the criterion; the table lists every fit tried,
# with its likelihood-ratio test against the current model. Post sentiment is constant
# within a post, so no slope over posts is tried in Model 5. Singular fits (a variance
# estimated at zero or a correlation at ±1) and convergence warnings are listed, not hidden.

# %%
slopes = select_slopes_for_models(specs, posts, comments, select=select_slopes, fixed_slopes=as_list(fixed_slopes),
                                  min_groups=min_groups, criterion=slope_criterion, alpha=alpha,
                                  reject_singular=reject_singular_slopes)
selected_specs, slope_table, slope_notes = slopes.specs, slopes.table, slopes.notes
for note in slope_notes:
    print(note)
if not slope_table.empty:
    slope_table.to_csv(layout.models / "slope_selection.csv", index=False)
    display(slope_table[["model", "step", "added_slope", "n_params", "logLik", "AIC", "BIC", "dAIC", "dBIC",
                         "LRT_chisq", "LRT_df", "LRT_p", "singular", "converged", "accepted", "warnings"]])
elif not select_slopes:
    print("slope selection off (select_slopes = False); slopes given: " + (fixed_slopes or "none"))

# %% [markdown]
# ## The five models
#
# The final structures (random slopes where the selection kept them) are refitted by REML.
# The fitting time is measured over the five models together.

# %%
started = time.perf_counter()
results = fit_models(selected_specs, posts, comments, engine=engine, min_groups=min_groups)
fit_seconds = time.perf_counter() - started
status = pd.DataFrame([{
    "model": r.spec.name, "outcome": r.spec.outcome, "formula": r.spec.formula(),
    "engine": r.fit.engine if r.fit else "—", "n_obs": r.fit.n_obs if r.fit else 0,
    "groups": ", ".join(f"{g}: {n}" for g, n in r.fit.n_groups.items()) if r.fit else "—",
    "seconds": round(r.fit.seconds, 2) if r.fit else np.nan,
    "status": r.fit.status() if r.fit else "NOT FITTED",
    "R messages / notes": "; ".join((r.fit.messages if r.fit else []) + r.notes + ([r.error] if r.error else [])),
} for r in results])
display(Markdown(f"All models fitted in **{fit_seconds:.1f} s** (wall clock, this machine)."))
status

# %% [markdown]
# ### Coefficients
#
# The **raw coefficients** are on the declared scale: changes in ln(Y+1) (Models 1–4) or in
# comment sentiment (Model 5) per unit of each predictor — one unit of the sentiment score,
# 100 characters of post length (unlogged), one unit of ln(days+1) and of ln(followers+1).
# The standardised β (the same fits per standard deviation of predictor and outcome; t, df and
# p are identical) are shown for readers who think in those units; they are not what the
# paper's numbers are compared with.

# %%
raw_table = coefficient_table(results, "raw")
std_table = coefficient_table(results, "standardised")
# with each model's formula and rows, so that chapter 06 can reuse a fit its specification curve repeats
fitted_as = {r.spec.name: (r.spec.formula(), r.fit.n_obs if r.fit else 0) for r in results}
raw_table.assign(formula=raw_table["model"].map(lambda m: fitted_as[m][0]) if len(raw_table) else None,
                 n_obs=raw_table["model"].map(lambda m: fitted_as[m][1]) if len(raw_table) else None
                 ).to_csv(layout.models / "coefficients_raw.csv", index=False)
std_table.to_csv(layout.models / "coefficients_standardised.csv", index=False)
columns = ["model", "outcome", "term", "estimate", "std_error", "df", "t_stat", "p_value", "conf_low", "conf_high"]
display(Markdown("**Raw coefficients (the declared scale)**"))
display(raw_table[columns] if not raw_table.empty else "no model could be fitted")
display(Markdown("**Standardised β (for reference only)**"))
std_table[columns] if not std_table.empty else "no model could be fitted"

# %% [markdown]
# ## Diagnostics
#
# For each model: are the residuals roughly normal (QQ plot), is their spread even over the
# fitted values, and are the random intercepts roughly normal? The table gives the share of
# variance explained by the fixed effects alone (marginal R²) and with the random effects
# (conditional R²), the adjusted ICC, and the largest variance inflation factor. (The paper
# gives none of these numbers: its Table S2 is not part of the text.)

# %%
fitted = [(r.fit, r.frame) for r in results if r.fit is not None]
diag = diagnostics_table(fitted) if fitted and run_checks else pd.DataFrame()
if run_checks:
    diag.to_csv(layout.models / "diagnostics.csv", index=False)
    display(diag)
    if fitted:
        display(Markdown("**Variance inflation factors**"))
        display(pd.concat([vif_table(frame).assign(model=fit.spec.name) for fit, frame in fitted],
                          ignore_index=True).pivot(index="term", columns="model", values="vif"))
else:
    print("checks skipped (run_checks = False)")

# %%
if run_checks:
    for fit, _frame in fitted:
        diagnostics_figure(fit).show()

# %% [markdown]
# ## Counts instead of logs: negative-binomial checks
#
# ln(Y+1) is a pragmatic transform for skewed counts. The raw counts are refitted with a mixed
# negative binomial (NB2, same random intercepts) and with a fixed-effects NB2 whose dispersion
# α is estimated (standard errors clustered by creator). Their coefficients are on the
# log-count scale, so only the sign and the significance of post sentiment are compared. The
# paper reports its own negative-binomial checks only as "consistent".

# %%
nb_table, nb_fits = (negbin_checks(results, engine=nb_engine, cluster=nb_cluster or None, alpha=alpha)
                     if run_checks else (pd.DataFrame(), []))
if run_checks:
    nb_table.to_csv(layout.models / "negbin_agreement.csv", index=False)
for nb in nb_fits:
    for message in nb.messages:
        print(f"{nb.model} {nb.method}: {message}")
nb_table

# %% [markdown]
# ## Cross-check with statsmodels
#
# Models 1–4 have a single grouping factor, which statsmodels' `MixedLM` fits by the same
# REML criterion. The fixed effects of the two independent implementations should agree to
# the stated tolerance (the standard errors differ slightly: lmerTest and statsmodels compute
# them differently).

# %%
cross = crosscheck(results, tol=crosscheck_tol) if run_checks else pd.DataFrame()
if run_checks:
    cross.to_csv(layout.models / "mixedlm_crosscheck.csv", index=False)
display(Markdown(f"Max |lme4 − MixedLM| over all coefficients: "
                 f"**{cross['abs_diff'].max():.2e}** (tolerance {crosscheck_tol:g})" if "abs_diff" in cross else
                 "No single-grouping model to cross-check (or checks skipped)."))
cross

# %% [markdown]
# ## Side by side with the study: all 20 coefficients
#
# The Results text gives β, SE, t and p for post sentiment and the three covariates in each
# of the five models. Each row puts them beside ours on the declared (raw) scale. The verdict
# says what the comparison can show: on the synthetic corpus the generator *planted* the
# study's values, so a covering interval means the pipeline recovered what was put in; only
# on a real export does the verdict compare with the study ("consistent with" / "differs
# from"); a missing interval, or a term fitted on another scale than the study's, is "cannot
# tell". A row's verdict needs our 95 % CI to cover the paper's β; agreement of significance
# is shown apart. The forest plot shows our intervals with the study's values as diamonds.

# %%
comparison = comparison_table(results, synthetic=synthetic, alpha=alpha)
comparison.to_csv(layout.models / "paper_comparison.csv", index=False)
counts_by_verdict = verdict_counts(comparison)
display(Markdown(
    f"Source: {du_gu.SOURCE}. Scale: **{du_gu.COEFFICIENT_SCALE}** for every row. Verdicts over the "
    f"{len(comparison)} rows: " + "; ".join(f"{v}: **{n}**" for v, n in counts_by_verdict.items())
    + f". Significance (p < {alpha}) agrees with the paper's in "
    f"{int(comparison['significance_agrees'].fillna(False).sum())} of "
    f"{int(comparison['significance_agrees'].notna().sum())} comparable rows."
))
display(display_table(comparison))
forest_figure(comparison).show()

# %% [markdown]
# ## The paper checked against itself
#
# Some of the paper's numbers can be checked against each other without any data. Every line
# below is computed from the study module (`helpers.study.du_gu`), which holds each value with
# its section.

# %%
checks = du_gu.consistency_table()
for row in checks.itertuples():
    mark = "✅" if row.consistent else "⚠️"
    display(Markdown(f"{mark} **{row.topic}** ({row.where}). {row.arithmetic}. *{row.verdict}.*"))
display(Markdown("**Links and total link strength under the two counting methods** "
                 "(full counting needs TLS ≥ L; fractional counting gives n/2 per comment):"))
du_gu.counting_check().round(2)

# %% [markdown]
# ## Recovery of the 20 planted coefficients (synthetic corpus)
#
# The synthetic corpus plants all four terms of all five models at the study's values on the
# declared scale (`raw/truth.json`). The models above use chapter 02's *estimated* sentiment,
# whose measurement error pulls the sentiment effect towards zero; the same models fitted on
# the *planted* (latent) sentiment separate that attenuation from the behaviour of the models
# themselves. In a single run a 95 % interval misses its planted value one time in twenty, so
# this run's table is followed by the coverage over many seeds.

# %%
recovery = pd.DataFrame()
recovery_tables = {}
latent_results = []
if truth is None:
    display(Markdown("No `raw/truth.json`: real data, nothing planted to recover."))
else:
    recovery_tables[sentiment_source] = recovery_table(results, truth)
    if recovery_on_latent and sentiment_source != "latent":
        latent_posts = load_posts(layout.root, sentiment="latent")
        latent_comments = load_comments(layout.root, sentiment="latent") if include_comment_model else None
        latent_results = fit_models(selected_specs, latent_posts, latent_comments, engine=engine,
                                    min_groups=min_groups)
        recovery_tables["latent"] = recovery_table(latent_results, truth)
    recovery = pd.concat([t.assign(sentiment=k) for k, t in recovery_tables.items()], ignore_index=True)
    recovery.to_csv(layout.models / "recovery.csv", index=False)
    for key, table in recovery_tables.items():
        known = table["covered"].dropna()
        display(Markdown(f"**{key} sentiment:** {int(known.sum())} of {len(known)} planted coefficients inside "
                         f"our 95 % CI in this run."))
    display(recovery[["model", "outcome", "term", "sentiment", "planted", "estimate", "conf_low", "conf_high",
                      "covered", "status"]])

# %% [markdown]
# ### Coverage over seeds
#
# The rate below is computed here from the table of a sweep
# (`data/sweeps/planted_coverage.yml`): every run generates its own corpus from its own seed,
# cleans it (chapter 01) and fits the five models on the planted sentiment (this chapter,
# without the checks). A method whose 95 % intervals are honest covers each planted value in
# about 95 % of runs; with R runs, the Clopper–Pearson interval of the rate says how far from
# 95 % the rate can be by chance. The bundled table is small-scale (see its provenance); the
# full-scale sweep is one command:
#
# ```bash
# .venv/bin/python -m helpers sweep data/sweeps/planted_coverage.yml                     # bundled scale
# .venv/bin/python -m helpers sweep data/sweeps/planted_coverage_full.yml --workers 4    # scale 1, 20 seeds
# ```
#
# What this can and cannot show: coverage near 95 % says the models, the cleaning and the
# interval computation recover the values that were planted, under a generator that follows the
# models' own assumptions (normal errors on ln(Y+1), random intercepts). It says nothing about
# whether the study's values hold for real users, nor about effects of misspecification the
# generator does not contain.

# %%
coverage_path = project_root() / coverage_results
coverage, coverage_summary = pd.DataFrame(), {"runs": 0}
if coverage_path.exists():
    coverage, coverage_summary = coverage_from_sweep(pd.read_csv(coverage_path))
    provenance_path = coverage_path.parent / "provenance.json"
    provenance = pd.read_json(provenance_path, typ="series") if provenance_path.exists() else {}
    if coverage_summary["runs"]:
        display(Markdown(
            f"**Coverage of the {coverage_summary['coefficients']} planted coefficients by our 95 % CIs: "
            f"{100 * coverage_summary['rate']:.1f} %** ({coverage_summary['covered']} of "
            f"{coverage_summary['compared']} intervals; Clopper–Pearson 95 % interval "
            f"{100 * coverage_summary['low']:.1f}–{100 * coverage_summary['high']:.1f} %) over "
            f"{coverage_summary['runs']} runs (seeds {coverage_summary['seeds'][0]}–{coverage_summary['seeds'][-1]}, "
            f"scale {', '.join(str(s) for s in coverage_summary['scales'])}). "
            + (f"Table from `{coverage_results}`, swept on {provenance.get('date', '?')} "
               f"({provenance.get('machine', '?')})." if len(provenance) else "")))
        display(coverage.assign(term=coverage["term"].map(du_gu.TERMS)).round(3))
    else:
        display(Markdown(f"`{coverage_results}` holds no recovery results."))
else:
    display(Markdown(f"No sweep table at `{coverage_results}`: run the sweep above to compute the coverage."))

# %% [markdown]
# ## Measurement error: naive and corrected sentiment slopes
#
# The models above use *predicted* post sentiment: chapter 02's scores, not the coders'. Unless
# the predictions are perfect, the slope on them is biased, mostly towards zero, and its
# interval ignores that the predictor is itself an estimate. Chapter 02's held-out test split
# holds both the coders' score and the model's prediction for every labelled text, so the
# error can be measured there and the slope corrected (`helpers.engagement.corrections`):
#
# * **naive**: the slope as fitted, with lme4's interval;
# * **regression calibration (RC)**: the naive slope divided by b, the slope of E[true | predicted]
#   on the labelled pairs (refitting on the calibrated predictor gives exactly this);
# * **SIMEX**: the model's own formula refitted with extra noise of λ times the measured
#   error variance, the slopes extrapolated back to no error (λ = −1); in Model 5 the noise is
#   added per post and shared by its comments.
#
# By default (`simex_refit = "gls"`) each SIMEX refit keeps the variance components of the naive
# REML fit and re-estimates the fixed effects by generalised least squares. With no added noise
# that is exactly lme4's estimate. With noise it skips re-estimating the variances, which moves
# the slope far less than the refit-to-refit noise does. The check under the table compares
# both routes on this run's Models 1–4. One factorisation then serves every refit, so a refit
# costs a small fraction of a full lme4 refit, and 50 refits per λ are affordable. Full
# lme4 refits (`simex_refit = "lme4"`, 5 per λ unless `simex_reps` says otherwise) remain
# available; a model with random slopes on sentiment always takes them, because the noise then
# enters the random-effects design too.
#
# Both corrected intervals are bootstrap percentiles that re-estimate the calibration on
# resamples of the labelled pairs, so they include the sentiment model's error as well as the
# sampling error of the data. In Model 5 the outcome (comment sentiment) is predicted by the same
# model, so its slope is also divided by the calibration slope d of the predictions. Only the
# sentiment coefficient is corrected; the covariates' coefficients stay as fitted.
#
# The corrections assume the error is non-differential (the prediction carries no information on
# the outcome beyond the true sentiment), that the labelled texts are like the analysed ones and
# that the calibration does not depend on the covariates. Chapter 02's test split mixes posts and
# comments; since E[true | predicted] depends on how widely the true scores spread, a split whose
# spread differs from the posts' biases the correction of the post slope. They do not apply when the models use
# the planted (latent) sentiment, which has no prediction error, nor to a model that could not be
# fitted; the table says so.

# %%
correction_table = pd.DataFrame()
correction_calibration = None
pairs_source = None
correction_note = (correction_status(sentiment_source) if correct_measurement_error
                   else "switched off (correct_measurement_error = False)")
if correction_note is None:
    if sentiment_source == "simulated":
        pairs = simulated_pairs_table
        pairs_source = "simulated (stated error model)"
    else:
        pairs = read_calibration_pairs(layout.root)
        pairs_source = "chapter 02 test split"
    correction_calibration = Calibration.fit(pairs["score"], pairs["prediction"])
    started = time.perf_counter()
    simex_curves = {}
    correction_table = correct_models(results, correction_calibration, planted=planted_slopes(truth),
                                      lambdas=as_floats(simex_lambdas), n_rep=int(simex_reps) or None,
                                      n_boot=int(n_boot), seed=seed, refit=simex_refit, curves=simex_curves)
    correction_seconds = time.perf_counter() - started
    # chapter 06 reuses these three tables instead of refitting the same models (CHAPTER03_FILES)
    correction_table.to_csv(layout.models / CHAPTER03_FILES["table"], index=False)
    simex_refits_table(simex_curves).to_csv(layout.models / CHAPTER03_FILES["refits"], index=False)
    latent_path = layout.models / CHAPTER03_FILES["latent"]
    if latent_results:
        latent_rows(latent_results, planted_slopes(truth)).to_csv(latent_path, index=False)
    elif latent_path.exists():
        latent_path.unlink()
    cal = correction_calibration
    display(Markdown(
        f"**Labelled pairs:** {cal.n} ({pairs_source}"
        + (f": planted sentiment plus error with R² {float(simulated_r2):g} and slope d {float(simulated_slope):g}"
           if sentiment_source == "simulated" else "")
        + f"). Measured: R² {cal.r2:.2f}, E[true | predicted] slope b {cal.rc_slope:.2f}, classical slope d "
        f"{cal.cl_slope:.2f}, error variance {cal.error_var:.3f}. Corrections computed in "
        f"{correction_seconds:.1f} s (SIMEX refits `{simex_refit}`, "
        + (f"{int(simex_reps)}" if int(simex_reps) else "the default number of")
        + f" refits per λ, as the SIMEX notes say; {int(n_boot)} bootstrap draws)."))
    shown = [c for c in ["model", "outcome", "method", "estimate", "conf_low", "conf_high", "planted", "covered",
                         "std_estimate", "notes"] if c in correction_table]
    display(correction_table[shown])
    if simex_refit == "gls":
        checked = []
        for k, res in enumerate(results):
            if res.fit is None or res.spec.level != "post" or res.spec.slopes:
                continue
            check = compare_refits(res.frame, res.fit.variance_components, cal.error_var,
                                   lam=max(as_floats(simex_lambdas)), rng=np.random.default_rng(seed + 100 + k))
            checked.append({"model": res.spec.name, **check})
        if checked:
            check_table = pd.DataFrame(checked)
            display(Markdown(
                f"**GLS against full lme4 refits** on the same {int(check_table['draws'].iloc[0])} noise draws at "
                f"λ = {max(as_floats(simex_lambdas)):g} ({', '.join(check_table['model'])}; Model 5 is left out "
                "because one full refit of it takes seconds): per model, the largest slope difference is at most "
                f"{(check_table['max_abs_diff'] / check_table['sd_between_draws']).max():.1%} of the SD of the "
                "slopes between draws, and the mean difference at most "
                f"{(check_table['mean_diff'].abs() / check_table['mean_full'].abs()).max():.1%} of the mean slope."))
            display(check_table.round(5))
else:
    display(Markdown(f"**No measurement-error correction in this run:** {correction_note}."))

# %%
if not correction_table.empty and "estimate" in correction_table:
    correction_figure(correction_table,
                      title="Post-sentiment slope (raw scale, 95 % intervals): naive and corrected").show()

# %% [markdown]
# ### Coverage of the planted slope by naive and corrected intervals, over seeds
#
# One run cannot show whether an interval covers the truth 95 % of the time. The rates below
# are computed here from the table of a sweep (`data/sweeps/measurement_error_coverage.yml`):
# every run generates its own corpus from its own seed, cleans it (chapter 01) and runs this
# chapter with `sentiment_source = "simulated"`. That replaces the planted sentiment of every
# post and comment by a prediction with a *stated* error (squared correlation R² and slope d on
# the planted score, the values in the table below), draws an independent labelled sample of
# posts from the same error model, fits the five models with lme4 and corrects them as above. Chapter 02's
# fine-tune is not re-run: it takes far too long on a CPU to repeat 20 times. So this checks the
# corrections, the intervals and the whole chain from generator to lme4 under a known error
# model; it cannot show that a real sentiment model's errors follow that model (this run's own
# labelled pairs, above, say how far they do). The Clopper–Pearson interval says how far from
# 95 % each rate can be by chance. At the bundled scale each run has only about a hundred posts,
# so the intervals of Models 1–4 are wide and even an attenuated naive interval often covers the
# planted slope; coverage then separates the methods poorly, which is why the table also gives
# each method's mean estimate (against the planted value) and median interval width. To refresh the bundled table, or to run it at the study's size:
#
# ```bash
# .venv/bin/python -m helpers sweep data/sweeps/measurement_error_coverage.yml --workers 2          # bundled
# .venv/bin/python -m helpers sweep data/sweeps/measurement_error_coverage_full.yml --workers 4     # scale 1
# ```

# %%
correction_coverage, correction_coverage_summary = pd.DataFrame(), {"runs": 0}
METHOD_NAMES = {"naive": "naive", "rc": "regression calibration", "simex": "SIMEX"}
correction_path = project_root() / correction_coverage_results
if correction_path.exists():
    swept = pd.read_csv(correction_path)
    correction_coverage, correction_coverage_summary = correction_coverage_from_sweep(swept)
    provenance_path = correction_path.parent / "provenance.json"
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    if correction_coverage_summary["runs"]:
        labels = {"simulated_r2": "R²", "simulated_slope": "slope d", "simulated_pairs": "labelled pairs"}
        params = {labels.get(c.removeprefix("param.03."), c.removeprefix("param.03.")): swept[c].dropna().iloc[0]
                  for c in swept.columns if c.startswith("param.03.simulated_") and swept[c].notna().any()}
        methods = correction_coverage_summary["methods"]
        display(Markdown(
            f"Over **{correction_coverage_summary['runs']} runs** (seeds {correction_coverage_summary['seeds'][0]}–"
            f"{correction_coverage_summary['seeds'][-1]}, scale "
            f"{', '.join(f'{x:g}' for x in correction_coverage_summary['scales'])}; simulated error "
            + ", ".join(f"{k} {v}" for k, v in params.items())
            + "), the 95 % intervals covered the planted post-sentiment slope of Models 1–5 in: "
            + "; ".join(f"**{METHOD_NAMES.get(m, m)}** {100 * v['rate']:.1f} % ({v['covered']} of {v['compared']}, Clopper–Pearson "
                        f"{100 * v['low']:.1f}–{100 * v['high']:.1f} %)" for m, v in methods.items() if v["compared"])
            + "." + (f" Table from `{correction_coverage_results}`, swept on {provenance.get('date', '?')} "
                     f"({provenance.get('machine', '?')})." if provenance else "")
            # the SIMEX route of the sweep's runs: a table swept before simex_refit existed used full lme4 refits
            + (" Its SIMEX refits were "
               + ("full lme4 refits (the table predates the GLS refit this chapter now uses by default; re-run the "
                  "sweep to check that route)" if "param.03.simex_refit" not in swept
                  else "`" + "`, `".join(sorted(swept["param.03.simex_refit"].dropna().astype(str).unique())) + "`")
               + ".")))
        display(correction_coverage.round(3))
    else:
        display(Markdown(f"`{correction_coverage_results}` holds no measurement-error results."))
else:
    display(Markdown(f"No sweep table at `{correction_coverage_results}`: run the sweep above to compute "
                     "the coverage of the corrections."))

# %% [markdown]
# ## In short

# %%
def _sentence(res):
    if res.fit is None:
        return f"- {res.spec.name} ({res.spec.outcome}): not fitted — {res.error}"
    row = res.fit.coef("post_sentiment")
    verdict = "no detectable effect" if row["p_value"] >= alpha else (
        "more negative posts score higher" if row["estimate"] < 0 else "more positive posts score higher")
    paper = du_gu.coefficient(res.spec.outcome, "post_sentiment")
    return (f"- {res.spec.name} ({res.spec.outcome}): β = {row['estimate']:.2f} "
            f"[{row['conf_low']:.2f}, {row['conf_high']:.2f}], p = {row['p_value']:.3g} — {verdict} "
            f"(paper: β = {paper.beta:.2f}, p = {paper.p_text()})"
            f"{'; ' + res.fit.status() if res.fit.status() != 'ok' else ''}.")


agree = int(nb_table["agrees"].sum()) if not nb_table.empty else 0
correction_summary = ""
if not correction_table.empty and "estimate" in correction_table:
    parts = []
    for model, group in correction_table.dropna(subset=["estimate"]).groupby("model", sort=False):
        g = group.set_index("method")["estimate"]
        parts.append(f"{model} " + ", ".join(f"{m} {v:.2f}" for m, v in g.items()))
    correction_summary = ("\n\nCorrected for the sentiment model's error (raw slopes): " + "; ".join(parts) + ".")
elif correction_note:
    correction_summary = f"\n\nNo measurement-error correction: {correction_note}."
if correction_coverage_summary.get("runs"):
    correction_summary += (" Over the coverage sweep's " + str(correction_coverage_summary["runs"]) + " runs the 95 % "
                           "intervals covered the planted slope in: " + ", ".join(
                               f"{METHOD_NAMES.get(m, m)} {100 * v['rate']:.0f} %"
                               for m, v in correction_coverage_summary["methods"].items()
                               if v["compared"]) + " of cases.")
display(Markdown(
    "Effect of post sentiment (raw scale):\n\n" + "\n".join(_sentence(r) for r in results)
    + (f"\n\nThe negative-binomial refits agree on sign and significance for {agree} of {len(nb_table)} "
       "count outcomes" if not nb_table.empty else "")
    + (f"; MixedLM reproduces the lme4 fixed effects to {cross['abs_diff'].max():.1e}." if "abs_diff" in cross else ".")
    + correction_summary
))

# %% tags=["remove-output"]
from helpers.book.results_schema import EngagementResults
from helpers.jsonio import json_default


def _coef(table, model, term, column="estimate"):
    row = table.loc[(table["model"] == model) & (table["term"] == term)] if not table.empty else table
    return float(row[column].iloc[0]) if len(row) else None


def _nested(table, value):
    out = {}
    for row in table.itertuples(index=False):
        v = getattr(row, value)
        out.setdefault(row.outcome, {})[row.term] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
    return out


headline = {
    "scale": scale, "seed": seed, "sentiment_source": sentiment_source, "synthetic": synthetic,
    "n_posts": int(len(posts)), "n_comments": int(len(comments)) if comments is not None else 0,
    "coefficient_scale": du_gu.COEFFICIENT_SCALE,
    "transforms": dict(specs[0].transforms),
    "fit_seconds_all_models": round(fit_seconds, 2),
    "models_fitted": int(sum(r.fit is not None for r in results)),
    "models_singular": int(sum(bool(r.fit and r.fit.singular) for r in results)),
    "random_slopes_kept": {s.name: list(s.slopes) for s in selected_specs},
    "post_sentiment_raw": {r.spec.outcome: _coef(raw_table, r.spec.name, "post_sentiment") for r in results},
    "post_sentiment_p": {r.spec.outcome: _coef(raw_table, r.spec.name, "post_sentiment", "p_value") for r in results},
    "comparison": {"estimate": _nested(comparison, "ours_beta"), "se": _nested(comparison, "ours_se"),
                   "p": _nested(comparison, "ours_p"), "ci_low": _nested(comparison, "ci_low"),
                   "ci_high": _nested(comparison, "ci_high"), "verdict": _nested(comparison, "verdict")},
    "verdict_counts": counts_by_verdict,
    "negbin_agreement": {row.outcome: bool(row.agrees) for row in nb_table.itertuples()} if not nb_table.empty else {},
    "mixedlm_max_abs_diff": float(cross["abs_diff"].max()) if "abs_diff" in cross else None,
}
if "latent" in recovery_tables:
    headline["recovery"] = recovery_results(recovery_tables["latent"])
if sentiment_source == "estimated" and "estimated" in recovery_tables:
    headline["recovery_estimated"] = recovery_results(recovery_tables["estimated"])
if coverage_summary.get("runs"):
    headline["coverage_over_seeds"] = {k: coverage_summary[k] for k in ("runs", "compared", "covered", "rate",
                                                                          "low", "high")}
headline["measurement_error"] = correction_results(correction_table) if not correction_table.empty else {}
if correction_calibration is not None:
    headline["measurement_error_calibration"] = {
        "source": pairs_source, "n_pairs": int(correction_calibration.n), "r2": float(correction_calibration.r2),
        "rc_slope_b": float(correction_calibration.rc_slope), "classical_slope_d": float(correction_calibration.cl_slope),
        "error_variance": float(correction_calibration.error_var)}
headline["measurement_error_note"] = correction_note
if correction_coverage_summary.get("runs"):
    headline["correction_coverage_over_seeds"] = correction_coverage_summary["methods"]
headline = EngagementResults(**json.loads(json.dumps(headline, default=json_default)))
layout.write_results("03_engagement_models", headline)
headline
