"""The faster implementations in helpers.cnsd give the outputs of the straightforward ones.

Each fast path (shared n-gram counts, prefix-pruned lexicon scan, array F1, reference-cached
BLEU) is checked here against a reference written the plain way with the same libraries, on
small generated cases, so a speed change cannot silently change a chapter 05 number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.cnsd import benchmarks as bench
from helpers.cnsd import dimension_tagger as tagger
from helpers.cnsd.dataset_io import DIMENSION_KEYS, gold_evidence_frame, posts_frame
from helpers.cnsd.module1 import build_module1
from helpers.cnsd.module2 import _CLAUSE, NgramLabeller
from helpers.cnsd.selection import gold_test_split
from helpers.synth.cnsd_corpus import generate_corpus


class ReferenceLabeller:
    """The labeller as first written: six TfidfVectorizer pipelines, one call per post and dimension."""

    def __init__(self, seed: int = 0, threshold: float = 0.5) -> None:
        self.seed, self.threshold, self.models = seed, threshold, {}

    def fit(self, examples: pd.DataFrame) -> ReferenceLabeller:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        for d in DIMENSION_KEYS:
            pos = examples[(examples["dimension"] == d) & (examples["polarity"] == 1)]
            neg = examples[(examples["polarity"] == 0)
                           | ((examples["dimension"] != d) & ~examples["text"].isin(set(pos["text"])))]
            y = np.r_[np.ones(len(pos), int), np.zeros(len(neg), int)]
            model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                                  LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced",
                                                     random_state=self.seed))
            self.models[d] = model.fit(pos["text"].tolist() + neg["text"].tolist(), y)
        return self

    def probabilities(self, texts):
        return np.column_stack([self.models[d].predict_proba(list(texts))[:, 1] for d in DIMENSION_KEYS])

    def evidence(self, text, dim):
        clauses = [c.strip() for c in _CLAUSE.findall(text) if c.strip()] or [text]
        return clauses[int(np.argmax(self.models[dim].predict_proba(clauses)[:, 1]))]

    def label(self, texts):
        pred = self.probabilities(texts) >= self.threshold
        return [[(d, self.evidence(t, d)) for j, d in enumerate(DIMENSION_KEYS) if pred[i, j]]
                for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def small_module1():
    corpus = generate_corpus(0.1, seed=5)
    gold, test = gold_test_split(corpus.users, seed=0)
    m1 = build_module1(posts_frame(gold), gold_evidence_frame(gold), seed=0)
    return m1, [p for u in test for p in u.posts]


@pytest.mark.parametrize("threshold", [0.5, 0.25])
def test_labeller_equals_six_separate_pipelines(small_module1, threshold):
    m1, texts = small_module1
    ref = ReferenceLabeller(seed=3, threshold=threshold).fit(m1.examples)
    fast = NgramLabeller(seed=3, threshold=threshold).fit(m1.examples)
    assert np.abs(ref.probabilities(texts) - fast.probabilities(texts)).max() < 1e-9
    got = fast.label(texts)
    assert got == ref.label(texts) and sum(map(len, got)) > 0
    d = DIMENSION_KEYS[0]
    assert fast.evidence(texts[0], d) == ref.evidence(texts[0], d)
    assert fast.models[d].predict_proba(texts[:5]) == pytest.approx(ref.models[d].predict_proba(texts[:5]),
                                                                     abs=1e-9)
    assert fast.evidence_many([]) == [] and fast.label([]) == []


def test_prefix_scan_equals_the_all_lengths_scan():
    corpus = generate_corpus(0.1, seed=2)
    words = sorted(tagger._index()[0])
    rng = np.random.default_rng(0)
    planted = ["，".join(rng.choice(words, size=3)) + "今天" for _ in range(200)]  # overlapping words, all lengths
    texts = [p for u in corpus.users[:6] for p in u.posts] + planted + ["", "失", words[-1]]
    for t in texts:
        assert tagger._scan(t) == tagger._scan_all_lengths(t)


def test_cached_tags_are_fresh_objects():
    first = tagger.tag_post("最近总是失眠，医生让我吃药")
    first.dims.clear()
    first.matches.clear()
    again = tagger.tag_post("最近总是失眠，医生让我吃药")
    assert again.dims and again.matches


@pytest.mark.parametrize("seed", range(5))
def test_threshold_f1_equals_scikit_learn_loop(seed):
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(seed)
    n = 60
    labels = (rng.random(n) < 0.4).astype(int)
    rates = np.round(rng.random(n) * (0.5 + 0.5 * labels), 1 if seed % 2 else 3)  # ties when rounded to 0.1
    candidates = np.unique(rates)
    scores = [f1_score(labels, (rates >= t).astype(int), zero_division=0) for t in candidates]
    assert tagger.fit_threshold(rates, labels) == float(candidates[int(np.argmax(scores))])


@pytest.mark.parametrize("max_features", [50000, 40])
def test_counted_tfidf_equals_tfidf_vectorizer(max_features):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    corpus = generate_corpus(0.15, seed=4)
    docs = ["\n".join(u.posts[:15]) for u in corpus.users]
    y = np.array([u.label for u in corpus.users])
    counts = bench.char_counts(docs)
    ref = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                        max_features=max_features),
                        LogisticRegression(C=10.0, max_iter=3000, random_state=0))
    fast = bench.counted_tfidf_lr(0)
    fast.set_params(countedtfidf__max_features=max_features)
    train, test = np.arange(0, len(docs), 2), np.arange(1, len(docs), 2)
    ref.fit([docs[i] for i in train], y[train])
    fast.fit(counts[train], y[train])
    assert len(fast[0].columns_) == len(ref[0].vocabulary_)
    assert np.abs(ref.predict_proba([docs[i] for i in test]) - fast.predict_proba(counts[test])).max() < 1e-9
    if max_features == 50000:  # the chapter's settings: the two builders agree fold by fold too
        assert (bench.cross_validated(bench.tfidf_lr(0), docs, y)
                == bench.cross_validated(bench.counted_tfidf_lr(0), counts, y)).all()


def test_bleu_with_cached_references_equals_corpus_bleu():
    from helpers.cnsd.text_metrics import generation_metrics, generation_metrics_by_system

    refs = ["我今天很难过，整夜睡不着。", "医生让我按时吃药", "周末和朋友去吃火锅"]
    systems = {"a": ["我今天很难过", "按时吃药", "去吃火锅"], "b": ["今天天气不错", "医生让我吃药", "周末在家"]}
    rows = generation_metrics_by_system(systems, refs)
    for name, cands in systems.items():
        want = generation_metrics(cands, refs)
        assert rows[name]["BLEU"] == want["BLEU"] and rows[name]["ROUGE-1"] == want["ROUGE-1"]
        assert np.isnan(rows[name]["BERTScore"])
    with pytest.raises(ValueError):
        generation_metrics_by_system({"a": ["x"]}, refs)


def test_generator_fill_and_pad_give_the_same_corpus_as_first_written(monkeypatch):
    """The slot plan and running length change no draw: the corpus is identical, post by post."""
    from helpers.synth import cnsd_corpus as gen

    def reference_fill(template, rng):
        text = template
        for slot, options in gen.FILL.items():
            while "{" + slot + "}" in text:
                text = text.replace("{" + slot + "}", options[rng.integers(len(options))], 1)
        return text.replace("{n}", str(int(rng.integers(2, 13))))

    def reference_pad(core, target_chars, rng):
        parts = list(core)
        while sum(len(p) + 1 for p in parts) < target_chars:
            clause = gen._clause(rng)
            if rng.random() < 0.5:
                parts.insert(0, clause)
            else:
                parts.append(clause)
        return "，".join(parts) + "。"

    fast = gen.generate_corpus(0.12, seed=9)
    monkeypatch.setattr(gen, "_fill", reference_fill)
    monkeypatch.setattr(gen, "_pad", reference_pad)
    ref = gen.generate_corpus(0.12, seed=9)
    assert [u.posts for u in fast.users] == [u.posts for u in ref.users]
    assert [u.output for u in fast.users] == [u.output for u in ref.users]
    assert fast.truth.equals(ref.truth)
