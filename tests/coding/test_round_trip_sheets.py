"""End to end through coder sheets on the embedded corpus, with simulated coders.

Sample → one sheet per coder → simulated coders fill them → answers read back →
agreement → adjudication sheet → simulated adjudicator → the files chapters 01
and 02 read → the cleaning pipeline and the label reader accept them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.coding.adjudication import read_adjudication_sheet, write_adjudication_sheet
from helpers.coding.round_trip import agreement_table, collect, write_chapter_file, write_sheets
from helpers.coding.sampling import inclusion_set, labelling_set
from helpers.data.manual_coding import read_coding
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.sentiment.labels import read_sentiment_labels
from tests.coding.conftest import SALT
from tests.coding.simulated_coders import (
    Coder,
    fill_adjudication,
    fill_csv,
    fill_workbook,
    truth_for_items,
)

CODERS = {"coder_1": Coder("a", flip_rate=0.04, bias=0.0, noise_sd=0.08),
          "coder_2": Coder("b", flip_rate=0.07, bias=0.05, noise_sd=0.12)}
ADJUDICATOR = Coder("adjudicator", flip_rate=0.01, noise_sd=0.03)


def _code(coding_set, truth, folder, stage, fmt, seed):
    sheets = write_sheets(coding_set, folder, stage=stage, fmt=fmt, seed=seed)
    for name, path in sheets.items():
        (fill_workbook if fmt == "xlsx" else fill_csv)(path, CODERS[name], truth, coding_set.task, seed)
    return collect(coding_set, sheets, stage=stage)


def test_inclusion_round_trip_through_sheets_feeds_chapter_01(crawl, tmp_path):
    chosen = inclusion_set(crawl.posts, salt=SALT, seed=9)
    truth = truth_for_items(chosen.key, crawl.truth_posts, None, "inclusion")
    pilot = _code(chosen, truth, tmp_path / "sheets", "pilot", "xlsx", seed=1)
    main = _code(chosen, truth, tmp_path / "sheets", "main", "xlsx", seed=2)
    coded = pd.concat([pilot, main], ignore_index=True)
    assert len(coded) == len(chosen.items) and coded[["coder_1", "coder_2"]].notna().all().all()

    table = agreement_table(chosen, coded)
    assert table.loc["inclusion (pilot)", "n"] == pilot.shape[0]
    full = table.loc["inclusion (all posts)"]
    assert 0.6 < full["value"] < 1.0 and full["ci_low"] < full["value"] < full["ci_high"]

    sheet, n_disagree = write_adjudication_sheet(coded, chosen, tmp_path / "adjudication.xlsx")
    assert n_disagree == int((coded["coder_1"] != coded["coder_2"]).sum()) > 0
    fill_adjudication(sheet, ADJUDICATOR, truth, "inclusion", seed=3)
    resolved = read_adjudication_sheet(sheet, task="inclusion")
    raw = tmp_path / "raw"
    path = write_chapter_file(chosen, coded, resolved, raw)
    assert path.name == "self_disclosure_coding.csv"
    assert list(pd.read_csv(path).columns) == ["note_id", "coder_1", "coder_2", "include"]

    coding = read_coding(path)  # chapter 01's reader
    assert coding.rule == "include column (resolved decision)"
    assert coding.kappa == pytest.approx(full["value"])
    assert coding.n_coded == len(chosen.items)
    result = clean_export(crawl.raw, CleaningConfig(salt=SALT, coding_file=path))
    stage = next(s for s in result.flow["posts"]["stages"] if s["stage"] == "self_disclosure")
    assert stage["n_in"] == len(chosen.items)
    assert len(result.posts) == int(pd.read_csv(path)["include"].sum())
    kept_truth = crawl.truth_posts.set_index("note_id").loc[result.posts["note_id"], "is_self_disclosure"]
    assert kept_truth.mean() > 0.9  # simulated coders plus adjudicator keep genuine disclosures


def test_sentiment_round_trip_through_sheets_feeds_chapter_02(crawl, tmp_path):
    chosen = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=240, seed=5)
    truth = truth_for_items(chosen.key, crawl.truth_posts, crawl.truth_comments, "sentiment")
    coded = _code(chosen, truth, tmp_path / "sheets", "all", "csv", seed=4)  # the CSV path
    table = agreement_table(chosen, coded, n_boot=200)
    icc = table.set_index("statistic").loc["ICC(2,1) absolute agreement"]
    assert 0.8 < icc["value"] < 1 and icc["ci_low"] < icc["value"] < icc["ci_high"]

    sheet, n_disagree = write_adjudication_sheet(coded, chosen, tmp_path / "adjudication.xlsx", tolerance=0.2)
    assert n_disagree == int(((coded["coder_1"] - coded["coder_2"]).abs() > 0.2).sum())
    fill_adjudication(sheet, ADJUDICATOR, truth, "sentiment", seed=6)
    resolved = read_adjudication_sheet(sheet, task="sentiment")
    path = write_chapter_file(chosen, coded, resolved, tmp_path / "raw", tolerance=0.2)
    assert path.name == "sentiment_labels.csv"
    labels = read_sentiment_labels(path, resolution="adjudicate", tolerance=0.2)  # chapter 02's reader
    assert len(labels.data) == 240
    frame = pd.read_csv(path)
    assert set(frame["kind"]) <= {"post", "comment"}
    assert frame["adjudicated"].notna().sum() == n_disagree
    latent = truth.reindex(coded["item_id"]).to_numpy()
    assert np.corrcoef(labels.data["score"], latent)[0, 1] > 0.9
    assert not any(sid in path.read_text() for sid in chosen.key["source_id"])  # texts, no crawl ids


def test_unresolved_disagreements_stop_the_chapter_file(crawl, tmp_path):
    from helpers.coding.adjudication import AdjudicationError

    chosen = inclusion_set(crawl.posts, salt=SALT, seed=9)
    truth = truth_for_items(chosen.key, crawl.truth_posts, None, "inclusion")
    coded = _code(chosen, truth, tmp_path / "sheets", "all", "xlsx", seed=8)
    sheet, _ = write_adjudication_sheet(coded, chosen, tmp_path / "adjudication.xlsx")
    resolved = read_adjudication_sheet(sheet, task="inclusion")  # returned without decisions
    with pytest.raises(AdjudicationError, match="no resolved value"):
        write_chapter_file(chosen, coded, resolved, tmp_path / "raw")
