"""The embedded CNSD-shaped corpus: Table 1 and Table 2 shapes, selection rules, release format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.cnsd.dataset_io import DIMENSION_KEYS, gold_evidence_frame, load_cnsd_json
from helpers.cnsd.selection import apply_selection, qwen25_counter
from helpers.study import cnsd as study
from helpers.synth.cnsd_corpus import generate_corpus, write_corpus


@pytest.fixture(scope="module")
def full():
    return generate_corpus(scale=1.0, seed=3)


def test_scale_one_matches_table1_and_meets_section3(full):
    labels = [u.label for u in full.users]
    assert len(labels) == 233 and sum(labels) == 116
    name, count = qwen25_counter()
    sel = apply_selection(full.users, count, name)
    assert len(sel.kept) == 233  # every user has >= 60 posts and >= 3,000 Qwen2.5 tokens
    for cls, lab in (("positive", 1), ("negative", 0)):
        t = sel.table[sel.table["label"] == lab]
        paper = study.TABLE1[cls]
        assert t["posts"].sum() == pytest.approx(paper["texts"], rel=0.08)
        assert t["tokens"].sum() == pytest.approx(paper["tokens"], rel=0.08)


def test_span_rates_and_shares_follow_table2(full):
    spans = full.truth["spans"].map(json.loads)
    per_post = spans.map(len)
    pos, neg = full.truth["label"] == 1, full.truth["label"] == 0
    assert per_post[pos].mean() == pytest.approx(study.spans_per_text("positive"), rel=0.15)
    assert per_post[neg].mean() == pytest.approx(study.spans_per_text("negative"), rel=0.35)
    dims = [s[0] for lst in spans[pos] for s in lst]
    shares = {d.id: dims.count(d.key) / len(dims) for d in study.DIMENSIONS}
    for dim_id, paper_share in study.span_shares("positive").items():
        assert shares[dim_id] == pytest.approx(paper_share, abs=0.03)


def test_round_trip_and_gold_cites_planted_spans(tmp_path):
    corpus = generate_corpus(scale=0.1, seed=5)
    paths = write_corpus(corpus, tmp_path)
    users = load_cnsd_json(paths["dataset"])
    assert [u.posts for u in users] == [u.posts for u in corpus.users]
    assert all(u.answer == u.label and len(u.sections) == 6 for u in users)
    ev = gold_evidence_frame(users)
    truth = corpus.truth.set_index(["user_key", "post_index"])
    rows = ev.head(200)[["user_key", "post_index", "dimension", "note"]].itertuples(index=False, name=None)
    for k, i, d, note in rows:
        assert d in truth.loc[(k, i), "dims"].split("|")
        post = next(u for u in users if u.user_key == k).posts[i - 1]
        assert note in post
    spans = corpus.truth["spans"].map(json.loads)
    for text, lst in zip([p for u in corpus.users for p in u.posts], spans, strict=True):
        for dim, start, end, span in lst:
            assert dim in DIMENSION_KEYS and text[start:end] == span


def test_seed_determinism_and_small_scale():
    a, b = generate_corpus(0.05, seed=1), generate_corpus(0.05, seed=1)
    assert [u.posts for u in a.users] == [u.posts for u in b.users]
    assert len(a.users) == 24 and min(len(u.posts) for u in a.users) >= 60
    assert [u.posts for u in generate_corpus(0.05, seed=2).users] != [u.posts for u in a.users]
    with pytest.raises(ValueError):
        generate_corpus(0)
    assert np.isfinite(a.params["chars_per_token"])
