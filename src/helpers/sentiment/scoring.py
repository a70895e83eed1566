"""Fast batched inference for the sentiment regressor.

Texts are tokenised once, sorted by length, batched so that each batch holds
texts of similar length (dynamic padding to the longest in the batch), run
under ``torch.inference_mode`` (bf16 autocast on a GPU, and on CPUs with native
bf16), and scattered back to their original order; identical texts are scored
once.  Sorting by length only saves padding when lengths vary a lot within a
batch: on comments of similar length a plain batched loop in input order does
about as well.  ``benchmarks/sentiment_throughput.py`` times this function
against that loop and against a batched ``transformers.pipeline`` and checks
that all give the same scores; the book's benchmarks page shows its latest run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import nullcontext

import numpy as np
import pandas as pd

from helpers.torch_device import choose_device

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def pick_device(prefer: str | None = None):
    """``prefer`` if given, else the GPU when present, else the CPU (see helpers.torch_device)."""
    return choose_device(prefer)


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX), where bf16 is faster."""
    import torch

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        try:
            if getattr(torch.cpu, probe)():
                return True
        except (AttributeError, RuntimeError):
            continue
    return False


def autocast_for(device, cpu_bf16: bool | None = None):
    """bf16 autocast on GPUs that support it, and on CPUs with native bf16 units.

    On CPUs without bf16 hardware, bf16 is emulated and slower, so fp32 is kept.
    bf16 scores differ slightly from fp32 ones; ``benchmarks/sentiment_throughput.py``
    reports the time and the largest difference.  ``cpu_bf16=False`` forces fp32 on the CPU.
    """
    import torch

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and (cpu_has_native_bf16() if cpu_bf16 is None else cpu_bf16):
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext()


def text_flags(texts: Sequence[str]) -> pd.DataFrame:
    """Flag texts the model cannot judge well: empty, or without any Chinese character."""
    s = pd.Series(list(texts), dtype="object").fillna("").astype(str)
    empty = s.str.strip().eq("")
    return pd.DataFrame({"empty": empty, "no_chinese": ~empty & ~s.str.contains(_HAN)})


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches in order of increasing length, so each batch pads little."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def score_texts(
    model,
    tokenizer,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 128,
    device=None,
    progress: bool = True,
    desc: str = "scoring",
    dedupe: bool = True,
    cpu_bf16: bool | None = None,
) -> np.ndarray:
    """Sentiment in [−1, 1] for every text, in input order; NaN for empty texts.

    ``model`` maps ``input_ids``/``attention_mask`` to one value per text (a
    :class:`helpers.sentiment.regressor.SentimentRegressor`).  Empty texts are
    not sent to the model: they get NaN, and the caller reports how many.
    With ``dedupe`` each distinct text is scored once; ``cpu_bf16`` see :func:`autocast_for`.
    """
    import torch
    from tqdm import tqdm

    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    if dedupe and len(texts) > 1:
        # identical texts (short replies such as 抱抱 / 加油 recur often) are scored once
        unique, inverse = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
        if len(unique) < len(texts):
            scores = score_texts(model, tokenizer, list(unique), batch_size=batch_size, max_length=max_length,
                                 device=device, progress=progress, desc=desc, dedupe=False,
                                 cpu_bf16=cpu_bf16)
            return scores[inverse]
    out = np.full(len(texts), np.nan, dtype=np.float64)
    keep = np.flatnonzero([bool(t.strip()) for t in texts])
    if len(keep) == 0:
        return out
    device = choose_device(device)
    model = model.to(device).eval()
    enc = tokenizer([texts[i] for i in keep], truncation=True, max_length=max_length)
    ids = enc["input_ids"]
    batches = length_sorted_batches([len(x) for x in ids], batch_size)
    bar = tqdm(total=len(keep), desc=desc, unit="text", disable=not progress, mininterval=10.0)
    with torch.inference_mode(), autocast_for(device, cpu_bf16):
        for batch in batches:
            padded = tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
            pred = model(
                input_ids=padded["input_ids"].to(device), attention_mask=padded["attention_mask"].to(device)
            )
            out[keep[batch]] = pred.float().cpu().numpy().reshape(-1)
            bar.update(len(batch))
    bar.close()
    return out
