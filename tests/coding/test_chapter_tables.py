"""The agreement tables chapters 01 and 02 show, on the files those chapters read."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.coding.round_trip import (
    agreement_of_coding_file,
    agreement_of_label_file,
    reached_coding_stage,
)
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.sentiment.labels import read_sentiment_labels
from tests.coding.conftest import SALT


def test_chapter_01_table_uses_only_posts_that_reached_coding(crawl, tmp_path):
    coding_file = crawl.raw / "self_disclosure_coding.csv"
    result = clean_export(crawl.raw, CleaningConfig(salt=SALT, coding_file=coding_file))
    reached = reached_coding_stage(result.posts, result.exclusions)
    stage = next(s for s in result.flow["posts"]["stages"] if s["stage"] == "self_disclosure")
    assert len(reached) == stage["n_in"]
    table = agreement_of_coding_file(coding_file, reached, pilot_size=100, seed=3)
    full = table.loc["inclusion (all posts)"]
    assert full["n"] == len(reached) and table.loc["inclusion (pilot)", "n"] == min(100, len(reached))
    frame = pd.read_csv(coding_file, dtype=str)
    frame = frame[frame["note_id"].isin(reached)]
    from sklearn.metrics import cohen_kappa_score

    assert full["value"] == pytest.approx(cohen_kappa_score(frame["coder_1"], frame["coder_2"]))
    assert full["paper_value"] == 0.78
    # a pilot column in the file is used as given
    marked = pd.read_csv(coding_file, dtype=str).assign(pilot="0")
    marked.loc[marked["note_id"].isin(sorted(reached)[:10]), "pilot"] = "1"
    marked.to_csv(tmp_path / "marked.csv", index=False)
    assert agreement_of_coding_file(tmp_path / "marked.csv", reached).loc["inclusion (pilot)", "n"] == 10
    # a resolved single-column file has nothing to compare
    marked.assign(include=marked["coder_1"])[["note_id", "include"]].to_csv(tmp_path / "resolved.csv", index=False)
    assert agreement_of_coding_file(tmp_path / "resolved.csv", reached) is None


def test_chapter_02_table_on_the_embedded_label_file(crawl):
    labels = read_sentiment_labels(crawl.raw / "sentiment_labels.csv")
    table = agreement_of_label_file(labels.data, n_boot=100)
    kappa5 = table[(table["statistic"] == "Cohen's kappa") & table["bins"].str.startswith("5 equal")]
    assert kappa5["value"].iloc[0] == pytest.approx(labels.kappa)  # chapter 02's own binned kappa
    assert agreement_of_label_file(labels.data[["text", "score"]]) is None
