"""The segmentation engines of ChineseTokenizer: rjieba agrees with jieba, and a missing engine is explained."""

from __future__ import annotations

import sys

import pytest

from helpers.networks.segmenter import ChineseTokenizer, _user_dict_entries

#: Sentences in the register of the corpus: domain-dictionary words, keep-list words, negation, slang.
SENTENCES = [
    "我现在一个人很难受，躯体化症状越来越重",
    "吃了舍曲林之后好多了，谢谢大家的鼓励",
    "确诊重度抑郁半年了，每天晚上都睡不着觉",
    "心理咨询师说我有焦虑症，建议去医院看看",
    "不想上班也不想说话，感觉自己什么都做不好",
    "抱抱你，一定会好起来的，我们都在",
    "停药以后情绪反复，医生让我继续吃药",
    "今天终于出门晒太阳了，心情好一点",
]


def test_rjieba_agrees_with_jieba_on_fixed_sentences():
    pytest.importorskip("rjieba")
    jieba_tok = ChineseTokenizer(engine="jieba")
    rust_tok = ChineseTokenizer(engine="rjieba")
    assert jieba_tok.engine == "jieba" and rust_tok.engine == "rjieba"
    assert rust_tok.tokenize_many(SENTENCES) == jieba_tok.tokenize_many(SENTENCES)
    # the domain dictionary and the keep-list reach rjieba too
    terms = rust_tok.tokenize("我现在一个人，躯体化，吃舍曲林")
    assert {"现在", "一个", "躯体化", "舍曲林"} <= set(terms)
    plain = ChineseTokenizer(engine="rjieba", user_dict=False)
    assert "躯体化" not in plain.tokenize("躯体化症状")


def test_missing_rjieba_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "rjieba", None)  # makes `import rjieba` raise ImportError
    with pytest.raises(ImportError, match=r"pip install rjieba.*engine='jieba'"):
        ChineseTokenizer(engine="rjieba")


def test_auto_falls_back_to_jieba_without_rjieba(monkeypatch):
    monkeypatch.setitem(sys.modules, "rjieba", None)
    tok = ChineseTokenizer()
    assert tok.engine == "jieba"
    assert "躯体化" in tok.tokenize("躯体化症状")


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="unknown segmentation engine 'pkuseg'"):
        ChineseTokenizer(engine="pkuseg")


def test_user_dict_entries_parse_like_jieba(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("躯体化 2000 n\n舍曲林 n\n\n情绪低落\n", encoding="utf-8")
    assert _user_dict_entries(path) == [("躯体化", 2000, "n"), ("舍曲林", None, "n"), ("情绪低落", None, None)]
