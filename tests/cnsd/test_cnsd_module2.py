"""Module II prompts, parsing of replies, the offline labeller and the lexicon tagger."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import DIMENSION_KEYS, CNSDUser, parse_output
from helpers.cnsd.dimension_tagger import (
    fit_threshold,
    structured_analysis,
    tag_post,
    user_evidence_rate,
)
from helpers.cnsd.module1 import build_module1
from helpers.cnsd.module2 import (
    NgramLabeller,
    parse_yes_no,
    post_level_scores,
    summarise_users,
    summary_messages,
    verify_labels,
)
from helpers.cnsd.tables import evidence_from_truth
from helpers.synth.cnsd_corpus import generate_corpus


class Canned:
    name = "canned"

    def __init__(self, replies):
        self.replies = list(replies)
        self.prompts = []

    def chat(self, messages):
        self.prompts.append(messages[-1]["content"])
        return self.replies.pop(0)


def test_verify_labels_parses_and_flags():
    labelled = pd.DataFrame({"text": ["a", "b", "c"], "dimension": ["negative_emotion"] * 3})
    out = verify_labels(Canned(["是。理由", "否，无关", "I think yes"]), labelled)
    assert out["verified"].tolist() == [True, False, False]
    assert out["parse_ok"].tolist() == [True, True, False]
    assert parse_yes_no("  “是”") == 1 and parse_yes_no("maybe") is None


def test_summaries_keep_unparseable_replies():
    users = [CNSDUser("p_user_1", 1, ["好难过"]), CNSDUser("n_user_1", 0, ["吃饭"])]
    backend = Canned(["答案：\"是\"。总结和分析: 1. 负面情绪：难过。", "I cannot help with that."])
    res = summarise_users(backend, users, {"p_user_1": [(1, "negative_emotion")]})
    assert res[0].answer == 1 and res[0].sections == {"negative_emotion": "难过。"}
    assert res[1].answer is None and "n_user_1" in res[1].parse_error
    assert "text_1→负面情绪" in backend.prompts[0] and "text_1: 好难过" in backend.prompts[0]


def test_summary_prompt_bounds_length():
    prompt = summary_messages([f"帖子{i}" for i in range(300)], max_posts=50)[-1]["content"]
    assert "text_300: 帖子299" in prompt and "text_250:" not in prompt and "text_251: 帖子250" in prompt


def test_labeller_then_verification_raises_precision():
    corpus = generate_corpus(0.2, seed=21)
    truth = corpus.truth
    posts = pd.DataFrame({"user_key": truth["user_key"], "label": truth["label"],
                          "post_index": truth["post_index"], "text": [p for u in corpus.users for p in u.posts]})
    evidence = evidence_from_truth(truth)
    users = truth["user_key"].unique()
    dev = posts["user_key"].isin(set(users[::2])).to_numpy()
    data = build_module1(posts[dev].reset_index(drop=True), evidence[dev], seed=0)
    labeller = NgramLabeller().fit(data.examples)
    pred = labeller.predict(posts.loc[~dev, "text"])
    scores = post_level_scores(pred, evidence[~dev])
    assert (scores["recall"] > 0.5).all()
    # rule verification of the proposed labels
    texts = posts.loc[~dev, "text"].tolist()
    verified = np.array([[pred[i, j] and DIMENSION_KEYS[j] in tag_post(t).dims for j in range(6)]
                         for i, t in enumerate(texts)])
    after = post_level_scores(verified, evidence[~dev])
    assert after["precision"].mean() > scores["precision"].mean()


def test_tagger_rules_and_threshold():
    assert tag_post("最近失眠，凌晨还睁着眼").dims == ["clinical_symptoms"]
    mitigated = tag_post("明天考试，今晚要失眠了哈哈")
    assert mitigated.dims == [] and mitigated.mitigated
    assert user_evidence_rate(["好难过", "吃饭", "散步", "睡觉"]) == 0.25
    assert fit_threshold([0.0, 0.1, 0.3, 0.4], [0, 0, 1, 1]) == 0.3
    answer, _, sections = parse_output(structured_analysis(["舍曲林加量了", "吃饭"], threshold=0.5))
    assert answer == 1 and set(sections) == set(DIMENSION_KEYS)
