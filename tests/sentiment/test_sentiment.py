"""Sentiment chapter library: labels, categories, fine-tuning/scoring loops (tiny BERT), reports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.sentiment.categories import STUDY_COUNTS, Thresholds, categorize, category_table
from helpers.sentiment.labels import LabelFileError, bin_scores, read_sentiment_labels
from helpers.sentiment.regressor import (
    TrainConfig,
    calibration_table,
    default_config,
    error_by_length,
    fine_tune,
    load_regressor,
    regression_metrics,
    split_indices,
)
from helpers.sentiment.report import (
    distribution_summary,
    metrics_table,
    scored_comments,
    scored_posts,
    study_consistency,
)
from helpers.sentiment.scoring import length_sorted_batches, score_texts, text_flags
from tests.sentiment.builders import corpus

# ---------------------------------------------------------------- labels


def test_reads_two_coders_with_kappa(tmp_path):
    path = tmp_path / "labels.csv"
    pd.DataFrame({"text": ["好", "坏", "一般", "很好"], "coder_1": [0.9, -0.9, 0.0, 0.7],
                  "coder_2": [0.7, -0.7, 0.1, 0.65]}).to_csv(path, index=False)
    labels = read_sentiment_labels(path)
    assert labels.kappa == pytest.approx(1.0)
    np.testing.assert_allclose(labels.data["score"], [0.8, -0.8, 0.05, 0.675])


def test_kappa_reflects_disagreement(tmp_path):
    path = tmp_path / "labels.csv"
    rng = np.random.default_rng(1)
    c1 = rng.uniform(-1, 1, 200)
    c2 = rng.uniform(-1, 1, 200)  # independent coders
    pd.DataFrame({"text": [f"文本{i}" for i in range(200)], "coder_1": c1, "coder_2": c2}).to_csv(path, index=False)
    assert abs(read_sentiment_labels(path).kappa) < 0.15


def test_single_score_layout_and_bom(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("text,score\n好开心,0.5\n难过,-0.5\nso sad,-0.7\n", encoding="utf-8-sig")
    labels = read_sentiment_labels(path)
    assert labels.kappa is None and list(labels.data["score"]) == [0.5, -0.5, -0.7]
    assert any("no Chinese character (rows 4)" in note for note in labels.notes)


@pytest.mark.parametrize("content, message", [
    ("words,score\n好,0.5\n", "no 'text' column"),
    ("text,label\n好,0.5\n", "need either a 'score' column"),
    ("text,score\n好,1.5\n坏,-0.2\n", r"outside \[-1, 1\] in rows 2"),
    ("text,score\n好,abc\n", "non-numeric"),
    ("text,score\n,0.5\n", "empty text in rows 2"),
])
def test_bad_label_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "labels.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelFileError, match=message):
        read_sentiment_labels(path)


def test_adjudication_needs_the_column(tmp_path):
    path = tmp_path / "labels.csv"
    df = pd.DataFrame({"text": ["好", "坏"], "coder_1": [0.9, -0.9], "coder_2": [0.8, 0.5]})
    df.to_csv(path, index=False)
    with pytest.raises(LabelFileError, match="adjudicated"):
        read_sentiment_labels(path, resolution="adjudicate")
    df.assign(adjudicated=[None, -0.4]).to_csv(path, index=False)
    labels = read_sentiment_labels(path, resolution="adjudicate")
    np.testing.assert_allclose(labels.data["score"], [0.85, -0.4])


def test_bins_cover_the_edges():
    assert list(bin_scores([-1.0, -0.61, 0.0, 0.59, 1.0])) == [0, 0, 2, 3, 4]


# ---------------------------------------------------------------- categories


def test_categories_follow_the_study_thresholds():
    cats = categorize([0.31, 0.3, 0.15, -0.15, -0.2, -0.79, -0.8, np.nan])
    assert list(cats) == ["positive", "uncategorized", "neutral", "neutral", "uncategorized",
                          "uncategorized", "negative", "uncategorized"]


def test_thresholds_are_parameters_and_validated():
    cats = categorize([0.25], Thresholds.from_mapping({"positive": 0.2}))
    assert list(cats) == ["positive"]
    with pytest.raises(ValueError, match="must satisfy"):
        Thresholds(positive=0.1, neutral_high=0.15)
    with pytest.raises(ValueError, match="unknown threshold"):
        Thresholds.from_mapping({"postive": 0.3})


def test_category_table_puts_study_beside_ours():
    table = category_table({"posts": categorize([0.5, 0.5, 0.0, -0.9])})
    pos = table[(table.texts == "posts") & (table.category == "positive")].iloc[0]
    assert pos.n == 2 and pos.percent == 50 and pos.study_n == STUDY_COUNTS["posts"]["positive"]


# ---------------------------------------------------------------- metrics and reports


def test_regression_metrics_known_values():
    m = regression_metrics([0, 0, 1, 1], [0, 0.5, 1, 0.5])
    assert m["mse"] == pytest.approx(0.125) and m["mae"] == pytest.approx(0.25)
    assert m["r2"] == pytest.approx(0.5)


def test_study_metrics_are_shown_inconsistent():
    c = study_consistency()
    assert c["mse_implied_by_r2_and_sd"] == pytest.approx(0.047 * 0.57**2 / 0.047 * (1 - 0.953), rel=1e-9)
    assert c["mse_implied_by_r2_and_sd"] < 0.02 < 0.047
    assert 0.85 < c["r2_implied_by_mse_and_sd"] < 0.86
    table = metrics_table({"mse": 0.01, "mae": 0.08, "r2": 0.9, "rmse": 0.1})
    assert list(table["metric"][:3]) == ["MSE", "MAE", "R²"]


def test_split_is_80_10_10_and_seeded():
    a = split_indices(1000, seed=3)
    b = split_indices(1000, seed=3)
    assert [len(x) for x in a] == [800, 100, 100]
    assert all((x == y).all() for x, y in zip(a, b, strict=True))
    assert len(set(np.concatenate(a))) == 1000
    with pytest.raises(ValueError):
        split_indices(5, seed=0)


def test_default_schedules():
    assert default_config("bert-base-chinese", on_gpu=True) == TrainConfig()
    study = TrainConfig()
    assert (study.epochs, study.batch_size, study.learning_rate) == (4, 32, 2e-5)
    cpu = default_config("offline-e5-small", on_gpu=False, epochs=3)
    assert cpu.epochs == 3 and cpu.pooling == "mean"


def test_scored_contract_columns():
    posts = pd.DataFrame({"note_id": ["a", "b"], "text": ["x", "y"]})
    comments = pd.DataFrame({"comment_id": ["c1", "c2"], "note_id": ["a", "b"], "text": ["x", "y"]})
    ps = scored_posts(posts, np.array([0.5, -0.9]), Thresholds())
    cs = scored_comments(comments, np.array([0.0, 0.2]), ps, Thresholds())
    assert list(cs["post_sentiment"]) == [0.5, -0.9]
    assert list(cs["post_sentiment_category"]) == ["positive", "negative"]
    assert list(cs["sentiment_category"]) == ["neutral", "uncategorized"]
    orphan = comments.assign(note_id=["a", "zzz"])
    with pytest.raises(ValueError, match="not in posts.parquet"):
        scored_comments(orphan, np.array([0.0, 0.2]), ps, Thresholds())
    summary = distribution_summary({"posts": ps["sentiment"]})
    assert summary.loc[0, "study_mean"] == -0.19


def test_text_flags_and_batches():
    flags = text_flags(["好", "", "hello", "  ", None])
    assert list(flags["empty"]) == [False, True, False, True, True]
    assert list(flags["no_chinese"]) == [False, False, True, False, False]
    batches = length_sorted_batches([5, 1, 3, 2], 2)
    assert [list(b) for b in batches] == [[1, 3], [2, 0]]


def test_calibration_and_length_tables():
    test = pd.DataFrame({"score": [-0.9, 0.9, 0.1], "prediction": [-0.8, 0.7, 0.0], "n_chars": [5, 50, 200]})
    calib = calibration_table(test["score"], test["prediction"], bins=4)
    assert calib["n"].sum() == 3
    by_len = error_by_length(test)
    assert by_len["n"].sum() == 3 and by_len["mae"].max() == pytest.approx(0.2)


# ---------------------------------------------------------------- training and scoring (tiny model)


def test_fine_tune_learns_and_saves(tiny_model, tmp_path):
    texts, scores = corpus(300)
    config = TrainConfig(epochs=4, batch_size=16, learning_rate=3e-3, max_length=32, pooling="mean",
                         warmup_ratio=0.05, seed=1)
    result = fine_tune(texts, scores, model_name=tiny_model, config=config, out_dir=tmp_path / "ft",
                       device="cpu", progress=False)
    assert (result.n_train, result.n_val, result.n_test) == (240, 30, 30)
    assert result.metrics["r2"] > 0.8, result.metrics
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    assert np.all(np.abs(result.test["prediction"]) <= 1)
    for name in ("metrics.json", "training_history.csv", "test_predictions.parquet", "model/regressor.json"):
        assert (tmp_path / "ft" / name).exists()
    model, tokenizer = load_regressor(tmp_path / "ft" / "model")
    again = score_texts(model, tokenizer, result.test["text"].tolist(), device="cpu", progress=False)
    np.testing.assert_allclose(again, result.test["prediction"], atol=1e-5)


def test_scoring_keeps_order_dedupes_and_skips_empty(tiny_model):
    from helpers.sentiment.regressor import build_regressor

    model, tokenizer = build_regressor(tiny_model, pooling="mean")
    texts = ["今天好开心", "", "我太痛苦了真的好难过", "今天好开心", "朋友说"]
    batched = score_texts(model, tokenizer, texts, batch_size=2, device="cpu", progress=False)
    single = [score_texts(model, tokenizer, [t], batch_size=1, device="cpu", progress=False, dedupe=False)[0]
              for t in texts]
    assert math.isnan(batched[1]) and math.isnan(single[1])
    np.testing.assert_allclose(np.delete(batched, 1), np.delete(single, 1), atol=1e-5)
    assert batched[0] == batched[3]


def test_fine_tune_rejects_bad_scores(tiny_model):
    with pytest.raises(ValueError, match="within"):
        fine_tune(["好"] * 20, [2.0] * 20, model_name=tiny_model, progress=False, device="cpu")


def test_bf16_autocast_scores_close_to_fp32(tiny_model):
    from helpers.sentiment.regressor import build_regressor

    model, tokenizer = build_regressor(tiny_model, pooling="mean")
    texts = ["今天好开心", "我太痛苦了真的好难过", "朋友说其实"]
    fp32 = score_texts(model, tokenizer, texts, device="cpu", progress=False, cpu_bf16=False)
    bf16 = score_texts(model, tokenizer, texts, device="cpu", progress=False, cpu_bf16=True)
    np.testing.assert_allclose(fp32, bf16, atol=0.05)
