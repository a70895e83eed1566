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
# Du & Gu answered with five linear mixed models fitted in R's lme4:
#
# | model | outcome | fixed effects | random effects |
# |---|---|---|---|
# | 1–4 | ln(Y+1) of likes, favorites, shares, comments of a post | post sentiment, post length, time since posting, follower count | intercept per creator |
# | 5 | sentiment of each comment | the same | crossed intercepts per creator, post and audience member |
#
# This chapter fits the same models with lme4 through **pymer4** (REML, Satterthwaite
# degrees of freedom and p values from lmerTest), then asks how much the answer depends
# on the choices behind it:
#
# 1. **random slopes** for post sentiment, added one grouping factor at a time and kept only
#    when they improve AIC and BIC (likelihood-ratio tests on maximum-likelihood fits beside);
# 2. **raw and standardised coefficients**, since the study reports "β" without saying which;
# 3. **diagnostics**: residual and random-effect QQ plots, residuals against fitted values,
#    ICC, Nakagawa's marginal and conditional R², variance inflation factors;
# 4. **count models**: the raw counts refitted with a mixed negative binomial (glmmTMB) and a
#    fixed-effects NB2 (statsmodels) — do sign and significance of sentiment survive?
# 5. an **independent cross-check** of Models 1–4 with statsmodels' MixedLM;
# 6. our estimates **next to the study's reported values**, and, on the synthetic corpus,
#    next to the effects that were planted in it.
#
# The predictor the study calls "average post sentiment" is, here, the score chapter 02's
# fine-tuned encoder gives each post (title and body scored as one text, −1..1); Model 5 pairs
# it with each comment's own score.
#
# On the embedded corpus every number below comes from synthetic data (chapter 01) scored by
# the model of chapter 02; it tests the pipeline, not the study's claims about real users.

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
outcome_transform = "ln1p"  # ln1p = ln(Y+1) as in the study, or none
covariate_transform = "ln1p"  # for post length, days since posting, followers
post_groups = "creator_id"  # random intercepts of Models 1-4
comment_groups = "creator_id,note_id,audience_id"  # crossed random intercepts of Model 5
include_comment_model = True
sentiment_source = "estimated"  # estimated = scores of chapter 02; latent = planted sentiment (synthetic runs only)
select_slopes = True
fixed_slopes = ""  # with select_slopes False: grouping factors given a sentiment slope, e.g. creator_id
slope_criterion = "aic_bic"  # keep a slope when aic_bic (both improve), aic, bic, or lrt
reject_singular_slopes = True
engine = "auto"  # auto, pymer4 (full pymer4 fit) or lmerTest (same fit, lean extraction)
nb_engine = "glmmTMB"  # mixed negative binomial: glmmTMB (nbinom2) or glmer.nb
nb_cluster = "creator_id"  # clustered SEs for the statsmodels NB2, empty string for none
min_groups = 5
alpha = 0.05
crosscheck_tol = 1e-3
recovery_on_latent = True  # synthetic runs: also fit on the planted sentiment to check recovery

# %% tags=["remove-cell"]
# Opened on its own on Colab, a chapter first runs the earlier chapters it reads from.
from helpers.book.colab import prepare_chapter

prepare_chapter("03_engagement_models", run_dir, scale=scale, seed=seed)

# %%
import time

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from helpers.book.figures import use_notebook_renderer
from helpers.book.run_folder import RunLayout
from helpers.engagement.data import (
    EngagementDataError,
    build_frame,
    load_comments,
    load_posts,
    study_model_specs,
)
from helpers.engagement.diagnostics import diagnostics_figure, diagnostics_table, vif_table
from helpers.engagement.lmer import coefficient_table, fit_models, require_r
from helpers.engagement.mixedlm_crosscheck import crosscheck
from helpers.engagement.negbin import negbin_checks
from helpers.engagement.paper_comparison import (
    closest_scaling,
    comparison_table,
    display_table,
    forest_figure,
)
from helpers.engagement.random_slopes import select_random_slopes
from helpers.engagement.recovery import read_truth, recovery_table
from helpers.study.du_gu import SOURCE, STUDY_SIZE

use_notebook_renderer()
pd.set_option("display.precision", 3)
pd.set_option("display.max_colwidth", 120)
layout = RunLayout.at(run_dir)


def as_list(text):
    return tuple(x.strip() for x in str(text).split(",") if x.strip())


require_r(("lme4", "lmerTest", "glmmTMB"))  # a clear message with the fix if the R side is missing
posts = load_posts(layout.root, sentiment=sentiment_source)
comments = load_comments(layout.root, sentiment=sentiment_source) if include_comment_model else None
specs = study_model_specs(
    outcomes=as_list(outcomes), covariates=as_list(covariates), outcome_transform=outcome_transform,
    covariate_transform=covariate_transform, post_groups=as_list(post_groups),
    comment_groups=as_list(comment_groups), include_comment_model=include_comment_model,
)
display(Markdown(
    f"**Data:** {len(posts):,} posts by {posts['creator_id'].nunique():,} creators"
    + (f", {len(comments):,} comments by {comments['audience_id'].nunique():,} audience members" if comments is not None else "")
    + f" (the study: {STUDY_SIZE['posts']} posts, {STUDY_SIZE['comments']:,} comments). "
    f"Sentiment: `{sentiment_source}`."
))
pd.DataFrame({"model": [s.name for s in specs], "outcome": [s.outcome for s in specs],
              "lme4 formula (before slope selection)": [s.formula() for s in specs]})

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
selected_specs, slope_tables, slope_notes = [], [], []
for spec in specs:
    if not select_slopes:
        forced = [g for g in as_list(fixed_slopes) if g in spec.groups]
        selected_specs.append(spec.with_slopes(forced))
        continue
    try:
        frame = build_frame(spec, posts, comments if spec.level == "comment" else None, min_groups=min_groups)
        selection = select_random_slopes(frame, criterion=slope_criterion, alpha=alpha,
                                         reject_singular=reject_singular_slopes)
    except EngagementDataError as exc:
        slope_notes.append(f"{spec.name}: slope selection skipped — {exc}")
        selected_specs.append(spec)
        continue
    except Exception as exc:  # an lme4 error on this model; report it and keep intercepts only
        slope_notes.append(f"{spec.name}: slope selection failed — {exc}")
        selected_specs.append(spec)
        continue
    selected_specs.append(spec.with_slopes(selection.spec.slopes))
    slope_tables.append(selection.table)
    slope_notes.extend(selection.notes)
slope_table = pd.concat(slope_tables, ignore_index=True) if slope_tables else pd.DataFrame()
for note in slope_notes:
    print(note)
if not slope_table.empty:
    slope_table.to_csv(layout.models / "slope_selection.csv", index=False)
    display(slope_table[["model", "step", "added_slope", "n_params", "logLik", "AIC", "BIC", "dAIC", "dBIC",
                         "LRT_chisq", "LRT_df", "LRT_p", "singular", "converged", "accepted", "warnings"]])

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
# Raw coefficients are changes in ln(Y+1) (Models 1–4) or in comment sentiment (Model 5)
# per unit of each predictor; the standardised β are the same fits re-expressed per standard
# deviation of predictor and outcome (a linear mixed model is unchanged by that rescaling
# except for the units, so t, df and p are identical).

# %%
raw_table = coefficient_table(results, "raw")
std_table = coefficient_table(results, "standardised")
raw_table.to_csv(layout.models / "coefficients_raw.csv", index=False)
std_table.to_csv(layout.models / "coefficients_standardised.csv", index=False)
columns = ["model", "outcome", "term", "estimate", "std_error", "df", "t_stat", "p_value", "conf_low", "conf_high"]
display(Markdown("**Raw coefficients**"))
display(raw_table[columns] if not raw_table.empty else "no model could be fitted")
display(Markdown("**Standardised β**"))
std_table[columns] if not std_table.empty else "no model could be fitted"

# %% [markdown]
# ## Diagnostics
#
# For each model: are the residuals roughly normal (QQ plot), is their spread even over the
# fitted values, and are the random intercepts roughly normal? The table gives the share of
# variance explained by the fixed effects alone (marginal R²) and with the random effects
# (conditional R²), the adjusted ICC, and the largest variance inflation factor.

# %%
fitted = [(r.fit, r.frame) for r in results if r.fit is not None]
diag = diagnostics_table(fitted) if fitted else pd.DataFrame()
diag.to_csv(layout.models / "diagnostics.csv", index=False)
display(diag)
if fitted:
    display(Markdown("**Variance inflation factors**"))
    display(pd.concat([vif_table(frame).assign(model=fit.spec.name) for fit, frame in fitted], ignore_index=True)
            .pivot(index="term", columns="model", values="vif"))

# %%
for fit, _frame in fitted:
    diagnostics_figure(fit).show()

# %% [markdown]
# ## Counts instead of logs: negative-binomial checks
#
# ln(Y+1) is a pragmatic transform for skewed counts. The raw counts are refitted with a mixed
# negative binomial (NB2, same random intercepts) and with a fixed-effects NB2 whose dispersion
# α is estimated (standard errors clustered by creator). Their coefficients are on the
# log-count scale, so only the sign and the significance of post sentiment are compared.

# %%
nb_table, nb_fits = negbin_checks(results, engine=nb_engine, cluster=nb_cluster or None, alpha=alpha)
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
cross = crosscheck(results, tol=crosscheck_tol)
cross.to_csv(layout.models / "mixedlm_crosscheck.csv", index=False)
display(Markdown(f"Max |lme4 − MixedLM| over all coefficients: "
                 f"**{cross['abs_diff'].max():.2e}** (tolerance {crosscheck_tol:g})" if "abs_diff" in cross else
                 "No single-grouping model to cross-check."))
cross

# %% [markdown]
# ## Side by side with the study
#
# The published text gives the Model 1 coefficients and, for the other models, the direction
# and significance of the sentiment effect; everything else is marked "not reported". The
# forest plot shows our 95 % confidence intervals with the study's values as diamonds.

# %%
comparison = comparison_table(results, alpha=alpha)
comparison.to_csv(layout.models / "paper_comparison.csv", index=False)
scaling = closest_scaling(comparison)
display(Markdown(
    f"Source: {SOURCE}.\n\nMean |ours − study| over the numerically reported coefficients: raw "
    f"{scaling['mean_abs_diff_raw']:.3f}, standardised {scaling['mean_abs_diff_standardised']:.3f} — "
    f"the **{scaling['closest']}** scaling is closer to the published numbers."
))
display(display_table(comparison))
forest_figure(results, comparison).show()

# %% [markdown]
# ## Recovery of the planted effects (synthetic corpus)
#
# The synthetic corpus plants a sentiment effect for every model (`raw/truth.json`). The
# models above use chapter 02's *estimated* sentiment, whose measurement error pulls the
# effect towards zero; the same models fitted on the *planted* (latent) sentiment separate
# that attenuation from the behaviour of the models themselves. A 95 % interval should cover
# the planted value in most models.

# %%
truth = read_truth(layout.root)
recovery = pd.DataFrame()
if truth is None:
    display(Markdown("No `raw/truth.json`: real data, nothing planted to recover."))
else:
    tables = [recovery_table(results, truth).assign(sentiment=sentiment_source)]
    if recovery_on_latent and sentiment_source != "latent":
        latent_posts = load_posts(layout.root, sentiment="latent")
        latent_comments = load_comments(layout.root, sentiment="latent") if include_comment_model else None
        latent_results = fit_models(selected_specs, latent_posts, latent_comments, engine=engine,
                                    min_groups=min_groups)
        tables.append(recovery_table(latent_results, truth).assign(sentiment="latent"))
    recovery = pd.concat(tables, ignore_index=True)
    recovery.to_csv(layout.models / "recovery.csv", index=False)
    display(recovery[["model", "outcome", "sentiment", "planted", "estimate", "conf_low", "conf_high",
                      "covered", "status", "planted_note"]])

# %% [markdown]
# ## In short

# %%
def _sentence(res):
    if res.fit is None:
        return f"- {res.spec.name} ({res.spec.outcome}): not fitted — {res.error}"
    raw_row = res.fit.coef("post_sentiment")
    std_row = res.standardised.set_index("term").loc["post_sentiment"]
    verdict = "no detectable effect" if raw_row["p_value"] >= alpha else (
        "more negative posts score higher" if raw_row["estimate"] < 0 else "more positive posts score higher")
    return (f"- {res.spec.name} ({res.spec.outcome}): standardised β = {std_row['estimate']:.2f} "
            f"[{std_row['conf_low']:.2f}, {std_row['conf_high']:.2f}], p = {raw_row['p_value']:.3g} — {verdict}"
            f"{'; ' + res.fit.status() if res.fit.status() != 'ok' else ''}.")


agree = int(nb_table["agrees"].sum()) if not nb_table.empty else 0
display(Markdown(
    "Effect of post sentiment:\n\n" + "\n".join(_sentence(r) for r in results)
    + f"\n\nThe negative-binomial refits agree on sign and significance for {agree} of {len(nb_table)} "
    "count outcomes; MixedLM reproduces the lme4 fixed effects"
    + (f" to {cross['abs_diff'].max():.1e}." if "abs_diff" in cross else ".")
))

# %% tags=["remove-output"]
from helpers.book.results_schema import EngagementResults


def _coef(table, model, term, column="estimate"):
    row = table.loc[(table["model"] == model) & (table["term"] == term)] if not table.empty else table
    return float(row[column].iloc[0]) if len(row) else None


headline = EngagementResults(
    scale=scale, seed=seed, sentiment_source=sentiment_source,
    n_posts=int(len(posts)), n_comments=int(len(comments)) if comments is not None else 0,
    fit_seconds_all_models=round(fit_seconds, 2),
    models_fitted=int(sum(r.fit is not None for r in results)),
    models_singular=int(sum(bool(r.fit and r.fit.singular) for r in results)),
    random_slopes_kept={s.name: list(s.slopes) for s in selected_specs},
    post_sentiment_raw={r.spec.outcome: _coef(raw_table, r.spec.name, "post_sentiment") for r in results},
    post_sentiment_std={r.spec.outcome: _coef(std_table, r.spec.name, "post_sentiment") for r in results},
    post_sentiment_p={r.spec.outcome: _coef(raw_table, r.spec.name, "post_sentiment", "p_value") for r in results},
    negbin_agreement={row.outcome: bool(row.agrees) for row in nb_table.itertuples()} if not nb_table.empty else {},
    mixedlm_max_abs_diff=float(cross["abs_diff"].max()) if "abs_diff" in cross else None,
    closest_scaling_to_paper=scaling["closest"],
    recovery_covered=({f"{row.outcome} ({row.sentiment})": bool(row.covered) for row in recovery.itertuples()}
                      if not recovery.empty else {}),
)
layout.write_results("03_engagement_models", headline)
headline
