"""Command line for the coding round trip: ``python -m helpers.coding <step> …``.

Steps (each reads what the previous one wrote into a coding folder):

``sample EXPORT OUT``
    clean the export up to the coding stage and write ``OUT/inclusion`` and
    ``OUT/sentiment`` (items for coders, plus the private key);
``sheets SET``
    one sheet per coder into ``SET/sheets`` (``--stage pilot|main|all``, ``--format xlsx|csv``);
``label-studio SET``
    ``SET/label_studio_config.xml`` and ``SET/label_studio_tasks.json`` for a Label Studio project;
``agree SET``
    read returned sheets (``--sheet coder_1=PATH``) or a Label Studio export
    (``--export PATH`` with ``--annotator ID=coder_1``), print the agreement
    table, write ``SET/coded.csv`` and the adjudication sheet;
``resolve SET RAW``
    read the returned adjudication sheet and write chapter 01's or 02's input file into ``RAW``.

The salt comes from an environment variable (``--salt-env``, default
``XHS_SALT``), never from the command line, so it stays out of shell histories.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from helpers.coding import label_studio as ls
from helpers.coding.adjudication import read_adjudication_sheet, write_adjudication_sheet
from helpers.coding.round_trip import agreement_table, collect, write_chapter_file, write_sheets
from helpers.coding.sampling import inclusion_set, labelling_set, read_coding_set

CODED_NAME = "coded.csv"
ADJUDICATION_NAME = "adjudication.xlsx"


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for value in values or []:
        if "=" not in value:
            raise SystemExit(f"{what} must look like NAME=VALUE, not {value!r}")
        left, right = value.split("=", 1)
        out[left] = right
    return out


def _sample(args) -> int:
    from helpers.data.pipeline import CleaningConfig, clean_export

    salt = os.environ.get(args.salt_env)
    if not salt:
        raise SystemExit(f"set the salt in the environment variable {args.salt_env} (keep it secret)")
    pre = clean_export(args.export, CleaningConfig(salt=salt, min_post_length=args.min_post_length,
                                                   min_comment_length=args.min_comment_length))
    out = Path(args.out)
    inclusion = inclusion_set(pre.posts, salt=salt, pilot_size=args.pilot, seed=args.seed)
    inclusion.write(out / "inclusion")
    strata = None if args.strata in ("", "none") else args.strata.split(",")
    labelling = labelling_set(pre.posts, pre.comments, salt=salt, size=args.size, seed=args.seed + 1,
                              strata=strata, allocation=args.allocation)
    labelling.write(out / "sentiment")
    print(f"inclusion set: {len(inclusion.items)} posts ({int(inclusion.items['pilot'].sum())} in the pilot); "
          f"labelling set: {len(labelling.items)} texts "
          f"({labelling.items['kind'].value_counts().to_dict()}). Keep the *_PRIVATE.csv files private.")
    return 0


def _sheets(args) -> int:
    coding_set = read_coding_set(args.set)
    coders = tuple(args.coders.split(","))
    paths = write_sheets(coding_set, Path(args.set) / "sheets", coders=coders, stage=args.stage,
                         fmt=args.format, seed=args.seed)
    for coder, path in paths.items():
        print(f"{coder}: {path}")
    return 0


def _label_studio(args) -> int:
    coding_set = read_coding_set(args.set)
    folder = Path(args.set)
    (folder / "label_studio_config.xml").write_text(ls.labelling_config(coding_set.task), encoding="utf-8")
    ls.write_tasks(coding_set.items, folder / "label_studio_tasks.json")
    print(f"wrote {folder / 'label_studio_config.xml'} and {folder / 'label_studio_tasks.json'}")
    return 0


def _agree(args) -> int:
    coding_set = read_coding_set(args.set)
    folder = Path(args.set)
    sheets: dict[str, list[str]] = {}
    for value in args.sheet or []:
        coder, _, path = value.partition("=")
        if not path:
            raise SystemExit(f"--sheet must look like CODER=PATH, not {value!r}")
        sheets.setdefault(coder, []).append(path)
    if bool(sheets) == bool(args.export):
        raise SystemExit("give either --sheet coder_1=PATH --sheet coder_2=PATH or --export PATH")
    if sheets:
        coded = collect(coding_set, sheets, stage=args.stage)
    else:
        reading = ls.read_export(args.export, task=coding_set.task, annotators=_pairs(args.annotator, "--annotator")
                                 or None)
        for note in reading.notes:
            print(note)
        coded = coding_set.items[["item_id"]].merge(reading.wide, on="item_id", how="inner")
    if not {"coder_1", "coder_2"} <= set(coded.columns):
        raise SystemExit(f"need answers from coder_1 and coder_2; found {sorted(set(coded.columns) - {'item_id'})}")
    coded = coded[["item_id", "coder_1", "coder_2"]]
    coded.to_csv(folder / CODED_NAME, index=False)
    table = agreement_table(coding_set, coded)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.drop(columns=["where"], errors="ignore").round(3).to_string())
    path, n = write_adjudication_sheet(coded, coding_set, folder / ADJUDICATION_NAME, tolerance=args.tolerance)
    print(f"{n} disagreements written to {path}; fill its 'resolved' column, then run `resolve`")
    return 0


def _resolve(args) -> int:
    coding_set = read_coding_set(args.set)
    folder = Path(args.set)
    coded = pd.read_csv(folder / CODED_NAME, dtype={"item_id": str})
    sheet = Path(args.adjudication) if args.adjudication else folder / ADJUDICATION_NAME
    resolved = read_adjudication_sheet(sheet, task=coding_set.task)
    path = write_chapter_file(coding_set, coded, resolved, args.raw, tolerance=args.tolerance)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers.coding", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("sample", help="draw the inclusion and labelling sets from an export")
    p.add_argument("export")
    p.add_argument("out")
    p.add_argument("--salt-env", default="XHS_SALT")
    p.add_argument("--pilot", type=int, default=100)
    p.add_argument("--size", type=int, default=3000)
    p.add_argument("--strata", default="kind", help="comma-separated columns, or 'none'")
    p.add_argument("--allocation", default="proportional", choices=["proportional", "equal"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-post-length", type=int, default=100)
    p.add_argument("--min-comment-length", type=int, default=30)
    p.set_defaults(run=_sample)
    p = sub.add_parser("sheets", help="one coder sheet per coder")
    p.add_argument("set")
    p.add_argument("--coders", default="coder_1,coder_2")
    p.add_argument("--stage", default="all", choices=["all", "pilot", "main"])
    p.add_argument("--format", default="xlsx", choices=["xlsx", "csv"])
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_sheets)
    p = sub.add_parser("label-studio", help="labelling config and tasks file for Label Studio")
    p.add_argument("set")
    p.set_defaults(run=_label_studio)
    p = sub.add_parser("agree", help="read answers, print agreement, write the adjudication sheet")
    p.add_argument("set")
    p.add_argument("--sheet", action="append", help="CODER=PATH of a returned sheet (repeat; several per coder "
                                                    "for the pilot and main stages)")
    p.add_argument("--export", help="Label Studio JSON export")
    p.add_argument("--annotator", action="append", help="LABEL_STUDIO_USER_ID=CODER (repeat)")
    p.add_argument("--stage", default="all", choices=["all", "pilot", "main"])
    p.add_argument("--tolerance", type=float, default=0.4)
    p.set_defaults(run=_agree)
    p = sub.add_parser("resolve", help="write chapter 01's or 02's input file from the adjudication")
    p.add_argument("set")
    p.add_argument("raw", help="folder to write self_disclosure_coding.csv / sentiment_labels.csv into")
    p.add_argument("--adjudication", help="returned adjudication sheet (default SET/adjudication.xlsx)")
    p.add_argument("--tolerance", type=float, default=0.4)
    p.set_defaults(run=_resolve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as exc:  # the package's errors name file, row and fix
        print(f"error: {exc}", file=sys.stderr)
        return 2
