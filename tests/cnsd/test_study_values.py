"""helpers.study.cnsd: every value agrees with study_values.yaml; the consistency arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.study import cnsd as study

YAML = Path(__file__).resolve().parents[3] / "shared" / "papers" / "study_values.yaml"
ALT = Path("/work/shared/papers/study_values.yaml")


@pytest.fixture(scope="module")
def values():
    yaml = pytest.importorskip("yaml")
    path = YAML if YAML.exists() else ALT
    if not path.exists():
        pytest.skip("study_values.yaml not available")
    return yaml.safe_load(path.read_text(encoding="utf-8"))["study2_cnsd"]


def test_tables_match_the_extraction(values):
    assert values["table1_dataset_statistics"]["positive"] == {k: study.TABLE1["positive"][k]
                                                               for k in ("users", "texts", "tokens")}
    for dim in (f"Dim{i}" for i in range(1, 7)):
        t2 = values["table2_spans_per_dimension"][dim]
        assert (t2["negative_users"], t2["positive_users"]) == (study.TABLE2[dim]["negative"],
                                                                study.TABLE2[dim]["positive"])
    for row, cells in values["table5_classification"].items():
        name = row.replace("_FT_", " (FT, ").replace("Silver", "Silver)").replace("Gold", "Gold)") \
            if "_FT_" in row else row
        assert study.TABLE5[name] == cells
    assert study.TABLE4["Qwen2.5-14B Gold"]["Human.cov"] == values["table4_generation_quality"][
        "Qwen2.5-14B_Gold"]["human_cov"]
    t7 = values["table7_cross_dataset"]["GPT-4o"]
    assert study.TABLE7["GPT-4o"]["CNSD (Gold) F1"] == t7["CNSD_Gold"]["F1"]
    assert study.SPLITS["test"] == values["splits"]["test"]
    assert study.MODULE_I["n_min"] == 442 and study.MODULE_I["learning_rate"] == 5e-5
    shares = values["table2_spans_per_dimension"]["shares_positive_inferred"]
    assert {k: round(v, 3) for k, v in study.span_shares("positive").items()} == shares


def test_every_table7_row_has_six_cells():
    assert len(study.TABLE7) == 12 and all(len(v) == 6 for v in study.TABLE7.values())


def test_table5_denominators_show_36_users():
    rows = study.table5_denominators()
    assert [r["accuracy as k/36"] for r in rows] == ["32/36", "34/36", "31/36", "33/36", "24/36", "31/36", "32/36"]
    assert [r["recall as k/18"] for r in rows] == ["17/18", "16/18", "16/18", "18/18", "18/18", "17/18", "18/18"]
    assert sum(r["fits k/33"] for r in rows) < len(rows)


def test_deepseek_precision_and_gains():
    ds = study.deepseek_precision_check()
    assert ds["implied precision"] == 0.81 and ds["F1 from implied precision"] == 0.872
    assert ds["F1 from printed precision"] != ds["F1 printed"]
    bad = {(g["model"], g["metric"]) for g in study.gains_check() if not g["consistent"]}
    assert ("Qwen2.5-14B Gold", "ROUGE-1") in bad and ("Qwen2.5-14B Silver", "ROUGE-1") in bad
    assert ("Qwen2.5-14B Gold", "Human.acc") not in bad and ("Qwen2.5-14B Gold", "BLEU") not in bad
    assert not study.task3_sampling_check()["possible"]
    sums = study.table_sums()
    assert sums["texts"] == sums["texts (abstract)"] and sums["spans all"] == sums["spans (abstract)"]
    assert study.spans_per_text("positive") == pytest.approx(0.448, abs=5e-4)
