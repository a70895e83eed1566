"""The round trip in a few calls: sheets out, answers in, agreement, adjudication, chapter files.

A typical inclusion run (see the book page "Human coding"):

1. ``clean_export(export, CleaningConfig(salt=...))`` without a coding file:
   its posts are the ones that reach the coding stage;
2. ``inclusion_set(posts, salt=...)``, then ``write_sheets(set, folder,
   stage="pilot")`` and later ``stage="main"``;
3. coders return their sheets; ``collect(set, {"coder_1": ..., "coder_2": ...})``;
4. ``agreement_table(set, coded)``; ``write_adjudication_sheet(coded, set, path)``;
5. after discussion, ``write_chapter_file(set, coded, resolved, raw_folder)``
   writes ``self_disclosure_coding.csv`` (or ``sentiment_labels.csv``) where
   chapters 01 and 02 look for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.coding.adjudication import DEFAULT_TOLERANCE, inclusion_file, sentiment_file
from helpers.coding.agreement import inclusion_agreement, score_agreement
from helpers.coding.sampling import CodingSet
from helpers.coding.sheets import collect_sheets, write_coder_csv, write_coder_workbook

CHAPTER_FILES = {"inclusion": "self_disclosure_coding.csv", "sentiment": "sentiment_labels.csv"}
STAGES = ("all", "pilot", "main")


def stage_items(coding_set: CodingSet, stage: str = "all") -> pd.DataFrame:
    """Items of one stage: ``pilot`` (the pilot subset), ``main`` (the rest) or ``all``."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    items = coding_set.items
    if stage == "all":
        return items
    if "pilot" not in items.columns:
        raise ValueError("only the inclusion set has a pilot stage")
    return items.loc[items["pilot"] == (stage == "pilot")]


def write_sheets(coding_set: CodingSet, folder: str | Path, *, coders: tuple[str, ...] = ("coder_1", "coder_2"),
                 stage: str = "all", fmt: str = "xlsx", seed: int = 0) -> dict[str, Path]:
    """One sheet per coder (``xlsx`` or ``csv``); returns coder -> path."""
    items = stage_items(coding_set, stage)
    writer = {"xlsx": write_coder_workbook, "csv": write_coder_csv}.get(fmt)
    if writer is None:
        raise ValueError(f"fmt must be 'xlsx' or 'csv', not {fmt!r}")
    folder = Path(folder)
    return {coder: writer(items, folder / f"{coding_set.task}_{stage}_{coder}.{fmt}", task=coding_set.task,
                          coder=coder, seed=seed)
            for coder in coders}


def collect(coding_set: CodingSet, sheets: dict[str, str | Path], *, stage: str = "all") -> pd.DataFrame:
    """Returned sheets joined into ``item_id, coder_1, coder_2`` (complete sheets required)."""
    return collect_sheets(sheets, stage_items(coding_set, stage), task=coding_set.task)


def agreement_table(coding_set: CodingSet, coded: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """The agreement table of the step, the paper's value beside each statistic."""
    if coding_set.task == "inclusion":
        pilot = coded["item_id"].map(coding_set.items.set_index("item_id")["pilot"]).fillna(False).astype(bool)
        return inclusion_agreement(coded["coder_1"], coded["coder_2"], pilot=pilot, **kwargs)
    return score_agreement(coded["coder_1"], coded["coder_2"], **kwargs)


def write_chapter_file(coding_set: CodingSet, coded: pd.DataFrame, resolved: pd.Series, folder: str | Path, *,
                       tolerance: float = DEFAULT_TOLERANCE) -> Path:
    """Write ``self_disclosure_coding.csv`` / ``sentiment_labels.csv`` into ``folder`` (chapter 01/02 input)."""
    if coding_set.task == "inclusion":
        frame = inclusion_file(coded, resolved, coding_set)
    else:
        frame = sentiment_file(coded, resolved, coding_set, tolerance=tolerance)
    path = Path(folder) / CHAPTER_FILES[coding_set.task]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def agreement_of_coding_file(coding_file: str | Path, reached_coding: pd.Series | set, *,
                             pilot_size: int = 100, seed: int = 0) -> pd.DataFrame | None:
    """Chapter 01's table: kappa with CI on a two-coder ``self_disclosure_coding.csv``, beside the paper.

    Only posts that reached the coding stage count (``reached_coding``: their
    note ids; a coding file may list more).  A ``pilot`` column in the file
    marks the pilot posts; without one, a seeded random ``pilot_size`` of the
    coded posts stands in for it (the paper does not say which 100 it used).
    Returns ``None`` for a single-coder or already resolved file (nothing to
    compare).
    """
    frame = pd.read_csv(coding_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if not {"note_id", "coder_1", "coder_2"} <= set(frame.columns):
        return None
    frame = frame.drop_duplicates("note_id", keep="last")
    frame = frame.loc[frame["note_id"].isin(set(reached_coding))].reset_index(drop=True)
    if len(frame) < 2:
        return None
    answers = {}
    for column in ("coder_1", "coder_2"):
        answers[column] = frame[column].str.strip().str.lower().map(
            {"1": 1, "1.0": 1, "0": 0, "0.0": 0, "yes": 1, "no": 0, "true": 1, "false": 0})
        if answers[column].isna().any():
            row = int(answers[column].isna().to_numpy().argmax()) + 2
            raise ValueError(f"{coding_file}: column {column} is not 1/0 near line {row}")
    if "pilot" in frame.columns:
        pilot = frame["pilot"].str.strip().str.lower().isin({"1", "true", "yes"}).to_numpy()
    else:
        rng = np.random.default_rng(seed)
        pilot = np.zeros(len(frame), dtype=bool)
        pilot[rng.choice(len(frame), size=min(pilot_size, len(frame)), replace=False)] = True
    return inclusion_agreement(answers["coder_1"], answers["coder_2"], pilot=pilot)


def reached_coding_stage(posts: pd.DataFrame, exclusions: pd.DataFrame) -> set[str]:
    """Note ids that reached the self-disclosure coding stage of a cleaning run (kept or coded out)."""
    coded_out = exclusions.loc[(exclusions["kind"] == "post") & (exclusions["stage"] == "self_disclosure"), "id"]
    return set(posts["note_id"].astype(str)) | set(coded_out.astype(str))


def agreement_of_label_file(data: pd.DataFrame, *, n_boot: int = 500, seed: int = 0) -> pd.DataFrame | None:
    """Chapter 02's table for a two-coder label set (``coder_1``, ``coder_2`` columns), beside the paper."""
    if not {"coder_1", "coder_2"} <= set(data.columns):
        return None
    return score_agreement(data["coder_1"], data["coder_2"], n_boot=n_boot, seed=seed)
