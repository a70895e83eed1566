"""The embedded CNSD-shaped corpus: study shape, planted truth, release format round trip."""

from __future__ import annotations

import numpy as np

from helpers.cnsd.dataset_io import DIMENSION_KEYS, load_cnsd_json
from helpers.cnsd.tables import data_statistics, dimension_statistics, evidence_from_truth
from helpers.synth.cnsd_corpus import generate_corpus, write_corpus


def test_scale_one_has_the_study_shape():
    corpus = generate_corpus(scale=1.0, seed=3)
    labels = [u.label for u in corpus.users]
    assert len(labels) == 233 and sum(labels) == 116
    n_posts = np.array([len(u.posts) for u in corpus.users])
    assert n_posts.min() >= 20 and n_posts.max() <= 600
    assert 30_000 < n_posts.sum() < 60_000
    assert len(corpus.truth) == n_posts.sum()


def test_round_trip_and_gold_quotes_planted_spans(tmp_path):
    corpus = generate_corpus(scale=0.1, seed=5)
    paths = write_corpus(corpus, tmp_path)
    users = load_cnsd_json(paths["dataset"])
    assert [u.posts for u in users] == [u.posts for u in corpus.users]
    assert all(u.answer == u.label and len(u.sections) == 6 for u in users)
    truth = corpus.truth
    evidence = evidence_from_truth(truth)
    # evidence is concentrated in at-risk users
    rate_pos = evidence[truth["label"] == 1].any(axis=1).mean()
    rate_neg = evidence[truth["label"] == 0].any(axis=1).mean()
    assert rate_pos > 5 * rate_neg
    # a positive user's gold section quotes text that occurs in their posts
    user = next(u for u in users if u.label == 1 and "例如" in u.sections["negative_emotion"])
    quote = user.sections["negative_emotion"].split("“")[1].split("”")[0]
    assert any(quote in p for p in user.posts)


def test_seed_determinism_and_small_scale():
    a, b = generate_corpus(0.05, seed=1), generate_corpus(0.05, seed=1)
    assert [u.posts for u in a.users] == [u.posts for u in b.users]
    assert len(a.users) == 24
    assert [u.posts for u in generate_corpus(0.05, seed=2).users] != [u.posts for u in a.users]


def test_tables_have_the_expected_shape():
    corpus = generate_corpus(0.1, seed=4)
    t1 = data_statistics(corpus.users)
    assert t1.loc["users", "all"] == len(corpus.users)
    assert t1.loc["posts", "study (all)"] == 44178
    assert t1.loc["characters per post (mean)", "study (all)"] == "not reported"
    import pandas as pd

    posts = pd.DataFrame({"user_key": corpus.truth["user_key"], "label": corpus.truth["label"]})
    t2 = dimension_statistics(posts, evidence_from_truth(corpus.truth), "planted")
    assert len(t2) == len(DIMENSION_KEYS)
    assert (t2["evidence posts (at risk)"] > t2["evidence posts (not at risk)"]).all()
