"""Time of fitting the study's five engagement models on the embedded corpus.

Target (issue 4): all five models on the full-scale corpus in under a minute on
2 cores.  The corpus is generated and cleaned in a scratch folder (the planted
latent post/comment sentiment stands in for chapter 02's scores, so the timing
is of the models alone), then the five models are fitted with each lme4 route
of ``helpers.engagement.lmer``: the lean lmerTest bridge and ``auto`` (pymer4's
full pipeline for Models 1-4), printing seconds per model and the ratio.

    .venv/bin/python benchmarks/model_fitting.py --scale 1
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.engagement.data import load_comments, load_posts, study_model_specs
from helpers.engagement.lmer import fit_models
from helpers.synth.xhs_corpus import generate, write


def prepare(scale: float, seed: int, folder: Path) -> tuple:
    raw = write(generate(scale=scale, seed=seed), folder / "raw")
    clean_export(raw, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv",
                                     salt=f"synthetic-{seed}")).write(folder / "clean")
    return load_posts(folder, sentiment="latent"), load_comments(folder, sentiment="latent")


def time_engine(engine: str, posts, comments) -> tuple[float, list[tuple[str, float, str]]]:
    started = time.perf_counter()
    results = fit_models(study_model_specs(), posts, comments, engine=engine)
    total = time.perf_counter() - started
    rows = [(r.spec.name + " " + r.spec.outcome, r.fit.seconds if r.fit else float("nan"),
             r.fit.engine if r.fit else f"failed: {r.error}") for r in results]
    return total, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xhs-models-bench-") as tmp:
        posts, comments = prepare(args.scale, args.seed, Path(tmp))
        print(f"five engagement models at --scale {args.scale}: {len(posts):,} posts, "
              f"{len(comments):,} comments, {os.cpu_count()} cores")
        # R, lme4 and pymer4 load on the first fit: time that once, apart from the models.
        started = time.perf_counter()
        for engine in ("lmerTest", "pymer4"):
            fit_models(study_model_specs()[:1], posts, comments, engine=engine)
        print(f"R/lme4/pymer4 start-up (first fits, not counted below): {time.perf_counter() - started:.1f} s")
        totals = {}
        for engine in ("lmerTest", "auto"):
            total, rows = time_engine(engine, posts, comments)
            totals[engine] = total
            print(f"engine={engine}: {total:.1f} s in all")
            for name, seconds, used in rows:
                print(f"  {name:<32} {seconds:6.2f} s  ({used})")
        print(f"ratio auto / lmerTest: {totals['auto'] / totals['lmerTest']:.2f}x; "
              f"fastest route {min(totals.values()):.1f} s against a 60 s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
