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
# # Data: import, cleaning and the exclusion ledger
#
# The study analysed 535 Xiaohongshu posts and 17,301 comments that survived a
# sequence of filters applied to a MediaCrawler crawl of 2,182 notes and
# 122,212 comments. This chapter reproduces that sequence as a chain of
# recorded stages: every record that drops out leaves a line in an exclusion
# ledger saying at which stage and why, and every stage is checked to conserve
# records (in = kept + excluded).
#
# **About the data on this page.** The study's crawl is not public. Unless the
# `source` parameter points at your own MediaCrawler export, the chapter first
# generates a *synthetic stand-in*: a MediaCrawler-format export built from a
# documented grammar, calibrated to the study's sizes, sentiment distribution
# and reported engagement effects (see `helpers.synth.xhs_corpus`). Every number
# below then describes that stand-in, not real users.

# %% tags=["remove-cell"]
# On Google Colab only: fetch the project and install it (R's lme4 stack included).
# Elsewhere this cell does nothing.
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    REPO = "/content/xhs-depression-book"
    if not os.path.exists(REPO):
        subprocess.run(
            f"git clone -q https://github.com/xhs-depression-book/xhs-depression-book {REPO}"
            f" && bash {REPO}/scripts/colab_setup.sh",
            shell=True,
            check=True,
        )
    os.chdir(REPO)  # every time: a restarted runtime starts in /content

# %% tags=["parameters"]
run_dir = "_build/run"
scale = 1.0
seed = 20241111
source = None  # path to a MediaCrawler export (folder or SQLite file); None = synthetic stand-in
coding_file = None  # manual self-disclosure coding CSV (note_id,include or note_id,coder_1,coder_2)
fans_file = None  # follower counts CSV (user_id,fans) when the export has no creators table
min_post_length = 100
min_comment_length = 30

# %%
import os
import re
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from helpers.book.figures import use_notebook_renderer
from helpers.book.run_folder import RunLayout
from helpers.data import descriptives
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.synth.xhs_corpus import clear_truth, generate, write

use_notebook_renderer()
layout = RunLayout.at(run_dir)
synthetic = source is None

# %% [markdown]
# ## 1. The export
#
# With no `source`, the synthetic export is written to `<run_dir>/raw` in
# MediaCrawler's CSV layout, quirks included: files from two crawl dates that
# overlap, counts stored as display text (`"1.2万"`, `""`), hashtags, bracket
# emoji codes and @mentions inline, a few comments whose note was never
# crawled. It comes with a two-coder self-disclosure coding file and the
# planted truth that later chapters check their estimates against.

# %%
if synthetic:
    corpus = generate(scale=scale, seed=seed)
    write(corpus, layout.raw)
    source = layout.raw
    coding_file = coding_file or layout.raw / "self_disclosure_coding.csv"
    truth = corpus.truth
    display(Markdown(
        f"Synthetic export: **{truth['sizes']['raw_notes']:,} notes** and "
        f"**{truth['sizes']['raw_comments']:,} comments** (scale {scale}, seed {seed})."
    ))
else:
    truth = None
    stale = clear_truth(layout.raw) if Path(source).resolve() != layout.raw else []
    display(Markdown(f"Reading the export at `{Path(source).name}`."
                     + (f" Removed a stand-in's truth files from the run folder: {', '.join(stale)}." if stale else "")))

# %% [markdown]
# ## 2. Cleaning
#
# Posts: duplicates (the newest crawl of a note wins), video notes, text
# cleaning (keep Chinese characters, English words and numerals), posts shorter
# than `min_post_length`, and posts the coders did not judge to be genuine
# first-person self-disclosures. Comments: duplicates, comments on notes that
# are not in the export, comments on excluded posts, comments by the post's
# creator, replies to other comments (directed at audience members rather than
# the poster) and comments shorter than `min_comment_length`. User IDs are
# replaced by salted hashes and contact details are scrubbed from the text
# before anything is written.

# %%
salt = f"synthetic-{seed}" if synthetic else os.environ.get("XHS_SALT")
config = CleaningConfig(min_post_length=min_post_length, min_comment_length=min_comment_length,
                        coding_file=coding_file, fans_file=fans_file, salt=salt)
result = clean_export(source, config)
result.write(layout.clean)
flow = result.flow
posts, comments = result.posts, result.comments
if result.problems:
    # one line per kind of problem and file; IDs are masked (details: clean/import_problems.csv)
    problems = pd.DataFrame({"file": [Path(p.file).name for p in result.problems],
                             "problem": [re.sub(r"\b[0-9a-zA-Z_]{6,}\b", "…", p.message) for p in result.problems]})
    display(problems.value_counts().rename("rows").to_frame())
if not flow["fans_available"]:
    display(Markdown(f"**No follower counts** ({flow['fans_source']}): the models will run without "
                     "that covariate."))

# %% [markdown]
# ## 3. The flow of records
#
# Each band is a group of records; red branches leave at the stage named.

# %%
descriptives.sankey(flow, "posts", "Posts: from crawl to analysis").show()

# %%
descriptives.sankey(flow, "comments", "Comments: from crawl to analysis").show()

# %%
flow_tables = pd.concat({"posts": descriptives.flow_table(flow, "posts"),
                         "comments": descriptives.flow_table(flow, "comments")})
flow_tables

# %% [markdown]
# The study's own numbers were 2,182 → 535 posts and 122,212 → 17,301
# comments; at `scale` 1 the synthetic stand-in is calibrated to land on them.

# %%
study = {"posts": (2182, 535), "comments": (122212, 17301)}
pd.DataFrame({
    kind: {"crawled (study)": study[kind][0], "analysed (study)": study[kind][1],
           "crawled (this run)": flow[kind]["raw"], "analysed (this run)": flow[kind]["final"],
           "kept share (study)": round(study[kind][1] / study[kind][0], 3),
           "kept share (this run)": round(flow[kind]["final"] / max(flow[kind]["raw"], 1), 3)}
    for kind in study
})

# %% [markdown]
# The exclusion ledger (`clean/exclusions.csv`) holds one row per excluded
# record; its reasons, counted:

# %%
result.exclusions.groupby(["kind", "stage"]).size().rename("records").to_frame()

# %% [markdown]
# ## 4. Manual coding of self-disclosure
#
# With two coders, agreement is summarised by Cohen's kappa; disagreements are
# listed in `clean/coding_disagreements.csv` for resolution. A resolved `include` column, when
# present, is the decision used.

# %%
pd.Series(flow["coding"] or {"coding": "no coding file given"}, name="coding").to_frame()

# %% [markdown]
# ## 5. Table 1: descriptive statistics of the analysed sample
#
# Engagement counts and followers are strongly right-skewed, which is why the
# models use ln(x + 1). Post length counts Chinese characters, English words
# and numerals, as in the study.

# %%
table1 = descriptives.table1(posts, comments)
table1.to_csv(layout.clean / "table1.csv")
table1.round(2)

# %% [markdown]
# ## 6. What the stand-in plants (synthetic runs only)
#
# The generator writes its parameters to `raw/truth.json` so that the later
# chapters can test whether their estimates recover them: standardised effects
# of post sentiment, post length, time since posting and followers on each
# engagement outcome (likes from the study's Table S2; the others assumed where
# the paper's values were not available, with the directions its abstract
# reports), and three comment themes with their vocabularies.

# %%
if synthetic:
    planted = pd.DataFrame({name: spec["coefficients"] for name, spec in truth["engagement"].items()
                            if "coefficients" in spec}).T
    planted["source"] = [truth["engagement"][name]["source"] for name in planted.index]
    display(planted)
    themes = pd.Series(truth["themes"]).groupby(lambda term: truth["themes"][term]).agg(
        lambda terms: "、".join(list(terms.index)[:8]) + " …")
    display(themes.rename("example terms").to_frame())

# %% [markdown]
# A few cleaned comments (synthetic runs only; a real export's text is not
# echoed into the book):

# %%
if synthetic:
    display(comments["text"].head(3).to_frame())

# %% [markdown]
# ## Coder agreement beside the study's values (human coding round trip)
#
# *Section maintained with `helpers.coding`; the page "Human coding" walks
# through drawing the samples, the coder sheets or Label Studio project, and
# adjudication.* The table recomputes agreement on the posts that reached the
# coding stage: Cohen's kappa (scikit-learn) with a 95% large-sample CI, for a
# 100-post pilot and for all coded posts, beside the study's values (pilot
# "> 0.80", statistic not named; all posts κ = 0.78). When the coding file has
# no `pilot` column, a seeded random 100 coded posts stand in for the pilot:
# the study does not say which posts it piloted. On the embedded corpus the
# two coders are simulated, so the numbers show that the computation works,
# not how well people agree.

# %%
from helpers.coding.round_trip import agreement_of_coding_file, reached_coding_stage

coding_agreement = None
if coding_file is not None:
    coding_agreement = agreement_of_coding_file(
        coding_file, reached_coding_stage(posts, result.exclusions), pilot_size=100, seed=seed)
if coding_agreement is None:
    display(Markdown("No two-coder coding file in this run: agreement cannot be computed here."))
else:
    display(coding_agreement[["n", "value", "ci_low", "ci_high", "percent_agreement", "paper_value",
                              "paper_statistic"]].round(3))

# %%
results = {
    "synthetic": synthetic, "scale": scale, "seed": seed,
    "posts_raw": flow["posts"]["raw"], "posts_final": flow["posts"]["final"],
    "comments_raw": flow["comments"]["raw"], "comments_final": flow["comments"]["final"],
    "cohen_kappa": (flow["coding"] or {}).get("cohen_kappa"),
    "fans_available": flow["fans_available"], "n_creators": int(posts["creator_id"].nunique()),
    "n_audience": int(comments["audience_id"].nunique()), "n_import_problems": len(result.problems),
}
if truth is not None:
    results["expected_posts"] = truth["expected_clean"]["posts"]
    results["expected_comments"] = truth["expected_clean"]["comments"]
layout.write_results("01_data_cleaning", results)
results
