"""Module I data: per-dimension positive sets, computed n_min, clean negatives, SFT files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.cnsd.dataset_io import DIMENSION_KEYS
from helpers.cnsd.module1 import (
    INSTRUCTION_TEMPLATES,
    build_module1,
    read_sft_jsonl,
    summary_table,
    write_sft_files,
)
from helpers.cnsd.tables import evidence_from_truth
from helpers.synth.cnsd_corpus import generate_corpus


@pytest.fixture(scope="module")
def corpus_posts():
    corpus = generate_corpus(0.15, seed=11)
    posts = pd.DataFrame({
        "user_key": corpus.truth["user_key"], "label": corpus.truth["label"],
        "post_index": corpus.truth["post_index"], "text": [p for u in corpus.users for p in u.posts],
    })
    return posts, evidence_from_truth(corpus.truth)


def test_n_min_is_computed_and_sets_are_balanced(corpus_posts):
    posts, evidence = corpus_posts
    data = build_module1(posts, evidence, seed=1)
    at_risk = posts["label"].to_numpy() == 1
    expected = {d: int((evidence[:, j] & at_risk).sum()) for j, d in enumerate(DIMENSION_KEYS)}
    assert data.positive_counts == expected
    assert data.n_min == min(expected.values())
    counts = data.examples.groupby(["dimension", "polarity"]).size()
    assert (counts == data.n_min).all() and len(counts) == 12
    # positives carry their dimension; negatives come from not-at-risk users without evidence
    row_of = {(k, i): n for n, (k, i) in enumerate(zip(posts["user_key"], posts["post_index"], strict=True))}
    for _, ex in data.examples.iterrows():
        n = row_of[(ex["user_key"], ex["post_index"])]
        if ex["polarity"]:
            assert evidence[n, DIMENSION_KEYS.index(ex["dimension"])] and posts["label"].iat[n] == 1
        else:
            assert not evidence[n].any() and posts["label"].iat[n] == 0
    assert summary_table(data)["kept positives"].tolist() == [data.n_min] * 6
    assert build_module1(posts, evidence, n_min=3).n_min == 3


def test_missing_dimension_is_a_clear_error(corpus_posts):
    posts, evidence = corpus_posts
    ev = evidence.copy()
    ev[:, 1] = False
    with pytest.raises(ValueError, match="medical_expression"):
        build_module1(posts, ev)
    with pytest.raises(ValueError, match="differ in length"):
        build_module1(posts.iloc[:5], evidence)


def test_sft_files_are_chat_messages_for_trl_and_llama_factory(corpus_posts, tmp_path):
    posts, evidence = corpus_posts
    data = build_module1(posts, evidence, seed=2)
    paths = write_sft_files(data, tmp_path, seed=2)
    convs = read_sft_jsonl(paths["jsonl"])
    assert len(convs) == len(data.examples)
    assert all([m["role"] for m in c] == ["system", "user", "assistant"] for c in convs)
    answers = [c[-1]["content"][0] for c in convs]
    assert set(answers) == {"是", "否"}
    assert sum(a == "是" for a in answers) == len(convs) // 2
    assert "user_" not in paths["jsonl"].read_text(encoding="utf-8")
    info = json.loads(paths["dataset_info"].read_text())["cnsd_module1"]
    assert info["formatting"] == "sharegpt" and info["file_name"] == paths["jsonl"].name
    assert info["tags"]["assistant_tag"] == "assistant"
    # many distinct paraphrases are actually used
    prompts = {c[1]["content"].split("帖子")[0][:12] for c in convs}
    assert len(INSTRUCTION_TEMPLATES) >= 10 and len(prompts) >= 8


def test_read_sft_rejects_bad_lines(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "x"}]}) + "\n")
    with pytest.raises(ValueError, match="line 1: the last turn"):
        read_sft_jsonl(path)
    path.write_text('{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\n{"text": 1}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_sft_jsonl(path)


def test_rng_shapes():
    assert np.unique(np.random.default_rng(0).integers(len(INSTRUCTION_TEMPLATES), size=500)).size == len(
        INSTRUCTION_TEMPLATES)
