"""Named training schedules for the sentiment model, and a measured comparison between them.

Why: with two CPU cores and a 20-minute book, the schedule is a budget
decision, and "fine-tune for one epoch" is only one option.  A schedule here is
either a fine-tune (all encoder weights trained, :func:`~helpers.sentiment.regressor.fine_tune`)
or a frozen encoder with a ridge head (:func:`~helpers.sentiment.frozen_ridge.fit_frozen_ridge`).
:func:`compare_schedules` trains each on the same split of the same texts and
records validation and test R², MAE and the measured seconds, so that the
chapter can show R² per minute *measured in that run* (timings on a shared
machine are noisy and indicative only).  :func:`best_within_budget` picks, by
validation R², the best schedule whose time, projected to the size of the
chapter's labelled set, fits the CPU budget.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.sentiment.regressor import (
    OFFLINE_MODEL,
    FineTuneResult,
    default_config,
    fine_tune,
    regression_metrics,
)


@dataclass(frozen=True)
class Schedule:
    """A way of training the sentiment model: method and, for fine-tunes, epochs."""

    name: str
    method: str  # "fine_tune" | "frozen_ridge" | "study"
    epochs: float = 1.0
    description: str = ""


#: The schedules chapter 02 compares on CPU.  ``finetune_1ep`` is the former CPU default.
SCHEDULES: dict[str, Schedule] = {
    "frozen_ridge": Schedule("frozen_ridge", "frozen_ridge", 0,
                             "frozen encoder, mean-pooled embeddings, ridge head with the penalty chosen on validation"),
    "finetune_1ep": Schedule("finetune_1ep", "fine_tune", 1,
                             "fine-tune all weights for 1 epoch (encoder lr 5e-5, head lr 2e-3)"),
    "finetune_3ep": Schedule("finetune_3ep", "fine_tune", 3, "as finetune_1ep, 3 epochs"),
    "study": Schedule("study", "study", 4, "the study's schedule: 4 epochs, batch 32, lr 2e-5 (GPU)"),
}
#: The CPU default for the offline encoder (chosen by the comparison the chapter re-runs and shows).
CPU_DEFAULT = "frozen_ridge"
#: The GPU default (the study's schedule, bert-base-chinese on Colab).
GPU_DEFAULT = "study"


def default_schedule(on_gpu: bool) -> str:
    """The study's schedule on a GPU, :data:`CPU_DEFAULT` on a CPU."""
    return GPU_DEFAULT if on_gpu else CPU_DEFAULT


def train_schedule(schedule: str | Schedule, texts: Sequence[str], scores: Sequence[float], *,
                   model_name: str = OFFLINE_MODEL, device=None, out_dir=None, progress: bool = False,
                   known_features: dict | None = None, **overrides) -> FineTuneResult:
    """Train with ``schedule``; ``overrides`` go to :func:`~helpers.sentiment.regressor.default_config`.

    The CPU fine-tunes keep the default ``min_steps`` (more epochs on a small
    labelled set) unless ``min_steps`` is overridden; :func:`compare_schedules`
    sets it to 0 so that an epoch count means what it says.  ``known_features`` (frozen ridge
    only) are features already computed at the configured depth, see
    :func:`helpers.sentiment.frozen_ridge.fit_frozen_ridge`.
    """
    import torch

    from helpers.sentiment.frozen_ridge import fit_frozen_ridge

    s = SCHEDULES[schedule] if isinstance(schedule, str) else schedule
    dev = torch.device(device) if device is not None else None
    on_gpu = dev is not None and dev.type == "cuda"
    if s.method == "frozen_ridge":
        config = default_config(model_name, on_gpu, **overrides)
        return fit_frozen_ridge(texts, scores, model_name=model_name, config=config, out_dir=out_dir, device=device,
                                known_features=known_features)
    if s.method == "study":
        config = default_config(model_name, True, **overrides)  # the study's schedule whatever the device
    else:
        config = default_config(model_name, on_gpu, **{"epochs": s.epochs, **overrides})
    return fine_tune(texts, scores, model_name=model_name, config=config, out_dir=out_dir, device=device,
                     progress=progress)


def compare_schedules(texts: Sequence[str], scores: Sequence[float], schedules: Sequence[str], *,
                      model_name: str = OFFLINE_MODEL, device=None, **overrides
                      ) -> tuple[pd.DataFrame, dict[str, FineTuneResult]]:
    """Train every schedule on the same split; one row each with R², MAE, seconds and R² per minute.

    ``seconds`` is wall time measured here (embedding + fit for ridge, the
    training loop for fine-tunes), so it moves with the load on the machine.
    """
    rows, results = [], {}
    overrides = {"min_steps": 0, **overrides}
    for name in schedules:
        started = time.perf_counter()
        res = train_schedule(name, texts, scores, model_name=model_name, device=device, **overrides)
        wall = time.perf_counter() - started
        val = regression_metrics(res.validation["score"], res.validation["prediction"])
        results[name] = res
        rows.append({
            "schedule": name, "method": res.method, "steps": res.steps, "n_train": res.n_train,
            "train_seconds": res.seconds, "wall_seconds": wall,
            "val_r2": val["r2"], "test_r2": res.metrics["r2"], "test_mae": res.metrics["mae"],
            "test_min_prediction": float(np.nanmin(res.test["prediction"])),
            "r2_per_minute": res.metrics["r2"] / (res.seconds / 60) if res.seconds > 0 else np.nan,
        })
    return pd.DataFrame(rows), results


def best_within_budget(table: pd.DataFrame, budget_s: float, n_train_target: int) -> tuple[str | None, pd.DataFrame]:
    """The schedule with the highest validation R² among those whose time fits ``budget_s``.

    Training time grows about linearly with the number of training texts, so
    each measured time is projected to ``n_train_target`` texts (the chapter's
    labelled training split).  Returns the name (None when none fits) and the
    table with ``projected_seconds`` and ``within_budget`` added.
    """
    out = table.copy()
    out["projected_seconds"] = out["wall_seconds"] * n_train_target / out["n_train"].clip(lower=1)
    out["within_budget"] = out["projected_seconds"] <= budget_s
    fits = out[out["within_budget"] & out["val_r2"].notna()]
    if fits.empty:
        return None, out
    return str(fits.sort_values(["val_r2", "r2_per_minute"], ascending=False).iloc[0]["schedule"]), out


def best_by_rate(table: pd.DataFrame) -> str | None:
    """The schedule with the most test R² per minute of training, among those with a positive R².

    The rule :data:`CPU_DEFAULT` was chosen by: on two cores a schedule that reaches a
    slightly higher R² at many times the cost is not the better default.  None when no
    schedule has a positive R² (then no rate means anything).
    """
    if table.empty or "r2_per_minute" not in table:
        return None
    ok = table[(table["test_r2"] > 0) & table["r2_per_minute"].notna()]
    if ok.empty:
        return None
    return str(ok.sort_values("r2_per_minute", ascending=False).iloc[0]["schedule"])


def choose_frozen_depth(schedule: str, texts: Sequence[str], scores: Sequence[float], *,
                        model_name: str = OFFLINE_MODEL, device=None, depth_sample: int = 600,
                        depth_tolerance: float | str = "se", **overrides):
    """The frozen encoder's depth for ``schedule``, chosen on the training split; ``None`` when none is chosen.

    Only ``frozen_ridge`` has a depth to choose, and only while ``encoder_layers`` is not
    among ``overrides`` (the same overrides :func:`train_schedule` takes, so the depth is
    measured at the settings the model will be trained with):
    :func:`helpers.sentiment.encoder_depth.select_depth`.
    """
    import torch

    from helpers.sentiment.encoder_depth import select_depth

    if SCHEDULES[schedule].method != "frozen_ridge" or overrides.get("encoder_layers") is not None:
        return None
    dev = torch.device(device) if device is not None else None
    config = default_config(model_name, dev is not None and dev.type == "cuda", **overrides)
    return select_depth(texts, scores, model_name=model_name, config=config, sample=depth_sample,
                        tolerance=depth_tolerance, device=device)


def train_at_chosen_depth(schedule: str, texts: Sequence[str], scores: Sequence[float], *,
                          model_name: str = OFFLINE_MODEL, device=None, out_dir=None, depth_sample: int = 600,
                          depth_tolerance: float | str = "se", **overrides):
    """Chapter 02's default path in one call: :func:`choose_frozen_depth`, then train at that depth.

    The sampled texts' features are reused; other schedules train at full depth.  Returns
    ``(result, depth_choice)``, the choice ``None`` when none was made.
    """
    choice = choose_frozen_depth(schedule, texts, scores, model_name=model_name, device=device,
                                 depth_sample=depth_sample, depth_tolerance=depth_tolerance, **overrides)
    if choice is not None:
        overrides = {**overrides, "encoder_layers": choice.depth}
    result = train_schedule(schedule, texts, scores, model_name=model_name, device=device, out_dir=out_dir,
                            known_features=choice.features if choice else None, **overrides)
    return result, choice
