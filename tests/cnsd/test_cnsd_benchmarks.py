"""Classification benchmarks through scikit-learn: metrics, CIs, Gold→Test and cross_val_predict."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.cnsd import benchmarks as bench
from helpers.cnsd.dimension_tagger import user_evidence_rate
from helpers.synth.cnsd_corpus import generate_corpus


def test_metrics_by_hand():
    m = bench.classification_metrics([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert m == pytest.approx({"accuracy": 0.6, "precision": 2 / 3, "recall": 2 / 3, "F1": 2 / 3})
    assert bench.classification_metrics([1, 0], [0, 0])["precision"] == 0.0
    with pytest.raises(ValueError):
        bench.classification_metrics([1], [1, 0])


def test_bootstrap_bounds_are_numbers_around_the_estimate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.where(rng.random(200) < 0.8, y, 1 - y)
    row = bench.results_row("x", y, p, n_boot=200)
    for m in bench.METRICS:
        assert row[f"{m} low"] <= row[m] <= row[f"{m} high"] and row[f"{m} high"] - row[f"{m} low"] < 0.3


@pytest.mark.parametrize("skew", [0.5, 0.05, 0.0])
def test_bootstrap_counts_equal_scikit_learn_per_resample(skew):
    """The vectorised resample metrics are scikit-learn's, resample by resample (incl. 0/0 cases)."""
    rng = np.random.default_rng(3)
    n = 40
    y = (rng.random(n) < skew).astype(int)
    p = np.where(rng.random(n) < 0.7, y, 1 - y)
    n_boot, level = 300, 0.9
    got = bench.bootstrap_ci(y, p, n_boot=n_boot, level=level, seed=11)
    idx = np.random.default_rng(11).integers(n, size=(n_boot, n))
    draws = {m: [] for m in bench.METRICS}
    for row in idx:
        for m, v in bench.classification_metrics(y[row], p[row]).items():
            draws[m].append(v)
    for m in bench.METRICS:
        want = (np.percentile(draws[m], 5), np.percentile(draws[m], 95))
        assert got[m] == pytest.approx(want, abs=1e-12)


def test_gold_to_test_and_cross_validation_on_planted_corpus():
    corpus = generate_corpus(0.2, seed=8)
    users = corpus.users
    y = np.array([u.label for u in users])
    docs = ["\n".join(u.posts) for u in users]
    oof = bench.cross_validated(bench.tfidf_lr(), docs, y)
    assert set(np.unique(oof)) <= {0, 1} and bench.classification_metrics(y, oof)["accuracy"] > 0.75
    rates = np.array([[user_evidence_rate(u.posts)] for u in users])
    pred = bench.gold_to_test(bench.ThresholdClassifier(), rates[::2], y[::2], rates[1::2])
    assert len(pred) == len(y[1::2])
    noise = np.random.default_rng(0).normal(size=(len(y), 5))
    chance = bench.cross_validated(bench.embedding_lr(), noise, y)
    assert bench.classification_metrics(y, chance)["accuracy"] < 0.8
    with pytest.raises(ValueError, match="two users"):
        bench.cross_validated(bench.ThresholdClassifier(), np.array([[1], [0], [0]]), [1, 0, 0])


def _tiny_bert(folder, chars):
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(folder)


def test_encode_users_with_tiny_bert(tmp_path):
    _tiny_bert(tmp_path, "好难过吃饭散步")
    x = bench.encode_users(tmp_path, [["好难过", "吃饭"], ["散步"] * 30], max_posts=4, prefix="")
    assert x.shape == (2, 16) and np.isfinite(x).all()
    with pytest.raises(ValueError, match="no posts"):
        bench.encode_users(tmp_path, [[]])


def test_encode_users_is_the_mean_of_its_posts_on_either_engine(tmp_path, monkeypatch):
    """A user's vector is the mean of their posts' mean-pooled embeddings, whichever engine runs them."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from helpers.sentiment.scoring import onnx_runtime_available

    monkeypatch.setenv("XHS_CACHE", str(tmp_path / "cache"))  # the ONNX export goes here, not the user's cache
    folder = tmp_path / "bert"
    _tiny_bert(folder, "好难过吃饭散步")
    timelines = [["好难过", "吃饭散步"], ["散步", "难过难过难过"]]
    tok, model = AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        expected = np.vstack([np.mean([model(**tok(p, return_tensors="pt")).last_hidden_state[0].mean(0).numpy()
                                       for p in posts], axis=0) for posts in timelines])
    engines = ["torch"] + ([] if onnx_runtime_available() else ["onnx"])
    for engine in engines:
        x = bench.encode_users(folder, timelines, max_posts=4, prefix="", engine=engine, batch_size=3)
        np.testing.assert_allclose(x, expected, atol=1e-5, err_msg=engine)
    assert np.abs(expected[0] - expected[1]).max() > 1e-2, "the two users must differ for the check to mean anything"


def test_fine_tuned_encoder_is_an_sklearn_classifier(tmp_path):
    _tiny_bert(tmp_path, "好难过吃饭散步。")
    texts = ["好难过。难过"] * 6 + ["吃饭。散步"] * 6
    y = np.array([1] * 6 + [0] * 6)
    clf = bench.FineTunedEncoderClassifier(str(tmp_path), epochs=15, learning_rate=5e-3, batch_size=4)
    pred = bench.cross_validated(clf, texts, y, n_splits=3)
    assert set(np.unique(pred)) <= {0, 1}
    assert bench.classification_metrics(y, pred)["accuracy"] >= 0.75
