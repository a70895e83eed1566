"""Whole-book time: what ``make book`` does, at a scale, into a scratch folder, step by step.

The book must build at --scale 1 in under 20 minutes on 2 cores (the performance target is
3.5 minutes).  This runs the same steps as ``make book`` (``python -m helpers book``):
chapter 06's small sweeps and the chapters under papermill (``--jobs`` side by side, the
sweeps beside chapters 01-05, as ``make book`` runs them), then the Jupyter Book build, into a scratch folder so it disturbs
neither ``_build/`` nor the sweep cache.  It prints the wall time of each step, the CPU
time of everything it ran, and the *CPU floor*: that CPU time divided by the cores, the
least wall time any schedule of the same work could take on this machine.  When the floor
is above the target, no running order can meet it; only less work can.

    .venv/bin/python benchmarks/book_time.py --scale 1            # as make book (jobs from XHS_BOOK_JOBS)
    .venv/bin/python benchmarks/book_time.py --scale 1 --jobs 1   # one chapter at a time
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from helpers import config
from helpers.book.build import build_book, run_book_chapters, stage_book

BUDGET_S = 20 * 60
TARGET_S = 3.5 * 60  # the performance target: the whole book at scale 1 on 2 cores


def cpu_seconds() -> float:
    """User + system CPU time of this process and of every finished process it started."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--jobs", type=int, default=None, help="chapters side by side (default: as make book)")
    parser.add_argument("--no-sweeps", action="store_true", help="skip chapter 06's small sweeps")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    jobs = args.jobs if args.jobs is not None else config.book_jobs()
    cores = os.cpu_count() or 1
    work = args.workdir or Path(tempfile.mkdtemp(prefix="xhs-book-time-"))
    started, cpu0 = time.perf_counter(), cpu_seconds()
    records = run_book_chapters(work / "run", scale=args.scale, seed=args.seed, jobs=jobs, progress=False,
                                sweeps=not args.no_sweeps, sweeps_dir=work / "sweeps")
    run_s = time.perf_counter() - started
    t0 = time.perf_counter()
    html = build_book(stage_book(work / "run", work / "book_src"), work / "html")
    build_s = time.perf_counter() - t0
    total, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
    floor = cpu / cores
    print(f"whole book at --scale {args.scale} on {cores} cores, {jobs} chapter(s) side by side"
          + ("" if args.no_sweeps else ", with chapter 06's small sweeps"))
    for r in records:
        print(f"  {r.step:<24} {r.status:<8} {r.seconds:8.1f} s")
    what = "chapters" if args.no_sweeps else "sweeps and chapters"
    overlap = (" (side by side: the chapters' times add up to more"
               + ("; the sweeps ran beside chapters 01-05)" if not args.no_sweeps else ")")) if jobs > 1 else ""
    print(f"  {what:<24} {'':<8} {run_s:8.1f} s{overlap}")
    print(f"  {'HTML build':<24} {'':<8} {build_s:8.1f} s")
    print(f"  {'total':<24} {'':<8} {total:8.1f} s  = {total / 60:.1f} min "
          f"({total / BUDGET_S:.0%} of the 20-minute budget)")
    print(f"  CPU time of all of it: {cpu:.1f} s; CPU floor on {cores} cores: {floor:.1f} s = {floor / 60:.1f} min "
          f"(wall time used {cpu / (total * cores):.0%} of the cores)")
    if args.scale == 1:
        verdict = "meets" if total < TARGET_S else "MISSES"
        print(f"  against the {TARGET_S / 60:.1f}-minute target at scale 1: {verdict} it")
        if total >= TARGET_S:
            reach = ("the CPU floor is above the target: no running order of this work can meet it"
                     if floor >= TARGET_S else "the CPU floor is below the target: a better running order could")
            print(f"  {reach}")
    print(f"  book: {html / 'index.html'}")
    if args.json:
        args.json.write_text(json.dumps({
            "scale": args.scale, "cores": cores, "jobs": jobs, "total_s": round(total, 1),
            "sweeps": not args.no_sweeps, "run_s": round(run_s, 1), "build_s": round(build_s, 1),
            "cpu_s": round(cpu, 1), "cpu_floor_s": round(floor, 1),
            "chapters": {r.step: {"status": r.status, "seconds": round(r.seconds, 1)} for r in records},
        }, indent=2))
    return 0 if all(r.status == "ok" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
