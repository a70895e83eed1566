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
# Du & Gu collected Xiaohongshu posts with **custom Python scripts** (the paper names no
# crawler) under nine depression hashtags, published between 22 March 2021 and 11 November
# 2024: 2,182 posts and 122,212 comments (Method / Data collection). After removing
# duplicates and video posts, cleaning the text (Chinese characters, English words and
# numerals kept; hashtags, mentions and special characters removed), dropping posts under 100
# and comments under 30 characters, a manual check that each post is a genuine first-person
# self-disclosure, and dropping comments by the post's creator or addressed to other audience
# members, 535 posts and 17,301 comments remained (Method / Data preprocessing and coding).
#
# The manual check was done by two graduate psychology students familiar with the DSM-5
# criteria: after a pilot on 100 posts (inter-rater reliability > 0.80) they coded the whole
# set with Cohen's κ = 0.78 and resolved disagreements by discussion.
#
# This chapter reproduces that sequence as a chain of recorded stages: every record that drops
# out leaves a line in an exclusion ledger saying at which stage and why, and every stage is
# checked to conserve records (in = kept + excluded). Its input format is that of
# **MediaCrawler**, the open-source crawler most researchers use for Xiaohongshu — the book's
# choice for new crawls, not the study's tool.
#
# **About the data on this page.** The study's crawl is not public. Unless the
# `source` parameter points at your own MediaCrawler export, the chapter first
# generates a *synthetic stand-in*: a MediaCrawler-format export built from a
# documented generative model, calibrated to the study's published values (see
# `helpers.synth.xhs_corpus`). Every number below then describes that stand-in, not
# real users. The generator shares no code with the cleaning: it measures its own lengths,
# writes its own display counts and hands over two noisy coders' decisions, not the truth,
# so the cleaned sizes land *near* the study's, not on them by construction.

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
source = None  # path to a MediaCrawler export (folder or SQLite file), None: synthetic stand-in
coding_file = None  # manual self-disclosure coding CSV (note_id,include or note_id,coder_1,coder_2)
transforms = ""  # synthetic runs: scale the coefficients are planted on, e.g. post_length:ln1p (default: the paper's)
fans_file = None  # follower counts CSV (user_id,fans) when the export has no creators table
min_post_length = 100
min_comment_length = 30
skip_unreadable = False  # True: leave out files that cannot be read (they are listed) instead of stopping

# %%
import os
import re
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from helpers import config
from helpers.book.figures import use_notebook_renderer
from helpers.book.run_folder import RunLayout
from helpers.data import descriptives
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.study import du_gu
from helpers.synth.xhs_corpus import clear_truth, generate, write

use_notebook_renderer()
layout = RunLayout.at(run_dir)
synthetic = source is None

# %% [markdown]
# ## 1. The export
#
# With no `source`, the synthetic export is written to `<run_dir>/raw` in
# MediaCrawler's CSV layout, quirks included: files from two crawl dates that
# overlap, counts stored as display text (`"1.2万"`, `""`), the study's nine hashtags,
# bracket emoji codes and @mentions inline, a few comments whose note was never
# crawled. It comes with a two-coder self-disclosure coding file (no resolved decision)
# and the planted truth that later chapters check their estimates against.

# %%
pd.DataFrame(du_gu.HASHTAGS, columns=["hashtag", "English (as the paper glosses it)"]).rename_axis(
    f"the nine hashtags ({du_gu.HASHTAGS_WHERE})")

# %%
if synthetic:
    corpus = generate(scale=scale, seed=seed, transforms=transforms or None)
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
# before anything is written. Note and comment IDs are replaced by salted
# pseudonyms too (a note ID is the key of the note's public URL); the mapping
# back to MediaCrawler's IDs is written to `<run_dir>/private/`, which the book
# never publishes.

# %%
salt = f"synthetic-{seed}" if synthetic else config.salt()
config = CleaningConfig(min_post_length=min_post_length, min_comment_length=min_comment_length,
                        coding_file=coding_file, fans_file=fans_file, salt=salt, skip_unreadable=skip_unreadable)
result = clean_export(source, config)
result.write(layout.clean)  # the ID mapping goes to <run_dir>/private/; a stand-in's truth follows the pseudonyms
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
# ### The import report
#
# What the importer found in each file of the export: its format, the kind of
# table, its rows and how many of them reach the analysis, the MediaCrawler
# version whose column order it matches (named by the
# commit that introduced that order), the encoding, and what it fixed or
# assumed: a GB18030 file decoded, rows appended on the same day by an upgraded
# MediaCrawler realigned, a column an older version did not write read as
# missing rather than 0, word-cloud files left aside. The table names files,
# never records; it is also written to `clean/import_report.csv`.

# %%
report = result.import_report
files_table = pd.DataFrame(report["files"])
with pd.option_context("display.max_colwidth", None):  # the notes are the point: show them whole
    display(files_table.set_index("file")[["format", "kind", "rows", "analysed", "schema_version", "encoding",
                                           "status", "notes"]])

# %%
followers = report["followers"]
summary = {
    "files read / ignored / skipped": f"{report['n_files_read']} / {report['n_files_ignored']} / "
                                      f"{report['n_files_skipped']}",
    "identity": report["identity"],
    "follower counts": followers["source"] + (
        f" ({followers['creators_matched']} of {followers['creators_in_export']} creators matched, "
        f"keyed by {followers['keyed_by']})" if followers["creators_matched"] is not None else ""),
    "untitled posts (title auto-filled by MediaCrawler)": report["titles_autofilled"],
    "censored counts ('10万+' etc.), analysed sample": ", ".join(f"{k}: {v}" for k, v in
                                                              report["censored_counts"].items()),
    "analysed comments without a like count": report["comment_likes_missing"],
    "identifiers": report["ids"],
}
with pd.option_context("display.max_colwidth", None):
    display(pd.Series(summary, name="import").to_frame())
if report["assumptions"]:
    display(Markdown("**Fixed or assumed:**\n\n" + "\n".join(f"- {a}" for a in report["assumptions"])))

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
# The study's own numbers were 2,182 → 535 posts and 122,212 → 17,301 comments. The
# synthetic stand-in is calibrated so that, at `scale` 1, the cleaning keeps about that many
# *in expectation*; because the coders are noisy and the cleaning adjudicates them, a run lands
# near the study's sizes, not on them. The table says how near (at other scales, against the
# study's sizes times the scale).

# %%
study = {"posts": (du_gu.RAW_SIZE["posts"], du_gu.STUDY_SIZE["posts"]),
         "comments": (du_gu.RAW_SIZE["comments"], du_gu.STUDY_SIZE["comments"])}
size_table = pd.DataFrame({
    kind: {"crawled (study)": study[kind][0], "analysed (study)": study[kind][1],
           "crawled (this run)": flow[kind]["raw"], "analysed (this run)": flow[kind]["final"],
           "kept share (study)": round(study[kind][1] / study[kind][0], 3),
           "kept share (this run)": round(flow[kind]["final"] / max(flow[kind]["raw"], 1), 3),
           **({"expected by the generator": round(truth["expected_clean"][kind], 1),
               "this run vs study × scale (%)": round(100 * (flow[kind]["final"] / (study[kind][1] * scale) - 1), 1)}
              if truth is not None else {})}
    for kind in study
})
size_table

# %% [markdown]
# The exclusion ledger (`clean/exclusions.csv`) holds one row per excluded
# record; its reasons, counted:

# %%
result.exclusions.groupby(["kind", "stage"]).size().rename("records").to_frame()

# %% [markdown]
# ## 4. Manual coding of self-disclosure
#
# With two coders, agreement is summarised by Cohen's kappa; disagreements are listed in
# `clean/coding_disagreements.csv` for resolution. A resolved `include` column, when present,
# is the decision used; without one, a post is kept only when both coders said 1. The
# synthetic coding file has no `include` column (the study resolved disagreements by
# discussion, which a generator cannot stand in for without handing over the truth), so the
# conservative rule decides. The study's agreement values are beside ours.

# %%
coding_summary = pd.Series(flow["coding"] or {"coding": "no coding file given"}, name="this run").to_frame()
display(coding_summary)
pd.DataFrame([{"step": a.step, "study": a.text(), "where": a.where,
               "this run": (f"Cohen's kappa = {flow['coding']['cohen_kappa']:.2f}"
                            if key == "inclusion" and flow["coding"] and flow["coding"]["cohen_kappa"] is not None
                            else "not computed in this chapter")}
              for key, a in du_gu.AGREEMENT.items()])

# %% [markdown]
# ## 5. Table 1: descriptive statistics of the analysed sample
#
# Engagement counts and followers are strongly right-skewed; the study applied ln(x + 1)
# to the variables that showed heteroscedasticity in its Table 1 — "most metrics except for
# post and comment lengths" — so the models log the counts, followers and time since posting
# but not the lengths. Post length counts Chinese characters, English words and numerals, as
# in the study. (The values of the study's Table 1 are not in its text, so there is nothing
# to set beside these.)

# %%
table1 = descriptives.table1(posts, comments)
table1.to_csv(layout.clean / "table1.csv")
table1.round(2)

# %% [markdown]
# ## 6. What the stand-in plants (synthetic runs only)
#
# The generator writes its parameters to `raw/truth.json` so that the later chapters can test
# whether their estimates recover them: all 20 coefficients of the study's five models (post
# sentiment, post length, time since posting and followers on likes, favorites, shares,
# comments and comment sentiment), at the study's values on the scale the book declares for
# them (raw coefficients; post length unlogged, per 100 characters), the study's score
# distributions and category shares, the comments per post of each post category, and three
# comment themes with their vocabularies. What the paper does not report is chosen by the
# generator and labelled *assumed*.

# %%
if synthetic:
    planted = pd.DataFrame({name: spec["coefficients"] for name, spec in truth["engagement"].items()
                            if "coefficients" in spec}).T
    planted["source"] = [truth["engagement"][name]["source"] for name in planted.index]
    display(planted)
    targets = truth["sentiment"]
    display(pd.DataFrame({
        "study": {**{f"post score {k}": v for k, v in targets["targets"]["posts"].items()},
                  **{f"posts {k}": v for k, v in targets["targets"]["post_categories"].items()}},
        "planned in this corpus": {**{f"post score {k}": v for k, v in targets["posts_planned"].items()
                                      if k != "categories"},
                                   **{f"posts {k}": v for k, v in targets["posts_planned"]["categories"].items()}},
    }).round(3))
    display(pd.Series(truth["assumed"], name="what the paper does not report, chosen here").to_frame())
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

# %% tags=["remove-output"]
from helpers.book.results_schema import DataCleaningResults

results = DataCleaningResults(
    synthetic=synthetic, scale=scale, seed=seed,
    posts_raw=flow["posts"]["raw"], posts_final=flow["posts"]["final"],
    comments_raw=flow["comments"]["raw"], comments_final=flow["comments"]["final"],
    cohen_kappa=(flow["coding"] or {}).get("cohen_kappa"),
    fans_available=flow["fans_available"], n_creators=int(posts["creator_id"].nunique()),
    n_audience=int(comments["audience_id"].nunique()), n_import_problems=len(result.problems),
    expected_posts=truth["expected_clean"]["posts"] if truth is not None else None,
    expected_comments=truth["expected_clean"]["comments"] if truth is not None else None,
    n_files_read=report["n_files_read"], user_schema=report["user_schema"],
    titles_autofilled=report["titles_autofilled"], fans_matched=report["followers"]["creators_matched"],
    comment_likes_missing=report["comment_likes_missing"],
    posts_vs_study_percent=(100 * (flow["posts"]["final"] / (du_gu.STUDY_SIZE["posts"] * scale) - 1)
                            if truth is not None else None),
    comments_vs_study_percent=(100 * (flow["comments"]["final"] / (du_gu.STUDY_SIZE["comments"] * scale) - 1)
                               if truth is not None else None),
    kappa_planned=truth["coding"]["kappa_target"] if truth is not None else None,
)
layout.write_results("01_data_cleaning", results)
results
