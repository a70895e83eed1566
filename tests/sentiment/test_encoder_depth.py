"""Choosing the frozen encoder's depth: truncation is exact, the rule is the stated one, reuse is safe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.sentiment.encoder_depth import (
    choose_depth,
    cross_validated_r2,
    depth_table,
    embed_by_depth,
    encoder_layers,
    select_depth,
    truncate_encoder,
)
from helpers.sentiment.frozen_ridge import embed_texts, fit_frozen_ridge
from helpers.sentiment.regressor import TrainConfig, build_regressor, load_regressor
from helpers.sentiment.scoring import score_texts
from tests.sentiment.builders import corpus


def test_a_truncated_encoder_computes_exactly_that_layer_of_the_full_one(tiny_model):
    texts = ["今天好开心", "我太痛苦了真的好难过", "", "朋友说其实心情很差"]
    full, tokenizer = build_regressor(tiny_model, pooling="mean")
    by_depth = embed_by_depth(full.encoder, tokenizer, texts, batch_size=2, max_length=32, device="cpu")
    assert by_depth.shape == (3, 4, 32) and np.all(by_depth[:, 2] == 0)
    np.testing.assert_allclose(by_depth[2], embed_texts(full.encoder, tokenizer, texts, batch_size=2, max_length=32,
                                                            device="cpu", cpu_bf16=False),
                               atol=1e-5)
    cut, _ = build_regressor(tiny_model, pooling="mean")
    truncate_encoder(cut.encoder, 1)
    assert encoder_layers(cut.encoder) == 1 and cut.encoder.config.num_hidden_layers == 1
    np.testing.assert_allclose(by_depth[1], embed_texts(cut.encoder, tokenizer, texts, batch_size=2, max_length=32,
                                                            device="cpu", cpu_bf16=False),
                               atol=1e-5)
    assert not np.allclose(by_depth[1], by_depth[2])
    with pytest.raises(ValueError, match="between 1 and 1"):
        truncate_encoder(cut.encoder, 2)


def test_the_rule_keeps_the_shallowest_depth_within_the_tolerance_and_never_depth_zero():
    table = pd.DataFrame({"depth": [0, 1, 2, 3, 4], "cv_r2": [0.90, 0.30, 0.41, 0.42, 0.37],
                          "cv_r2_se": 0.01, "layer_share": np.arange(5) / 4})
    assert choose_depth(table, tolerance=0.01) == 2
    assert choose_depth(table, tolerance=0.0) == 3
    assert choose_depth(table, tolerance=0.2) == 1
    # the default: one standard error of the best depth (0.01 here)
    assert choose_depth(table) == 2
    assert choose_depth(table.assign(cv_r2_se=0.05)) == 2  # 0.41 is within 0.05 of 0.42, 0.30 is not
    assert choose_depth(table.assign(cv_r2_se=0.13)) == 1  # now 0.30 is too
    with pytest.raises(ValueError, match="cannot choose"):
        choose_depth(table[table["depth"] == 0])
    with pytest.raises(ValueError, match="'se'"):
        choose_depth(table, tolerance="half")


def test_cross_validated_r2_sees_signal_and_no_signal():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 10))
    signal = np.clip(0.3 * x[:, 0] - 0.2 * x[:, 1] + rng.normal(0, 0.1, 300), -1, 1)
    r2, se = cross_validated_r2(x, signal, seed=1)
    assert r2 > 0.8 and 0 <= se < 0.05
    noise_r2, _ = cross_validated_r2(x, rng.uniform(-1, 1, 300), seed=1)
    assert noise_r2 < 0.05
    blind = x.copy()
    blind[:, :2] = rng.normal(size=(300, 2))  # the informative columns replaced by noise
    table = depth_table(np.stack([blind, x]), signal, seed=1)
    assert list(table["depth"]) == [0, 1] and table["cv_r2"].iloc[1] > table["cv_r2"].iloc[0]
    with pytest.raises(ValueError, match="at least 10"):
        cross_validated_r2(x[:9], signal[:9])


def test_select_depth_uses_the_training_split_and_its_features_are_reused_exactly(tiny_model, tmp_path):
    texts, scores = corpus(200, seed=5)
    texts = [f"{t}{'ab空'[i % 3]}{'ab空'[i // 3 % 3]}{'ab空'[i // 9 % 3]}{'ab空'[i // 27 % 3]}" for i, t in enumerate(texts)]
    config = TrainConfig(pooling="mean", max_length=32, seed=2)
    choice = select_depth(texts, scores, model_name=tiny_model, config=config, sample=80, tolerance=1.0,
                          device="cpu")
    assert choice.depth == 1 and choice.n_texts == 80 and choice.total_layers == 2  # tolerance 1: shallowest
    assert list(choice.table["depth"]) == [0, 1, 2] and len(choice.features) <= 80
    from helpers.sentiment.regressor import split_indices

    _, val_idx, test_idx = split_indices(len(texts), config.seed, config.split)
    held_out = {texts[i] for i in np.concatenate([val_idx, test_idx])}
    train_only = {texts[i] for i in split_indices(len(texts), config.seed, config.split)[0]}
    assert set(choice.features) <= train_only  # no validation or test text informed the choice
    assert held_out - train_only  # (the check above is not vacuous)

    at_depth = TrainConfig(pooling="mean", max_length=32, seed=2, encoder_layers=choice.depth)
    reused = fit_frozen_ridge(texts, scores, model_name=tiny_model, config=at_depth, device="cpu",
                              known_features=choice.features, out_dir=tmp_path / "ridge")
    fresh = fit_frozen_ridge(texts, scores, model_name=tiny_model, config=at_depth, device="cpu")
    np.testing.assert_allclose(reused.test["prediction"], fresh.test["prediction"], atol=1e-5)
    # the saved model keeps its depth and scores as the ridge fit predicted
    model, tokenizer = load_regressor(tmp_path / "ridge" / "model")
    assert encoder_layers(model.encoder) == 1
    again = score_texts(model, tokenizer, reused.test["text"].tolist(), max_length=32, device="cpu", progress=False)
    np.testing.assert_allclose(again, reused.test["prediction"], atol=1e-4)


def test_config_rejects_a_depth_below_one():
    with pytest.raises(ValueError, match="encoder_layers"):
        TrainConfig(encoder_layers=0)
