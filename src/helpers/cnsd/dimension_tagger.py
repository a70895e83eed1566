"""A transparent lexicon-and-rule tagger for the six CNSD dimensions: the offline baseline.

Why it exists: Module II of the study asks a large language model to verify
dimension labels and write a structured analysis.  Offline (CI, a laptop, the
default book build) no such model is available, so the chapter needs a
baseline that (a) runs anywhere in milliseconds, (b) produces output in the
same structured format, and (c) is fully inspectable: every decision traces
back to a listed word and a listed rule.  It is reported as a baseline, never
as a stand-in for the study's LLM numbers.

Rules, in order:
1. A post shows dimension *d* when it matches one of *d*'s lexicon patterns.
2. A post that also contains a *mitigator* (laughter, resolution, reassurance)
   is treated as a passing complaint and carries no evidence: "明天考试，今晚
   大概要失眠了哈哈" is not a clinical symptom.
3. A user is flagged at risk when the share of posts with any evidence
   reaches ``threshold`` (fitted on training users by :func:`fit_threshold`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from helpers.cnsd.dataset_io import DIMENSION_KEYS, format_output

LEXICON: dict[str, tuple[str, ...]] = {
    "psychological_state": ("没用", "一无是处", "累赘", "没意思", "没有意义", "不该存在", "绝望",
                            "提不起兴趣", "不配", "活着", "拖累"),
    "medical_expression": ("精神科", "心理科", "精神卫生", "复诊", "确诊", "抑郁症", "中度抑郁",
                           "重度抑郁", "舍曲林", "氟西汀", "艾司西酞普兰", "帕罗西汀", "草酸艾司",
                           "安眠药", "加量", "停药", "量表", "复发"),
    "clinical_symptoms": ("失眠", "睡不着", "早醒", "食欲", "吃不下", "注意力", "乏力", "起床都",
                          "头昏", "整夜"),
    "negative_emotion": ("难过", "哭", "痛苦", "焦虑", "烦躁", "发火", "孤独", "委屈", "心里好"),
    "external_causes": ("自从", "之后整个人", "压力太大", "吵架", "分手", "裁员", "考研失败", "孤立",
                        "离婚", "失控", "论文被拒"),
    "language_pattern": ("好累好累", "总是我", "永远", "……", "不行了我", "一切都是", "什么都没"),
}
MITIGATORS: tuple[str, ...] = ("哈哈", "开心", "还好", "正常", "努力", "和好", "结果", "希望快点")

_PATTERNS = {d: re.compile("|".join(re.escape(w) for w in words)) for d, words in LEXICON.items()}
_MITIGATOR = re.compile("|".join(re.escape(w) for w in MITIGATORS))


@dataclass
class PostTags:
    """Dimensions found in one post and the words that triggered them."""

    dims: list[str]
    matches: dict[str, list[str]] = field(default_factory=dict)
    mitigated: bool = False


def tag_post(text: str) -> PostTags:
    """Apply rules 1 and 2 to one post."""
    matches = {d: p.findall(text) for d, p in _PATTERNS.items()}
    matches = {d: m for d, m in matches.items() if m}
    if matches and _MITIGATOR.search(text):
        return PostTags(dims=[], matches=matches, mitigated=True)
    return PostTags(dims=[d for d in DIMENSION_KEYS if d in matches], matches=matches)


def tag_posts(texts: Iterable[str]) -> np.ndarray:
    """Boolean matrix (posts × six dimensions) of rule-1/2 evidence."""
    rows = [tag_post(t).dims for t in texts]
    out = np.zeros((len(rows), len(DIMENSION_KEYS)), dtype=bool)
    for i, dims in enumerate(rows):
        for d in dims:
            out[i, DIMENSION_KEYS.index(d)] = True
    return out


def user_evidence_rate(posts: Sequence[str]) -> float:
    """Share of a user's posts with evidence for at least one dimension."""
    if not posts:
        return 0.0
    return float(tag_posts(posts).any(axis=1).mean())


def fit_threshold(rates: Sequence[float], labels: Sequence[int]) -> float:
    """The evidence-rate cut-off that maximises F1 on training users (rule 3)."""
    rates_arr = np.asarray(rates, dtype=float)
    labels_arr = np.asarray(labels, dtype=int)
    if labels_arr.sum() == 0 or labels_arr.sum() == len(labels_arr):
        raise ValueError("fit_threshold needs both classes among the training users")
    best_t, best_f1 = 0.0, -1.0
    for t in np.unique(rates_arr):
        pred = rates_arr >= t
        tp = int((pred & (labels_arr == 1)).sum())
        fp = int((pred & (labels_arr == 0)).sum())
        fn = int((~pred & (labels_arr == 1)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return best_t


def structured_analysis(posts: Sequence[str], *, threshold: float = 0.1, max_quotes: int = 2) -> str:
    """A rule-based analysis in the release's ``output`` format, quoting evidence posts."""
    tags = [tag_post(p) for p in posts]
    rate = float(np.mean([bool(t.dims) for t in tags])) if tags else 0.0
    answer = int(rate >= threshold)
    sections: dict[str, str] = {}
    for dim in DIMENSION_KEYS:
        quotes = [p for p, t in zip(posts, tags, strict=True) if dim in t.dims][:max_quotes]
        if quotes:
            words = sorted({w for t in tags for w in t.matches.get(dim, [])})[:4]
            sections[dim] = f"检测到相关词语{'、'.join(words)}，例如" + "".join(f"“{q}”" for q in quotes) + "。"
        else:
            sections[dim] = "未见明显相关表达。"
    overall = f"含维度证据的帖子占比{rate:.0%}，{'达到' if answer else '低于'}阈值{threshold:.0%}。"
    return format_output(answer, sections, overall)
