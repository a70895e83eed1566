"""Whole-book time: run every chapter at a scale, then build the HTML, and print the figures.

The book must build at --scale 1 in under 20 minutes on 2 cores.  This runs the
same steps as ``make book`` (papermill run + Jupyter Book build) into a scratch
folder, so it does not disturb ``_build/``, and prints the time of each chapter,
of the HTML build and the total against the 20-minute budget.

    .venv/bin/python benchmarks/book_time.py --scale 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from helpers.book.build import build_book, stage_book
from helpers.book.runner import run_notebooks

BUDGET_S = 20 * 60
TARGET_S = 3.5 * 60  # the performance target: the whole book at scale 1 on 2 cores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="xhs-book-time-"))
    started = time.perf_counter()
    records = run_notebooks(work / "run", scale=args.scale, seed=args.seed, progress=False)
    run_s = time.perf_counter() - started
    t0 = time.perf_counter()
    html = build_book(stage_book(work / "run", work / "book_src"), work / "html")
    build_s = time.perf_counter() - t0
    total = time.perf_counter() - started
    print(f"whole book at --scale {args.scale} on {os.cpu_count()} cores")
    for r in records:
        print(f"  {r.step:<24} {r.status:<8} {r.seconds:8.1f} s")
    print(f"  {'chapters (papermill)':<24} {'':<8} {run_s:8.1f} s")
    print(f"  {'HTML build':<24} {'':<8} {build_s:8.1f} s")
    print(f"  {'total':<24} {'':<8} {total:8.1f} s  = {total / 60:.1f} min "
          f"({total / BUDGET_S:.0%} of the 20-minute budget)")
    if args.scale == 1:
        verdict = "meets" if total < TARGET_S else "MISSES"
        print(f"  against the {TARGET_S / 60:.1f}-minute target at scale 1: {verdict} it")
    print(f"  book: {html / 'index.html'}")
    if args.json:
        args.json.write_text(json.dumps({
            "scale": args.scale, "cores": os.cpu_count(), "total_s": round(total, 1),
            "run_s": round(run_s, 1), "build_s": round(build_s, 1),
            "chapters": {r.step: {"status": r.status, "seconds": round(r.seconds, 1)} for r in records},
        }, indent=2))
    return 0 if all(r.status == "ok" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
