"""Human evaluation sheets: blinded export, validated import, agreement via sklearn/krippendorff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.cnsd import human_eval as he


def _export(tmp_path):
    outputs = {"sys A": [(f"p_user_{i}", f"参考{i}", f"分析A{i}") for i in range(6)],
               "sys B": [(f"p_user_{i}", f"参考{i}", f"分析B{i}") for i in range(6)]}
    return he.export_rating_sheet(outputs, tmp_path, seed=1)


def test_sheets_are_blinded(tmp_path):
    paths = _export(tmp_path)
    sheet = pd.read_csv(paths["A"], encoding="utf-8-sig")
    assert "system" not in sheet.columns and "item" not in sheet.columns and len(sheet) == 12
    assert set(sheet.columns) >= {"item_id", "reference", "analysis", *he.CRITERIA}
    key = pd.read_csv(paths["key"])
    assert sorted(key["item_id"]) == sorted(sheet["item_id"])


def test_import_scores_and_agreement(tmp_path):
    paths = _export(tmp_path)
    key = pd.read_csv(paths["key"])
    for rater, shift in (("A", 0), ("B", 1)):
        sheet = pd.read_csv(paths[rater], encoding="utf-8-sig")
        system = sheet["item_id"].map(dict(zip(key["item_id"], key["system"], strict=True)))
        for c in he.CRITERIA:
            sheet[c] = np.where(system == "sys A", 5, 2) - (shift if c == "coverage" else 0)
        sheet.to_csv(paths[rater], index=False, encoding="utf-8-sig")
    res = he.import_ratings(paths["key"], {"A": paths["A"], "B": paths["B"]})
    scores = res["scores"].set_index("system")
    assert scores.loc["sys A", "Human.acc"] == 1.0 and scores.loc["sys B", "Human.acc"] == 0.25
    agree = res["agreement"].set_index("criterion")
    assert agree.loc["accuracy", "Cohen's kappa (quadratic)"] == pytest.approx(1.0)
    assert agree.loc["accuracy", "Krippendorff's alpha (ordinal)"] == pytest.approx(1.0)
    assert agree.loc["coverage", "exact agreement"] == 0.0


def test_bad_rating_names_file_row_and_column(tmp_path):
    paths = _export(tmp_path)
    sheet = pd.read_csv(paths["A"], encoding="utf-8-sig")
    for c in he.CRITERIA:
        sheet[c] = 3
    sheet.loc[4, "hallucination"] = 7
    sheet.to_csv(paths["A"], index=False, encoding="utf-8-sig")
    with pytest.raises(he.RatingSheetError, match=r"rating_sheet_A.csv row 6, column 'hallucination'"):
        he.read_sheet(paths["A"])


def test_simulated_sheets_import(tmp_path):
    paths = _export(tmp_path)
    quality = {i: (i % 5) / 4 for i in range(1, 13)}
    sim = he.simulate_filled_sheets(paths, quality, seed=0)
    res = he.import_ratings(paths["key"], sim)
    assert len(res["agreement"]) == 3 and res["scores"]["Human.acc"].between(0, 1).all()
