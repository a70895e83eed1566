"""Frozen encoder + ridge, named schedules and their comparison (tiny BERT, seconds on CPU)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.sentiment.frozen_ridge import embed_texts, fit_frozen_ridge, fit_ridge
from helpers.sentiment.regressor import TrainConfig, build_regressor, fine_tune, load_regressor
from helpers.sentiment.schedules import (
    CPU_DEFAULT,
    GPU_DEFAULT,
    SCHEDULES,
    best_by_rate,
    best_within_budget,
    compare_schedules,
    default_schedule,
)
from helpers.sentiment.scoring import score_texts
from tests.sentiment.builders import corpus


def test_ridge_recovers_a_linear_signal_and_picks_a_penalty():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 20)) * rng.uniform(0.1, 10, 20)  # features on very different scales
    w = np.zeros(20)
    w[:3] = [0.05, -0.02, 0.1]
    y = np.clip(x @ w + rng.normal(0, 0.05, 400), -1, 1)
    coef, intercept, alpha, path = fit_ridge(x[:300], y[:300], x[300:], y[300:])
    pred = x[300:] @ coef + intercept
    assert np.corrcoef(pred, y[300:])[0, 1] > 0.95
    assert alpha in set(path["alpha"]) and path["val_mse"].min() == path.loc[path.alpha == alpha, "val_mse"].iloc[0]
    with pytest.raises(ValueError, match="at least 2"):
        fit_ridge(x[:1], y[:1], x[:1], y[:1])


def test_embeddings_keep_order_and_match_unbatched(tiny_model):
    model, tokenizer = build_regressor(tiny_model, pooling="mean")
    texts = ["今天好开心", "我太痛苦了真的好难过", "", "今天好开心", "朋友说"]
    batched = embed_texts(model.encoder, tokenizer, texts, batch_size=2, device="cpu")
    single = np.vstack([embed_texts(model.encoder, tokenizer, [t], device="cpu") for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert np.all(batched[2] == 0) and np.all(batched[0] == batched[3])


def test_frozen_ridge_learns_scores_like_a_regressor_and_saves(tiny_model, tmp_path):
    texts, scores = corpus(300, seed=3)
    config = TrainConfig(pooling="mean", max_length=32, seed=1)
    result = fit_frozen_ridge(texts, scores, model_name=tiny_model, config=config, out_dir=tmp_path / "ridge",
                              device="cpu")
    assert result.method == "frozen_ridge" and result.steps == 0
    assert (result.n_train, result.n_val, result.n_test) == (240, 30, 30)
    assert result.metrics["r2"] > 0.5, result.metrics
    assert len(result.validation) == 30 and result.history["chosen"].sum() == 1
    # the wrapped torch module predicts what the ridge fit predicted
    again = score_texts(result.model, result.tokenizer, result.test["text"].tolist(), device="cpu", progress=False)
    np.testing.assert_allclose(again, result.test["prediction"], atol=1e-4)
    model, tokenizer = load_regressor(tmp_path / "ridge" / "model")
    reloaded = score_texts(model, tokenizer, result.test["text"].tolist(), device="cpu", progress=False)
    np.testing.assert_allclose(reloaded, result.test["prediction"], atol=1e-4)
    assert (tmp_path / "ridge" / "validation_predictions.parquet").exists()


def test_fine_tune_and_ridge_share_the_split(tiny_model):
    texts, scores = corpus(120, seed=4)
    config = TrainConfig(epochs=1, batch_size=16, learning_rate=1e-3, max_length=32, pooling="mean", seed=2)
    ft = fine_tune(texts, scores, model_name=tiny_model, config=config, device="cpu", progress=False)
    rr = fit_frozen_ridge(texts, scores, model_name=tiny_model, config=config, device="cpu")
    assert list(ft.test["text"]) == list(rr.test["text"])
    assert list(ft.validation["text"]) == list(rr.validation["text"])
    assert ft.validation["prediction"].notna().all()


def test_schedules_compare_on_the_same_texts(tiny_model):
    texts, scores = corpus(160, seed=5)
    table, results = compare_schedules(texts, scores, ["frozen_ridge", "finetune_1ep"], model_name=tiny_model,
                                       device="cpu", batch_size=16, max_length=32, learning_rate=1e-3, seed=3)
    assert list(table["schedule"]) == ["frozen_ridge", "finetune_1ep"]
    assert table.loc[1, "steps"] == 8  # 128 training texts / batch 16, one epoch (min_steps off)
    assert (table["wall_seconds"] > 0).all() and table["test_r2"].notna().all()
    assert set(results) == {"frozen_ridge", "finetune_1ep"}


def test_best_within_budget_projects_time_and_uses_validation_r2():
    table = pd.DataFrame({"schedule": ["a", "b", "c"], "n_train": [100, 100, 100],
                          "wall_seconds": [10.0, 50.0, 200.0], "val_r2": [0.4, 0.5, 0.9],
                          "r2_per_minute": [2.4, 0.6, 0.27]})
    best, out = best_within_budget(table, budget_s=600, n_train_target=1000)
    assert best == "b" and list(out["within_budget"]) == [True, True, False]
    assert out.loc[2, "projected_seconds"] == 2000
    assert best_within_budget(table, budget_s=1, n_train_target=1000)[0] is None


def test_defaults():
    assert default_schedule(on_gpu=True) == GPU_DEFAULT == "study"
    assert default_schedule(on_gpu=False) == CPU_DEFAULT and CPU_DEFAULT in SCHEDULES


def test_best_by_rate_prefers_r2_per_minute_and_ignores_useless_schedules():
    table = pd.DataFrame({"schedule": ["ridge", "ft1", "ft3", "broken"], "test_r2": [0.4, 0.45, 0.5, -0.2],
                          "r2_per_minute": [2.4, 0.6, 0.27, 9.0]})
    assert best_by_rate(table) == "ridge"  # 'broken' is fastest but has no skill
    assert best_by_rate(table.assign(test_r2=-0.1)) is None
    assert best_by_rate(pd.DataFrame()) is None


def test_ridge_refit_at_a_smaller_training_size(tiny_model):
    from helpers.sentiment.frozen_ridge import ridge_r2_at_size

    texts, scores = corpus(120, seed=5)
    res = fit_frozen_ridge(texts, scores, model_name=tiny_model, config=TrainConfig(pooling="mean", max_length=32))
    full = ridge_r2_at_size(res, res.n_train)
    assert full["n_train"] == res.n_train
    assert full["test_r2"] == pytest.approx(res.metrics["r2"], abs=1e-6)
    small = ridge_r2_at_size(res, 20)
    assert small["n_train"] == 20 and np.isfinite(small["test_r2"])
