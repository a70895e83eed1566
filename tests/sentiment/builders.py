"""Small labelled corpora for the sentiment tests: a few phrases of known sign."""

from __future__ import annotations

import numpy as np

POSITIVE = ["今天好开心", "非常感谢大家", "心里暖暖的", "充满希望", "特别温暖"]
NEGATIVE = ["真的好难过", "彻底绝望了", "太痛苦了", "心情很差", "撑不下去了"]
FILLER = ["我", "最近", "今天", "朋友说", "其实"]


def corpus(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, scores = [], []
    for _ in range(n):
        sign = rng.choice([-1.0, 1.0])
        phrase = rng.choice(POSITIVE if sign > 0 else NEGATIVE)
        texts.append(f"{rng.choice(FILLER)}{phrase}")
        scores.append(0.8 * sign)
    return texts, np.array(scores)
