"""Frozen encoder + ridge regression: the cheap alternative to fine-tuning.

Why it exists: on two CPU cores one fine-tuning step of the offline encoder
costs seconds, so the study's schedule does not fit the book's build budget,
and a one-epoch fine-tune leaves most of the encoder untouched anyway.  A
forward pass without gradients is several times cheaper than a training step,
and a ridge regression on mean-pooled embeddings is fitted in milliseconds.
Chapter 02 measures which of the two gives more R² per minute of CPU time on
real labelled text instead of assuming it.

The fitted model is wrapped as a :class:`FrozenRidgeRegressor` torch module
with the same interface as the fine-tuned regressor (``encoder``, ``pooling``,
``head``; ``forward(input_ids, attention_mask)``), so
:func:`helpers.sentiment.scoring.score_texts` and
:func:`helpers.sentiment.regressor.save_regressor` work on it unchanged.  Its
output is the ridge prediction clipped to −1..1 (a ridge fit is linear, so a
``tanh`` would distort it).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.sentiment.scoring import (
    OnnxUnavailable,
    autocast_for,
    length_sorted_batches,
    onnx_session,
    pick_device,
    resolve_engine,
    run_onnx_batch,
)

#: Ridge penalties tried (on standardised embeddings); the one with the lowest validation MSE is kept.
DEFAULT_ALPHAS: tuple[float, ...] = (0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)


def embed_texts(
    encoder,
    tokenizer,
    texts: Sequence[str],
    *,
    pooling: str = "mean",
    batch_size: int = 64,
    max_length: int = 128,
    device=None,
    cpu_bf16: bool | None = None,
    known: dict[str, np.ndarray] | None = None,
    engine: str = "auto",
    cache_dir: str | Path | None = None,
) -> np.ndarray:
    """Pooled last hidden states, one row per text, in input order (empty texts: zeros).

    Identical texts are encoded once.  ``known`` maps texts to features already computed
    by this encoder at these settings (the depth selection's sample), which are used
    instead of encoding those texts again.  ``engine`` as in
    :func:`helpers.sentiment.scoring.resolve_engine`: on the CPU in fp32 enough texts go
    through ONNX Runtime, with the export that scoring the fitted ridge model reuses.
    """
    texts = ["" if t is None else str(t) for t in texts]
    unique, inverse = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
    out = np.zeros((len(unique), encoder.config.hidden_size), dtype=np.float32)
    known = known or {}
    for i, t in enumerate(unique):
        if t in known:
            out[i] = known[t]
    keep = np.flatnonzero([bool(t.strip()) and t not in known for t in unique])
    if len(keep):
        out[keep] = encode_pooled(encoder, tokenizer, [str(unique[i]) for i in keep], pooling=pooling,
                                  batch_size=batch_size, max_length=max_length, device=device, cpu_bf16=cpu_bf16,
                                  engine=engine, cache_dir=cache_dir)
    return out[inverse]


def pooled_features(encoder, pooling: str = "mean", *, all_depths: bool = False):
    """The frozen encoder as a module whose output is what a ridge head reads: pooled features.

    ``(batch, hidden)``, or with ``all_depths`` the pooled output of every layer, token
    embeddings first, ``(layers + 1, batch, hidden)`` (the depth selection's single
    pass).  It is a module, not a function, so that
    :func:`helpers.sentiment.scoring.onnx_session` can export and cache it like a
    regressor: the fingerprint of the encoder's weights names the file, so the ridge
    heads fitted on the synthetic and the real labels, and the corpus scored with
    either, share one export.
    """
    import torch

    class PooledFeatures(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.pooling = pooling
            self.all_depths = all_depths
            self.output = "features_by_depth" if all_depths else "features"  # part of the export's fingerprint
            self.onnx_output = "features"
            self.onnx_batch_axis = 1 if all_depths else 0

        def forward(self, input_ids, attention_mask):
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                               output_hidden_states=self.all_depths)
            if self.all_depths:
                return torch.stack([pool(h, attention_mask, self.pooling).float() for h in out.hidden_states])
            return pool(out.last_hidden_state, attention_mask, self.pooling).float()

    return PooledFeatures().eval()


def encode_pooled(encoder, tokenizer, texts: Sequence[str], *, pooling: str = "mean", batch_size: int = 64,
                  max_length: int = 128, device=None, cpu_bf16: bool | None = None, all_depths: bool = False,
                  engine: str = "auto", cache_dir: str | Path | None = None) -> np.ndarray:
    """:func:`pooled_features` of non-empty ``texts`` in input order, on the engine ``engine`` resolves to.

    The one batching loop of the frozen encoder (length-sorted batches, dynamic padding, as
    in :func:`helpers.sentiment.scoring.score_texts`), for the ridge head's features and for
    the depth selection's features of every layer alike.  When the ONNX engine cannot run
    (export failed) the texts are encoded with PyTorch and a warning says why.
    """
    import torch

    device = pick_device() if device is None else torch.device(device)
    module = pooled_features(encoder, pooling, all_depths=all_depths)
    chosen, reason = resolve_engine(engine, device, cpu_bf16, len(texts))
    if engine == "onnx" and chosen != "onnx":
        warnings.warn(f"encoding with PyTorch instead of ONNX Runtime: {reason}", stacklevel=2)
    session = None
    if chosen == "onnx":
        cpu_bf16 = False  # the ONNX engine is fp32, and so is its fallback: the same features either way
        try:
            session = onnx_session(module, cache_dir=cache_dir)
        except OnnxUnavailable as exc:
            warnings.warn(f"encoding with PyTorch instead of ONNX Runtime: {exc}", stacklevel=2)
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    shape = (len(texts), encoder.config.hidden_size)
    out = np.zeros((encoder.config.num_hidden_layers + 1, *shape) if all_depths else shape, dtype=np.float32)
    if session is None:
        module = module.to(device)
    with torch.inference_mode(), autocast_for(device, cpu_bf16):
        for batch in length_sorted_batches([len(x) for x in ids], batch_size):
            if session is not None:
                values = run_onnx_batch(session, tokenizer, [ids[i] for i in batch])
            else:
                padded = tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
                values = module(padded["input_ids"].to(device), padded["attention_mask"].to(device)).float().cpu().numpy()
            out[..., batch, :] = values
    return out


def pool(hidden, mask, pooling: str):
    """Mean over real tokens, or the first ([CLS]) token."""
    if pooling == "mean":
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1)
    if pooling == "cls":
        return hidden[:, 0]
    raise ValueError(f"pooling must be 'mean' or 'cls', not {pooling!r}")


def fit_ridge(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
              alphas: Sequence[float] = DEFAULT_ALPHAS) -> tuple[np.ndarray, float, float, pd.DataFrame]:
    """Ridge on standardised features; penalty chosen by validation MSE.

    Returns ``(coef, intercept, alpha, path)`` with the coefficients mapped back
    to the raw feature scale, so that ``x @ coef + intercept`` predicts directly,
    and ``path`` the validation MSE of every penalty tried.
    """
    from sklearn.linear_model import Ridge

    if len(x_train) < 2 or len(x_val) < 1:
        raise ValueError(f"need at least 2 training and 1 validation texts, got {len(x_train)} and {len(x_val)}")
    mu = x_train.mean(0)
    sd = x_train.std(0)
    sd[sd == 0] = 1.0
    zt, zv = (x_train - mu) / sd, (x_val - mu) / sd
    rows, best = [], None
    for alpha in alphas:
        model = Ridge(alpha=float(alpha)).fit(zt, y_train)
        mse = float(np.mean((np.clip(model.predict(zv), -1, 1) - y_val) ** 2))
        rows.append({"alpha": float(alpha), "val_mse": mse})
        if best is None or mse < best[0]:
            best = (mse, float(alpha), model)
    _, alpha, model = best
    coef = model.coef_ / sd
    intercept = float(model.intercept_ - np.sum(model.coef_ * mu / sd))
    return coef.astype(np.float32), intercept, alpha, pd.DataFrame(rows)


def _ridge_module():
    import torch

    class FrozenRidgeRegressor(torch.nn.Module):
        """Frozen encoder → pooled vector → ridge (linear) → clipped to [−1, 1]."""

        def __init__(self, encoder, pooling: str = "mean"):
            super().__init__()
            self.encoder = encoder
            self.pooling = pooling
            self.output = "clip"
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            pooled = pool(hidden, attention_mask, self.pooling).float()
            # the ridge weights were fitted in float64: a bf16 head (autocast) would cost ~0.03 of accuracy
            with torch.autocast(device_type=pooled.device.type, enabled=False):
                return self.head(pooled).clamp(-1, 1).squeeze(-1)

        def features_module(self):
            """What the head reads, as a module: the ONNX engine scores through this export."""
            return pooled_features(self.encoder, self.pooling)

        def apply_head(self, features: np.ndarray) -> np.ndarray:
            """The head on pooled features, as :func:`fit_frozen_ridge` predicts (fp32, clipped)."""
            weight = self.head.weight.detach().cpu().numpy().reshape(-1)
            return np.clip(np.asarray(features, np.float32) @ weight + np.float32(self.head.bias.item()), -1, 1)

    return FrozenRidgeRegressor


def ridge_regressor(encoder, coef: np.ndarray, intercept: float, pooling: str = "mean"):
    """A :class:`FrozenRidgeRegressor` whose head holds the ridge coefficients."""
    import torch

    model = _ridge_module()(encoder, pooling)
    with torch.no_grad():
        model.head.weight.copy_(torch.as_tensor(coef, dtype=torch.float32).reshape(1, -1))
        model.head.bias.fill_(float(intercept))
    return model.eval()


def fit_frozen_ridge(
    texts: Sequence[str],
    scores: Sequence[float],
    *,
    model_name: str,
    config=None,
    out_dir: str | Path | None = None,
    device=None,
    cache_dir: str | Path | None = None,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    known_features: dict[str, np.ndarray] | None = None,
):
    """Embed the labelled texts once with the frozen encoder, fit ridge, evaluate on the test split.

    With ``config.encoder_layers`` the encoder keeps only that many layers
    (:mod:`helpers.sentiment.encoder_depth`); ``known_features`` are features of
    some texts at exactly that depth and these settings, used instead of encoding
    them again.

    Uses the same seeded 80/10/10 split as :func:`helpers.sentiment.regressor.fine_tune`
    (``config.split``, ``config.seed``), so the two are compared on the same test
    texts.  ``seconds`` counts embedding and fitting; the result is a
    :class:`helpers.sentiment.regressor.FineTuneResult` (``steps`` = 0,
    ``history`` = the penalty path).
    """
    import torch

    from helpers.sentiment.regressor import (
        FineTuneResult,
        TrainConfig,
        build_regressor,
        checked_labels,
        regression_metrics,
        resolve_model,
        save_fine_tune,
        seed_everything,
        split_indices,
    )

    texts, y = checked_labels(texts, scores, np.float64)
    config = config or TrainConfig(pooling="mean", max_length=64)
    device = pick_device() if device is None else torch.device(device)
    seed_everything(config.seed)
    notes: list[str] = []
    train_idx, val_idx, test_idx = split_indices(len(texts), config.seed, config.split)
    if config.max_train_samples and len(train_idx) > config.max_train_samples:
        notes.append(f"training on {config.max_train_samples} of {len(train_idx)} training texts (max_train_samples)")
        train_idx = train_idx[: config.max_train_samples]

    base, tokenizer = build_regressor(resolve_model(model_name, cache_dir), config.pooling, 0.0, config.encoder_layers)
    encoder = base.encoder
    started = time.perf_counter()
    used = np.concatenate([train_idx, val_idx, test_idx])
    emb = embed_texts(encoder, tokenizer, [texts[i] for i in used], pooling=config.pooling,
                      batch_size=config.eval_batch_size, max_length=config.max_length, device=device,
                      # fp32 unless bf16 is asked for: score_texts(engine="auto") scores in fp32 on the
                      # CPU, and the ridge must be fitted on the embeddings it will be applied to
                      cpu_bf16=bool(config.cpu_bf16), known=known_features, cache_dir=cache_dir)
    n_tr, n_va = len(train_idx), len(val_idx)
    x_tr, x_va, x_te = emb[:n_tr], emb[n_tr : n_tr + n_va], emb[n_tr + n_va :]
    coef, intercept, alpha, path = fit_ridge(x_tr, y[train_idx], x_va, y[val_idx], alphas)
    seconds = time.perf_counter() - started
    model = ridge_regressor(encoder, coef, intercept, config.pooling)
    notes.append(f"ridge penalty {alpha:g} chosen on the validation split")

    def predict(x: np.ndarray) -> np.ndarray:
        return model.apply_head(x).astype(float)  # what scoring the corpus applies to the same features

    test_texts = [texts[i] for i in test_idx]
    val_texts = [texts[i] for i in val_idx]
    test = pd.DataFrame({"text": test_texts, "score": y[test_idx], "prediction": predict(x_te),
                         "n_chars": [len(t) for t in test_texts]})
    validation = pd.DataFrame({"text": val_texts, "score": y[val_idx], "prediction": predict(x_va),
                               "n_chars": [len(t) for t in val_texts]})
    history = path.assign(chosen=path["alpha"] == alpha)
    result = FineTuneResult(model, tokenizer, config, history, test, regression_metrics(test["score"],
                            test["prediction"]), seconds, 0, 0, len(train_idx), len(val_idx), len(test_idx),
                            str(device), notes, validation=validation, method="frozen_ridge",
                            features={"train": (x_tr, y[train_idx]), "val": (x_va, y[val_idx]),
                                      "test": (x_te, y[test_idx])})
    if out_dir is not None:
        save_fine_tune(result, out_dir, model_name)
    return result


def ridge_r2_at_size(result, n_train: int, alphas: Sequence[float] = DEFAULT_ALPHAS) -> dict[str, float]:
    """Refit a frozen-ridge result's head on its first ``n_train`` training texts; test R² and MAE.

    Why: the synthetic and the real-text models of chapter 02 learn from different numbers of
    texts, and a test R² grows with the training set.  The embeddings are kept by
    :func:`fit_frozen_ridge`, so the same test split can be scored at the other model's size
    without encoding anything again.
    """
    from helpers.sentiment.regressor import regression_metrics

    if result.features is None:
        raise ValueError("this result kept no embeddings (only frozen_ridge results do)")
    x_tr, y_tr = result.features["train"]
    x_va, y_va = result.features["val"]
    x_te, y_te = result.features["test"]
    n = int(min(max(n_train, 2), len(x_tr)))
    coef, intercept, alpha, _ = fit_ridge(x_tr[:n], y_tr[:n], x_va, y_va, alphas)
    m = regression_metrics(y_te, np.clip(x_te @ coef + intercept, -1, 1))
    return {"n_train": n, "test_r2": m["r2"], "test_mae": m["mae"], "alpha": alpha}
