"""Module II's four steps (Section 4.2): label, collect, verify case by case, few-shot summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    CNSDUser,
    gold_evidence_frame,
    parse_output,
    posts_frame,
)
from helpers.cnsd.llm_backend import LexiconBackend
from helpers.cnsd.module1 import build_module1
from helpers.cnsd.module2 import (
    EXPERT_SYSTEM,
    NgramLabeller,
    few_shot_examples,
    label_matrix,
    label_posts,
    parse_label_reply,
    parse_yes_no,
    post_level_scores,
    run_module2,
    summary_messages,
    verify_labels,
)
from helpers.cnsd.selection import gold_test_split
from helpers.synth.cnsd_corpus import generate_corpus


class Scripted:
    """A backend that records prompts and answers from a list."""

    name = "scripted"

    def __init__(self, replies):
        self.replies = list(replies)
        self.prompts = []

    def chat(self, messages):
        self.prompts.append(messages)
        return self.replies.pop(0) if self.replies else "是。"


@pytest.fixture(scope="module")
def setup():
    corpus = generate_corpus(0.1, seed=21)
    gold, test = gold_test_split(corpus.users, seed=0)
    m1 = build_module1(posts_frame(gold), gold_evidence_frame(gold), seed=0)
    return corpus, gold, test, NgramLabeller(seed=0).fit(m1.examples)


def test_verify_is_one_call_per_label_and_flags_bad_replies():
    rows = pd.DataFrame({"user_key": ["p_user_1"] * 3, "post_index": [1, 2, 3], "text": ["a", "b", "c"],
                         "dimension": ["negative_emotion", "clinical_symptoms", "external_causes"],
                         "evidence": ["x", "y", "z"]})
    backend = Scripted(["是，确实如此", "否。", "不好说"])
    out = verify_labels(backend, rows)
    assert list(out["verified"]) == [True, False, False] and list(out["parse_ok"]) == [True, True, False]
    assert len(backend.prompts) == 3 and "【标注依据】y" in backend.prompts[1][-1]["content"]
    assert parse_yes_no("否，不是") == 0 and parse_yes_no("也许") is None
    assert verify_labels(backend, rows.iloc[:0]).empty


def test_summary_prompt_is_few_shot_expert_with_verified_posts_only():
    ex = CNSDUser("p_user_9", 1, ["x"], output='答案："是"。总结和分析: 1. 抑郁心理状态：示例。')
    user = CNSDUser("p_user_1", 1, ["今天吃饭", "整夜没合眼", "散步"])
    items = pd.DataFrame({"user_key": ["p_user_1"], "post_index": [2], "text": ["整夜没合眼"],
                          "dimension": ["clinical_symptoms"], "evidence": ["整夜没合眼"], "verified": [True]})
    msgs = summary_messages(user, items, [ex])
    assert msgs[0]["content"] == EXPERT_SYSTEM and "心理学专家" in EXPERT_SYSTEM
    body = msgs[1]["content"]
    assert "【要求】" in body and "【金标准示例】" in body and ex.output in body
    assert "text_2（临床症状；整夜没合眼）：整夜没合眼" in body and "今天吃饭" not in body
    fs = summary_messages(user, None, [ex])[1]["content"]
    assert "text_1：今天吃饭" in fs


def test_few_shot_examples_come_from_both_classes():
    gold = [CNSDUser(f"p_user_{i}", 1, ["x"], output="o") for i in range(3)] + [
        CNSDUser(f"n_user_{i}", 0, ["x"], output="o") for i in range(3)]
    shots = few_shot_examples(gold, 2, seed=1)
    assert sorted(u.label for u in shots) == [0, 1]


def test_parse_label_reply():
    assert parse_label_reply("这条帖子属于“临床症状”，因为它提到了“整夜没合眼”。") == [("clinical_symptoms", "整夜没合眼")]
    assert parse_label_reply("该文本不属于任何维度。") == []


def test_run_module2_end_to_end_with_lexicon_backend(setup):
    corpus, gold, test, labeller = setup
    backend = LexiconBackend(threshold=0.05)
    res = run_module2(test, labeller, backend, backend, gold, seed=0)
    counts = res.counts()
    assert counts["labels proposed"] == len(res.labelled) > 0
    assert counts["labels verified"] <= counts["labels proposed"] and counts["unparseable summaries"] == 0
    assert all(k in {u.user_key for u in gold} for k in res.examples)
    for s in res.summaries:
        answer, _, sections = parse_output(s.reply)
        assert answer in (0, 1) and set(sections) == set(DIMENSION_KEYS)
    # the labels of step 1 are scored against planted truth with scikit-learn
    posts = posts_frame(test)
    truth = corpus.truth.set_index(["user_key", "post_index"]).loc[
        list(zip(posts["user_key"], posts["post_index"], strict=True)), "dims"]
    t = np.array([[d in s.split("|") for d in DIMENSION_KEYS] for s in truth])
    before = post_level_scores(label_matrix(res.verified, posts), t)
    after = post_level_scores(label_matrix(res.verified, posts, only_verified=True), t)
    assert before.iloc[-1]["labelled"] >= after.iloc[-1]["labelled"]
    assert before.iloc[-1]["recall"] > 0.3  # the labeller finds planted spans


def test_labeller_gives_evidence_from_the_post(setup):
    _, _, test, labeller = setup
    rows = label_posts(labeller, test[:2])
    assert not rows.empty
    assert all(e in t for e, t in zip(rows["evidence"], rows["text"], strict=True))


def test_verified_share_counts_posts_once():
    from helpers.cnsd.chapter import verified_share

    users = [CNSDUser("p_user_1", 1, ["a"] * 10), CNSDUser("n_user_1", 0, ["b"] * 4)]
    v = pd.DataFrame({"user_key": ["p_user_1"] * 3, "post_index": [1, 1, 2], "verified": [True, True, False],
                      "dimension": ["negative_emotion", "clinical_symptoms", "external_causes"]})
    assert list(verified_share(users, v)) == [0.1, 0.0]
    assert list(verified_share(users, v.iloc[:0])) == [0.0, 0.0]
