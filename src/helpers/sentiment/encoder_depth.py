"""How many transformer layers the frozen encoder should run: chosen by cross-validated R².

Why this exists: with a frozen encoder and a ridge head, nothing forces the
features to come from the *last* layer.  Probing studies of BERT-style encoders
find that middle layers often carry as much sentence-level information as the
top one, and every layer dropped is a layer no text has to pass through: the
forward pass is almost all of chapter 02's time on a CPU, and its cost grows
linearly with the number of layers run.  So the depth is a setting to be
*measured* like the training schedule, not assumed:

1. :func:`embed_by_depth` runs the full encoder once over a sample of labelled
   training texts and mean-pools the output of every layer (``hidden_states``;
   depth 0 is the embedding layer alone);
2. :func:`depth_table` fits a ridge head on each depth's features and scores it
   by k-fold cross-validated R² (penalty chosen inside each training fold);
3. :func:`choose_depth` keeps the shallowest depth whose R² is within
   ``tolerance`` of the best depth's: accuracy first, then cost.  The default
   tolerance is the standard error of the best depth's R² (the "one standard
   error" rule of cross-validated model choice): a deeper encoder is paid for
   only when cross-validation can tell it apart from a shallower one.

:func:`truncate_encoder` then drops the layers above the chosen depth, so that
scoring (and the ONNX export, whose fingerprint covers the weights) runs only
those.  The output of the truncated encoder is exactly the hidden state of that
layer in the full one (same operations, same order), which a unit test checks.
Only the training split is used for the choice; the test split stays untouched.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.sentiment.frozen_ridge import DEFAULT_ALPHAS, encode_pooled


def encoder_layers(encoder) -> int:
    """The number of transformer layers ``encoder`` (a transformers BERT-style model) runs."""
    return len(encoder.encoder.layer)


def truncate_encoder(encoder, layers: int):
    """Keep the first ``layers`` transformer layers of ``encoder`` (in place; returned for chaining).

    The config is updated too, so ``save_pretrained`` writes a model that loads
    back with the same depth.
    """
    import torch

    total = encoder_layers(encoder)
    if not 1 <= int(layers) <= total:
        raise ValueError(f"encoder_layers must be between 1 and {total} for this encoder, not {layers}")
    if int(layers) < total:
        encoder.encoder.layer = torch.nn.ModuleList(list(encoder.encoder.layer)[: int(layers)])
        encoder.config.num_hidden_layers = int(layers)
    return encoder


def embed_by_depth(encoder, tokenizer, texts: Sequence[str], *, pooling: str = "mean", batch_size: int = 64,
                   max_length: int = 64, device=None, engine: str = "torch",
                   cache_dir: str | Path | None = None) -> np.ndarray:
    """Pooled hidden states of every layer: an array ``(layers + 1, len(texts), hidden)``, fp32.

    One forward pass per batch through
    :func:`helpers.sentiment.frozen_ridge.encode_pooled` (``all_depths``), the same loop
    as the ridge head's features; empty texts get zeros.  PyTorch by default: the depth
    choice passes a few hundred texts once, which an ONNX export of every layer's output
    (a graph of its own, seconds to write) does not repay; ``engine="onnx"`` runs it anyway.
    """
    texts = ["" if t is None else str(t) for t in texts]
    out = np.zeros((encoder_layers(encoder) + 1, len(texts), encoder.config.hidden_size), dtype=np.float32)
    keep = np.flatnonzero([bool(t.strip()) for t in texts])
    if len(keep):
        out[:, keep] = encode_pooled(encoder, tokenizer, [texts[i] for i in keep], pooling=pooling,
                                     batch_size=batch_size, max_length=max_length, device=device, cpu_bf16=False,
                                     all_depths=True, engine=engine, cache_dir=cache_dir)
    return out


def cross_validated_r2(x: np.ndarray, y: np.ndarray, *, folds: int = 5, seed: int = 0,
                       alphas: Sequence[float] = DEFAULT_ALPHAS) -> tuple[float, float]:
    """Out-of-fold R² of a ridge head on ``x`` (and the SE of the per-fold R²).

    Inside each training fold the features are standardised and the penalty is
    chosen by generalised cross-validation (``RidgeCV``), so no held-out text
    informs its own prediction.  Predictions are clipped to −1..1 as the chapter's
    ridge head clips them.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold

    y = np.asarray(y, float)
    if len(y) < 2 * folds:
        raise ValueError(f"need at least {2 * folds} labelled texts for {folds}-fold cross-validation, got {len(y)}")
    pred = np.empty_like(y)
    per_fold = []
    for train, held in KFold(folds, shuffle=True, random_state=seed).split(x):
        mu, sd = x[train].mean(0), x[train].std(0)
        sd[sd == 0] = 1.0
        model = RidgeCV(alphas=tuple(float(a) for a in alphas)).fit((x[train] - mu) / sd, y[train])
        pred[held] = np.clip(model.predict((x[held] - mu) / sd), -1, 1)
        per_fold.append(1 - np.mean((pred[held] - y[held]) ** 2) / np.var(y[held]))
    r2 = 1 - np.mean((pred - y) ** 2) / np.var(y)
    return float(r2), float(np.std(per_fold, ddof=1) / np.sqrt(folds))


def depth_table(features: np.ndarray, y: Sequence[float], *, folds: int = 5, seed: int = 0,
                alphas: Sequence[float] = DEFAULT_ALPHAS) -> pd.DataFrame:
    """One row per depth: cross-validated R², its SE, and the share of the encoder's layers run.

    ``layer_share`` is a count (depth / total layers), the part of the forward
    pass that depth costs, not a measured time: the transformer layers are
    identical in size, and the embedding lookup and pooling cost next to nothing.
    """
    total = features.shape[0] - 1
    rows = []
    for depth in range(features.shape[0]):
        r2, se = cross_validated_r2(features[depth], np.asarray(y, float), folds=folds, seed=seed, alphas=alphas)
        rows.append({"depth": depth, "cv_r2": r2, "cv_r2_se": se, "layer_share": depth / total})
    return pd.DataFrame(rows)


def depth_tolerance(table: pd.DataFrame, tolerance: float | str = "se") -> float:
    """The R² the chosen depth may give up: a number, or ``"se"``, the SE of the best depth's CV R²."""
    rows = table[table["depth"] >= 1]
    if rows.empty or rows["cv_r2"].isna().all():
        raise ValueError("no depth has a cross-validated R²; cannot choose")
    if isinstance(tolerance, str):
        if tolerance != "se":
            raise ValueError(f"tolerance must be a number or 'se', not {tolerance!r}")
        return float(rows.loc[rows["cv_r2"].idxmax(), "cv_r2_se"])
    return float(tolerance)


def choose_depth(table: pd.DataFrame, tolerance: float | str = "se") -> int:
    """The shallowest depth ≥ 1 whose CV R² is within ``tolerance`` of the best depth's.

    Depth 0 (the embedding layer without any transformer layer) is shown for
    reference but never chosen: it would make the "encoder" a bag of token vectors.
    """
    tol = depth_tolerance(table, tolerance)
    rows = table[table["depth"] >= 1]
    best = float(rows["cv_r2"].max())
    return int(rows.loc[rows["cv_r2"] >= best - tol, "depth"].min())


@dataclass
class DepthChoice:
    """What :func:`select_depth` measured and chose."""

    depth: int
    table: pd.DataFrame
    n_texts: int
    seconds: float
    tolerance: float  # the R² given up at most (the SE of the best depth's R² under the "se" rule)
    #: pooled features of the sampled texts at the chosen depth, keyed by text, so that training
    #: at that depth does not encode them again
    features: dict[str, np.ndarray] = field(default_factory=dict)
    total_layers: int = 0

    def describe(self) -> str:
        row = self.table.set_index("depth")
        best = int(row.loc[row.index >= 1, "cv_r2"].idxmax())
        return (f"encoder depth {self.depth} of {self.total_layers} layers: the shallowest within "
                f"{self.tolerance:.3f} of the best cross-validated R² (depth {best}, R² {row.at[best, 'cv_r2']:.3f}; "
                f"depth {self.depth}: {row.at[self.depth, 'cv_r2']:.3f}; all {self.total_layers} layers: "
                f"{row.at[self.total_layers, 'cv_r2']:.3f}), measured on {self.n_texts:,} training texts "
                f"in {self.seconds:.0f} s")


def select_depth(texts: Sequence[str], scores: Sequence[float], *, model_name: str, config, sample: int = 600,
                 tolerance: float | str = "se", folds: int = 5, device=None, cache_dir=None) -> DepthChoice:
    """Measure R² by depth on (up to ``sample``) texts of the training split and choose the depth.

    The split is the one :func:`helpers.sentiment.frozen_ridge.fit_frozen_ridge`
    makes from ``config.seed`` and ``config.split``, so validation and test texts
    never inform the choice.
    """
    from helpers.sentiment.regressor import (
        build_regressor,
        checked_labels,
        resolve_model,
        split_indices,
    )

    texts, y = checked_labels(texts, scores, np.float64)
    train_idx, _, _ = split_indices(len(texts), config.seed, config.split)
    chosen = train_idx[: int(sample)] if sample else train_idx
    started = time.perf_counter()
    base, tokenizer = build_regressor(resolve_model(model_name, cache_dir), config.pooling, 0.0)
    sample_texts = [texts[i] for i in chosen]
    features = embed_by_depth(base.encoder, tokenizer, sample_texts, pooling=config.pooling,
                              batch_size=config.eval_batch_size, max_length=config.max_length, device=device,
                              cache_dir=cache_dir)
    table = depth_table(features, y[chosen], folds=folds, seed=config.seed)
    depth = choose_depth(table, tolerance)
    seconds = time.perf_counter() - started
    return DepthChoice(depth, table, len(chosen), seconds, depth_tolerance(table, tolerance),
                       features={t: features[depth, i] for i, t in enumerate(sample_texts)},
                       total_layers=features.shape[0] - 1)
