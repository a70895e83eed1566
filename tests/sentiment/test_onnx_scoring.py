"""The ONNX Runtime engine of score_texts: same scores as PyTorch fp32, cached exports, stated fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.sentiment.scoring import (
    model_fingerprint,
    onnx_runtime_available,
    resolve_engine,
    score_texts,
)

pytestmark = pytest.mark.skipif(onnx_runtime_available() is not None, reason=str(onnx_runtime_available()))

TEXTS = ["今天好开心", "", "我太痛苦了真的好难过", "今天好开心", "朋友说其实最近心情很差", "充满希望", "ab"]


def _spread_head(model, tokenizer, seed: int = 0):
    """A head whose pre-tanh values have mean 0 and SD 1 on TEXTS, so scores spread over −1..1."""
    import torch

    from helpers.torch_device import mean_pool

    enc = tokenizer([t for t in TEXTS if t], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model.encoder(**enc).last_hidden_state
        pooled = mean_pool(hidden, enc["attention_mask"]) if model.pooling == "mean" else hidden[:, 0]
        direction = torch.randn(pooled.shape[1], generator=torch.Generator().manual_seed(seed))
        projected = pooled @ direction
        model.head.weight.copy_((direction / projected.std()).reshape(1, -1))
        model.head.bias.fill_(float(-projected.mean() / projected.std()))
    return model


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_onnx_scores_match_torch_fp32(tiny_model, tmp_path, pooling):
    from helpers.sentiment.regressor import build_regressor

    model, tokenizer = build_regressor(tiny_model, pooling=pooling)
    _spread_head(model, tokenizer)
    torch_scores = score_texts(model, tokenizer, TEXTS, batch_size=3, device="cpu", progress=False,
                               cpu_bf16=False, engine="torch")
    with_onnx = score_texts(model, tokenizer, TEXTS, batch_size=3, device="cpu", progress=False,
                            engine="onnx", cache_dir=tmp_path)
    assert math.isnan(with_onnx[1]) and math.isnan(torch_scores[1])
    assert np.nanstd(torch_scores) > 0.3, "the head must spread the scores for the check to mean anything"
    np.testing.assert_allclose(with_onnx, torch_scores, atol=1e-3)
    # in practice fp32 ORT and fp32 torch differ only by summation order (~1e-5)
    assert np.nanmax(np.abs(with_onnx - torch_scores)) < 1e-4
    assert with_onnx[0] == with_onnx[3]
    # one export per set of weights, named by their fingerprint, beside no partial file
    files = sorted(p.name for p in (tmp_path / "onnx").iterdir())
    assert files == [f"{model_fingerprint(model)}.onnx"]


def test_onnx_export_follows_the_weights(tiny_model, tmp_path):
    """A model trained further (here: a new head) gets a new export, never a stale one."""
    from helpers.sentiment.regressor import build_regressor

    model, tokenizer = build_regressor(tiny_model, pooling="mean")
    first = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="onnx", cache_dir=tmp_path)
    _spread_head(model, tokenizer, seed=3)
    second = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="onnx", cache_dir=tmp_path)
    reference = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="torch", cpu_bf16=False)
    assert len(list((tmp_path / "onnx").iterdir())) == 2
    assert np.nanmax(np.abs(second - first)) > 1e-2
    np.testing.assert_allclose(second, reference, atol=1e-4)


def test_frozen_ridge_regressor_exports_too(tiny_model, tmp_path):
    """The chapter's CPU default (frozen encoder + clipped ridge head) runs on the ONNX engine."""
    from helpers.sentiment.frozen_ridge import ridge_regressor
    from helpers.sentiment.regressor import build_regressor

    base, tokenizer = build_regressor(tiny_model, pooling="mean")
    coef = np.random.default_rng(0).normal(0, 0.3, base.encoder.config.hidden_size)
    model = ridge_regressor(base.encoder, coef, 0.2)
    reference = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="torch", cpu_bf16=False)
    with_onnx = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="onnx", cache_dir=tmp_path)
    np.testing.assert_allclose(with_onnx, reference, atol=1e-4)
    assert np.nanmax(np.abs(with_onnx)) <= 1.0


def test_engine_choice_and_fallback_reasons(tiny_model, tmp_path, monkeypatch):
    import torch

    from helpers.sentiment import scoring
    from helpers.sentiment.regressor import build_regressor

    cpu = torch.device("cpu")
    assert resolve_engine("torch", cpu)[0] == "torch"
    assert resolve_engine("onnx", cpu, cpu_bf16=True)[0] == "onnx"
    assert resolve_engine("auto", cpu, cpu_bf16=True) == ("torch", resolve_engine("auto", cpu, cpu_bf16=True)[1])
    assert resolve_engine("auto", cpu, None, n_texts=5000)[0] == "onnx"
    engine, why = resolve_engine("auto", cpu, None, n_texts=10)
    assert engine == "torch" and "fp32" in why
    engine, why = resolve_engine("onnx", torch.device("cuda"))
    assert engine == "torch" and "CPU only" in why
    with pytest.raises(ValueError, match="engine must be one of"):
        resolve_engine("tensorrt", cpu)

    model, tokenizer = build_regressor(tiny_model, pooling="mean")
    reference = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="torch", cpu_bf16=False)
    monkeypatch.setattr(scoring, "onnx_runtime_available", lambda: "ONNX Runtime is not installed (onnxruntime)")
    with pytest.warns(UserWarning, match="instead of ONNX Runtime: ONNX Runtime is not installed"):
        fallback = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="onnx",
                               cpu_bf16=False, cache_dir=tmp_path)
    np.testing.assert_allclose(fallback, reference, atol=1e-6)


def test_failed_export_falls_back_with_the_reason(tiny_model, tmp_path, monkeypatch):
    from helpers.sentiment import scoring
    from helpers.sentiment.regressor import build_regressor

    def broken(model, path, **kwargs):
        raise RuntimeError("unsupported operator aten::made_up")

    monkeypatch.setattr(scoring, "export_onnx", broken)
    model, tokenizer = build_regressor(tiny_model, pooling="mean")
    with pytest.warns(UserWarning, match="exporting the regressor to ONNX failed: RuntimeError: unsupported"):
        scores = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="onnx",
                             cpu_bf16=False, cache_dir=tmp_path)
    assert np.isfinite(np.delete(scores, 1)).all()
    assert not (tmp_path / "onnx").exists() or not any((tmp_path / "onnx").iterdir())


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_pooled_features_on_onnx_match_torch(tiny_model, tmp_path, pooling):
    """The frozen encoder's features (ridge head input, and every layer for the depth choice) agree across engines."""
    from helpers.sentiment.frozen_ridge import encode_pooled
    from helpers.sentiment.regressor import build_regressor

    base, tokenizer = build_regressor(tiny_model, pooling=pooling)
    texts = [t for t in TEXTS if t]
    for all_depths in (False, True):
        kwargs = dict(pooling=pooling, batch_size=2, max_length=32, device="cpu", all_depths=all_depths)
        reference = encode_pooled(base.encoder, tokenizer, texts, engine="torch", cpu_bf16=False, **kwargs)
        with_onnx = encode_pooled(base.encoder, tokenizer, texts, engine="onnx", cache_dir=tmp_path, **kwargs)
        layers = base.encoder.config.num_hidden_layers
        assert reference.shape == ((layers + 1, len(texts), 32) if all_depths else (len(texts), 32))
        assert np.abs(reference).max() > 0.1, "features must not be trivially zero for the check to mean anything"
        assert np.max(np.abs(with_onnx - reference)) < 1e-4
    # the two graphs (last layer; every layer) are two exports, named by what they output
    assert len(list((tmp_path / "onnx").iterdir())) == 2


def test_ridge_fit_and_corpus_scoring_share_one_export(tiny_model, tmp_path):
    """Training features and scoring run through the same export; the head reads what it was fitted on."""
    from helpers.sentiment.frozen_ridge import embed_texts, ridge_regressor
    from helpers.sentiment.regressor import build_regressor

    base, tokenizer = build_regressor(tiny_model, pooling="mean")
    features = embed_texts(base.encoder, tokenizer, TEXTS, device="cpu", engine="onnx", cache_dir=tmp_path)
    assert not features[1].any(), "an empty text gets zeros"
    np.testing.assert_array_equal(features[0], features[3])
    coef = np.random.default_rng(1).normal(0, 0.3, base.encoder.config.hidden_size).astype(np.float32)
    model = ridge_regressor(base.encoder, coef, -0.1)
    scored = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="onnx", cache_dir=tmp_path)
    assert len(list((tmp_path / "onnx").iterdir())) == 1, "scoring must reuse the features export"
    expected = np.clip(features @ coef - 0.1, -1, 1)
    keep = [i for i, t in enumerate(TEXTS) if t]
    np.testing.assert_allclose(scored[keep], expected[keep], atol=1e-6)
    reference = score_texts(model, tokenizer, TEXTS, device="cpu", progress=False, engine="torch", cpu_bf16=False)
    np.testing.assert_allclose(scored, reference, atol=1e-4)
    assert np.nanstd(scored) > 0.05


def test_failed_features_export_falls_back_with_the_reason(tiny_model, tmp_path, monkeypatch):
    from helpers.sentiment import scoring
    from helpers.sentiment.frozen_ridge import embed_texts
    from helpers.sentiment.regressor import build_regressor

    def broken(model, path, **kwargs):
        raise RuntimeError("unsupported operator aten::made_up")

    monkeypatch.setattr(scoring, "export_onnx", broken)
    base, tokenizer = build_regressor(tiny_model, pooling="mean")
    reference = embed_texts(base.encoder, tokenizer, TEXTS, device="cpu", engine="torch", cpu_bf16=False)
    with pytest.warns(UserWarning, match="encoding with PyTorch instead of ONNX Runtime: exporting the regressor"):
        fallback = embed_texts(base.encoder, tokenizer, TEXTS, device="cpu", engine="onnx", cache_dir=tmp_path)
    np.testing.assert_allclose(fallback, reference, atol=1e-6)
