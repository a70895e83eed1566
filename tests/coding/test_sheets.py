"""Coder sheets: formula injection, validation, per-coder order, codebook, and no identifiers."""

from __future__ import annotations

import csv
import zipfile

import pandas as pd
import pytest

from helpers.coding.sampling import inclusion_set, labelling_set
from helpers.coding.sheets import (
    SheetError,
    collect_sheets,
    read_coder_sheet,
    write_coder_csv,
    write_coder_workbook,
)
from tests.coding.conftest import SALT

DANGEROUS = ["=HYPERLINK(\"http://example.org\",\"点这里\")", "+1+1 我很难过", "-2 今天", "@SUM(A1:A2) 失眠",
             "=cmd|' /C calc'!A0", "\t=1+1"]


def _items(texts):
    return pd.DataFrame({"item_id": [f"id{i:03d}" for i in range(len(texts))], "text": texts})


def _all_workbook_strings(path):
    """Every string in the xlsx package: cell values of all sheets and the document properties."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    strings = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            strings += [str(v) for v in row if v is not None]
    with zipfile.ZipFile(path) as z:
        strings += [z.read(name).decode("utf-8", "replace") for name in z.namelist()]
    return strings


def test_formula_like_text_is_written_as_text(tmp_path):
    from openpyxl import load_workbook

    items = _items(DANGEROUS + ["普通的文本"])
    path = write_coder_workbook(items, tmp_path / "coder.xlsx", task="inclusion", coder="coder_1")
    wb = load_workbook(path)
    ws = wb["coding"]
    seen = {}
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(row=r, column=3)
        assert cell.data_type == "s", f"row {r}: {cell.value!r} stored as {cell.data_type}"
        seen[ws.cell(row=r, column=2).value] = cell.value
    assert seen == dict(zip(items["item_id"], items["text"], strict=True))  # exactly as written
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        styles = z.read("xl/styles.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula element anywhere
    assert 'quotePrefix="1"' in styles  # Excel also shows these cells as text when edited


def test_csv_sheet_defuses_formula_cells(tmp_path):
    path = write_coder_csv(_items(DANGEROUS), tmp_path / "coder.csv", task="inclusion", coder="coder_1")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert not row["text"].startswith(("=", "+", "-", "@", "\t")), row["text"]
        assert row["text"].startswith("'")


def test_answer_column_has_data_validation(tmp_path):
    from openpyxl import load_workbook

    items = _items(["一", "二", "三"])
    for task, kind in (("inclusion", "list"), ("sentiment", "decimal")):
        path = write_coder_workbook(items, tmp_path / f"{task}.xlsx", task=task, coder="coder_1")
        ws = load_workbook(path)["coding"]
        validations = ws.data_validations.dataValidation
        assert len(validations) == 1
        dv = validations[0]
        assert dv.type == kind and str(dv.sqref) == "D2:D4" and dv.showErrorMessage
        if task == "inclusion":
            assert dv.formula1 == '"1,0"'
        else:
            assert (dv.formula1, dv.formula2) == ("-1", "1")
        wb = load_workbook(path)
        assert wb.sheetnames == ["coding", "codebook", "about"]
        rules = " ".join(str(v) for row in wb["codebook"].iter_rows(values_only=True) for v in row)
        assert ("advertis" in rules.lower()) if task == "inclusion" else ("-1.0" in rules and "1.0" in rules)


def test_each_coder_gets_the_same_items_in_their_own_order(tmp_path):
    items = _items([f"文本{i}" for i in range(40)])
    orders = {}
    for coder in ("coder_1", "coder_2"):
        path = write_coder_workbook(items, tmp_path / f"{coder}.xlsx", task="inclusion", coder=coder, seed=3)
        orders[coder] = read_coder_sheet(path, task="inclusion")["item_id"].tolist()
    assert sorted(orders["coder_1"]) == sorted(orders["coder_2"]) == sorted(items["item_id"])
    assert orders["coder_1"] != orders["coder_2"]
    again = write_coder_workbook(items, tmp_path / "again.xlsx", task="inclusion", coder="coder_1", seed=3)
    assert read_coder_sheet(again, task="inclusion")["item_id"].tolist() == orders["coder_1"]


def test_no_identifier_or_other_coder_reaches_a_sheet(crawl, tmp_path):
    inclusion = inclusion_set(crawl.posts, salt=SALT, seed=1)
    labelling = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=150, seed=1)
    forbidden = set(crawl.notes["note_id"].astype(str)) | set(crawl.raw_comments["comment_id"].astype(str))
    for column in ("user_id", "nickname", "creator_hash"):
        for frame in (crawl.notes, crawl.raw_comments):
            if column in frame:
                forbidden |= {str(v) for v in frame[column].dropna() if len(str(v)) >= 4}
    forbidden |= set(crawl.posts["creator_id"].dropna()) | set(crawl.comments["audience_id"].dropna())
    forbidden |= {"coder_2", "coder_1"}
    for coding_set, task in ((inclusion, "inclusion"), (labelling, "sentiment")):
        xlsx = write_coder_workbook(coding_set.items, tmp_path / f"{task}_a.xlsx", task=task, coder="coder_1")
        csv_path = write_coder_csv(coding_set.items, tmp_path / f"{task}_a.csv", task=task, coder="coder_1")
        blob = "\n".join(_all_workbook_strings(xlsx)) + csv_path.read_text(encoding="utf-8-sig")
        leaks = [value for value in forbidden if value in blob]
        assert not leaks, f"identifiers on a {task} sheet: {leaks[:5]}"


def test_reading_back_checks_answers_and_ids(tmp_path):
    from openpyxl import load_workbook

    items = _items(["一", "二", "三"])
    path = write_coder_workbook(items, tmp_path / "s.xlsx", task="sentiment", coder="coder_1")
    wb = load_workbook(path)
    ws = wb["coding"]
    ws["D2"], ws["D3"], ws["D4"] = 0.5, "-0.25", 1.7
    wb.save(path)
    with pytest.raises(SheetError, match=r"s\.xlsx, row 4: answer '1.7'"):
        read_coder_sheet(path, task="sentiment")
    ws["D4"] = None
    wb.save(path)
    answers = read_coder_sheet(path, task="sentiment")
    assert answers["answer"].isna().sum() == 1
    with pytest.raises(SheetError, match="blank"):
        collect_sheets({"coder_1": path}, items, task="sentiment")
    partial = collect_sheets({"coder_1": path}, items, task="sentiment", require_complete=False)
    assert partial["coder_1"].notna().sum() == 2
    ws["B2"] = "edited-id"
    wb.save(path)
    with pytest.raises(SheetError, match="not in the coding set"):
        collect_sheets({"coder_1": path}, items, task="sentiment", require_complete=False)


def test_inclusion_answers_accept_words_and_reject_others(tmp_path):
    items = _items(["一", "二", "三", "四"])
    path = write_coder_csv(items, tmp_path / "i.csv", task="inclusion", coder="coder_1")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["answer"] = ["1", "exclude", "是", "maybe"]
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(SheetError, match="row 5: answer 'maybe'"):
        read_coder_sheet(path, task="inclusion")
    frame["answer"] = ["1", "exclude", "是", "0"]
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    assert read_coder_sheet(path, task="inclusion")["answer"].tolist() == [1, 0, 1, 0]
