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
# # Semantic networks of audience comments
#
# The study mapped what audiences *talk about* under depression self-disclosure
# posts with VOSviewer: comments were tokenised with a custom dictionary (the paper names
# no segmenter; this chapter uses jieba with a domain dictionary), the most frequent terms
# were linked by how often they appear in the same comment, and VOSviewer laid the
# terms out and grouped them into clusters, one map per post-sentiment category.
# This chapter repeats that analysis in Python, step by step, with the same
# definitions VOSviewer uses, so that every number can be inspected; it also
# writes VOSviewer's own map and network files so a reader can open our maps in
# VOSviewer and compare.
#
# On the embedded corpus the comments are synthetic (chapter 01), written by a
# documented generative model (`helpers.synth.xhs_text`): a Zipfian vocabulary of
# tens of thousands of everyday words, sentiment words from the published DUTIR and
# HowNet lexicons, and three planted themes — coping and resilience, emotional
# struggle, health and treatment — seeded with the keywords the study reports for
# its clusters, so we can check whether the method finds them. None of the terms or
# numbers below describe real users.

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
top_n = 100  # terms per category map (the study's link counts fit ~100 terms)
min_occurrences = 3  # a term must occur in at least this many comments
counting = "full"  # VOSviewer's "full counting"; "fractional" is the alternative
resolution = 1.0  # CPM resolution on association strengths (VOSviewer's default)
min_cluster_size = 5  # smaller clusters are merged (VOSviewer's reference rule, below)
merge_rule = "reference"  # "reference": VOSviewer's rule; "cpm_gain": this project's earlier rule
repulsion = 1  # VOS layout repulsion: 1 (VOSviewer's default) or 0
orientation = "reference"  # map rotation/mirroring: VOSviewer's rule, or "first_item" (earlier rule)
n_layout_starts = 5  # random starts of the VOS layout; the best is kept
min_comments = 50  # a category map on fewer comments is built but flagged as unreliable
n_recovery_seeds = 10  # synthetic corpora regenerated to measure theme recovery as a rate
keep_words = ["现在", "一个"]  # kept although HIT lists them (as in the study)
extra_stopwords = []  # further words to drop, e.g. the search hashtags

# %% tags=["remove-cell"]
# Opened on its own on Colab, a chapter first runs the earlier chapters it reads from.
from helpers.book.colab import prepare_chapter

prepare_chapter("04_semantic_networks", run_dir, scale=scale, seed=seed)

# %%
import json
import time
import warnings

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from helpers.book.figures import iframe, use_notebook_renderer
from helpers.book.run_folder import RunLayout
from helpers.networks.figures import plotly_map, pyvis_html, warning_html
from helpers.networks.glossary import load_glossary, missing_terms
from helpers.networks.inputs import CATEGORIES, STUDY_TOTALS, load_scored_comments, planted_themes
from helpers.networks.map_consistency import consistency_table, theme_recovery
from helpers.networks.recovery import coverage_summary, recovery_over_seeds
from helpers.networks.segmenter import ChineseTokenizer, hit_stopwords
from helpers.networks.semantic_map import (
    build_category_maps,
    build_semantic_map,
    cluster_table,
    export_vosviewer,
    totals_under,
)
from helpers.networks.study_keywords import STUDY_CLUSTER_KEYWORDS, all_keywords, keywords_among
from helpers.networks.vosviewer_io import read_map_file, read_network_file

use_notebook_renderer()


def title_of(group: str) -> str:
    return "All comments" if group == "all comments" else f"Comments under {group} posts"


warnings.filterwarnings("ignore", message="Consider using IPython.display.IFrame")
layout = RunLayout.at(run_dir)
glossary = load_glossary()

# %% [markdown]
# ## Comments by post sentiment
#
# Each comment inherits the sentiment category of the post it answers (chapter 02's
# scores and the study's thresholds). Comments under uncategorized posts are not
# mapped, as in the study.

# %%
comments = load_scored_comments(layout)
counts = comments["post_sentiment_category"].value_counts().reindex([*CATEGORIES, "uncategorized"], fill_value=0)
display(counts.rename("comments").to_frame())
thin = {c: int(counts[c]) for c in CATEGORIES if counts[c] < min_comments}
if thin:
    display(HTML(warning_html(
        "Not every category has enough comments for a reliable map",
        [f"{c}: {n} comments (min_comments = {min_comments}); "
         + ("no map can be built." if n == 0 else "its map is built below but flagged as unreliable.")
         for c, n in thin.items()]
        + ["Chapter 02's scores and the study's thresholds decide the categories: see its calibration and "
           "category warnings."])))

# %% [markdown]
# ## Segmentation and stopwords
#
# jieba segments each comment, helped by the project's domain dictionary
# (`src/helpers/resources/domain_dict.txt`: clinical words and drug names jieba
# would otherwise split). Words on the HIT stopword list are removed, except the
# keep-list; single characters, numbers and punctuation are dropped too. Both
# lists are parameters of this chapter.

# %%
tokenizer = ChineseTokenizer(keep=keep_words, extra_stopwords=extra_stopwords)
hit = hit_stopwords()
display(pd.DataFrame({
    "setting": ["HIT stopwords (pystopwords)", "keep-list", "of which on the HIT list", "extra stopwords",
                "stopwords removed"],
    "value": [len(hit), "、".join(keep_words), "、".join(w for w in keep_words if w in hit) or "none",
              "、".join(extra_stopwords) or "none", len(tokenizer.stopwords)],
}))
t0 = time.perf_counter()
comments["terms"] = tokenizer.tokenize_many(comments["text"].tolist())
tokenize_seconds = time.perf_counter() - t0
distinct_terms = len({t for terms in comments["terms"] for t in terms})
print(f"segmented {len(comments):,} comments in {tokenize_seconds:.1f} s; "
      f"{comments['terms'].map(len).mean():.1f} terms per comment on average; "
      f"{distinct_terms:,} distinct terms")

# %% [markdown]
# ## One map per category, and one of all comments
#
# For each category: a binary comment × term matrix over the `top_n` most frequent
# terms; co-occurrence counts C = XᵀX (computed by a compiled kernel that visits each
# pair of terms in a comment once, or by one sparse product where numba is missing:
# the same numbers, see the Benchmarks page); association strength
# s_ij = 2m·c_ij/(k_i k_j), which compares each co-occurrence with what chance
# would give; the VOS layout, which places associated terms close together
# (minimising Σ s_ij d_ij² at mean distance 1, best of several random starts);
# and CPM clustering optimised by Leiden at the resolution above, with small
# clusters merged. As VOSviewer does, only the largest connected set of terms is
# mapped, and the association strengths are computed on that set.
#
# Where VOSviewer's reference library (CWTSLeiden/networkanalysis 1.3.0) has its
# own rule, we follow it by default and offer the alternative as a parameter:
# an undersized cluster joins the cluster with the largest link strength *per
# member* (`merge_rule`); the layout's repulsion is 1 or 0 (`repulsion`); the map
# is rotated onto its principal axes and each axis flipped so its median is not
# positive (`orientation`).
#
# Besides the study's three category maps we also map all comments together
# (including those under uncategorized posts), as a reference. Every category map
# is built on every run; when one cannot be built, or rests on fewer than
# `min_comments` comments, a warning box below says so.

# %%
docs_by_group = {c: comments.loc[comments["post_sentiment_category"] == c, "terms"].tolist() for c in CATEGORIES}
map_options = dict(top_n=top_n, min_occurrences=min_occurrences, counting=counting, resolution=resolution,
                   min_cluster_size=min_cluster_size, n_layout_starts=n_layout_starts, seed=seed,
                   repulsion=repulsion, merge_rule=merge_rule, orientation=orientation)
print(f"merge rule: {merge_rule}; repulsion: {repulsion}; orientation: {orientation}")
built = build_category_maps(docs_by_group, min_comments=min_comments, **map_options)
maps, build_seconds, skipped = built.maps, dict(built.seconds), dict(built.not_built)
t0 = time.perf_counter()
pooled = build_semantic_map(comments["terms"].tolist(), **map_options)
build_seconds["all comments"] = time.perf_counter() - t0
shown = {**maps, "all comments": pooled}
problems = [f"The {c} map is NOT built: {reason}." for c, reason in built.not_built.items()]
problems += [f"The {c} map is {note}." for c, note in built.small.items()]
if problems:
    display(HTML(warning_html(f"{len(built.not_built)} of {len(CATEGORIES)} category maps missing, "
                              f"{len(built.small)} small", problems)))
else:
    display(Markdown(f"All {len(CATEGORIES)} category maps are built, each on at least {min_comments} comments."))
summary = pd.DataFrame({
    c: {"comments": m.n_documents, "terms selected": m.n_selected, "terms mapped": m.totals.items,
        "clusters": m.n_clusters, "seconds": round(build_seconds[c], 1), "status": built.small.get(c, "built")}
    for c, m in shown.items()
}).T
for c, reason in built.not_built.items():
    summary.loc[c, ["comments", "status"]] = [len(docs_by_group[c]), f"NOT BUILT: {reason}"]
summary

# %% [markdown]
# ## Links and total link strength, ours beside the study's
#
# Per term, *links* L is the number of other terms it co-occurs with and *total
# link strength* TLS is the sum of those co-occurrence counts. Per map, VOSviewer
# prints the number of links and the total link strength counting **each link
# once**; summing the per-term values instead counts every link twice (we show
# both). Under full counting TLS can never be smaller than L (every link has
# strength ≥ 1), yet the study reports TLS < L for the positive map, so its
# totals were probably computed under fractional counting or another convention
# it does not state; we therefore also show the totals of the same terms under the
# other counting method (fractional counting: a comment with n terms contributes
# 1/(n−1) to each of its links).

# %%
other_counting = "fractional" if counting == "full" else "full"
other = {c: totals_under(docs_by_group[c], maps[c].terms, other_counting) for c in maps}
lts = pd.DataFrame({
    c: {
        "study L": STUDY_TOTALS[c]["links"], "study TLS": STUDY_TOTALS[c]["total_link_strength"],
        f"ours L ({counting})": maps[c].totals.links,
        f"ours TLS ({counting})": round(maps[c].totals.total_link_strength, 1),
        "ours Σ_i L_i (twice)": int(maps[c].items["links"].sum()),
        f"ours TLS ({other_counting})": round(other[c].total_link_strength, 1),
        "terms mapped": maps[c].totals.items,
    }
    for c in maps
}, index=None).T if maps else pd.DataFrame()
lts

# %% [markdown]
# The terms with the largest total link strength in each map (all terms are in
# the run folder's `networks/comments_<category>_terms.csv`):

# %%
top_tls = pd.concat(
    {
        c: m.items.nlargest(8, "total_link_strength")
        .assign(gloss=lambda d: d["term"].map(glossary).fillna("?"), cluster=lambda d: d["cluster"] + 1)
        [["term", "gloss", "cluster", "occurrences", "links", "total_link_strength"]]
        .reset_index(drop=True)
        for c, m in shown.items()
    },
    names=["map", "rank"],
)
top_tls

# %% [markdown]
# ## The study's keywords among our most frequent terms
#
# The study names keywords for each cluster of each map (Tables S3–S5; Chinese
# forms as guessed in the project's record of the paper). For each of our maps:
# how many of its 30 most frequent terms are among all the study's cluster
# keywords, and among that map's own keywords. On the embedded corpus this checks
# that the stand-in text talks about what the study's comments talked about (the
# generator plants these keywords); on real data it is a comparison with the paper.

# %%
keyword_rows = {}
for c, m in shown.items():
    top30 = m.items.nlargest(30, ["occurrences"])["term"].tolist()
    own = {w for ws in STUDY_CLUSTER_KEYWORDS.get(c, {}).values() for w in ws}
    found = keywords_among(top30)
    keyword_rows[c] = {"study keywords in top 30": len(found),
                       "this map's own keywords in top 30": len(keywords_among(top30, own)) if own else None,
                       "of the study's": len(all_keywords()), "found": "、".join(found)}
keywords_table = pd.DataFrame(keyword_rows).T
keywords_table

# %% [markdown]
# ## Clusters and their most frequent terms
#
# English glosses come from the project's glossary
# (`src/helpers/resources/glossary_zh_en.tsv`); a "?" marks a term it does not
# yet cover.

# %%
for category, smap in shown.items():
    display(Markdown(f"**{title_of(category)}** — {smap.n_clusters} clusters"))
    display(cluster_table(smap, glossary, top_k=8).style.hide(axis="index"))
all_terms = sorted({t for m in shown.values() for t in m.terms})
gaps = missing_terms(all_terms, glossary)
print(f"glossary covers {len(all_terms) - len(gaps)} of {len(all_terms)} mapped terms")

# %% [markdown]
# ## Interactive networks
#
# Terms sit at their VOS coordinates, coloured by cluster and sized by
# occurrences; the strongest links are drawn. Drag to pan, scroll to zoom, hover
# over a term for its gloss, cluster, occurrences, links and TLS.

# %%
for category, smap in shown.items():
    display(Markdown(f"**{title_of(category)}**"))
    display(iframe(pyvis_html(smap, glossary, max_links=400), height=600))

# %% [markdown]
# ## Static maps
#
# The same layout as a static figure (labels for the most frequent terms).

# %%
for category, smap in shown.items():
    plotly_map(smap, f"VOS map: {title_of(category)}", glossary).show()

# %% [markdown]
# ## Are the themes the same across categories?
#
# The study reads the three maps as showing the same themes whatever the post's
# sentiment. We measure it: over the terms two maps share, the adjusted Rand index
# (ARI) and normalised mutual information (NMI) of their cluster memberships
# (1 = identical grouping, 0 = chance), and, for each cluster, the best Jaccard
# overlap of its ten most frequent terms with a cluster of the other map.

# %%
themes = planted_themes(layout.raw / "truth.json")
if len(maps) >= 2:
    consistency = consistency_table(maps, top_k=10)
    display(consistency.round(3))
else:
    consistency = pd.DataFrame()
    display(Markdown("*Fewer than two category maps in this run: nothing to compare.*"))

# %% [markdown]
# ## Do the clusters recover the planted themes?
#
# Only on the embedded corpus, where every planted theme word's theme is known.
# The score is computed over **all** mapped terms: a term that belongs to no
# planted theme (an everyday word, a leftover function word, a sentiment word)
# is in an "other" class, so the clustering is charged for everything it maps.
# Because no cluster is meant to collect the "other" words, this all-terms ARI
# stays well below 1 even when every theme is found; the table therefore also
# shows, per theme, its *coverage* (the share of its mapped words in its modal
# cluster) and *purity* (the share of that cluster's terms that belong to the
# theme), and the ARI over planted theme words alone. With real data this
# section is skipped.

# %%
recovery = {}
if themes is None:
    display(Markdown("*No planted themes in this run folder (real data): recovery is not computed.*"))
else:
    recovery = {c: theme_recovery(m, themes) for c, m in shown.items()}
    display(pd.DataFrame(recovery).T.round(3))
    if len(maps) >= 2:
        display(Markdown("Consistency across categories over theme terms only:"))
        display(consistency_table(maps, top_k=10, terms=themes).round(3))

# %% [markdown]
# One corpus is one draw. To make a recovery *claim* we regenerate the comments
# `n_recovery_seeds` times with fresh seeds (the same generative model, as many
# comments as the median category map here), map each the same way, and count a
# seed as recovered when every theme has its own modal cluster holding at least
# half of the theme's mapped words. The rate comes with a Wilson 95 % interval.
#
# What this can show: that *when comments are written the way this generator
# writes them*, at this sample size, the chapter's pipeline separates the planted
# themes, and how often it fails to. What it cannot show: that real comments have
# three themes, that the study's clusters are themes rather than artefacts of
# frequency, or that the pipeline would find themes expressed with other words —
# the generator plants the study's own keywords, and its sentences are shaped by
# this project, not sampled from Xiaohongshu.

# %%
recovery_rate = {}
if themes is not None and n_recovery_seeds > 0:
    from helpers.study import du_gu
    from helpers.synth.xhs_text import THEME_NAMES, sample_comments

    def comment_sentiment(rng, n):  # the study's comment-score moments (Results / Sentiment analysis)
        m = du_gu.SCORE_DISTRIBUTION["comments"]
        return np.clip(rng.normal(m["mean"], m["sd"], n), -1, 1)

    truth_json = layout.raw / "truth.json"
    theme_shares = json.loads(truth_json.read_text(encoding="utf-8")).get("theme_shares") if truth_json.exists() \
        else None
    if not theme_shares or set(theme_shares) - set(THEME_NAMES):
        theme_shares = None
    n_per_seed = int(np.median([m.n_documents for m in maps.values()])) if maps else pooled.n_documents

    def fresh_corpus(s):
        texts, _ = sample_comments(s, n_per_seed, theme_shares, comment_sentiment)
        return tokenizer.tokenize_many(texts), themes

    t0 = time.perf_counter()
    per_seed = recovery_over_seeds(fresh_corpus, [seed + 1000 + k for k in range(n_recovery_seeds)],
                                   **{**map_options, "n_layout_starts": 1})
    recovery_rate = coverage_summary(per_seed)
    recovery_rate["comments_per_seed"] = n_per_seed
    recovery_rate["seconds"] = round(time.perf_counter() - t0, 1)
    cols = ["seed", "comments", "clusters", "n_terms", "share_theme_terms", "ari", "ari_theme_terms",
            "themes_separated", "recovered"]
    display(per_seed[cols].round(3))
    display(Markdown(
        f"Themes recovered in **{recovery_rate['recovered']} of {recovery_rate['seeds']}** regenerated corpora "
        f"of {n_per_seed:,} comments (rate {recovery_rate['rate']:.2f}, 95 % interval "
        f"{recovery_rate['rate_low']:.2f}–{recovery_rate['rate_high']:.2f}); median all-terms ARI "
        f"{recovery_rate['ari_median']:.2f}, median ARI over theme words {recovery_rate['ari_theme_terms_median']:.2f}, "
        f"median share of mapped terms that are planted theme words {recovery_rate['share_theme_terms_median']:.2f}."))

# %% [markdown]
# ## VOSviewer files
#
# Each map is written as a VOSviewer map file and network file into the run
# folder's `networks/`. In VOSviewer choose *Create → Create a map based on
# network data → Read data from VOSviewer files*. We read each pair back to check
# that it holds exactly what we computed.

# %%
exported = {}
for category, smap in shown.items():
    stem = f"comments_{category.replace(' ', '_')}"
    map_path, net_path = export_vosviewer(smap, layout.networks, stem)
    back = read_map_file(map_path)
    network = read_network_file(net_path, n_items=len(back))
    assert back["label"].tolist() == smap.terms
    assert (back["cluster"] - 1).tolist() == smap.items["cluster"].tolist()
    assert np.allclose(back[["x", "y"]].to_numpy(), smap.items[["x", "y"]].to_numpy(), atol=1e-5)
    assert abs(network - smap.cooccurrence).max() < 1e-5
    smap.items.to_csv(layout.networks / f"{stem}_terms.csv", index=False)
    exported[category] = [map_path.name, net_path.name]
pd.DataFrame(exported, index=["map file", "network file"]).T

# %% tags=["remove-output"]
from helpers.book.results_schema import SemanticNetworkResults

results = SemanticNetworkResults(
    scale=scale,
    seed=seed,
    top_n=top_n,
    counting=counting,
    resolution=resolution,
    tokenize_seconds=round(tokenize_seconds, 2),
    maps={
        c: {
            "comments": m.n_documents,
            "terms": m.totals.items,
            "clusters": m.n_clusters,
            "links": m.totals.links,
            "total_link_strength": round(m.totals.total_link_strength, 2),
            f"total_link_strength_{other_counting}": round(other[c].total_link_strength, 2),
            "study_links": STUDY_TOTALS[c]["links"],
            "study_total_link_strength": STUDY_TOTALS[c]["total_link_strength"],
            "seconds": round(build_seconds[c], 2),
        }
        for c, m in maps.items()
    },
    pooled_map={"comments": pooled.n_documents, "terms": pooled.totals.items,
                "clusters": pooled.n_clusters, "links": pooled.totals.links,
                "total_link_strength": round(pooled.totals.total_link_strength, 2)},
    skipped_categories=skipped,
    maps_not_built=skipped,
    small_categories=built.small,
    distinct_terms=distinct_terms,
    map_rules={"merge_rule": merge_rule, "repulsion": repulsion, "orientation": orientation},
    study_keywords_in_top30={c: int(r["study keywords in top 30"]) for c, r in keyword_rows.items()},
    theme_recovery_over_seeds=recovery_rate,
    consistency=consistency.to_dict(orient="records"),
    theme_recovery=recovery,
    glossary_coverage=round(1 - len(gaps) / max(1, len(all_terms)), 3),
)
layout.write_results("04_semantic_networks", results)
