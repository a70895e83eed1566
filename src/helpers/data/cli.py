"""Command line: ``python -m helpers clean SOURCE --out DIR``.

Reads a MediaCrawler export (a folder of CSV/JSON/JSONL/XLSX files, database
tables exported as CSV, mongoexport output, or an SQLite file), runs the study's
cleaning with its exclusion ledger and writes ``posts.parquet``,
``comments.parquet``, ``exclusions.csv``, ``flow.json``, ``import_report.json``/
``.csv`` and ``import_problems.csv`` into ``DIR``; note and comment IDs there are
salted pseudonyms, and the mapping back goes to ``--private`` (default
``DIR/../private``), which must stay with the raw export.  A file that cannot be
read stops the run with one line saying how to fix it, unless
``--skip-unreadable`` is given.  A ``self_disclosure_coding.csv`` or
``fans.csv`` lying in the export folder (as ``synth`` writes them) is used
unless ``--coding``/``--fans`` name other files or ``--no-side-files`` is given.  Problems with single files or rows are
reported (file and row) and the rest of the export is still used; ``--strict``
turns any such problem into a failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from helpers.data.manual_coding import CodingFileError
from helpers.data.mediacrawler import ExportError
from helpers.data.pipeline import CleaningConfig, CleaningError, clean_export


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers clean", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="MediaCrawler export: a folder (csv/json/jsonl) or an SQLite file")
    parser.add_argument("--out", required=True, help="output folder (e.g. <run_dir>/clean)")
    parser.add_argument("--coding", help="manual coding CSV: note_id,include or note_id,coder_1,coder_2")
    parser.add_argument("--fans", help="follower counts CSV: user_id (or creator_hash),fans")
    parser.add_argument("--min-post-length", type=int, default=100)
    parser.add_argument("--min-comment-length", type=int, default=30)
    parser.add_argument("--keep-video", action="store_true", help="do not drop video notes")
    parser.add_argument("--salt", help="salt for hashing user IDs (default: $XHS_SALT, else random per run)")
    parser.add_argument("--strict", action="store_true", help="fail on any file/row problem")
    parser.add_argument("--skip-unreadable", action="store_true",
                        help="leave out files that cannot be read (listed in import_problems.csv) instead of failing")
    parser.add_argument("--private", help="folder for the private ID mapping (default: OUT/../private)")
    parser.add_argument("--no-side-files", action="store_true",
                        help=f"do not pick up {CODING_NAME} / {FANS_NAME} found in the SOURCE folder")
    return parser


CODING_NAME = "self_disclosure_coding.csv"
FANS_NAME = "fans.csv"


def side_files(source: Path) -> tuple[Path | None, Path | None]:
    """A coding file and a follower file lying in the export folder (as ``synth`` writes them)."""
    folder = source if source.is_dir() else source.parent
    coding, fans = folder / CODING_NAME, folder / FANS_NAME
    return (coding if coding.is_file() else None), (fans if fans.is_file() else None)


def main(argv: list[str] | None = None) -> int:

    args = build_parser().parse_args(argv)
    if not args.no_side_files:
        coding, fans = side_files(Path(args.source))
        if args.coding is None and coding is not None:
            args.coding = str(coding)
            print(f"using the coding file found beside the export: {coding.name}", file=sys.stderr)
        if args.fans is None and fans is not None:
            args.fans = str(fans)
            print(f"using the follower file found beside the export: {fans.name}", file=sys.stderr)
    config = CleaningConfig(
        min_post_length=args.min_post_length, min_comment_length=args.min_comment_length,
        drop_video=not args.keep_video, coding_file=args.coding, fans_file=args.fans,
        salt=args.salt or None, skip_unreadable=args.skip_unreadable,  # None: $XHS_SALT, else random
    )
    t0 = time.perf_counter()
    try:
        result = clean_export(args.source, config)
    except (ExportError, CleaningError, CodingFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems[:30]:
        print(f"warning: {problem}", file=sys.stderr)
    if len(result.problems) > 30:
        print(f"warning: ... {len(result.problems) - 30} more (see import_problems.csv)", file=sys.stderr)
    if args.strict and result.problems:
        print(f"error: {len(result.problems)} problem(s) in the export (--strict)", file=sys.stderr)
        return 3
    out = result.write(Path(args.out), args.private)
    flow = result.flow
    if not flow["fans_available"]:
        print(f"note: no follower counts ({flow['fans_source']}); models will run without that covariate",
              file=sys.stderr)
    private = Path(args.private) if args.private else Path(args.out).parent / "private"
    print(f"note: ID mapping written to {private}/id_map.csv (private: keep it with the raw export)",
          file=sys.stderr)
    print(f"clean: posts {flow['posts']['raw']} -> {flow['posts']['final']}, comments "
          f"{flow['comments']['raw']} -> {flow['comments']['final']} -> {out} ({time.perf_counter() - t0:.1f} s)")
    return 0
