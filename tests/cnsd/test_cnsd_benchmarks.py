"""Classification metrics, bootstrap intervals, cross-validation by user, paper columns."""

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


def test_bootstrap_interval_brackets_the_estimate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.where(rng.random(200) < 0.8, y, 1 - y)
    point = bench.classification_metrics(y, p)
    ci = bench.bootstrap_ci(y, p, n_boot=300)
    for m in bench.METRICS:
        assert ci[m][0] <= point[m] <= ci[m][1] and ci[m][1] - ci[m][0] < 0.3
    row = bench.results_row("x", y, p, n_boot=100)
    assert row["accuracy 95% CI"].startswith("[")


def test_cross_validated_classifiers_beat_chance_on_planted_corpus():
    corpus = generate_corpus(0.2, seed=8)
    y = np.array([u.label for u in corpus.users])
    docs = ["\n".join(u.posts) for u in corpus.users]
    tfidf = bench.cross_validated_predictions(y, bench.tfidf_lr_method(docs, y))
    lex = bench.cross_validated_predictions(
        y, bench.threshold_method([user_evidence_rate(u.posts) for u in corpus.users], y))
    assert set(np.unique(tfidf)) <= {0, 1}
    assert bench.classification_metrics(y, tfidf)["accuracy"] > 0.75
    assert bench.classification_metrics(y, lex)["accuracy"] > 0.75
    noise = np.random.default_rng(0).normal(size=(len(y), 5))
    chance = bench.cross_validated_predictions(y, bench.embedding_lr_method(noise, y))
    assert bench.classification_metrics(y, chance)["accuracy"] < 0.8
    with pytest.raises(ValueError, match="two users"):
        bench.cross_validated_predictions([1, 0, 0], bench.threshold_method([1, 0, 0], [1, 0, 0]))


def test_paper_values_are_sourced_or_not_reported():
    assert bench.paper_value("texts") == 44178
    assert bench.paper_value("Qwen2.5-14B F1") == bench.NOT_REPORTED
    assert all("source" in v and v["source"] for v in bench.PAPER_REPORTED.values())


def test_encode_users_with_tiny_bert(tmp_path):
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", *"好难过吃饭散步"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(tmp_path)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(tmp_path)
    x = bench.encode_users(tmp_path, [["好难过", "吃饭"], ["散步"] * 30], max_posts=4, prefix="")
    assert x.shape == (2, 16) and np.isfinite(x).all()
    with pytest.raises(ValueError, match="no posts"):
        bench.encode_users(tmp_path, [[]])


def test_fine_tuned_encoder_method_trains_per_fold(tmp_path):
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *"好难过吃饭散步。"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(tmp_path)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(tmp_path)
    timelines = [["好难过", "难过"]] * 6 + [["吃饭", "散步"]] * 6
    y = np.array([1] * 6 + [0] * 6)
    texts = bench.user_texts(timelines, max_posts=2)
    assert texts[0] in ("好难过。难过", "难过。好难过")
    method = bench.FineTunedEncoderMethod(tmp_path, texts, y, epochs=15, learning_rate=5e-3, batch_size=4)
    pred = bench.cross_validated_predictions(y, method, n_splits=3)
    assert set(np.unique(pred)) <= {0, 1} and len(method.losses) == 3
    assert np.mean(method.losses[0][-3:]) < np.mean(method.losses[0][:3])
    assert bench.classification_metrics(y, pred)["accuracy"] >= 0.75
