"""Lower precision for the frozen encoder: faster, but is it the same model?  Measured, then decided.

The forward pass of the frozen encoder is nearly all of chapter 02's time on a CPU.  Two
ways to run it in lower precision are at hand: ONNX Runtime's dynamic int8 quantisation
(weights per output channel, activations quantised on the fly; the matrix products run on
integer units) and PyTorch's bf16 autocast, which runs on the bf16 units of CPUs that have
them (AVX512-BF16, AMX) and is measured only there.  A faster engine is only worth having if
the model it gives is as good and as reproducible, so this measures, on the embedded corpus's
labelled texts and on real SMP2020-EWECT text (chapter 02's sets), against the chapter's
fp32 ONNX Runtime engine:

* **speed**: pooled features of the corpus's comments per second, the chapter's batching
  (length-sorted batches of 64), best of ``--repeats``;
* **accuracy**: test R² of a ridge head fitted on each precision's *own* features (same
  seeded 80/10/10 split and penalty choice as the chapter), so a precision is not penalised
  for a head fitted on fp32 features;
* **reproducibility**: a text's score at batch size 64 against the same text scored alone.
  Dynamic quantisation takes each activation's scale from the whole batch tensor, so a score
  can depend on which other texts share its batch; every precision is checked the same way.

It then says whether a lower precision may replace fp32 by the rule printed with the verdict
(faster, test R² no more than ``--tolerance`` lower on both sets, and scores that do not
depend on batch-mates beyond 1e-3).  The encoder depth is the one chapter 02 chooses on the
labelled training split (:mod:`helpers.sentiment.encoder_depth`), unless ``--depth`` is given.

    nice .venv/bin/python benchmarks/scoring_precision.py --scale 1
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPRO_TOL = 1e-3


def main(argv: list[str] | None = None) -> int:
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from helpers.data.public_datasets import DatasetUnavailable, real_labelled_set
    from helpers.sentiment.frozen_ridge import encode_pooled, fit_ridge, pooled_features
    from helpers.sentiment.labels import read_sentiment_labels
    from helpers.sentiment.regressor import (
        OFFLINE_MODEL,
        build_regressor,
        regression_metrics,
        resolve_model,
        split_indices,
    )
    from helpers.sentiment.schedules import choose_frozen_depth
    from helpers.sentiment.scoring import (
        cpu_has_native_bf16,
        export_onnx,
        length_sorted_batches,
        run_onnx_batch,
    )
    from helpers.synth.xhs_corpus import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="embedded corpus scale (labelled texts: 3,000 at 1)")
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--depth", type=int, default=None, help="encoder layers (default: chapter 02's choice)")
    parser.add_argument("--real-set", default="smp2020_usual")
    parser.add_argument("--real-sample", type=int, default=1500)
    parser.add_argument("--comments", type=int, default=2000, help="comments timed")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tolerance", type=float, default=0.01, help="test R² a lower precision may lose on each set")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    threads = torch.get_num_threads()

    corpus = generate(scale=args.scale, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sentiment_labels.csv"
        corpus.labels.to_csv(path, index=False)
        labels = read_sentiment_labels(str(path)).data
    sets = {"embedded corpus (labelled texts)": (labels["text"].tolist(), labels["score"].to_numpy(float))}
    try:
        real = real_labelled_set(args.real_set, sample=args.real_sample, seed=args.seed)
        sets[f"{args.real_set} (real text)"] = (real["text"].tolist(), real["score"].to_numpy(float))
    except DatasetUnavailable as exc:
        print(f"real-text set unavailable, embedded corpus only: {exc}")
    comment_col = "content" if "content" in corpus.comments.columns else corpus.comments.columns[0]
    comments = [str(t) for t in corpus.comments[comment_col].dropna() if len(str(t)) >= 10][: args.comments]

    depth = args.depth
    if depth is None:
        choice = choose_frozen_depth("frozen_ridge", *sets["embedded corpus (labelled texts)"], device="cpu",
                                     seed=args.seed)
        depth = choice.depth
        print(f"depth: {choice.describe()}")
    base, tokenizer = build_regressor(resolve_model(OFFLINE_MODEL), "mean", 0.0, depth)
    encoder = base.encoder.eval()

    work = Path(tempfile.mkdtemp(prefix="xhs-precision-"))
    fp32 = export_onnx(pooled_features(encoder, "mean"), work / "features_fp32.onnx")  # the chapter's graph
    int8 = work / "features_int8.onnx"
    quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)

    def session(path: Path):
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def on_onnx(sess):
        def features(texts, batch_size=64):
            ids = tokenizer(list(texts), truncation=True, max_length=64)["input_ids"]
            out = np.zeros((len(ids), encoder.config.hidden_size), np.float32)
            for batch in length_sorted_batches([len(x) for x in ids], batch_size):
                out[batch] = run_onnx_batch(sess, tokenizer, [ids[i] for i in batch])
            return out
        return features

    def bf16(texts, batch_size=64):
        return encode_pooled(encoder, tokenizer, list(texts), batch_size=batch_size, max_length=64, device="cpu",
                             cpu_bf16=True, engine="torch")

    engines = {"fp32 (ONNX Runtime)": on_onnx(session(fp32)),
               "int8 (dynamic, per channel)": on_onnx(session(int8))}
    if cpu_has_native_bf16():
        engines["bf16 (PyTorch, native units)"] = bf16
    else:
        print("bf16: not measured (this CPU has no bf16 units; emulated bf16 is slower than fp32)")
    names = list(engines)
    reference = names[0]
    print(f"encoder depth {depth}; {threads} threads; {len(comments)} comments timed; best of {args.repeats}")
    speed = {}
    for name, features in engines.items():
        features(comments[:64])
        best = min(_timed(lambda f=features: f(comments)) for _ in range(args.repeats))
        speed[name] = len(comments) / best
        print(f"  {name:<30} {speed[name]:7.1f} comments/s ({best:.1f} s)", flush=True)
    for name in names[1:]:
        print(f"  {name} against fp32: {speed[name] / speed[reference]:.2f}x, saves "
              f"{10_000 / speed[reference] - 10_000 / speed[name]:.0f} s per 10,000 comments")

    r2: dict[tuple[str, str], float] = {}
    batch_dependence: dict[str, float] = {}
    for set_name, (texts, y) in sets.items():
        train, val, test = split_indices(len(y), args.seed, (0.8, 0.1, 0.1))
        for name, features in engines.items():
            x = features(texts)
            coef, intercept, _, _ = fit_ridge(x[train], y[train], x[val], y[val])
            r2[set_name, name] = regression_metrics(y[test], np.clip(x[test] @ coef + intercept, -1, 1))["r2"]
            if set_name.startswith("embedded"):
                probe = comments[:300]
                batched = features(probe) @ coef
                alone = features(probe, batch_size=1) @ coef
                batch_dependence[name] = float(np.max(np.abs(batched - alone)))
    print("test R² with a ridge head fitted on each precision's own features:")
    for set_name in sets:
        print(f"  {set_name:<40} " + "   ".join(f"{n.split(' ')[0]}: {r2[set_name, n]:.3f}" for n in names)
              + "".join(f"   ({n.split(' ')[0]} - fp32: {r2[set_name, n] - r2[set_name, reference]:+.3f})"
                        for n in names[1:]))
    print("largest change of a score between batch size 64 and the text scored alone (300 comments):")
    for name in names:
        print(f"  {name:<30} {batch_dependence[name]:.2e}")
    for name in names[1:]:
        short = name.split(" ")[0]
        reasons = [f"test R² {r2[s, reference] - r2[s, name]:.3f} lower on {s} (tolerance {args.tolerance})"
                   for s in sets if r2[s, reference] - r2[s, name] > args.tolerance]
        if batch_dependence[name] > REPRO_TOL:
            reasons.append(f"a score moves by up to {batch_dependence[name]:.2g} with its batch-mates "
                           f"(limit {REPRO_TOL:g}: the same text must get the same score in any run)")
        if speed[name] <= speed[reference]:
            reasons.append(f"not faster ({speed[name] / speed[reference]:.2f}x)")
        if reasons:
            print(f"verdict: {short} NOT adopted; the chapter keeps fp32: " + "; ".join(reasons))
        else:
            print(f"verdict: {short} qualifies ({speed[name] / speed[reference]:.2f}x, R² within {args.tolerance} "
                  f"on every set, scores independent of batch-mates to {REPRO_TOL:g})")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    return 0


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
