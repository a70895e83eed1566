"""Fine-tune a Chinese encoder to predict continuous sentiment in [−1, 1].

The study puts a regression head on ``bert-base-chinese`` and fine-tunes all
parameters with AdamW (4 epochs, batch 32, learning rate 2e-5) on an 80/10/10
split of its labelled texts.  :class:`SentimentRegressor` is that model: an
encoder, a pooled representation, dropout, one linear unit and ``tanh`` so the
output can never leave the label range.  :func:`fine_tune` is a plain PyTorch
loop (fixed seeds, length-bucketed batches with dynamic padding, linear warm-up
and decay, a progress bar); the epoch with the lowest validation MSE is kept,
saved to the run folder with its metrics, and evaluated once on the test split.

Why a plain loop rather than ``transformers.Trainer``: the model is a custom
module with a bounded head, the data are a few thousand short texts, and the
loop must stay predictable on two CPU cores (no worker processes, no extra
evaluation passes); it is short enough to read in the chapter's source.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.sentiment.scoring import autocast_for, score_texts
from helpers.torch_device import choose_device, mean_pool

OFFLINE_MODEL = "offline-e5-small"
STUDY_MODEL = "bert-base-chinese"


@dataclass
class TrainConfig:
    """Fine-tuning schedule.  Defaults are the study's (bert-base-chinese)."""

    epochs: float = 4
    batch_size: int = 32
    learning_rate: float = 2e-5
    head_learning_rate: float | None = None  # None = learning_rate (the study's setting)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 128
    pooling: str = "cls"
    dropout: float = 0.1
    max_train_samples: int | None = None
    min_steps: int = 0  # train at least this many steps (more epochs on small labelled sets)
    eval_batch_size: int = 64
    cpu_bf16: bool | None = None  # None = bf16 autocast when the CPU has native bf16
    seed: int = 20241111
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    #: transformer layers of the encoder to keep (None: all); chapter 02 chooses it for the frozen
    #: encoder by cross-validated R² (helpers.sentiment.encoder_depth)
    encoder_layers: int | None = None

    def __post_init__(self) -> None:
        if self.epochs <= 0 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("epochs, batch_size and learning_rate must be positive")
        if self.pooling not in {"cls", "mean"}:
            raise ValueError(f"pooling must be 'cls' or 'mean', not {self.pooling!r}")
        if len(self.split) != 3 or abs(sum(self.split) - 1) > 1e-6 or min(self.split) <= 0:
            raise ValueError(f"split must be three positive fractions summing to 1, not {self.split}")
        if self.encoder_layers is not None and int(self.encoder_layers) < 1:
            raise ValueError(f"encoder_layers must be at least 1 (or None for all), not {self.encoder_layers}")


def default_config(model_name: str, on_gpu: bool, **overrides) -> TrainConfig:
    """The study's schedule for bert-base-chinese; a CPU-budgeted one for the offline encoder.

    On the book's two-core CPU machines one step of the offline encoder at
    batch 32 × ≤ 64 tokens costs seconds of CPU time
    (``benchmarks/sentiment_finetune_timing.py`` measures it), so the study's 4 epochs over 2,400 training texts (300 steps)
    would take most of the 20 minutes the whole book may use.  The offline CPU
    default therefore trains **one epoch** (75 steps), with texts truncated to
    64 tokens and mean pooling (the pooling e5 was pre-trained with).  Because
    so few steps leave a freshly initialised head almost untouched at 5e-5, the
    head gets its own learning rate of 2e-3 (the encoder keeps 5e-5, the usual
    range for small encoders).  Chapter 02 compares this fine-tune with longer
    ones and with a frozen encoder + ridge head on real labelled text
    (:mod:`helpers.sentiment.schedules`); the CPU default schedule is chosen
    there, not here.  On a GPU the offline encoder trains with the study's
    schedule (the separate head rate kept).  Small labelled sets (the CI-scale
    corpus has 150) get more epochs so that training still runs at least 60
    steps.  Every value can be overridden.
    """
    if model_name == OFFLINE_MODEL and not on_gpu:
        base = TrainConfig(epochs=1, learning_rate=5e-5, head_learning_rate=2e-3, max_length=64, pooling="mean",
                           min_steps=60)
    elif model_name == OFFLINE_MODEL:
        base = TrainConfig(pooling="mean", head_learning_rate=2e-3)
    else:
        base = TrainConfig()
    return TrainConfig(**{**asdict(base), **{k: v for k, v in overrides.items() if v is not None}})


def resolve_model(model_name: str, cache_dir: str | Path | None = None) -> str:
    """Where to load ``model_name`` from: the converted offline encoder, a folder, or the hub."""
    if model_name == OFFLINE_MODEL:
        from helpers.sentiment.offline_encoder import ensure_offline_encoder

        return str(ensure_offline_encoder(cache_dir))
    return model_name


def seed_everything(seed: int) -> None:
    """Fix Python, NumPy and torch seeds so a run is repeatable."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _torch_module():
    import torch

    class SentimentRegressor(torch.nn.Module):
        """Encoder → pooled vector → dropout → linear → tanh (bounded to [−1, 1])."""

        def __init__(self, encoder, pooling: str = "cls", dropout: float = 0.1):
            super().__init__()
            self.encoder = encoder
            self.pooling = pooling
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)
            torch.nn.init.normal_(self.head.weight, std=0.02)
            torch.nn.init.zeros_(self.head.bias)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if self.pooling == "mean":
                pooled = mean_pool(hidden, attention_mask)
            else:
                pooled = hidden[:, 0]
            return torch.tanh(self.head(self.dropout(pooled))).squeeze(-1)

    return SentimentRegressor


def build_regressor(model_path: str, pooling: str = "cls", dropout: float = 0.1, encoder_layers: int | None = None):
    """A fresh regressor on the pretrained encoder at ``model_path`` and its tokenizer.

    ``encoder_layers`` keeps only the first that many transformer layers
    (:func:`helpers.sentiment.encoder_depth.truncate_encoder`; None keeps all).
    """
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the unused pooler of some checkpoints is not news
    hf_logging.disable_progress_bar()  # per-tensor loading bars would flood the chapter
    try:
        encoder = AutoModel.from_pretrained(model_path)
        tokenizer = AutoTokenizer.from_pretrained(model_path)
    finally:
        hf_logging.set_verbosity(verbosity)
    if encoder_layers:
        from helpers.sentiment.encoder_depth import truncate_encoder

        truncate_encoder(encoder, encoder_layers)
    return _torch_module()(encoder, pooling=pooling, dropout=dropout), tokenizer


def save_regressor(model, tokenizer, folder: str | Path, extra: dict | None = None) -> Path:
    """Encoder + tokenizer in transformers format, the head and settings beside them."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(folder / "encoder")
    tokenizer.save_pretrained(folder / "encoder")
    torch.save(model.head.state_dict(), folder / "head.pt")
    (folder / "regressor.json").write_text(json.dumps(
        {"pooling": model.pooling, "output": getattr(model, "output", "tanh"), **(extra or {})},
        indent=2, ensure_ascii=False, default=str))
    return folder


def load_regressor(folder: str | Path):
    """Inverse of :func:`save_regressor`: ``(model, tokenizer)`` ready for scoring."""
    import torch

    folder = Path(folder)
    if not (folder / "regressor.json").exists():
        raise FileNotFoundError(f"{folder} holds no saved sentiment regressor (regressor.json missing)")
    info = json.loads((folder / "regressor.json").read_text())
    model, tokenizer = build_regressor(str(folder / "encoder"), pooling=info["pooling"])
    if info.get("output", "tanh") == "clip":  # frozen encoder + ridge head
        from helpers.sentiment.frozen_ridge import _ridge_module

        model = _ridge_module()(model.encoder, info["pooling"])
    model.head.load_state_dict(torch.load(folder / "head.pt", map_location="cpu"))
    return model.eval(), tokenizer


def split_indices(n: int, seed: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)):
    """Random train/validation/test index arrays (80/10/10 by default)."""
    if n < 10:
        raise ValueError(f"need at least 10 labelled texts to split into train/validation/test, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]


def regression_metrics(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, float]:
    """MSE, RMSE, MAE, R² and Pearson r of predictions against labels."""
    y, p = np.asarray(y_true, float), np.asarray(y_pred, float)
    if len(y) == 0:
        raise ValueError("no predictions to evaluate")
    err = p - y
    mse = float(np.mean(err**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r = float(np.corrcoef(y, p)[0, 1]) if len(y) > 1 and np.std(p) > 0 and np.std(y) > 0 else float("nan")
    return {
        "n": int(len(y)), "mse": mse, "rmse": math.sqrt(mse), "mae": float(np.mean(np.abs(err))),
        "r2": 1 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"), "pearson_r": r,
    }


def _train_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar-length texts: shuffle, sort within pools of 50 batches, shuffle batches."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


@dataclass
class FineTuneResult:
    """What fine-tuning produced: the model, the splits, predictions and metrics."""

    model: object
    tokenizer: object
    config: TrainConfig
    history: pd.DataFrame
    test: pd.DataFrame  # text, score, prediction, n_chars
    metrics: dict[str, float]
    seconds: float
    steps: int
    best_epoch: int
    n_train: int
    n_val: int
    n_test: int
    device: str
    notes: list[str] = field(default_factory=list)
    validation: pd.DataFrame | None = None  # text, score, prediction of the kept model (for calibration)
    method: str = "fine_tune"  # or "frozen_ridge" (helpers.sentiment.frozen_ridge)
    #: frozen_ridge only: the pooled embeddings and labels of each split ("train", "val", "test" ->
    #: (x, y)), so that a learning curve can be refitted in milliseconds without re-encoding
    features: dict | None = None

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else float("nan")


def checked_labels(texts: Sequence[str], scores: Sequence[float], dtype: type = np.float64) -> tuple[list[str], np.ndarray]:
    """Texts as strings and scores as an array, refused unless paired, finite and in [-1, 1]."""
    texts = [str(t) for t in texts]
    y = np.asarray(scores, dtype=dtype)
    if len(texts) != len(y):
        raise ValueError(f"{len(texts)} texts but {len(y)} scores")
    if np.isnan(y).any() or (np.abs(y) > 1).any():
        raise ValueError("scores must be finite and within [-1, 1]")
    return texts, y


def fine_tune(
    texts: Sequence[str],
    scores: Sequence[float],
    *,
    model_name: str = OFFLINE_MODEL,
    config: TrainConfig | None = None,
    out_dir: str | Path | None = None,
    device=None,
    progress: bool = True,
    cache_dir: str | Path | None = None,
) -> FineTuneResult:
    """Fine-tune a regressor on ``texts``/``scores`` (80/10/10), keep the best epoch, evaluate on test.

    Writes ``model/`` (best checkpoint), ``training_history.csv``,
    ``test_predictions.parquet`` and ``metrics.json`` into ``out_dir`` when given.
    """
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    texts, y = checked_labels(texts, scores, np.float32)
    device = choose_device(device)
    config = config or default_config(model_name, device.type == "cuda")
    seed_everything(config.seed)
    notes: list[str] = []

    train_idx, val_idx, test_idx = split_indices(len(texts), config.seed, config.split)
    if config.max_train_samples and len(train_idx) > config.max_train_samples:
        notes.append(f"training on {config.max_train_samples} of {len(train_idx)} training texts (max_train_samples)")
        train_idx = train_idx[: config.max_train_samples]

    model, tokenizer = build_regressor(resolve_model(model_name, cache_dir), config.pooling, config.dropout,
                                       config.encoder_layers)
    model.to(device)
    enc = tokenizer([texts[i] for i in train_idx], truncation=True, max_length=config.max_length)
    train_ids = enc["input_ids"]
    lengths = np.array([len(x) for x in train_ids])
    rng = np.random.default_rng(config.seed)

    steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
    total_steps = max(1, int(round(config.epochs * steps_per_epoch)), config.min_steps)
    n_epochs = math.ceil(total_steps / steps_per_epoch)
    if total_steps > round(config.epochs * steps_per_epoch):
        notes.append(f"{n_epochs} epochs instead of {config.epochs:g}: min_steps={config.min_steps} on "
                     f"{len(train_idx)} training texts")
    no_decay = ("bias", "LayerNorm.weight", "layer_norm")
    head_lr = config.head_learning_rate or config.learning_rate
    groups = []
    for part, lr in ((model.encoder, config.learning_rate), (model.head, head_lr)):
        named = list(part.named_parameters())
        groups.append({"params": [p for n, p in named if not any(k in n for k in no_decay)],
                       "weight_decay": config.weight_decay, "lr": lr})
        groups.append({"params": [p for n, p in named if any(k in n for k in no_decay)],
                       "weight_decay": 0.0, "lr": lr})
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    val_texts, val_y = [texts[i] for i in val_idx], y[val_idx]

    history, best, best_state, step = [], (float("inf"), -1), None, 0
    best_val_pred = np.full(len(val_idx), np.nan)
    started = time.perf_counter()
    bar = tqdm(total=total_steps, desc="fine-tuning", unit="step", disable=not progress, mininterval=10.0)
    for epoch in range(1, n_epochs + 1):
        model.train()
        losses = []
        for batch in _train_batches(lengths, config.batch_size, rng):
            if step >= total_steps:
                break
            padded = tokenizer.pad({"input_ids": [train_ids[i] for i in batch]}, return_tensors="pt")
            target = torch.from_numpy(y[train_idx[batch]]).to(device)
            with autocast_for(device, config.cpu_bf16):
                pred = model(padded["input_ids"].to(device), padded["attention_mask"].to(device))
            loss = torch.nn.functional.mse_loss(pred.float(), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", refresh=False)
        val_pred = score_texts(model, tokenizer, val_texts, batch_size=config.eval_batch_size,
                               max_length=config.max_length, device=device, progress=False,
                               cpu_bf16=config.cpu_bf16)
        val = regression_metrics(val_y, val_pred)
        history.append({"epoch": epoch, "step": step, "train_loss": float(np.mean(losses)) if losses else np.nan,
                        "val_mse": val["mse"], "val_mae": val["mae"], "val_r2": val["r2"],
                        "seconds": time.perf_counter() - started})
        if val["mse"] < best[0]:
            best = (val["mse"], epoch)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_val_pred = np.asarray(val_pred, dtype=float)
    bar.close()
    seconds = time.perf_counter() - started
    if best_state is not None and best[1] != len(history):
        model.load_state_dict(best_state)
        notes.append(f"kept epoch {best[1]} (lowest validation MSE)")
    model.eval()

    test_texts = [texts[i] for i in test_idx]
    test_pred = score_texts(model, tokenizer, test_texts, batch_size=config.eval_batch_size,
                            max_length=config.max_length, device=device, progress=False,
                            cpu_bf16=config.cpu_bf16)
    test = pd.DataFrame({"text": test_texts, "score": y[test_idx].astype(float), "prediction": test_pred,
                         "n_chars": [len(t) for t in test_texts]})
    validation = pd.DataFrame({"text": val_texts, "score": val_y.astype(float), "prediction": best_val_pred,
                               "n_chars": [len(t) for t in val_texts]})
    metrics = regression_metrics(test["score"], test["prediction"])
    result = FineTuneResult(model, tokenizer, config, pd.DataFrame(history), test, metrics, seconds, step,
                            best[1], len(train_idx), len(val_idx), len(test_idx), str(device), notes,
                            validation=validation)
    if out_dir is not None:
        save_fine_tune(result, out_dir, model_name)
    return result


def save_fine_tune(result: FineTuneResult, out_dir: str | Path, model_name: str) -> Path:
    """Checkpoint, training history, test predictions and metrics into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_regressor(result.model, result.tokenizer, out / "model",
                   {"base_model": model_name, "config": asdict(result.config)})
    result.history.to_csv(out / "training_history.csv", index=False)
    result.test.to_parquet(out / "test_predictions.parquet", index=False)
    if result.validation is not None:
        result.validation.to_parquet(out / "validation_predictions.parquet", index=False)
    (out / "metrics.json").write_text(json.dumps({
        "model_name": model_name, "method": result.method, "device": result.device, "test": result.metrics,
        "best_epoch": result.best_epoch, "steps": result.steps, "seconds": result.seconds,
        "n_train": result.n_train, "n_val": result.n_val, "n_test": result.n_test,
        "config": asdict(result.config), "notes": result.notes,
    }, indent=2, ensure_ascii=False, default=str))
    return out


def calibration_table(y_true: Sequence[float], y_pred: Sequence[float], bins: int = 10) -> pd.DataFrame:
    """Mean label per bin of predictions (equal-width over [−1, 1]), for a calibration plot."""
    df = pd.DataFrame({"y": np.asarray(y_true, float), "p": np.asarray(y_pred, float)})
    df["bin"] = pd.cut(df["p"], np.linspace(-1, 1, bins + 1), include_lowest=True)
    out = df.groupby("bin", observed=True).agg(mean_prediction=("p", "mean"), mean_label=("y", "mean"),
                                               n=("y", "size")).reset_index()
    out["bin"] = out["bin"].astype(str)
    return out


def error_by_length(test: pd.DataFrame, bins: Sequence[int] = (0, 10, 20, 40, 80, 160, 10**6)) -> pd.DataFrame:
    """MAE and bias of predictions by text length in characters."""
    df = test.assign(abs_error=(test["prediction"] - test["score"]).abs(),
                     error=test["prediction"] - test["score"])
    labels = [f"{a}–{b - 1}" if b < 10**6 else f"{a}+" for a, b in zip(bins[:-1], bins[1:], strict=False)]
    df["length"] = pd.cut(df["n_chars"], list(bins), right=False, labels=labels)
    return (df.groupby("length", observed=True)
              .agg(n=("error", "size"), mae=("abs_error", "mean"), bias=("error", "mean"))
              .reset_index())
