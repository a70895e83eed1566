"""The command line runs the round trip on the embedded export, step by step."""

from __future__ import annotations

import pandas as pd

from helpers.coding.cli import main
from helpers.coding.sampling import read_coding_set
from helpers.data.manual_coding import read_coding
from helpers.sentiment.labels import read_sentiment_labels
from tests.coding.simulated_coders import Coder, fill_adjudication, fill_workbook, truth_for_items


def test_cli_round_trip(crawl, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XHS_SALT", "cli-test-salt")
    out = tmp_path / "coding"
    assert main(["sample", str(crawl.raw), str(out), "--pilot", "20", "--size", "80", "--seed", "3"]) == 0
    assert "Keep the *_PRIVATE.csv files private" in capsys.readouterr().out
    for task, truth_comments in (("inclusion", None), ("sentiment", crawl.truth_comments)):
        folder = out / task
        coding_set = read_coding_set(folder)
        assert coding_set.task == task
        truth = truth_for_items(coding_set.key, crawl.truth_posts, truth_comments, task)
        stages = ("pilot", "main") if task == "inclusion" else ("all",)  # the pilot first, then the rest
        sheet_args = []
        for stage in stages:
            assert main(["sheets", str(folder), "--stage", stage]) == 0
            for i, coder in enumerate(("coder_1", "coder_2")):
                path = folder / "sheets" / f"{task}_{stage}_{coder}.xlsx"
                fill_workbook(path, Coder(f"cli-{i}", flip_rate=0.05 * (i + 1), noise_sd=0.1 * (i + 1)), truth,
                              task, 5)
                sheet_args.append(f"--sheet={coder}={path}")
        assert main(["label-studio", str(folder)]) == 0
        assert (folder / "label_studio_tasks.json").exists()
        assert main(["agree", str(folder), *sheet_args]) == 0
        printed = capsys.readouterr().out
        assert "paper_value" in printed and "disagreements written" in printed
        assert main(["resolve", str(folder), str(tmp_path / "raw")]) == 2  # adjudication not filled yet
        assert "no resolved value" in capsys.readouterr().err
        fill_adjudication(folder / "adjudication.xlsx", Coder("cli-adj", flip_rate=0.0, noise_sd=0.02), truth, task, 6)
        assert main(["resolve", str(folder), str(tmp_path / "raw")]) == 0
    coding = read_coding(tmp_path / "raw" / "self_disclosure_coding.csv")
    assert coding.n_coded == len(crawl.posts)
    labels = read_sentiment_labels(tmp_path / "raw" / "sentiment_labels.csv", resolution="adjudicate")
    assert len(labels.data) == 80
    assert set(pd.read_csv(tmp_path / "raw" / "sentiment_labels.csv")["kind"]) <= {"post", "comment"}


def test_cli_needs_the_salt_in_the_environment(crawl, tmp_path, monkeypatch):
    import pytest

    monkeypatch.delenv("XHS_SALT", raising=False)
    with pytest.raises(SystemExit, match="XHS_SALT"):
        main(["sample", str(crawl.raw), str(tmp_path / "c")])
