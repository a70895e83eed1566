"""Module II: verify Module I's dimension labels and write each user's structured analysis.

In the study, a fine-tuned labeller (Module I) proposes dimension labels for
posts, and a general LLM (Module II) then (a) checks each proposed label
against the post and (b) writes a six-dimension structured summary of the
user in the release's ``答案：… 总结和分析: …`` format.  This module builds
those prompts (written for this project), sends them through any
:mod:`helpers.cnsd.llm_backend` backend and parses the replies back with the
release's own parser, so a malformed reply is caught, counted and kept rather
than silently scored.

The offline labeller used when no fine-tuned LLM is at hand is a per-dimension
character n-gram logistic regression trained on the Module I examples: a real
supervised labeller, cheap enough for CI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    DIMENSION_ZH,
    CNSDFormatError,
    CNSDUser,
    parse_output,
)
from helpers.cnsd.llm_backend import ChatBackend

SYSTEM_PROMPT = (
    "你是协助心理学研究的分析助手。你的判断仅用于科研数据整理，不构成任何医学诊断。"
    "请严格依据给定文本作答。"
)

_YES_NO = re.compile(r"^\W*(是|否)")


def verification_messages(post: str, dimension: str) -> list[dict[str, str]]:
    """Prompt asking whether one post really shows one dimension (answer starts 是/否)."""
    dim = DIMENSION_ZH[dimension]
    user = (
        "【任务：核实】\n"
        f"【维度：{dim}】\n"
        "上一步的自动标注认为下面这条帖子体现了该维度。请核实：只有当帖子文字本身确实表达了"
        f"{dim}时才回答“是”，一时的抱怨、玩笑或与该维度无关的内容回答“否”。"
        "第一字必须是“是”或“否”，随后给出一句理由。\n"
        f"【帖子】{post}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def summary_messages(posts: Sequence[str], labels: Sequence[tuple[int, str]] = (),
                     max_posts: int = 200) -> list[dict[str, str]]:
    """Prompt for the structured six-dimension analysis of one user's timeline.

    ``labels`` are verified (post number, dimension) pairs from Module I, given
    as hints; only the last ``max_posts`` posts are sent to bound prompt length.
    """
    shown = list(posts)[-max_posts:]
    offset = len(posts) - len(shown)
    lines = "\n".join(f"text_{i + 1 + offset}: {p}" for i, p in enumerate(shown))
    hint = "；".join(f"text_{i}→{DIMENSION_ZH[d]}" for i, d in labels) or "无"
    headings = "\n".join(f"{i}. {DIMENSION_ZH[k]}：……" for i, k in enumerate(DIMENSION_KEYS, 1))
    user = (
        "【任务：总结】\n"
        "请阅读这位用户的全部帖子，判断是否存在抑郁风险，并按六个维度写出结构化分析。"
        "输出格式必须是：答案：\"是\"或答案：\"否\"，然后是“。总结和分析: ”，再逐条写出：\n"
        f"{headings}\n"
        "每个维度引用最能说明问题的原文；没有相关内容就写“未见明显相关表达”。\n"
        f"【模块一已核实的标注】{hint}\n"
        f"【帖子】\n{lines}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_yes_no(reply: str) -> int | None:
    """1 for 是, 0 for 否, None when the reply does not start with either."""
    m = _YES_NO.match(reply)
    return None if not m else int(m.group(1) == "是")


def verify_labels(backend: ChatBackend, labelled: pd.DataFrame) -> pd.DataFrame:
    """Ask the backend about each (text, dimension) row; adds ``verified`` and ``reply``.

    Unparseable replies count as not verified and are flagged in ``parse_ok``.
    """
    replies = [backend.chat(verification_messages(t, d))
               for t, d in zip(labelled["text"], labelled["dimension"], strict=True)]
    parsed = [parse_yes_no(r) for r in replies]
    out = labelled.copy()
    out["reply"] = replies
    out["parse_ok"] = [p is not None for p in parsed]
    out["verified"] = [bool(p) for p in parsed]
    return out


@dataclass
class UserSummary:
    user_key: str
    reply: str
    answer: int | None
    sections: dict[str, str]
    parse_error: str | None = None


def summarise_users(backend: ChatBackend, users: Sequence[CNSDUser],
                    labels: dict[str, list[tuple[int, str]]] | None = None,
                    max_posts: int = 200) -> list[UserSummary]:
    """Structured analysis for each user, parsed with the release's output parser."""
    results = []
    for u in users:
        reply = backend.chat(summary_messages(u.posts, (labels or {}).get(u.user_key, []), max_posts))
        try:
            answer, _, sections = parse_output(reply.strip(), entry=u.user_key)
            results.append(UserSummary(u.user_key, reply, answer, sections))
        except CNSDFormatError as exc:
            results.append(UserSummary(u.user_key, reply, None, {}, parse_error=str(exc)))
    return results


class NgramLabeller:
    """Offline Module I labeller: one char-n-gram logistic regression per dimension."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.models: dict[str, object] = {}

    def fit(self, examples: pd.DataFrame) -> NgramLabeller:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        for d in DIMENSION_KEYS:
            sub = examples[examples["dimension"] == d]
            if sub["polarity"].nunique() < 2:
                raise ValueError(f"Module I examples for {d} lack one of the two classes")
            model = make_pipeline(
                TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=1, sublinear_tf=True),
                LogisticRegression(C=4.0, max_iter=2000, random_state=self.seed),
            )
            model.fit(sub["text"].tolist(), sub["polarity"].to_numpy())
            self.models[d] = model
        return self

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> np.ndarray:
        """Boolean matrix texts × six dimensions."""
        if not self.models:
            raise RuntimeError("fit the labeller first")
        texts = list(texts)
        cols = [self.models[d].predict_proba(texts)[:, 1] >= threshold for d in DIMENSION_KEYS]
        return np.column_stack(cols)


def post_level_scores(pred: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """Per-dimension precision/recall/F1 of post labels against planted truth."""
    rows = []
    for j, d in enumerate(DIMENSION_KEYS):
        tp = int((pred[:, j] & truth[:, j]).sum())
        fp = int((pred[:, j] & ~truth[:, j]).sum())
        fn = int((~pred[:, j] & truth[:, j]).sum())
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        rows.append({"dimension": DIMENSION_ZH[d], "labelled": tp + fp, "precision": p, "recall": r, "F1": f})
    return pd.DataFrame(rows)
