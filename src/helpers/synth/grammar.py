"""Sentiment marginals, category thresholds and crawl constants of the synthetic corpus.

The words of the synthetic text are no longer here: :mod:`helpers.synth.xhs_text`
holds the generative model of posts and comments (Zipfian vocabulary, a published
valence lexicon with negation and degree adverbs, the study's themes), with its
vocabularies in :mod:`helpers.synth.xhs_vocabulary` and the published word lists
in :mod:`helpers.synth.xhs_lexicon`.  The 66-phrase sentiment ladder and the
per-theme comment templates that used to live in this module were removed
(issue 16): they made sentiment trivially learnable and the maps template-bound.

The latent sentiment marginals are *banded mixtures*: a weight and a Beta shape
inside each of the bands that the study's category thresholds define
(< −0.79, −0.79..−0.15, −0.15..0.15, 0.15..0.3, > 0.3).  For posts the weights
are the study's category shares (114/120/97/204 of 535) and the Beta shapes
were fitted so the mean and SD are the study's (−0.19, 0.57).  For comments the
study's published shares (7,543/3,181/1,601/4,976 of 17,301) and moments
(M −0.20, SD 0.49) cannot hold together unless the scores sit exactly on the
thresholds, so the mixture is a least-squares compromise (fitted offline with
Beta concentration 4 and shapes kept in 0.2..0.8): shares ≈ 0.39/0.18/0.12/0.31,
M ≈ −0.14, SD ≈ 0.53.  ``truth.json`` records both the targets and the
realised values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from helpers.synth import xhs_vocabulary as vocab

# --------------------------------------------------------------------------------------
# Sentiment
# --------------------------------------------------------------------------------------

#: The eleven levels of the removed phrase ladder, −1..1 in steps of 0.2.  The text no
#: longer uses them; kept only because ``xhs_corpus`` still writes them to truth.json.
SENTIMENT_LEVELS = np.round(np.linspace(-1.0, 1.0, 11), 1)

#: Category thresholds used by the study (and by CONTRIBUTING's sentiment_category).
BAND_EDGES = (-1.0, -0.79, -0.15, 0.15, 0.3, 1.0)


@dataclass(frozen=True)
class BandedMixture:
    """A distribution on [−1, 1]: a weight and a Beta(a, b) shape in each band."""

    weights: tuple[float, ...]
    positions: tuple[float, ...]  # Beta mean inside each band (0 = lower edge)
    concentration: float = 4.0

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in (0, 1) to scores, monotonically (a Gaussian copula uses this)."""
        u = np.clip(np.asarray(u, dtype=float), 1e-9, 1 - 1e-9)
        w = np.asarray(self.weights) / np.sum(self.weights)
        cum = np.concatenate([[0.0], np.cumsum(w)])
        band = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(w) - 1)
        out = np.empty_like(u)
        for k in range(len(w)):
            mask = band == k
            if not mask.any():
                continue
            inner = (u[mask] - cum[k]) / max(w[k], 1e-12)
            a = self.positions[k] * self.concentration
            b = (1 - self.positions[k]) * self.concentration
            lo, hi = BAND_EDGES[k], BAND_EDGES[k + 1]
            out[mask] = lo + (hi - lo) * stats.beta.ppf(np.clip(inner, 1e-9, 1 - 1e-9), a, b)
        return out

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.quantile(rng.random(n))


POST_SENTIMENT = BandedMixture(
    weights=(0.181, 0.381, 0.224, 0.0, 0.213), positions=(0.2, 0.502, 0.8, 0.8, 0.525)
)
COMMENT_SENTIMENT = BandedMixture(
    weights=(0.115, 0.308, 0.184, 0.0, 0.392), positions=(0.783, 0.2, 0.2, 0.8, 0.2)
)

STUDY_SENTIMENT_TARGETS = {
    "posts": {"mean": -0.19, "sd": 0.57, "shares": {"positive": 114 / 535, "neutral": 120 / 535,
                                                      "negative": 97 / 535, "uncategorized": 204 / 535}},
    "comments": {"mean": -0.20, "sd": 0.49,
                 "shares": {"positive": 7543 / 17301, "neutral": 3181 / 17301,
                            "negative": 1601 / 17301, "uncategorized": 4976 / 17301}},
}


def sentiment_category(scores: np.ndarray, positive: float = 0.3, neutral: tuple[float, float] = (-0.15, 0.15),
                       negative: float = -0.79) -> np.ndarray:
    """The study's four categories (scores between the bands stay 'uncategorized')."""
    s = np.asarray(scores, dtype=float)
    out = np.full(s.shape, "uncategorized", dtype=object)
    out[s > positive] = "positive"
    out[(s >= neutral[0]) & (s <= neutral[1])] = "neutral"
    out[s < negative] = "negative"
    return out


# --------------------------------------------------------------------------------------
# Themes (the vocabularies are in xhs_vocabulary; the planted truth comes from xhs_text)
# --------------------------------------------------------------------------------------

THEME_NAMES = tuple(vocab.THEME_SEEDS)

#: Theme vocabularies (seeds from the paper first), one word in one theme only.
THEMES: dict[str, tuple[str, ...]] = {}
for _theme in THEME_NAMES:
    _taken = {w for words in THEMES.values() for w in words}
    THEMES[_theme] = tuple(dict.fromkeys(w for w in (*vocab.THEME_SEEDS[_theme], *vocab.THEME_WORDS[_theme])
                                         if w not in _taken))

EMOJI_CODES = ("[哭惹R]", "[笑哭R]", "[抱抱R]", "[加油R]", "[叹气R]", "[爱心R]", "[委屈R]")

#: The crawl keywords: the nine hashtags.  The study's exact nine were not found in
#: any reachable source, so these are nine plausible depression hashtags (assumed).
SOURCE_KEYWORDS = ("抑郁症", "抑郁", "双相情感障碍", "焦虑症", "心理健康", "抑郁症康复", "情绪", "心理咨询", "躯体化")


def all_theme_terms() -> dict[str, str]:
    """term -> theme, the ground truth for clustering recovery; any other term is 'other'."""
    from helpers.synth.xhs_text import theme_lexicon

    return theme_lexicon()
