"""The CNSD loader on fixture files written in the release's real format."""

from __future__ import annotations

import json

import pytest

from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    CNSDFormatError,
    format_output,
    join_posts,
    load_cnsd_json,
    load_user_json,
    parse_output,
    split_posts,
    users_frame,
)

REAL_OUTPUT = (
    "答案：\"是\"。总结和分析: 1. 抑郁心理状态：用户反复表示自己没用。\n"
    "2. 医学表达：提到在服用舍曲林。\n3. 临床症状：长期失眠。\n4. 负面情绪：经常哭。\n"
    "5. 潜在外部原因：与家人关系紧张。\n6. 语言使用模式：大量重复句式。"
)


def write(tmp_path, data, name="CNSD_dataset.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_real_format_is_parsed(tmp_path):
    data = {
        "p_user_1": {"inpput": "\ntext_1: 又失眠了\ntext_2: 第一行\n第二行\ntext_3: 吃了药", "output": REAL_OUTPUT},
        "n_user_7": {"inpput": "\ntext_1: 今天吃火锅\ntext_2: 猫好可爱",
                     "output": "答案：\"否\"。总结和分析: 用户主要分享日常生活，未见抑郁迹象。"},
    }
    users = load_cnsd_json(write(tmp_path, data))
    pos, neg = users
    assert (pos.label, neg.label) == (1, 0)
    assert pos.posts == ["又失眠了", "第一行\n第二行", "吃了药"]
    assert pos.answer == 1 and neg.answer == 0
    assert set(pos.sections) == set(DIMENSION_KEYS)
    assert pos.sections["medical_expression"].startswith("提到在服用舍曲林")
    assert "临床症状" not in pos.sections["medical_expression"]
    assert neg.sections == {} and "日常生活" in neg.analysis
    frame = users_frame(users)
    assert frame["n_posts"].tolist() == [3, 2]


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"output": REAL_OUTPUT}, "missing 'inpput'"),
        ({"inpput": "no marker here", "output": REAL_OUTPUT}, "before any 'text_N:'"),
        ({"inpput": "\ntext_1: a", "output": "Yes. analysis"}, "does not start with 答案"),
        ({"inpput": "\ntext_1: a", "output": "答案：\"否\"。总结和分析: x"}, "contradicts"),
        ({"inpput": 5, "output": REAL_OUTPUT}, "must be a string"),
    ],
)
def test_malformed_entries_name_the_entry(tmp_path, entry, message):
    with pytest.raises(CNSDFormatError, match="p_user_3") as info:
        load_cnsd_json(write(tmp_path, {"p_user_3": entry}))
    assert message in str(info.value)


def test_bad_key_and_bad_json(tmp_path):
    with pytest.raises(CNSDFormatError, match="user_x"):
        load_cnsd_json(write(tmp_path, {"user_x": {"inpput": "\ntext_1: a"}}))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CNSDFormatError, match="not valid JSON"):
        load_cnsd_json(bad)
    with pytest.raises(FileNotFoundError):
        load_cnsd_json(tmp_path / "missing.json")


def test_output_round_trip_and_alternative_quotes():
    sections = {k: f"内容{i}" for i, k in enumerate(DIMENSION_KEYS)}
    answer, _, parsed = parse_output(format_output(1, sections, "综合判断"))
    assert answer == 1 and parsed == sections
    assert parse_output("答案：“否”。总结和分析：无")[0] == 0
    assert split_posts(join_posts(["a", "b\nc"])) == ["a", "b\nc"]


def test_swdd_wu3d_style_jsonl_and_list(tmp_path):
    jsonl = tmp_path / "users.jsonl"
    jsonl.write_text(
        json.dumps({"label": 1, "nickname": "someone", "tweets": [{"tweet_content": "好累"}, {"tweet_content": ""}]},
                   ensure_ascii=False) + "\n\n"
        + json.dumps({"label": "0", "posts": ["晴天", "散步"]}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    users = load_user_json(jsonl)
    assert [u.label for u in users] == [1, 0]
    assert users[0].posts == ["好累"]  # empty post dropped
    assert "someone" not in json.dumps([u.user_key for u in users])
    listed = tmp_path / "depressed.json"
    listed.write_text(json.dumps([{"weibos": [{"content": "哭了"}]}], ensure_ascii=False), encoding="utf-8")
    assert load_user_json(listed, label=1)[0].label == 1


def test_swdd_errors_name_the_line(tmp_path):
    path = tmp_path / "u.jsonl"
    path.write_text('{"label": 1, "tweets": ["a"]}\n{"tweets": ["b"]}\n')
    with pytest.raises(CNSDFormatError, match="line 2"):
        load_user_json(path)
    path.write_text('{"label": 3, "tweets": ["a"]}\n')
    with pytest.raises(CNSDFormatError, match="not 0/1"):
        load_user_json(path)


@pytest.mark.parametrize("enum", ["1. ", "1、", "（1）", "(1) ", "一、", "- ", ""])
def test_section_headings_with_various_enumerations(enum):
    text = f"{enum}负面情绪：经常哭。\n{enum.replace('1', '2').replace('一', '二')}**临床症状**：失眠。\n综合：有风险。"
    sections = parse_output(f"答案：\"是\"。总结和分析: {text}")[2]
    assert sections == {"negative_emotion": "经常哭。", "clinical_symptoms": "失眠。"}
