"""Our dataset_info.json entry against the rules of LLaMA-Factory's parser, loader and converter."""

from __future__ import annotations

import json

import pytest

from helpers.cnsd.llamafactory_format import DatasetInfoError, alpaca_to_messages, validate_entry


def _write(folder, info, records, name="d.json"):
    (folder / "dataset_info.json").write_text(json.dumps(info), encoding="utf-8")
    if records is not None:
        (folder / name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")


GOOD = {"x": {"file_name": "d.json", "formatting": "alpaca",
              "columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system"}}}
REC = [{"instruction": "判断", "input": "帖子", "output": "答案", "system": "角色"}]


def test_good_entry_and_chat(tmp_path):
    _write(tmp_path, GOOD, REC)
    assert validate_entry(tmp_path, "x")["records"] == 1
    assert alpaca_to_messages(REC[0], GOOD["x"]["columns"]) == [
        {"role": "system", "content": "角色"}, {"role": "user", "content": "判断\n帖子"},
        {"role": "assistant", "content": "答案"}]


@pytest.mark.parametrize("info, records, message", [
    ({"y": GOOD["x"]}, REC, "undefined dataset"),
    ({"x": {**GOOD["x"], "formatting": "chatml"}}, REC, "formatting"),
    ({"x": {**GOOD["x"], "columns": {"promt": "instruction"}}}, REC, "unknown column keys"),
    ({"x": {**GOOD["x"], "file_name": "d.xlsx"}}, REC, "not found|file types"),
    ({"x": {**GOOD["x"], "hf_hub_url": "a/b"}}, REC, "exactly 'file_name'"),
    (GOOD, [{**REC[0], "output": None}], "unsupervised"),
    (GOOD, [{"instruction": "a", "output": "b", "system": "s"}], "'input'"),
    (GOOD, [REC[0], {**REC[0], "extra": 1}], "differ"),
])
def test_bad_entries_name_the_fault(tmp_path, info, records, message):
    _write(tmp_path, info, records)
    with pytest.raises(DatasetInfoError, match=message):
        validate_entry(tmp_path, "x")
