"""Command line: ``python -m helpers <command> ...``.

Commands
  run     execute the chapter notebooks with papermill into a run folder
  book    run them, then build the Jupyter Book into _build/html
  synth   write the calibrated synthetic MediaCrawler export (embedded default data)
  clean   import and clean a MediaCrawler export
  sweep   run a grid of notebook parameters (SPEC.yml)
  check-pairs   verify every notebooks/NN_*.py has an in-sync, stripped .ipynb
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from helpers import config
from helpers.book.runner import RunnerError, coerce_value, summarise

#: Commands implemented in their own modules, each exposing ``main(argv) -> int``.
DELEGATED = {
    "synth": "helpers.synth.xhs_corpus",
    "clean": "helpers.data.cli",
    "sweep": "helpers.book.sweep",
}


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", default=config.DEFAULT_RUN_DIR,
                        help=f"run folder (default {config.DEFAULT_RUN_DIR})")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the embedded corpus (1 = the study's size)")
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="notebook parameter; NAME or STEP.NAME (e.g. 02.model_name bert-base-chinese)",
    )
    parser.add_argument("--only", nargs="+", help="run only these steps (e.g. 01_data_cleaning 02_sentiment)")
    parser.add_argument("--keep-going", action="store_true", help="run later notebooks after a failure")
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--jobs", type=int, default=None,
                        help="chapters run side by side, each once the chapters it reads from are done "
                             "(default $XHS_BOOK_JOBS, else 2 on a machine with 2 or more cores)")


def _run(args: argparse.Namespace, sweeps: bool = False) -> int:
    steps = None
    if args.only:
        from helpers.book.run_folder import STEPS, match_steps

        steps = []
        for name in args.only:
            match = match_steps(name)
            if not match:
                raise RunnerError(f"--only {name}: no such step (steps: {', '.join(STEPS)})")
            steps += match
    parameters = [(k, coerce_value(v)) for k, v in args.parameter]
    from helpers.book.build import run_book_chapters

    records = run_book_chapters(
        args.run_dir,
        steps=steps,
        scale=args.scale,
        seed=args.seed,
        parameters=parameters,
        kernel=args.kernel,
        keep_going=args.keep_going,
        progress=not args.no_progress,
        jobs=args.jobs if args.jobs is not None else config.book_jobs(),
        sweeps=sweeps,
    )
    print(summarise(records))
    return 1 if any(r.status == "failed" for r in records) else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module = importlib.import_module(DELEGATED[argv[0]])
        return int(module.main(argv[1:]) or 0)

    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="execute the notebooks with papermill")
    _add_run_arguments(run_p)
    book_p = sub.add_parser("book", help="run the notebooks, then build the book")
    _add_run_arguments(book_p)
    book_p.add_argument("--skip-run", action="store_true", help="build from the existing run folder")
    book_p.add_argument("--no-sweeps", action="store_true",
                        help="do not run chapter 06's small power and specification-curve sweeps first "
                             "(the chapter then computes its own small grids)")
    sub.add_parser("check-pairs", help="check notebook .py/.ipynb pairs")
    for name in DELEGATED:
        sub.add_parser(name, help=f"see python -m helpers {name} --help", add_help=False)
    args = parser.parse_args(argv)

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "book":
            from helpers.book.build import build_book, stage_book

            status = 0 if args.skip_run else _run(args, sweeps=not args.no_sweeps)
            stage = stage_book(args.run_dir)
            html = build_book(stage)
            print(f"book: {html / 'index.html'}")
            return status
        if args.command == "check-pairs":
            from helpers.book.notebook_pairs import check_all
            from helpers.book.runner import project_root

            problems = check_all(Path(project_root()) / "notebooks")
            for problem in problems:
                print(problem)
            return 1 if problems else 0
    except RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
