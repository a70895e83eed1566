"""A file in the real CNSD_dataset.json format, built from real Weibo posts with hand-written
evidence, runs through every step of chapter 05; the verification effect is measured on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cnsd import chapter, tables
from helpers.cnsd.dataset_io import gold_evidence_frame, posts_frame
from helpers.cnsd.llamafactory_format import validate_entry
from helpers.cnsd.llm_backend import LexiconBackend
from helpers.cnsd.module1 import build_module1, write_sft_files
from helpers.cnsd.module2 import NgramLabeller, label_matrix, post_level_scores, run_module2
from helpers.cnsd.selection import apply_selection, get_counter, gold_test_split
from helpers.cnsd.weibo_fixture import build_weibo_fixture, mask_identifiers

ANNOTATIONS = Path(__file__).parent / "fixtures" / "weibo_evidence.json"


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    smp = SHARED_DATA / "smp2020_ewect"
    if not smp.exists():
        pytest.skip(f"no SMP2020-EWECT mirror at {smp}")
    return build_weibo_fixture(smp, ANNOTATIONS, tmp_path_factory.mktemp("weibo") / "CNSD_dataset.json")


def test_file_has_the_release_format(fixture_file):
    raw = json.loads(fixture_file.read_text(encoding="utf-8"))
    assert all(k.startswith(("p_user_", "n_user_")) for k in raw)
    entry = next(iter(raw.values()))
    assert set(entry) == {"inpput", "output"} and entry["inpput"].startswith("\ntext_1: ")
    assert entry["output"].startswith('答案："')
    assert "@" not in mask_identifiers("转发 @某人:你好 http://t.cn/abc").replace("@某用户", "")


def test_whole_chapter_runs_on_the_fixture(fixture_file, tmp_path):
    corpus = chapter.load_corpus(fixture_file, scale=1.0, seed=0, folder=tmp_path)
    name, count = get_counter()
    sel = apply_selection(corpus.users, count, name)
    assert len(sel.kept) == len(corpus.users) == 12  # the Section 3 rules hold
    gold, test = gold_test_split(sel.kept, seed=0)
    posts = posts_frame(sel.kept)
    truth, source = chapter.post_truth(posts, corpus)
    assert "cited" in source and truth.sum() == len(gold_evidence_frame(corpus.users))
    t1 = tables.table1(sel.table)
    spans, src = chapter.span_table(corpus)
    t2 = tables.table2(spans, {1: int(posts.label.sum()), 0: int((posts.label == 0).sum())}, src)
    assert t1["this run"].notna().all() and t2["this run positive"].iloc[:6].gt(0).all()
    m1 = build_module1(posts[chapter.subset_posts(posts, gold)], gold_evidence_frame(gold), seed=0)
    write_sft_files(m1, tmp_path / "m1")
    assert validate_entry(tmp_path / "m1", "cnsd_module1")["records"] == 12 * m1.n_min
    # a low labeller threshold: with a handful of Gold examples per dimension nothing reaches 0.5
    labeller = NgramLabeller(seed=0, threshold=0.25).fit(m1.examples)
    backend = LexiconBackend(threshold=0.05)
    res = run_module2(test, labeller, backend, backend, gold, seed=0)
    tp = posts[chapter.subset_posts(posts, test)].reset_index(drop=True)
    tt = truth[chapter.subset_posts(posts, test)]
    scores = __import__("pandas").concat([
        post_level_scores(label_matrix(res.verified, tp), tt).assign(stage="I"),
        post_level_scores(label_matrix(res.verified, tp, only_verified=True), tt).assign(stage="II")])
    effect = chapter.verification_effect(scores)
    sentence = chapter.verification_sentence(effect)
    assert effect["labels after"] <= effect["labels before"] and "precision" in sentence
    gen = chapter.generation_rows({"pipeline": [s.reply for s in res.summaries],
                                   "floor": chapter.template_floor(test)}, [u.output for u in test], None)
    assert set(gen) == {"pipeline", "floor"}
    t5, t7 = chapter.classification_rows(gold, test, seed=0, n_boot=20)
    assert tables.table5(t5).iloc[-1]["users"] == len(test) and "TF-IDF + logistic regression" in t7
