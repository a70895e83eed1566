"""Chapter 02's CPU schedules compared on real labelled text by measured R² per minute.

Chapter 02 used to train every CPU schedule on a few hundred real Weibo texts in every build;
one fine-tune costs minutes on two cores, more than the whole book's time budget, so the
comparison now lives here and the chapter runs it only when ``compare`` lists the schedules.
Each schedule is trained on the same seeded 80/10/10 split of the same SMP2020-EWECT texts
(the chapter's real-text set): the frozen encoder with a ridge head at every layer (``all
layers``) and at the depth the chapter would choose (cross-validated on the training split,
:mod:`helpers.sentiment.encoder_depth`), and one- and three-epoch fine-tunes of all weights.
Seconds are wall time in this run on this machine, so R² per minute is indicative on a shared
machine; the test split is the same for every row.

    nice .venv/bin/python benchmarks/sentiment_schedules.py --sample 400
"""

from __future__ import annotations

import argparse
import os
import time


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from helpers.data.public_datasets import DatasetUnavailable, real_labelled_set
    from helpers.sentiment.regressor import OFFLINE_MODEL, regression_metrics
    from helpers.sentiment.schedules import train_at_chosen_depth, train_schedule

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="smp2020_usual")
    parser.add_argument("--sample", type=int, default=400, help="real texts (the chapter's former CPU size)")
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--schedules", default="frozen_ridge,finetune_1ep,finetune_3ep")
    args = parser.parse_args(argv)
    try:
        real = real_labelled_set(args.set, sample=args.sample, seed=args.seed)
    except DatasetUnavailable as exc:
        print(f"the real-text set is unavailable here: {exc}")
        return 1
    texts, scores = real["text"].tolist(), real["score"].to_numpy(float)
    print(f"{args.set}: {len(real)} texts, seed {args.seed}; CPU threads {os.cpu_count()}")
    rows = []

    def record(name: str, run) -> None:
        started = time.perf_counter()
        result, depth = run()
        wall = time.perf_counter() - started
        val = regression_metrics(result.validation["score"], result.validation["prediction"])
        rows.append({"schedule": name, "layers": result.config.encoder_layers or 12, "n_train": result.n_train,
                     "seconds": wall, "val_r2": val["r2"], "test_r2": result.metrics["r2"],
                     "test_mae": result.metrics["mae"], "r2_per_minute": result.metrics["r2"] / (wall / 60)})
        print(f"  {name}: {wall:.0f} s" + (f" ({depth.describe()})" if depth else ""), flush=True)

    common = dict(model_name=OFFLINE_MODEL, device="cpu", min_steps=0, seed=args.seed)
    for name in args.schedules.split(","):
        if name == "frozen_ridge":
            record("frozen_ridge, all layers",
                   lambda: (train_schedule("frozen_ridge", texts, scores, **common), None))
            record("frozen_ridge, chosen depth (chapter default)",
                   lambda: train_at_chosen_depth("frozen_ridge", texts, scores, **common))
        else:
            record(name, lambda name=name: (train_schedule(name, texts, scores, **common), None))
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    best = table.loc[table["r2_per_minute"].idxmax()]
    top = table.loc[table["test_r2"].idxmax()]
    print(f"best by R² per minute: {best['schedule']} ({best['r2_per_minute']:.2f}); "
          f"best test R²: {top['schedule']} ({top['test_r2']:.3f}) on {int(top['n_train'])} training texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
