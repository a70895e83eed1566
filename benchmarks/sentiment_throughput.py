"""Sentiment scoring throughput: ours vs a plain ``transformers.pipeline`` at batch size 1.

Both score the same comments with the same offline encoder and regression
head.  The baseline runs the encoder through
``pipeline("feature-extraction")`` one text at a time (the way most scripts
call a model) and applies the same mean pooling and head; ours is
:func:`helpers.sentiment.scoring.score_texts` (length-sorted batches, dynamic
padding, ``inference_mode``, deduplication, and bf16 autocast on CPUs with
native bf16), also timed in plain fp32 so the batching gain is visible on its
own.  Prints texts/second for each and the ratio.

    .venv/bin/python benchmarks/sentiment_throughput.py --run-dir _build/run --n 400

Comments come from ``<run-dir>/clean/comments.parquet`` when it exists (the
cleaned corpus), else from the synthetic comment model.  The regressor is the
chapter's fine-tuned one (``<run-dir>/sentiment/fine_tune/model``) when present,
else a fresh head on the offline encoder (throughput does not depend on the
head's weights).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def load_comments(run_dir: Path, n: int, seed: int) -> list[str]:
    import pandas as pd

    path = run_dir / "clean" / "comments.parquet"
    if path.exists():
        texts = pd.read_parquet(path, columns=["text"])["text"].astype(str).tolist()
        source = str(path)
    else:
        from helpers.synth.xhs_text import THEME_NAMES, compose_comment

        rng = np.random.default_rng(seed)
        texts = []
        for _ in range(max(n, 200)):
            theme = str(rng.choice(THEME_NAMES))
            short = bool(rng.random() < 0.15)
            texts.append(compose_comment(rng, float(rng.uniform(-1, 1)), theme, int(rng.integers(32, 80)), short)[0])
        source = "synthetic comment model (no cleaned comments in the run folder)"
    rng = np.random.default_rng(seed)
    picked = [texts[i] for i in rng.choice(len(texts), size=min(n, len(texts)), replace=False)]
    print(f"{len(picked)} comments from {source}")
    return picked


def pipeline_scores(model, tokenizer, texts: list[str], max_length: int) -> np.ndarray:
    """Baseline: the encoder through transformers.pipeline, one text per call."""
    from transformers import pipeline

    extractor = pipeline("feature-extraction", model=model.encoder, tokenizer=tokenizer, device="cpu",
                         tokenize_kwargs={"truncation": True, "max_length": max_length})
    head_w = model.head.weight.detach().numpy().reshape(-1)
    head_b = float(model.head.bias.detach().numpy()[0])
    out = []
    for text in texts:
        hidden = np.asarray(extractor(text))[0]  # (tokens, hidden)
        pooled = hidden.mean(0) if model.pooling == "mean" else hidden[0]
        out.append(np.tanh(pooled @ head_w + head_b))
    return np.asarray(out)


def main(argv: list[str] | None = None) -> int:
    import torch

    from helpers.sentiment.regressor import (
        OFFLINE_MODEL,
        build_regressor,
        load_regressor,
        resolve_model,
    )
    from helpers.sentiment.scoring import cpu_has_native_bf16, score_texts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="_build/run")
    parser.add_argument("--n", type=int, default=400, help="comments to score (both methods)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    run_dir = Path(args.run_dir)
    saved = run_dir / "sentiment" / "fine_tune" / "model"
    if (saved / "regressor.json").exists():
        model, tokenizer = load_regressor(saved)
        print(f"model: fine-tuned regressor in {saved}")
    else:
        model, tokenizer = build_regressor(resolve_model(OFFLINE_MODEL), pooling="mean")
        print("model: offline encoder with an untrained head")
    model.eval()
    texts = load_comments(run_dir, args.n, args.seed)
    print(f"torch threads: {torch.get_num_threads()}")

    # warm up both paths once so that lazy initialisation is not timed
    score_texts(model, tokenizer, texts[:8], progress=False, dedupe=False)
    score_texts(model, tokenizer, texts[:8], progress=False, dedupe=False, cpu_bf16=False)
    pipeline_scores(model, tokenizer, texts[:2], args.max_length)

    start = time.perf_counter()
    base = pipeline_scores(model, tokenizer, texts, args.max_length)
    t_base = time.perf_counter() - start

    def timed(**kw):
        began = time.perf_counter()
        scores = score_texts(model, tokenizer, texts, batch_size=args.batch_size, max_length=args.max_length,
                             progress=False, **kw)
        return scores, time.perf_counter() - began

    fp32, t_fp32 = timed(dedupe=False, cpu_bf16=False)
    ours, t_ours = timed(dedupe=True)  # the chapter's settings: bf16 where the CPU has it natively
    n = len(texts)
    bf16 = cpu_has_native_bf16()
    print(f"pipeline, batch size 1, fp32              : {n / t_base:8.1f} texts/s ({t_base:.1f} s)")
    print(f"ours, length-sorted batches, fp32         : {n / t_fp32:8.1f} texts/s ({t_fp32:.1f} s)")
    print(f"ours, chapter settings (bf16 on CPU: {str(bf16):5s}): {n / t_ours:8.1f} texts/s ({t_ours:.1f} s)")
    diff = float(np.max(np.abs(base - fp32)))
    corr = float(np.corrcoef(fp32, ours)[0, 1]) if np.std(ours) > 0 else float("nan")
    print(f"max |pipeline - ours fp32|                : {diff:.2e}")
    print(f"max |ours fp32 - ours chapter settings|   : {float(np.max(np.abs(fp32 - ours))):.2e} (r = {corr:.4f})")
    print(f"RATIO ours/pipeline: {t_base / t_ours:.1f}x (fp32 only, like for like: {t_base / t_fp32:.1f}x)")
    if diff > 1e-3:
        print("WARNING: batched fp32 and the pipeline disagree; the comparison is not like for like")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
