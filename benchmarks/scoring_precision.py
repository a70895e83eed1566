"""Int8 scoring of the frozen encoder: faster, but is it the same model?  Measured, then decided.

The forward pass of the frozen encoder is nearly all of chapter 02's time on a CPU, and
ONNX Runtime's dynamic int8 quantisation (weights per output channel, activations
quantised on the fly) runs the matrix products on integer units.  A faster engine is only
worth having if the model it gives is as good and as reproducible, so this measures, on the
embedded corpus's labelled texts and on real SMP2020-EWECT text (chapter 02's sets):

* **speed**: pooled features of the corpus's comments per second, fp32 against int8, the
  chapter's batching (length-sorted batches of 64), best of ``--repeats``;
* **accuracy**: test R² of a ridge head fitted on each precision's *own* features (same
  seeded 80/10/10 split and penalty choice as the chapter), so int8 is not penalised for a
  head fitted on fp32 features;
* **reproducibility**: a text's score at batch size 64 against the same text scored alone.
  Dynamic quantisation takes each activation's scale from the whole batch tensor, so a score
  can depend on which other texts share its batch; fp32 is checked the same way.

It then says whether int8 may replace fp32 by the rule printed with the verdict (test R² no
more than ``--tolerance`` lower on both sets, and scores that do not depend on batch-mates
beyond 1e-3).  The encoder depth is the one chapter 02 chooses on the labelled training
split (:mod:`helpers.sentiment.encoder_depth`), unless ``--depth`` is given.

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
    from helpers.sentiment.frozen_ridge import fit_ridge, pool
    from helpers.sentiment.labels import read_sentiment_labels
    from helpers.sentiment.regressor import (
        OFFLINE_MODEL,
        build_regressor,
        regression_metrics,
        resolve_model,
        split_indices,
    )
    from helpers.sentiment.schedules import choose_frozen_depth
    from helpers.sentiment.scoring import length_sorted_batches
    from helpers.synth.xhs_corpus import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="embedded corpus scale (labelled texts: 3,000 at 1)")
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--depth", type=int, default=None, help="encoder layers (default: chapter 02's choice)")
    parser.add_argument("--real-set", default="smp2020_usual")
    parser.add_argument("--real-sample", type=int, default=1500)
    parser.add_argument("--comments", type=int, default=2000, help="comments timed")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tolerance", type=float, default=0.01, help="test R² int8 may lose on each set")
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

    class Features(torch.nn.Module):
        def __init__(self, enc):
            super().__init__()
            self.enc = enc

        def forward(self, input_ids, attention_mask):
            hidden = self.enc(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return pool(hidden, attention_mask, "mean")

    work = Path(tempfile.mkdtemp(prefix="xhs-precision-"))
    fp32 = work / "features_fp32.onnx"
    example = (torch.tensor([[0, 5, 6, 2], [0, 7, 2, 1]]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    axes = {"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}, "features": {0: "b"}}
    torch.onnx.export(Features(encoder), example, str(fp32), input_names=["input_ids", "attention_mask"],
                      output_names=["features"], dynamic_axes=axes, opset_version=17, dynamo=False)
    int8 = work / "features_int8.onnx"
    quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)

    def session(path: Path):
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def features(sess, texts, batch_size=64):
        ids = tokenizer(list(texts), truncation=True, max_length=64)["input_ids"]
        out = np.zeros((len(ids), encoder.config.hidden_size), np.float32)
        for batch in length_sorted_batches([len(x) for x in ids], batch_size):
            padded = tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="np")
            out[batch] = sess.run(["features"], {"input_ids": padded["input_ids"].astype(np.int64),
                                                 "attention_mask": padded["attention_mask"].astype(np.int64)})[0]
        return out

    engines = {"fp32": session(fp32), "int8 (dynamic, per channel)": session(int8)}
    print(f"encoder depth {depth}; {threads} threads; {len(comments)} comments timed; best of {args.repeats}")
    speed = {}
    for name, sess in engines.items():
        features(sess, comments[:64])
        best = min(_timed(lambda s=sess: features(s, comments)) for _ in range(args.repeats))
        speed[name] = len(comments) / best
        print(f"  {name:<28} {speed[name]:7.1f} comments/s ({best:.1f} s)", flush=True)
    names = list(engines)
    print(f"  int8 against fp32: {speed[names[1]] / speed[names[0]]:.2f}x, saves "
          f"{10_000 / speed[names[0]] - 10_000 / speed[names[1]]:.0f} s per 10,000 comments")

    r2: dict[tuple[str, str], float] = {}
    batch_dependence: dict[str, float] = {}
    for set_name, (texts, y) in sets.items():
        train, val, test = split_indices(len(y), args.seed, (0.8, 0.1, 0.1))
        for name, sess in engines.items():
            x = features(sess, texts)
            coef, intercept, _, _ = fit_ridge(x[train], y[train], x[val], y[val])
            r2[set_name, name] = regression_metrics(y[test], np.clip(x[test] @ coef + intercept, -1, 1))["r2"]
            if set_name.startswith("embedded"):
                probe = comments[:300]
                batched = features(sess, probe) @ coef
                alone = features(sess, probe, batch_size=1) @ coef
                batch_dependence[name] = float(np.max(np.abs(batched - alone)))
    print("test R² with a ridge head fitted on each precision's own features:")
    for set_name in sets:
        print(f"  {set_name:<40} " + "   ".join(f"{n}: {r2[set_name, n]:.3f}" for n in names)
              + f"   (int8 - fp32: {r2[set_name, names[1]] - r2[set_name, names[0]]:+.3f})")
    print("largest change of a score between batch size 64 and the text scored alone (300 comments):")
    for name in names:
        print(f"  {name:<28} {batch_dependence[name]:.2e}")
    losses = {s: r2[s, names[0]] - r2[s, names[1]] for s in sets}
    reasons = [f"test R² {loss:.3f} lower on {s} (tolerance {args.tolerance})"
               for s, loss in losses.items() if loss > args.tolerance]
    if batch_dependence[names[1]] > REPRO_TOL:
        reasons.append(f"a score moves by up to {batch_dependence[names[1]]:.2g} with its batch-mates "
                       f"(limit {REPRO_TOL:g}: the same text must get the same score in any run)")
    if reasons:
        print("verdict: int8 NOT adopted; the chapter keeps fp32: " + "; ".join(reasons))
    else:
        print(f"verdict: int8 qualifies (R² within {args.tolerance} on every set, scores independent of "
              f"batch-mates to {REPRO_TOL:g})")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    return 0


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
