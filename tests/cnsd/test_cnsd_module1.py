"""Module I (Section 4.1, A.4): S_k from Gold citations, n_min balancing, 20+20+20 wordings, files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.cnsd import module1 as m1mod
from helpers.cnsd.dataset_io import DIMENSION_KEYS, DIMENSION_ZH, gold_evidence_frame, posts_frame
from helpers.cnsd.llamafactory_format import validate_entry
from helpers.cnsd.selection import gold_test_split
from helpers.study import cnsd as study
from helpers.synth.cnsd_corpus import generate_corpus


@pytest.fixture(scope="module")
def gold_data():
    corpus = generate_corpus(0.1, seed=11)
    gold, _ = gold_test_split(corpus.users, seed=0)
    return posts_frame(gold), gold_evidence_frame(gold)


def test_n_min_and_balance(gold_data):
    posts, ev = gold_data
    data = m1mod.build_module1(posts, ev, seed=1)
    assert data.n_min == min(data.positive_counts.values())
    ex = data.examples
    assert len(ex) == 2 * 6 * data.n_min
    assert (ex[ex.polarity == 1].groupby("dimension").size() == data.n_min).all()
    assert (ex.polarity == 0).sum() == 6 * data.n_min
    # negatives come from Gold negative users and none of them is annotated
    cited = set(zip(ev["user_key"], ev["post_index"], strict=True))
    neg = ex[ex.polarity == 0]
    assert all(k.startswith("n_user_") for k in neg["user_key"])
    assert not any((k, i) in cited for k, i in zip(neg["user_key"], neg["post_index"], strict=True))
    # positives carry the annotated span, which occurs in the post (not its first characters)
    pos = ex[ex.polarity == 1]
    assert all(e and e.split("；")[0] in t for e, t in zip(pos["evidence"], pos["text"], strict=True))
    assert (pos["evidence"] != pos["text"].str[:40]).mean() > 0.9
    capped = m1mod.build_module1(posts, ev, seed=1, n_min=3)
    assert capped.n_min == 3


def test_wordings_are_twenty_each_and_not_the_papers():
    assert len(m1mod.SUPPLEMENTARY_INSTRUCTIONS) == len(set(m1mod.SUPPLEMENTARY_INSTRUCTIONS)) == 20
    assert len(set(m1mod.POSITIVE_EXPRESSIONS)) == len(set(m1mod.NEGATIVE_EXPRESSIONS)) == 20
    assert all("{dim}" in e and "{evidence}" in e for e in m1mod.POSITIVE_EXPRESSIONS)
    task = m1mod.task_instruction()
    for d in study.DIMENSIONS:
        assert f"{DIMENSION_ZH[d.key]}（{m1mod.LEVEL_ZH[d.level]}）" in task
    # the appendix is English; nothing here is an English sentence from it
    assert not any("dimension" in s.lower() for s in m1mod.SUPPLEMENTARY_INSTRUCTIONS)


def test_targets_name_dimension_and_evidence():
    row = {"polarity": 1, "dimension": "clinical_symptoms", "evidence": "整夜没合眼", "expr_id": 0,
           "supp_id": 4, "text": "又是凌晨四点还睁着眼，整夜没合眼"}
    out = m1mod.to_alpaca(row)
    assert DIMENSION_ZH["clinical_symptoms"] in out["output"] and "整夜没合眼" in out["output"]
    assert out["instruction"].endswith(m1mod.SUPPLEMENTARY_INSTRUCTIONS[4]) and out["input"] == row["text"]
    neg = m1mod.to_alpaca({**row, "polarity": 0, "evidence": ""})
    assert neg["output"] in m1mod.NEGATIVE_EXPRESSIONS


def test_missing_dimension_is_a_clear_error(gold_data):
    posts, ev = gold_data
    with pytest.raises(ValueError, match=DIMENSION_ZH["medical_expression"]):
        m1mod.build_module1(posts, ev[ev["dimension"] != "medical_expression"])


def test_files_load_under_llamafactory_rules(gold_data, tmp_path):
    posts, ev = gold_data
    data = m1mod.build_module1(posts, ev, seed=2, n_min=5)
    paths = m1mod.write_sft_files(data, tmp_path)
    report = validate_entry(tmp_path, "cnsd_module1")
    assert report["records"] == 60 and report["formatting"] == "alpaca"
    records = json.loads(paths["data"].read_text(encoding="utf-8"))
    assert not any("user" in k for k in records[0])  # no user keys in the training file
    chats = m1mod.read_sft_conversations(tmp_path)
    assert [m["role"] for m in chats[0]] == ["system", "user", "assistant"]
    assert chats[0][1]["content"] == records[0]["instruction"] + "\n" + records[0]["input"]
    assert set(np.unique([c[2]["content"] for c in chats])) <= {m1mod.target(r) for r in data.examples.to_dict("records")}
    table = m1mod.summary_table(data)
    assert list(table["positives kept"]) == [5] * 6 and len(table) == len(DIMENSION_KEYS)
    assert isinstance(table, pd.DataFrame)


def test_llamafactory_config_carries_the_paper_settings(tmp_path):
    import yaml

    cfg = yaml.safe_load(m1mod.write_llamafactory_config(tmp_path, model="Qwen/Qwen2.5-14B-Instruct").read_text())
    assert cfg["learning_rate"] == 5e-5 and cfg["num_train_epochs"] == 1.0 and cfg["do_train"] is True
    assert cfg["finetuning_type"] == "lora" and cfg["dataset"] == "cnsd_module1" and "lora_rank" not in cfg
