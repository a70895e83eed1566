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
# On the embedded corpus the comments are synthetic (chapter 01): three themes were
# planted in them — coping and resilience, emotional struggle, health and
# treatment — so we can check that the method finds them. None of the terms or
# numbers below describe real users.

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
top_n = 100  # terms per category map (the study's link counts fit ~100 terms)
min_occurrences = 3  # a term must occur in at least this many comments
counting = "full"  # VOSviewer's "full counting"; "fractional" is the alternative
resolution = 1.0  # CPM resolution on association strengths (VOSviewer's default)
min_cluster_size = 5  # smaller clusters are merged into their best partner
n_layout_starts = 5  # random starts of the VOS layout; the best is kept
min_comments = 50  # a category with fewer comments is reported but not mapped
keep_words = ["现在", "一个"]  # kept although HIT lists them (as in the study)
extra_stopwords = []  # further words to drop, e.g. the search hashtags

# %% tags=["remove-cell"]
# Opened on its own on Colab, a chapter first runs the earlier chapters it reads from.
from helpers.book.colab import ensure_upstream, on_colab

if on_colab():
    ensure_upstream("04_semantic_networks", run_dir, scale=scale, seed=seed)

# %%
import time
import warnings

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from helpers.book.figures import iframe, use_notebook_renderer
from helpers.book.run_folder import RunLayout
from helpers.networks.figures import plotly_map, pyvis_html
from helpers.networks.glossary import load_glossary, missing_terms
from helpers.networks.inputs import CATEGORIES, STUDY_TOTALS, load_scored_comments, planted_themes
from helpers.networks.map_consistency import consistency_table, theme_recovery
from helpers.networks.segmenter import ChineseTokenizer, hit_stopwords
from helpers.networks.semantic_map import (
    build_semantic_map,
    cluster_table,
    export_vosviewer,
    totals_under,
)
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
print(f"segmented {len(comments):,} comments in {tokenize_seconds:.1f} s; "
      f"{comments['terms'].map(len).mean():.1f} terms per comment on average")

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
# mapped. Besides the study's three category maps we also map all comments
# together (including those under uncategorized posts), as a reference; a
# category with fewer than `min_comments` comments is listed but not mapped.

# %%
def map_of(docs):
    return build_semantic_map(
        docs, top_n=top_n, min_occurrences=min_occurrences, counting=counting,
        resolution=resolution, min_cluster_size=min_cluster_size,
        n_layout_starts=n_layout_starts, seed=seed,
    )


docs_by_group = {c: comments.loc[comments["post_sentiment_category"] == c, "terms"].tolist() for c in CATEGORIES}
maps, build_seconds, skipped = {}, {}, {}
for category, docs in docs_by_group.items():
    if len(docs) < min_comments:
        skipped[category] = f"{len(docs)} comments (< min_comments = {min_comments})"
        continue
    t0 = time.perf_counter()
    maps[category] = map_of(docs)
    build_seconds[category] = time.perf_counter() - t0
t0 = time.perf_counter()
pooled = map_of(comments["terms"].tolist())
build_seconds["all comments"] = time.perf_counter() - t0
shown = {**maps, "all comments": pooled}
for category, reason in skipped.items():
    display(Markdown(f"*The {category} map is not drawn: {reason}.*"))
summary = pd.DataFrame({
    c: {"comments": m.n_documents, "terms selected": m.n_selected, "terms mapped": m.totals.items,
        "clusters": m.n_clusters, "seconds": round(build_seconds[c], 1)}
    for c, m in shown.items()
}).T
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
# Only on the embedded corpus, where every theme word's theme is known: ARI
# between clusters and planted themes over mapped terms that belong to a theme
# (generic words are left out). With real data this section is skipped.
#
# On the stand-in corpus the most frequent words of a cluster are often the
# grammar's connecting words (后来 "afterwards", 建议 "suggest" …): each comment
# template belongs to one theme, so these words travel with that theme's words and
# land in its cluster. That is exactly what co-occurrence clustering should do,
# and it is why the score below is computed over the planted theme words only.

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

# %%
results = {
    "scale": scale,
    "seed": seed,
    "top_n": top_n,
    "counting": counting,
    "resolution": resolution,
    "tokenize_seconds": round(tokenize_seconds, 2),
    "maps": {
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
    "pooled_map": {"comments": pooled.n_documents, "terms": pooled.totals.items,
                   "clusters": pooled.n_clusters, "links": pooled.totals.links,
                   "total_link_strength": round(pooled.totals.total_link_strength, 2)},
    "skipped_categories": skipped,
    "consistency": consistency.to_dict(orient="records"),
    "theme_recovery": recovery,
    "glossary_coverage": round(1 - len(gaps) / max(1, len(all_terms)), 3),
}
layout.write_results("04_semantic_networks", results)
