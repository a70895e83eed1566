"""Data chapter: synth + clean at the study's size, and two column operations against the naive way.

Times ``synth`` and ``clean`` at scale 1 (2,182 notes, 122,212 comments), then,
on the raw comments of that export, the two column operations the cleaning
spends its time in: reading display counts (``"1.2万"``: each distinct value
parsed once, against parsing every cell) and cleaning text (three compiled
passes per text, against the obvious chain of pandas ``str.replace`` calls).
Both ways must give identical results; the ratio is naive time / library time.

    python benchmarks/data_cleaning_speed.py [--scale 1] [--seed 20241111]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from helpers.data import text_cleaning as tc
from helpers.data.counts import parse_count, parse_counts
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.synth.xhs_corpus import generate, write


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clean_bench_"))

    t0 = time.perf_counter()
    corpus = generate(scale=args.scale, seed=args.seed)
    write(corpus, folder / "raw")
    t_synth = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = clean_export(folder / "raw", CleaningConfig(coding_file=folder / "raw" / "self_disclosure_coding.csv",
                                                         salt="bench"))
    result.write(folder / "clean")
    t_clean = time.perf_counter() - t0
    flow = result.flow
    print(f"scale {args.scale}: synth {t_synth:.1f} s, clean {t_clean:.1f} s, total {t_synth + t_clean:.1f} s")
    print(f"  posts {flow['posts']['raw']:,} -> {flow['posts']['final']:,} (study 2,182 -> 535); "
          f"comments {flow['comments']['raw']:,} -> {flow['comments']['final']:,} (study 122,212 -> 17,301)")

    likes = corpus.comments["like_count"].astype(str)
    t0 = time.perf_counter()
    fast = parse_counts(likes)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = likes.map(parse_count)
    t_slow = time.perf_counter() - t0
    assert fast.tolist() == slow.tolist()
    print(f"display counts, {len(likes):,} cells: parse each distinct value once {t_fast * 1000:.0f} ms, "
          f"parse every cell {t_slow * 1000:.0f} ms, ratio {t_slow / t_fast:.1f}x")

    texts = corpus.comments["content"].astype(str)
    t0 = time.perf_counter()
    fast_text = tc.clean_text(texts)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow_text = tc.clean_text_chain(texts)
    t_slow = time.perf_counter() - t0
    assert slow_text.tolist() == fast_text.tolist()
    print(f"text cleaning, {len(texts):,} comments: three compiled passes per text {t_fast:.2f} s, "
          f"chain of pandas str.replace {t_slow:.2f} s, ratio {t_slow / t_fast:.1f}x")


if __name__ == "__main__":
    main()
