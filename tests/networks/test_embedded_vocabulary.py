"""The embedded corpus as chapter 04 sees it: a broad vocabulary and the study's keywords on top.

Issue 16's done-when, checked at scale 0.2 (scale 1 is measured by hand: it is heavy on a
shared machine).  Categories come from the planted post sentiment with the study's
thresholds, so the check does not depend on chapter 02's model.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.networks.segmenter import ChineseTokenizer
from helpers.networks.semantic_map import build_category_maps
from helpers.networks.study_keywords import keywords_among
from helpers.study import du_gu
from helpers.synth.xhs_corpus import generate, write


def _study_category(scores: np.ndarray) -> np.ndarray:
    """The study's categories of the planted post sentiment (between the bands: uncategorized)."""
    cut = du_gu.THRESHOLDS
    out = np.full(scores.shape, "uncategorized", dtype=object)
    out[scores > cut["positive"]] = "positive"
    out[(scores >= cut["neutral_low"]) & (scores <= cut["neutral_high"])] = "neutral"
    out[scores < cut["negative"]] = "negative"
    return out


@pytest.mark.slow
def test_embedded_comments_have_a_broad_vocabulary_and_the_studys_keywords(tmp_path):
    corpus = generate(scale=0.2, seed=20241111)
    write(corpus, tmp_path / "raw")
    result = clean_export(tmp_path / "raw", CleaningConfig(coding_file=tmp_path / "raw" / "self_disclosure_coding.csv",
                                                           salt="t"))
    comments = result.comments
    terms = ChineseTokenizer().tokenize_many(comments["text"].tolist())
    assert len({t for ts in terms for t in ts}) >= 3000
    post_sentiment = corpus.truth_posts.set_index("note_id")["latent_sentiment"]
    category = _study_category(comments["note_id"].map(post_sentiment).to_numpy())
    docs = {c: [t for t, k in zip(terms, category, strict=True) if k == c] for c in ("positive", "neutral", "negative")}
    built = build_category_maps(docs, top_n=100, n_layout_starts=1, n_cluster_starts=3)
    assert not built.not_built
    for c, smap in built.maps.items():
        top30 = smap.items.nlargest(30, ["occurrences"])["term"].tolist()
        assert len(keywords_among(top30)) >= 10, (c, top30)
