"""Sentiment scoring throughput: the chapter's engine against the baselines a user would write.

All score the same comments with the same encoder and regression head, with
mask-aware mean pooling (or the CLS vector, if the model pools that way):

* **plain batched loop**: texts in input order, batches of ``--batch-size``
  padded to each batch's longest text, ``torch.no_grad``, the encoder, pooling
  over the attention mask, the head (the loop most users would write), in fp32
  and, on CPUs with native bf16, under bf16 autocast;
* **pipeline, batched**: ``transformers.pipeline("feature-extraction",
  batch_size=64)``, then pooling over each text's own tokens.  A batched
  feature-extraction pipeline hands back the padded positions of its batch, so
  the mean over its raw output is not the model's score; the script reports how
  far that naive mean is off and pools over the real tokens instead;
* **ours**: :func:`helpers.sentiment.scoring.score_texts` (length-sorted
  batches, dynamic padding), timed on each engine in fp32 (PyTorch
  ``inference_mode``, ONNX Runtime) and with the chapter's settings
  (the engine ``engine="auto"`` picks for a corpus of the chapter's size, fp32 on
  the CPU, deduplication).

The chapter's settings are compared with the plain loop *in the same precision*
(bf16 against bf16, fp32 against fp32): that ratio is the issue's target.
Methods run in interleaved rounds (every method once per round) and each time
is the best of ``--repeat`` rounds, so a burst of load on a shared machine hits
all of them alike; process CPU seconds are printed beside wall seconds.  The
script checks that every baseline gives the same scores as its counterpart to
1e-3 and prints, beside each ratio, the seconds saved on these texts and per
10,000 texts.

    .venv/bin/python benchmarks/sentiment_throughput.py --run-dir _build/run --n 400

Comments come from ``<run-dir>/clean/comments.parquet`` when it exists (the
cleaned corpus), else from the synthetic comment model.  The regressor is the
chapter's trained one (``<run-dir>/sentiment/fine_tune/model``) when present,
else the chapter's CPU default built here: the frozen offline encoder with a
ridge head fitted to the planted sentiment of synthetic comments.  A realistic
head matters for the agreement figures: an untrained head keeps every score near
0, where precision differences look smaller than they are.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path

import numpy as np

TOLERANCE = 1e-3


def synthetic_comments(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Comments of the synthetic comment model with the sentiment each was written with."""
    from helpers.synth.xhs_text import THEME_NAMES, compose_comment

    rng = np.random.default_rng(seed)
    texts, scores = [], []
    for _ in range(n):
        theme = str(rng.choice(THEME_NAMES))
        short = bool(rng.random() < 0.15)
        score = float(rng.uniform(-1, 1))
        texts.append(compose_comment(rng, score, theme, int(rng.integers(32, 80)), short)[0])
        scores.append(score)
    return texts, np.asarray(scores)


def load_comments(run_dir: Path, n: int, seed: int) -> list[str]:
    import pandas as pd

    path = run_dir / "clean" / "comments.parquet"
    if path.exists():
        texts = pd.read_parquet(path, columns=["text"])["text"].astype(str).tolist()
        source = "the cleaned comments of the run folder"
    else:
        texts = synthetic_comments(max(n, 200), seed)[0]
        source = "synthetic comment model (no cleaned comments in the run folder)"
    rng = np.random.default_rng(seed)
    picked = [texts[i] for i in rng.choice(len(texts), size=min(n, len(texts)), replace=False)]
    print(f"{len(picked)} comments from {source}")
    return picked


def load_model(run_dir: Path, seed: int):
    """The run's trained regressor, else the chapter's CPU default (frozen encoder + ridge) fitted here."""
    from helpers.sentiment.frozen_ridge import fit_frozen_ridge
    from helpers.sentiment.regressor import OFFLINE_MODEL, default_config, load_regressor

    saved = run_dir / "sentiment" / "fine_tune" / "model"
    if (saved / "regressor.json").exists():
        model, tokenizer = load_regressor(saved)
        print("model: the trained regressor of the run folder")
        return model.eval(), tokenizer
    texts, scores = synthetic_comments(300, seed + 1)
    fitted = fit_frozen_ridge(texts, scores, model_name=OFFLINE_MODEL, device="cpu",
                              config=default_config(OFFLINE_MODEL, False))
    print(f"model: offline encoder, frozen, with a ridge head fitted to the planted sentiment of 300 synthetic "
          f"comments (test R² {fitted.metrics['r2']:.2f}; the chapter's CPU default schedule)")
    return fitted.model.eval(), fitted.tokenizer


def _pool(hidden, mask, pooling: str):
    """Mask-aware mean pooling (or the first token), as the regressor pools."""
    import torch

    if pooling != "mean":
        return hidden[:, 0]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)


def _output(model, values):
    """The regressor's bounded output: tanh (fine-tuned head) or clipping (ridge head)."""
    if getattr(model, "output", "tanh") == "clip":
        return np.clip(values, -1, 1)
    return np.tanh(values)


def plain_loop_scores(model, tokenizer, texts: list[str], batch_size: int, max_length: int,
                      bf16: bool = False) -> np.ndarray:
    """Baseline: the batched loop a user would write (input order, pad to each batch's longest)."""
    import torch

    out = []
    cast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with torch.no_grad(), cast:
        for i in range(0, len(texts), batch_size):
            enc = tokenizer(texts[i:i + batch_size], padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
            hidden = model.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            pooled = _pool(hidden, enc["attention_mask"], model.pooling)
            out.append(model.head(pooled).squeeze(-1).float().numpy())
    return _output(model, np.concatenate(out))


def pipeline_scores(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64,
                    naive: bool = False) -> np.ndarray:
    """Baseline: ``pipeline("feature-extraction", batch_size=...)`` + pooling over each text's tokens.

    With ``naive`` the mean runs over every position the pipeline returns, padded ones included.
    """
    from transformers import pipeline

    extractor = pipeline("feature-extraction", model=model.encoder, tokenizer=tokenizer, device="cpu",
                         batch_size=batch_size, tokenize_kwargs={"truncation": True, "max_length": max_length})
    head_w = model.head.weight.detach().float().numpy().reshape(-1)
    head_b = float(model.head.bias.detach().float().numpy()[0])
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    out = []
    for hidden, n_tokens in zip(extractor(texts), lengths, strict=True):
        hidden = np.asarray(hidden)[0]  # (positions, hidden)
        if model.pooling == "mean":
            pooled = hidden.mean(0) if naive else hidden[:n_tokens].mean(0)
        else:
            pooled = hidden[0]
        out.append(pooled @ head_w + head_b)
    return _output(model, np.asarray(out))


def interleaved_best(methods: dict, repeat: int) -> dict[str, tuple[np.ndarray, float, float]]:
    """name -> (scores, best wall seconds, CPU seconds of that run); every method once per round."""
    best: dict[str, tuple[np.ndarray, float, float]] = {}
    for _ in range(repeat):
        for name, fn in methods.items():
            wall, cpu = time.perf_counter(), time.process_time()
            result = fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if name not in best or wall < best[name][1]:
                best[name] = (result, wall, cpu)
    return best


def main(argv: list[str] | None = None) -> int:
    import torch

    from helpers.sentiment.scoring import (
        ONNX_MIN_TEXTS,
        cpu_has_native_bf16,
        resolve_engine,
        score_texts,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="_build/run")
    parser.add_argument("--n", type=int, default=400, help="comments to score (every method)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    run_dir = Path(args.run_dir)
    model, tokenizer = load_model(run_dir, args.seed)
    texts = load_comments(run_dir, args.n, args.seed)
    n, bs, ml = len(texts), args.batch_size, args.max_length
    native = cpu_has_native_bf16()
    cpu = torch.device("cpu")
    # the engine auto picks for a chapter's corpus (thousands of texts), whatever --n is
    engine, reason = resolve_engine("auto", cpu, None, max(n, ONNX_MIN_TEXTS))
    chapter_bf16 = False  # engine="auto" scores in fp32 on the CPU (helpers.sentiment.scoring.resolve_engine)
    precision = "bf16" if chapter_bf16 else "fp32"
    print(f"torch threads: {torch.get_num_threads()}; native bf16 on this CPU: {native}; "
          f"chapter engine (engine='auto'): {engine}, {precision} ({reason}); "
          f"interleaved rounds, best of {args.repeat}")

    def ours(engine_name: str, dedupe: bool = False, cpu_bf16: bool | None = False):
        return lambda: score_texts(model, tokenizer, texts, batch_size=bs, max_length=ml, device="cpu",
                                   progress=False, dedupe=dedupe, cpu_bf16=cpu_bf16, engine=engine_name)

    methods = {
        "plain batched loop, fp32": lambda: plain_loop_scores(model, tokenizer, texts, bs, ml),
        "pipeline batch_size=64, fp32": lambda: pipeline_scores(model, tokenizer, texts, ml, 64),
        "ours, torch fp32": ours("torch"),
        "ours, onnx fp32": ours("onnx"),
    }
    if native:
        methods["plain batched loop, bf16"] = lambda: plain_loop_scores(model, tokenizer, texts, bs, ml, bf16=True)
        methods["ours, torch bf16"] = ours("torch", cpu_bf16=True)
    methods["ours, chapter settings"] = ours(engine, dedupe=True, cpu_bf16=None)
    # warm up every path once (lazy initialisation, the ONNX export and session are not timed)
    for fn in methods.values():
        saved, texts[:] = texts[:], texts[:8]
        fn()
        texts[:] = saved
    runs = interleaved_best(methods, args.repeat)

    print(f"{'method':<30} {'texts/s':>8} {'seconds':>8} {'CPU s':>7}")
    for name, (_, wall, cpu_s) in runs.items():
        print(f"{name:<30} {n / wall:8.1f} {wall:8.2f} {cpu_s:7.2f}")

    status = 0
    print("agreement (max |difference| of scores; scores here have SD "
          f"{float(np.nanstd(runs['ours, torch fp32'][0])):.2f}):")
    same_precision = "plain batched loop, bf16" if chapter_bf16 else "plain batched loop, fp32"
    checks = [("plain batched loop, fp32", "ours, torch fp32"), ("pipeline batch_size=64, fp32", "ours, torch fp32"),
              ("ours, torch fp32", "ours, onnx fp32"), ("plain batched loop, fp32", "ours, onnx fp32"),
              (same_precision, "ours, chapter settings")]
    if native:
        checks.insert(4, ("plain batched loop, bf16", "ours, torch bf16"))
    for base, mine in checks:
        diff = float(np.nanmax(np.abs(runs[base][0] - runs[mine][0])))
        ok = diff <= TOLERANCE
        informative = "bf16" in mine and "chapter" not in mine  # bf16 is measured, not the chapter's setting
        status |= not ok and not informative
        verdict = "same to 1e-3" if ok else "DIFFERENT beyond 1e-3" + (" (bf16: why the chapter scores in fp32)"
                                                                       if informative else "")
        print(f"  {mine:<22} vs {base:<28}: {diff:.2e} ({verdict})")
    if chapter_bf16:
        diff = float(np.nanmax(np.abs(runs["ours, chapter settings"][0] - runs["plain batched loop, fp32"][0])))
        print(f"  ours, chapter settings vs plain batched loop, fp32   : {diff:.2e} (the cost of bf16; not a check)")
    naive = pipeline_scores(model, tokenizer, texts, ml, 64, naive=True)
    print(f"  pipeline batch_size=64, mean over its raw output (padded positions included) vs ours torch fp32: "
          f"{float(np.nanmax(np.abs(naive - runs['ours, torch fp32'][0]))):.2e}  "
          "<- why the pipeline baseline pools over real tokens only")

    print("ratios (baseline time / ours), seconds saved on these texts and per 10,000 texts:")
    pairs = [("plain batched loop, fp32", "ours, torch fp32"), ("plain batched loop, fp32", "ours, onnx fp32"),
             ("ours, torch fp32", "ours, onnx fp32")]
    if native:
        pairs += [("plain batched loop, bf16", "ours, torch bf16"), ("ours, onnx fp32", "ours, torch bf16")]
    pairs += [(same_precision, "ours, chapter settings"), ("pipeline batch_size=64, fp32", "ours, chapter settings")]
    if same_precision != "plain batched loop, fp32":
        pairs.append(("plain batched loop, fp32", "ours, chapter settings"))
    for base, mine in pairs:
        t_base, t_mine = runs[base][1], runs[mine][1]
        print(f"  {mine:<22} against {base:<28}: {t_base / t_mine:5.2f}x, saves {t_base - t_mine:6.2f} s "
              f"({(t_base - t_mine) * 1e4 / n:6.1f} s per 10,000)")
    target = 1.5
    like = runs[same_precision][1] / runs["ours, chapter settings"][1]
    print(f"chapter settings ({engine}, {precision}) against the plain batched loop in the same precision: "
          f"{like:.2f}x ({'meets' if like >= target else 'MISSES'} the {target}x target); "
          f"load average {os.getloadavg()[0]:.1f}")
    return int(status)


if __name__ == "__main__":
    raise SystemExit(main())
