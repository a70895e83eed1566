"""The study's reported cluster keywords, to compare our maps' most frequent terms with.

Source: Du & Gu, Results / Semantic network analysis, Figures 1–3 and Tables S3–S5,
as recorded in the project's ``study_values.yaml`` (``semantic_network.maps``).  The
paper reports English keywords; the Chinese forms are the project's guesses recorded
there (``zh_guess``).  Keywords that the chapter's segmentation cannot produce as one
term are written as the term it does produce: 不开心 → 开心, 不快乐 → 快乐 (the
negator 不 is a single character and is dropped with the other one-character tokens).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Map -> colour -> keywords (as terms of this chapter's segmentation).
STUDY_CLUSTER_KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "positive": {"red": ("生活", "压力", "希望", "朋友", "父母", "痛苦", "发现"),
                 "green": ("开心", "快乐", "孤独", "害怕", "失眠"),
                 "blue": ("医生", "医院", "症状", "确诊")},
    "neutral": {"red": ("压力", "希望", "治疗", "父母", "理解", "假装", "经历"),
                "green": ("不好", "害怕", "难受", "睡不着"),
                "blue": ("医生", "医院", "确诊", "心理咨询")},
    "negative": {"red": ("休息", "加油", "坚持", "希望", "痛苦", "生活", "经历"),
                 "green": ("不想", "难受", "压力", "家人", "工作"),
                 "blue": ("医生", "医院", "治疗", "抑郁症", "症状", "焦虑", "严重", "躯体化")},
}


def all_keywords() -> frozenset[str]:
    """Every keyword the study lists for any cluster of any map."""
    return frozenset(w for colours in STUDY_CLUSTER_KEYWORDS.values() for ws in colours.values() for w in ws)


def keywords_among(terms: Iterable[str], keywords: Iterable[str] | None = None) -> list[str]:
    """The study's keywords found in ``terms``, in the order of ``terms``."""
    wanted = all_keywords() if keywords is None else frozenset(keywords)
    return [t for t in terms if t in wanted]
