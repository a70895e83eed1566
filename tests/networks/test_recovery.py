"""Theme recovery as a rate over seeds (helpers.networks.recovery)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.networks.recovery import coverage_summary, recovery_over_seeds, wilson_interval
from tests.networks.test_semantic_networks import planted_corpus


def test_wilson_interval_by_hand():
    # 8 of 10: centre (0.8 + 1.92/10) / 1.384 = 0.7167, half-width 1.96·√(0.016 + 0.00096)/1.384 = 0.1844
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 10)[0] == pytest.approx(0.0) and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_planted_themes_recovered_in_every_seed():
    per_seed = recovery_over_seeds(lambda s: planted_corpus(900, seed=s), [1, 2, 3], top_n=100,
                                   n_layout_starts=1, n_cluster_starts=3)
    assert list(per_seed["seed"]) == [1, 2, 3] and per_seed["recovered"].all()
    summary = coverage_summary(per_seed)
    assert summary["rate"] == 1.0 and summary["rate_low"] < 1.0 and summary["seeds"] == 3


def test_unstructured_corpus_is_not_recovered():
    def noise(seed):
        docs, truth = planted_corpus(900, seed=seed)
        rng = np.random.default_rng(seed)
        vocab = sorted({w for d in docs for w in d})
        return [list(rng.choice(vocab, size=len(d), replace=False)) for d in docs], truth

    per_seed = recovery_over_seeds(noise, [4, 5], top_n=100, n_layout_starts=1, n_cluster_starts=2)
    assert not per_seed["recovered"].any()
    assert coverage_summary(per_seed)["rate"] == 0.0


def test_no_seeds_is_an_error():
    with pytest.raises(ValueError, match="seed"):
        recovery_over_seeds(lambda s: planted_corpus(50, seed=s), [])


def test_every_category_is_built_or_explained():
    from helpers.networks.semantic_map import build_category_maps

    docs, _ = planted_corpus(300, seed=2)
    result = build_category_maps({"positive": docs[:40], "neutral": docs, "negative": []}, min_comments=50,
                                 top_n=60, n_layout_starts=1, n_cluster_starts=2)
    assert set(result.maps) == {"positive", "neutral"}
    assert "no comments" in result.not_built["negative"]
    assert "40 comments" in result.small["positive"] and "neutral" not in result.small
    lonely = build_category_maps({"negative": [["a"], ["b"]]}, min_occurrences=1)
    assert "cannot be built" in lonely.not_built["negative"] and not lonely.maps


def test_study_keywords_are_the_papers():
    from helpers.networks.study_keywords import STUDY_CLUSTER_KEYWORDS, all_keywords, keywords_among

    assert set(STUDY_CLUSTER_KEYWORDS) == {"positive", "neutral", "negative"}
    assert {"医生", "医院", "希望", "躯体化", "睡不着"} <= all_keywords() and len(all_keywords()) == 34
    assert keywords_among(["抑郁", "医生", "真的", "希望"]) == ["医生", "希望"]


def test_map_options_may_carry_a_seed():
    per_seed = recovery_over_seeds(lambda s: planted_corpus(300, seed=s), [7], seed=123, top_n=60,
                                   n_layout_starts=1, n_cluster_starts=1)
    assert per_seed["seed"].tolist() == [7]
