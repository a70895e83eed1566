"""The calibrated synthetic corpus: a MediaCrawler export with planted truth.

``python -m helpers synth --out DIR --seed N --scale S`` writes

* ``DIR/xhs/csv/search_{contents,comments,creators}_{crawl date}.csv`` — a
  MediaCrawler-format export with the quirks of real ones (BOM, newlines in
  fields, display counts such as ``"1.2万"``, two crawl dates that overlap,
  hashtags/emoji codes/@mentions inline, ``parent_comment_id`` "" or "0",
  a few comments whose note was never crawled, contact details in some ads);
* ``DIR/truth.json``, ``DIR/truth_posts.parquet``, ``DIR/truth_comments.parquet``
  — what was planted, for the later chapters to check recovery against;
* ``DIR/self_disclosure_coding.csv`` (two simulated coders, ``note_id,coder_1,coder_2``:
  no resolved decision — the cleaning adjudicates) and ``DIR/sentiment_labels.csv``
  (a labelled subset for fine-tuning).

Why it looks the way it does: the study's data are private, so the book runs on
a stand-in with the study's *shape*, every target read from
:mod:`helpers.study.du_gu`: the raw sizes (2,182 notes, 122,212 comments), the nine
hashtags, the date range, the 100/30-character thresholds, the post-score
distribution (range −0.97..0.97, M −0.19, SD 0.57, and the category shares
114/120/97/204 of 535), the comments per post by post category (66.2 / 26.5 /
16.5 / 24.4), the comment-score moments and range, the inclusion coders'
κ = 0.78, and all 20 engagement coefficients of Models 1–5 on the book's declared
scale (:data:`helpers.study.du_gu.COEFFICIENT_SCALE`).  What the paper does not
report (crawl dates, numbers of creators and audience members, intercepts,
variance components, the shares of duplicates, videos and short posts) is
chosen here and labelled ``assumed`` in ``truth.json``.  It is never presented as
real data.

Independence from the methods it tests: this module imports nothing from
``helpers.data``, ``helpers.sentiment``, ``helpers.engagement``,
``helpers.networks`` or ``helpers.cnsd`` (a test checks).  It writes its own
display counts, measures its own lengths (a character-class scan of the text it
composed, before the platform decorations that cleaning must strip are added),
and hands the cleaning two noisy coders' decisions instead of the truth.  So
the cleaned sizes are *not* 535 and 17,301 by construction: the planned number
of true self-disclosures is set so that the coders' conservative rule (both
say 1) keeps 535 posts in expectation, and the chapters report how close a run
comes.

Engagement (Models 1–4) is planted on the raw scale: for each outcome
``ln(Y+1) = μ + Σ β_j (x_j − x̄_j) + u_creator + ε`` with ``x_j`` the post
sentiment score, post length in units of 100 characters (unlogged), ln(days+1)
and ln(followers+1) — each covariate's transform is a parameter
(``transforms``), defaulting to the paper's.  Comment sentiment (Model 5) is
``μ + Σ β_j (x_j − x̄_j) + u_creator + u_post + u_audience + ε`` with the error
truncated so every score stays in the paper's range −1.00..0.99.

Truth tables (beyond the contract's columns): ``truth_posts`` has ``fate``
(video / short / not_self_disclosure / self_disclosure), ``intended_kept`` (a
self-disclosure that passes every automatic filter: kept if the coders agree),
``coder_1``/``coder_2`` (−1 where not coded), ``is_duplicated``,
``creator_index``, ``fans``, ``post_length`` (the generator's own measure),
``days_since_post``, the four counts and the predictors on the planted scale
``x_*``; ``truth_comments`` has ``fate`` (final / short / reply / creator /
orphan), ``intended_kept``, ``audience_index`` (−1 for the post's creator),
``is_duplicated`` and ``is_orphan``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sqlite3
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from helpers.jsonio import json_default
from helpers.study import du_gu
from helpers.synth import grammar as g
from helpers.synth.xhs_text import compose_comment, compose_post

STUDY = {
    "raw_notes": du_gu.RAW_SIZE["posts"], "raw_comments": du_gu.RAW_SIZE["comments"],
    "final_posts": du_gu.STUDY_SIZE["posts"], "final_comments": du_gu.STUDY_SIZE["comments"],
    "first_post": du_gu.DATE_RANGE["first_post"], "last_post": du_gu.DATE_RANGE["last_post"],
}
#: Download dates (assumed: the paper does not report when it crawled).
CRAWL_DATES = ("2024-11-12", "2024-11-20")
HASHTAGS = tuple(zh for zh, _ in du_gu.HASHTAGS)
PREDICTORS = ("post_sentiment", "post_length", "days_since_post", "fans")
COVARIATES = PREDICTORS[1:]
TRANSFORM_CHOICES = ("none", "ln1p")
DEFAULT_TRANSFORMS = {c: du_gu.TRANSFORMS[c] for c in COVARIATES}
OUTCOMES = {  # outcome -> (count column, our name of the ln column, assumed mean of ln(Y+1))
    "likes": ("liked_count", "ln_liked", 4.6),
    "favorites": ("collected_count", "ln_collected", 3.9),
    "shares": ("share_count", "ln_share", 3.0),
    "comments": ("comment_count", "ln_comment", 3.4),
}
#: Share of the residual variance of ln(Y+1) that sits between creators (assumed).
CREATOR_SHARE_OF_RESIDUAL = 0.3
#: Model 5: intercept and random-intercept / residual SDs on the comment-score scale (assumed;
#: set so the comment scores land near the paper's M −0.20, SD 0.49, range −1.00..0.99).
#: The intercept is the centre before truncation (truncation moves the mean up).
COMMENT_MODEL = {"intercept": -0.35, "sd_creator": 0.25, "sd_post": 0.25, "sd_audience": 0.25, "sd_error": 0.57}
THEME_SHARES = {"coping_resilience": 0.40, "emotional_struggle": 0.35, "health_treatment": 0.25}

# shares of unique notes / comments by fate (assumed: the paper reports only raw and final sizes)
DUPLICATE_NOTE_SHARE = 0.083
VIDEO_SHARE = 0.16
SHORT_SHARE_OF_NON_VIDEO = 0.30
KEPT_COMMENT_EXTRAS = {"short": 0.32, "reply": 0.21, "creator": 0.08}  # per final comment
DUPLICATE_COMMENT_SHARE = 0.04
ORPHAN_COMMENT_SHARE = 0.002
#: Post lengths of long posts: 100 + Gamma; the SD matches the SD the paper's SEs imply for its
#: length term (0.62 units of 100 characters, :func:`helpers.study.du_gu.coefficient_scale_evidence`).
LONG_POST_EXTRA = {"mean": 120.0, "sd": 62.0}
#: ln(followers + 1) of creators: SD matched to the SD the paper's SEs imply (1.85), mean assumed.
LN_FANS = {"mean": 5.0, "sd": 1.85}
#: Short posts stay this many units below the threshold, so decorations that survive cleaning
#: (an advert's contact line) cannot lift them over it.
SHORT_MARGIN = 15

ASSUMED = {
    "crawl_dates": "assumed (download date not reported)",
    "n_creators": "assumed (number of creators not reported)",
    "n_audience": "assumed (number of audience members not reported)",
    "fate_shares": "assumed (duplicate, video and short shares not reported; only raw and final sizes are)",
    "ln_means": "assumed (Table 1 values are not in the text)",
    "variance_components": "assumed (Table S2 is not in the text)",
    "residual_sd": "inference: set from the paper's SE of post sentiment (SE · SD(sentiment) · √n)",
    "post_length_unit": "assumed (the paper counts post length in characters, words and numerals but does "
                        "not say in what unit its models take it; 100 characters)",
    "post_length_distribution": "assumed; SD matched to the SD implied by the paper's SEs",
    "ln_fans_distribution": "assumed; SD matched to the SD implied by the paper's SEs",
    "coder_errors": "inference: independent coder errors set to give the paper's kappa 0.78",
    "sentiment_band_shapes": "assumed shapes inside the category bands; weights are the paper's shares",
    "label_coder_bins": "assumed: the paper reports the sentiment coders' kappa 0.80 without its bins; the "
                        "generator takes three bins at the study's category cut-offs (below -0.79, -0.79..0.3, "
                        "above 0.3) and sets the coders' independent Gaussian noise so that kappa on them is 0.80",
}
#: Bins assumed for the sentiment coders' kappa (the study's negative and positive cut-offs).
LABEL_KAPPA_EDGES = (du_gu.THRESHOLDS["negative"], du_gu.THRESHOLDS["positive"])


@dataclass
class SynthCorpus:
    notes: pd.DataFrame  # raw rows (duplicates included), MediaCrawler columns + _crawl
    comments: pd.DataFrame
    creators: pd.DataFrame
    truth_posts: pd.DataFrame
    truth_comments: pd.DataFrame
    coding: pd.DataFrame
    labels: pd.DataFrame
    truth: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# the generator's own measures (independent of helpers.data)
# --------------------------------------------------------------------------------------

def text_units(text: str) -> int:
    """Length as the paper defines it — one per Chinese character, English word, numeral —
    measured by a character-class scan of text the generator composed (no regex shared with
    the cleaning)."""
    units = 0
    previous = ""
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff":
            kind = "han"
            units += 1
        elif ch.isascii() and ch.isalpha():
            kind = "latin"
            units += previous != "latin"
        elif ch.isascii() and ch.isdigit():
            kind = "digit"
            units += previous != "digit"
        else:
            kind = ""
        previous = kind
    return units


def display_count(value: int, rng: np.random.Generator | None = None) -> str:
    """The app's display text for a count: exact below 10,000, '1.2万' above, '10万+' from 100,000;
    zero is shown as an empty field or '0' (both occur in real exports)."""
    value = int(value)
    if value <= 0:
        return "" if rng is None or rng.random() < 0.5 else "0"
    if value < 10_000:
        return str(value)
    if value < 100_000:
        tenths = int(value // 1_000)  # the app truncates, it does not round
        whole, frac = divmod(tenths, 10)
        return f"{whole}万" if frac == 0 else f"{whole}.{frac}万"
    return "10万+"


def parse_transforms(value: str | dict | None) -> dict[str, str]:
    """Per-covariate transforms (``"post_length:ln1p"`` or a dict) on top of the paper's defaults."""
    out = dict(DEFAULT_TRANSFORMS)
    if not value:
        return out
    pairs = value.items() if isinstance(value, dict) else (
        item.split(":", 1) for item in str(value).split(",") if item.strip())
    for name, how in pairs:
        name, how = str(name).strip(), str(how).strip()
        if name not in out or how not in TRANSFORM_CHOICES:
            raise ValueError(f"transform {name}:{how} not understood; covariates {list(out)}, "
                             f"transforms {TRANSFORM_CHOICES}")
        out[name] = how
    return out


def _planted_scale(name: str, values: np.ndarray, transforms: dict[str, str]) -> np.ndarray:
    """A covariate on the scale its coefficient is planted on."""
    if transforms[name] == "ln1p":
        return np.log1p(values)
    return values / du_gu.POST_LENGTH_UNIT if name == "post_length" else values


def _term_scale(name: str, transforms: dict[str, str]) -> str:
    if name == "post_sentiment":
        return "raw"
    if transforms[name] == "ln1p":
        return "ln1p"
    return f"none/{du_gu.POST_LENGTH_UNIT}" if name == "post_length" else "none"


# --------------------------------------------------------------------------------------
# sentiment marginals
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bands:
    """A distribution on [lo, hi]: a weight and a Beta shape in each band between ``edges``."""

    edges: tuple[float, ...]
    weights: tuple[float, ...]
    positions: tuple[float, ...]  # Beta mean inside each band (0 = lower edge)
    concentration: float = 4.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        w = np.asarray(self.weights) / np.sum(self.weights)
        band = rng.choice(len(w), size=n, p=w)
        out = np.empty(n)
        for k in range(len(w)):
            mask = band == k
            a = self.positions[k] * self.concentration
            b = (1 - self.positions[k]) * self.concentration
            lo, hi = self.edges[k], self.edges[k + 1]
            out[mask] = lo + (hi - lo) * rng.beta(a, b, size=int(mask.sum()))
        return out

    def moments(self) -> tuple[float, float]:
        w = np.asarray(self.weights) / np.sum(self.weights)
        widths = np.diff(self.edges)
        pos = np.asarray(self.positions)
        means = np.asarray(self.edges[:-1]) + widths * pos
        var_in = widths**2 * pos * (1 - pos) / (self.concentration + 1)
        mean = float(w @ means)
        return mean, float(math.sqrt(w @ (var_in + means**2) - mean**2))


@lru_cache(maxsize=1)
def post_sentiment_bands() -> Bands:
    """Post scores: the paper's category shares as band weights, its range as the outer edges,
    and Beta positions (plus the split of the 38.1 % uncategorized between the two gaps) fitted
    so the mixture has the paper's mean and SD."""
    dist, t, counts = du_gu.SCORE_DISTRIBUTION["posts"], du_gu.THRESHOLDS, du_gu.POST_CATEGORY_COUNTS
    n = sum(counts.values())
    edges = (dist["min"], t["negative"], t["neutral_low"], t["neutral_high"], t["positive"], dist["max"])
    gap = counts["uncategorized"] / n

    def build(theta: np.ndarray) -> Bands:
        split = 1 / (1 + math.exp(-theta[0]))
        pos = tuple(float(1 / (1 + math.exp(-v))) for v in theta[1:])
        weights = (counts["negative"] / n, gap * split, counts["neutral"] / n, gap * (1 - split),
                   counts["positive"] / n)
        return Bands(edges, weights, pos)

    def loss(theta: np.ndarray) -> float:
        mean, sd = build(theta).moments()
        return (mean - dist["mean"]) ** 2 + (sd - dist["sd"]) ** 2 + 1e-4 * float(np.sum(theta[1:] ** 2))

    fit = optimize.minimize(loss, np.zeros(6), method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 4000})
    return build(fit.x)


def _label_comment_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    """Comment scores for the labelled subset: the paper's comment moments, inside its range."""
    d = du_gu.SCORE_DISTRIBUTION["comments"]
    a, b = (d["min"] - d["mean"]) / d["sd"], (d["max"] - d["mean"]) / d["sd"]
    return stats.truncnorm.rvs(a, b, loc=d["mean"], scale=d["sd"], size=n, random_state=rng)


# --------------------------------------------------------------------------------------
# sizes and coders
# --------------------------------------------------------------------------------------

def kappa_for_error(error: float, prevalence: float) -> float:
    """Expected Cohen's kappa of two coders who each flip the true label with probability ``error``."""
    p_o = (1 - error) ** 2 + error**2
    p1 = prevalence * (1 - error) + (1 - prevalence) * error
    p_e = p1**2 + (1 - p1) ** 2
    return (p_o - p_e) / (1 - p_e)


def coder_error_for_kappa(kappa: float, prevalence: float) -> float:
    """The per-coder error rate that gives ``kappa`` at this prevalence."""
    return float(optimize.brentq(lambda e: kappa_for_error(e, prevalence) - kappa, 1e-6, 0.45))


def label_kappa_for_noise(latent: np.ndarray, sd: float, edges: tuple[float, ...] = LABEL_KAPPA_EDGES) -> float:
    """Expected Cohen's kappa on binned scores of two coders who each add N(0, sd²) to ``latent``.

    Exact given the latent values (an average over them of the normal bin probabilities):
    p_o = mean Σ_k P_k(x)², p_e = Σ_k (mean P_k(x))², with P_k(x) the chance that x + noise
    falls in bin k.  Clipping to −1..1 does not move a score across an interior edge.
    """
    x = np.asarray(latent, dtype=float)[:, None]
    cuts = np.concatenate([[-np.inf], np.asarray(edges, dtype=float), [np.inf]])
    cdf = stats.norm.cdf((cuts[None, :] - x) / max(sd, 1e-9))
    prob = np.diff(cdf, axis=1)
    p_o = float(np.mean(np.sum(prob**2, axis=1)))
    p_e = float(np.sum(prob.mean(axis=0) ** 2))
    return (p_o - p_e) / (1 - p_e)


def label_noise_for_kappa(latent: np.ndarray, kappa: float, edges: tuple[float, ...] = LABEL_KAPPA_EDGES) -> float:
    """The coders' noise SD that gives ``kappa`` on binned scores of ``latent`` (see above)."""
    return float(optimize.brentq(lambda sd: label_kappa_for_noise(latent, sd, edges) - kappa, 1e-3, 1.5))


def _sizes(scale: float) -> dict[str, float]:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    n_raw = max(round(STUDY["raw_notes"] * scale), 60)
    target = max(round(STUDY["final_posts"] * scale), 16)
    n_dup = round(DUPLICATE_NOTE_SHARE * n_raw)
    unique = n_raw - n_dup
    n_video = round(VIDEO_SHARE * unique)
    non_video = unique - n_video
    n_short = round(SHORT_SHARE_OF_NON_VIDEO * non_video)
    candidates = non_video - n_short
    kappa = du_gu.AGREEMENT["inclusion"].value
    # fixed point: true self-disclosures n_sd so that E[both coders say 1] = target
    n_sd = float(target)
    error = 0.0
    for _ in range(50):
        error = coder_error_for_kappa(kappa, min(max(n_sd / candidates, 0.05), 0.95))
        keep_sd, keep_other = (1 - error) ** 2, error**2
        n_sd = (target - candidates * keep_other) / (keep_sd - keep_other)
    n_sd_int = round(n_sd)
    n_not_sd = candidates - n_sd_int
    if n_not_sd < 0:
        raise ValueError(f"scale {scale} too small for the calibrated shares")
    n_raw_comments = max(round(STUDY["raw_comments"] * scale), 7 * round(STUDY["final_comments"] * scale))
    return {"raw_notes": n_raw, "unique_notes": unique, "duplicate_notes": n_dup, "video": n_video,
            "short": n_short, "coding_candidates": candidates, "self_disclosure": n_sd_int,
            "not_self_disclosure": n_not_sd, "target_posts": target, "coder_error": error,
            "expected_kept_posts": n_sd_int * (1 - error) ** 2 + n_not_sd * error**2,
            "raw_comments": n_raw_comments}


def _allocate(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` items over bins proportional to ``weights`` (multinomial)."""
    if total <= 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype=int)
    p = np.asarray(weights, dtype=float)
    p = p / p.sum()
    return rng.multinomial(total, p)


def _category(scores: np.ndarray) -> np.ndarray:
    """The paper's post categories (the generator's own copy of the rule)."""
    t = du_gu.THRESHOLDS
    s = np.asarray(scores, dtype=float)
    out = np.full(s.shape, "uncategorized", dtype=object)
    out[s > t["positive"]] = "positive"
    out[(s >= t["neutral_low"]) & (s <= t["neutral_high"])] = "neutral"
    out[s < t["negative"]] = "negative"
    return out


def _hex_ids(rng: np.random.Generator, n: int, width: int = 24) -> np.ndarray:
    raw = rng.bytes(n * width // 2).hex()
    return np.array([raw[i * width:(i + 1) * width] for i in range(n)], dtype=object)


# --------------------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------------------

def generate(scale: float = 1.0, seed: int = 20241111, transforms: str | dict | None = None) -> SynthCorpus:
    """Generate the whole corpus in memory (deterministic for ``seed``, ``scale`` and ``transforms``).

    ``transforms`` (e.g. ``"post_length:ln1p"``) changes the scale a covariate's coefficient is
    planted on, so that a sweep over the analysis' transforms has a matching truth.
    """
    rng = np.random.default_rng(seed)
    transforms = parse_transforms(transforms)
    size = _sizes(scale)
    U = int(size["unique_notes"])

    # ---- notes: fate, creator, dates -------------------------------------------------
    fates = np.array(["video"] * int(size["video"]) + ["short"] * int(size["short"])
                     + ["not_self_disclosure"] * int(size["not_self_disclosure"])
                     + ["self_disclosure"] * int(size["self_disclosure"]), dtype=object)
    rng.shuffle(fates)
    planned = fates == "self_disclosure"
    candidate = np.isin(fates, ["self_disclosure", "not_self_disclosure"])
    is_sd = np.where(planned, True, np.where(fates == "not_self_disclosure", False, rng.random(U) < 0.45))
    note_ids = _hex_ids(rng, U)

    n_pool_a = max(round(planned.sum() / 2.5), 6)
    n_pool_b = max(round((U - planned.sum()) / 3.0), 6)
    n_creators = n_pool_a + n_pool_b
    creator_ids = _hex_ids(rng, n_creators)
    w_a = rng.gamma(1.5, size=n_pool_a)
    creator_of = np.where(planned, rng.choice(n_pool_a, size=U, p=w_a / w_a.sum()),
                          rng.choice(n_creators, size=U))
    ln_fans_creator = rng.normal(LN_FANS["mean"], LN_FANS["sd"], size=n_creators)
    fans_creator = np.maximum(np.rint(np.expm1(np.clip(ln_fans_creator, 0, 13))), 0).astype(int)

    start = pd.Timestamp(STUDY["first_post"], tz="UTC").value // 10**6
    end = (pd.Timestamp(STUDY["last_post"], tz="UTC") + pd.Timedelta(days=1)).value // 10**6 - 1
    publish_ms = rng.integers(start, end, size=U)
    crawl_ms = np.array([pd.Timestamp(d, tz="UTC").value // 10**6 for d in CRAWL_DATES])
    dup_idx = rng.choice(U, size=int(size["duplicate_notes"]), replace=False)
    duplicated = np.zeros(U, dtype=bool)
    duplicated[dup_idx] = True
    crawl_of = np.where(duplicated, 1, rng.integers(0, 2, size=U))  # newest crawl of each note
    download_ms = crawl_ms[crawl_of] + rng.integers(3600_000, 20 * 3600_000, size=U)

    # ---- note texts ------------------------------------------------------------------
    sentiment = post_sentiment_bands().sample(rng, U)
    threshold = du_gu.MIN_POST_LENGTH
    k = (LONG_POST_EXTRA["mean"] / LONG_POST_EXTRA["sd"]) ** 2
    extra = rng.gamma(k, LONG_POST_EXTRA["mean"] / k, size=U)
    target = np.where(candidate, np.minimum(threshold + 2 + np.rint(extra), 1200),
                      np.where(fates == "short", rng.integers(25, threshold - SHORT_MARGIN, size=U),
                               rng.integers(15, 150, size=U))).astype(int)
    titles, bodies, post_terms = [], [], []
    for i in range(U):
        title, body, used = compose_post(rng, float(sentiment[i]), bool(is_sd[i]), int(target[i]),
                                         short=fates[i] in ("short", "video"), with_terms=True)
        titles.append(title)
        bodies.append(body)
        post_terms.append(tuple(dict.fromkeys(used)))
    keywords = np.array(HASHTAGS, dtype=object)[rng.integers(len(HASHTAGS), size=U)]
    nick_creator = np.array([f"小红薯{c[:6].upper()}" for c in creator_ids], dtype=object)
    descs = _decorate_posts(rng, bodies, keywords, is_sd, nick_creator)
    post_length = np.array([text_units(t) + text_units(b) for t, b in zip(titles, bodies, strict=True)])
    _check_post_fates(fates, post_length)

    # ---- engagement (Models 1-4), raw scale ------------------------------------------
    days = (download_ms - publish_ms) / 86_400_000
    covariate_values = {"post_length": post_length.astype(float), "days_since_post": days,
                        "fans": fans_creator[creator_of].astype(float)}
    x = {"post_sentiment": sentiment, **{c: _planted_scale(c, v, transforms) for c, v in covariate_values.items()}}
    centred = {name: v - v[planned].mean() for name, v in x.items()}
    planted = du_gu.planted_coefficients()
    n_ref = du_gu.STUDY_SIZE["posts"]
    sd_sent_ref = du_gu.SCORE_DISTRIBUTION["posts"]["sd"]
    counts: dict[str, np.ndarray] = {}
    residual_sd: dict[str, float] = {}
    for outcome, (count_col, _, mu) in OUTCOMES.items():
        beta = planted[outcome]
        sigma = du_gu.coefficient(outcome, "post_sentiment").se * sd_sent_ref * math.sqrt(n_ref)
        residual_sd[outcome] = sigma
        u = rng.normal(0, sigma * math.sqrt(CREATOR_SHARE_OF_RESIDUAL), size=n_creators)
        e = rng.normal(0, sigma * math.sqrt(1 - CREATOR_SHARE_OF_RESIDUAL), size=U)
        ln_y = mu + sum(beta[t] * centred[t] for t in PREDICTORS) + u[creator_of] + e
        counts[count_col] = np.maximum(np.rint(np.expm1(np.clip(ln_y, 0, 13.5))), 0).astype(np.int64)

    # ---- coders -----------------------------------------------------------------------
    error = float(size["coder_error"])
    flips = rng.random((2, U)) < error
    coder = np.where(candidate, np.where(flips, ~is_sd, is_sd).astype(int), -1)

    # ---- comments --------------------------------------------------------------------
    comments, truth_comments, realised_comment = _comments(
        rng, size, note_ids, planned, fates, creator_of, creator_ids, sentiment, centred,
        counts["comment_count"], publish_ms, download_ms, crawl_of, post_terms)

    # ---- raw tables ------------------------------------------------------------------
    notes = _note_rows(rng, note_ids, fates, titles, descs, publish_ms, download_ms, crawl_of, duplicated,
                       creator_ids[creator_of], nick_creator[creator_of], counts, keywords)
    creators = pd.DataFrame({
        "user_id": creator_ids, "nickname": nick_creator, "gender": rng.choice(["女", "男", "未知"], n_creators),
        "avatar": [f"https://sns-avatar.xhscdn.com/avatar/{c}.jpg" for c in creator_ids],
        "desc": "", "ip_location": rng.choice(["上海", "北京", "广东", "浙江", "四川"], n_creators),
        "follows": rng.integers(0, 500, n_creators).astype(str),
        "fans": [display_count(int(f)) or "0" for f in fans_creator],
        "interaction": rng.integers(0, 5000, n_creators).astype(str), "tag_list": "",
        "last_modify_ts": (crawl_ms[1] + 3600_000).astype(str),
    })

    truth_posts = pd.DataFrame({
        "note_id": note_ids, "latent_sentiment": sentiment, "sentiment_category": _category(sentiment),
        "is_self_disclosure": is_sd, "fate": fates, "intended_kept": planned, "coder_1": coder[0],
        "coder_2": coder[1], "is_video": fates == "video", "is_duplicated": duplicated,
        "creator_index": creator_of, "fans": fans_creator[creator_of], "post_length": post_length,
        "days_since_post": days, "source_keyword": keywords,
        **{c: v for c, v in counts.items()},
        **{f"x_{name}": v for name, v in x.items()},
    })
    coding = pd.DataFrame({"note_id": note_ids[candidate], "coder_1": coder[0][candidate],
                           "coder_2": coder[1][candidate]})
    labels, label_info = _labels(rng, size)
    truth = _truth(scale, seed, size, transforms, planted, residual_sd, truth_posts, truth_comments, coding,
                   creator_of, realised_comment)
    truth["sentiment_labels"] = label_info
    return SynthCorpus(notes=notes, comments=comments, creators=creators, truth_posts=truth_posts,
                       truth_comments=truth_comments, coding=coding, labels=labels, truth=truth)


def _check_post_fates(fates: np.ndarray, post_length: np.ndarray) -> None:
    """The composed texts must have the lengths their fates need (the generator's own measure)."""
    long_needed = np.isin(fates, ["self_disclosure", "not_self_disclosure"])
    if (post_length[long_needed] < du_gu.MIN_POST_LENGTH).any() or \
            (post_length[fates == "short"] >= du_gu.MIN_POST_LENGTH - SHORT_MARGIN // 2).any():
        raise AssertionError("generated post lengths do not match their planned fate")


def _decorate_posts(rng: np.random.Generator, bodies: list[str], keywords: np.ndarray, is_sd: np.ndarray,
                    nicknames: np.ndarray) -> list[str]:
    """Add what real notes carry and cleaning must strip: hashtags, emoji codes, mentions, URLs, contacts."""
    out = []
    n = len(bodies)
    extra_tags = rng.integers(0, 3, size=n)
    emoji = rng.random(n) < 0.5
    mention = rng.random(n) < 0.12
    url = rng.random(n) < 0.03
    contact = (~is_sd) & (rng.random(n) < 0.08)
    for i, body in enumerate(bodies):
        text = body
        if emoji[i]:
            text = text.replace("。", "。" + g.EMOJI_CODES[rng.integers(len(g.EMOJI_CODES))], 1)
        if mention[i]:
            text += f" @{nicknames[rng.integers(len(nicknames))]} "
        if url[i]:
            text += f" http://xhslink.com/{rng.integers(10**6, 10**7)} "
        if contact[i]:
            text += rng.choice(["需要的可以加微信 xhs_", "咨询请联系 1380013", "邮箱 help"]) + \
                ["xl2024", "8000", "@example.com"][rng.integers(3)]
        tags = [keywords[i]] + list(rng.choice(HASHTAGS, size=extra_tags[i], replace=False))
        text += "\n" + " ".join(f"#{t}[话题]#" for t in dict.fromkeys(tags))
        out.append(text)
    return out


def _comments(rng, size, note_ids, planned, fates, creator_of, creator_ids, post_sentiment, centred,
              comment_count, publish_ms, download_ms, crawl_of, post_terms):
    """Raw comments: the paper's comments per post by post category on the planned posts, the rest
    spread over the other notes; comment sentiment from the Model 5 equation.

    Who writes reaches the text: the creator's comments are written as the author's replies,
    replies open like replies, and comments echo the theme words of their post (and a reply
    those of the comment it answers), as threads under real notes do."""
    U = len(note_ids)
    kept_idx = np.flatnonzero(planned)
    other_idx = np.flatnonzero(~planned)
    weights = np.log1p(comment_count) + 0.5
    category = _category(post_sentiment)
    rate = du_gu.comments_per_post()
    final = np.zeros(U, dtype=int)
    for cat, per_post in rate.items():
        members = kept_idx[category[kept_idx] == cat]
        final[members] = _allocate(rng, round(per_post * len(members)), weights[members])
    per_kept = {"final": final[kept_idx]}
    n_final = int(final.sum())
    for fate, share in KEPT_COMMENT_EXTRAS.items():
        per_kept[fate] = _allocate(rng, round(n_final * share), final[kept_idx] + 0.5)
    n_kept_raw = sum(int(v.sum()) for v in per_kept.values())
    n_dup = round(DUPLICATE_COMMENT_SHARE * size["raw_comments"])
    n_orphan = round(ORPHAN_COMMENT_SHARE * size["raw_comments"])
    n_other = int(size["raw_comments"]) - n_dup - n_orphan - n_kept_raw
    if n_other < 0:
        raise ValueError("comment budget too small for this scale")
    per_other = _allocate(rng, n_other, weights[other_idx])

    note_idx_parts, fate_parts = [], []
    for fate, alloc in per_kept.items():
        note_idx_parts.append(np.repeat(kept_idx, alloc))
        fate_parts.append(np.full(int(alloc.sum()), fate, dtype=object))
    other_notes = np.repeat(other_idx, per_other)
    note_idx_parts.append(other_notes)
    fate_parts.append(np.full(len(other_notes), "note_excluded", dtype=object))
    note_idx = np.concatenate(note_idx_parts)
    fate = np.concatenate(fate_parts)
    # within excluded notes, still give a realistic mix of replies/creator/short comments
    mix = rng.choice(["final", "short", "reply", "creator"], size=len(note_idx), p=[0.62, 0.2, 0.13, 0.05])
    kind = np.where(fate == "note_excluded", mix, fate)
    n = len(note_idx)

    pool = max(round(7000 * size["target_posts"] / STUDY["final_posts"]), 40)
    w_pool = 1.0 / np.arange(1, pool + 1) ** 0.7
    audience = rng.choice(pool, size=n, p=w_pool / w_pool.sum())
    audience_ids = _hex_ids(rng, pool)
    user = np.where(kind == "creator", creator_ids[creator_of[note_idx]], audience_ids[audience])

    # comment sentiment (Model 5): linear in the post's predictors, crossed intercepts, error
    # truncated so that the score stays inside the paper's range
    cm = COMMENT_MODEL
    beta = du_gu.planted_coefficients()["comment_sentiment"]
    d = du_gu.SCORE_DISTRIBUTION["comments"]
    u_creator = rng.normal(0, cm["sd_creator"], size=creator_of.max() + 1)
    u_post = rng.normal(0, cm["sd_post"], size=U)
    u_aud = rng.normal(0, cm["sd_audience"], size=pool)
    eta = (cm["intercept"] + sum(beta[t] * centred[t][note_idx] for t in PREDICTORS)
           + u_creator[creator_of[note_idx]] + u_post[note_idx] + u_aud[audience])
    eta = np.clip(eta, d["min"] + 0.05, d["max"] - 0.05)
    lo, hi = (d["min"] - eta) / cm["sd_error"], (d["max"] - eta) / cm["sd_error"]
    latent = eta + cm["sd_error"] * stats.truncnorm.rvs(lo, hi, size=n, random_state=rng)

    themes = rng.choice(list(THEME_SHARES), size=n, p=list(THEME_SHARES.values()))
    # long comments: at least 32 characters, with a long right tail as real comments have
    min_length = du_gu.MIN_COMMENT_LENGTH + 2 + np.minimum(rng.exponential(14.0, size=n), 250).astype(int)
    # replies point at a top-level comment of the same note when there is one (chosen before the
    # texts are written, so that a reply can echo the words of the comment it answers)
    is_reply = kind == "reply"
    top_by_note = pd.Series(np.flatnonzero(~is_reply)).groupby(note_idx[~is_reply]).apply(np.array)
    parent_of = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(is_reply):
        candidates = top_by_note.get(note_idx[i])
        if candidates is not None:
            parent_of[i] = candidates[rng.integers(len(candidates))]
    texts: list[str] = [""] * n
    terms: list[list[str]] = [[] for _ in range(n)]
    lengths = np.zeros(n, dtype=int)
    for i in (*np.flatnonzero(~is_reply), *np.flatnonzero(is_reply)):  # parents before their replies
        echo = post_terms[note_idx[i]]
        if parent_of[i] >= 0:
            echo = tuple(dict.fromkeys((*terms[parent_of[i]], *echo)))
        text, used = compose_comment(rng, float(latent[i]), themes[i], int(min_length[i]),
                                     short=kind[i] == "short", role="creator" if kind[i] == "creator" else "audience",
                                     reply=bool(is_reply[i]), echo=echo)
        texts[i] = text
        terms[i] = used
        lengths[i] = text_units(text)
    if (lengths[kind == "short"] >= du_gu.MIN_COMMENT_LENGTH).any() or \
            (lengths[kind != "short"] < du_gu.MIN_COMMENT_LENGTH).any():
        raise AssertionError("generated comment lengths do not match their planned fate")
    texts = _decorate_comments(rng, texts, audience_ids)

    comment_ids = _hex_ids(rng, n)
    span = download_ms[note_idx] - publish_ms[note_idx]
    create_ms = publish_ms[note_idx] + (rng.beta(0.7, 3.0, size=n) * span).astype(np.int64)
    parent = np.full(n, "", dtype=object)
    top_level_blank = rng.random(n) < 0.5
    parent[~top_level_blank] = "0"
    for i in np.flatnonzero(is_reply):
        parent[i] = comment_ids[parent_of[i]] if parent_of[i] >= 0 else _hex_ids(rng, 1)[0]
    like = np.maximum(np.rint(np.expm1(rng.normal(0.8, 1.1, size=n).clip(0, 10))), 0).astype(int)
    sub_count = pd.Series(parent).value_counts()
    comments = pd.DataFrame({
        "comment_id": comment_ids, "create_time": create_ms.astype(str),
        "ip_location": rng.choice(["上海", "北京", "广东", "浙江", "四川", "湖北"], n),
        "note_id": note_ids[note_idx], "content": texts, "user_id": user,
        "nickname": (pd.Series(np.where(kind == "creator", "作者", "用户"), dtype=object)
                     + pd.Series(user, dtype=object).str[:6].str.upper()).to_numpy(),
        "avatar": [f"https://sns-avatar.xhscdn.com/avatar/{u}.jpg" for u in user],
        "sub_comment_count": pd.Series(comment_ids).map(sub_count).fillna(0).astype(int).astype(str).to_numpy(),
        "pictures": "", "parent_comment_id": parent,
        "last_modify_ts": (download_ms[note_idx] + rng.integers(0, 3600_000, size=n)).astype(str),
        "like_count": [display_count(int(v), rng) for v in like],
        "_crawl": crawl_of[note_idx],
    })
    truth = pd.DataFrame({
        "comment_id": comment_ids, "note_id": note_ids[note_idx], "latent_sentiment": latent,
        "post_category": category[note_idx], "theme": np.where(kind == "short", "", themes),
        "theme_terms": terms, "fate": kind, "comment_length": lengths,
        "intended_kept": (fate == "final"), "audience_index": np.where(kind == "creator", -1, audience),
        "is_duplicated": False, "is_orphan": False,
    })
    kept = fate == "final"
    realised = _ols({t: centred[t][note_idx][kept] for t in PREDICTORS}, latent[kept])
    # orphans: comments on notes the crawl never stored
    if n_orphan:
        orphan_idx = rng.integers(0, n, size=n_orphan)
        orphans = comments.iloc[orphan_idx].copy()
        orphans["comment_id"] = _hex_ids(rng, len(orphans))
        orphans["note_id"] = _hex_ids(rng, len(orphans))
        orphans["parent_comment_id"] = ""
        t_orph = truth.iloc[orphan_idx].copy()
        t_orph["comment_id"] = orphans["comment_id"].to_numpy()
        t_orph["note_id"] = orphans["note_id"].to_numpy()
        t_orph["fate"], t_orph["intended_kept"], t_orph["is_orphan"] = "orphan", False, True
        comments = pd.concat([comments, orphans], ignore_index=True)
        truth = pd.concat([truth, t_orph], ignore_index=True)
    # duplicates: the same comment crawled again on the other crawl date (older copy)
    dup_rows = rng.choice(len(comments), size=n_dup, replace=False)
    copies = comments.iloc[dup_rows].copy()
    copies["last_modify_ts"] = (copies["last_modify_ts"].astype(np.int64) - 8 * 86_400_000).astype(str)
    copies["_crawl"] = 1 - copies["_crawl"]
    truth.loc[dup_rows, "is_duplicated"] = True
    comments = pd.concat([comments, copies], ignore_index=True)
    return comments, truth, realised


def _ols(x: dict[str, np.ndarray], y: np.ndarray) -> dict[str, float]:
    """Fixed-effects OLS slopes (a sanity reference stored beside the planted values)."""
    if len(y) <= len(x) + 1:
        return dict.fromkeys(x, float("nan"))
    design = np.column_stack([np.ones(len(y)), *x.values()])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    return dict(zip(x, np.round(beta[1:], 4).tolist(), strict=True))


def _decorate_comments(rng: np.random.Generator, texts: list[str], audience_ids: np.ndarray) -> list[str]:
    n = len(texts)
    emoji = rng.random(n) < 0.35
    mention = rng.random(n) < 0.08
    codes = np.array(g.EMOJI_CODES, dtype=object)[rng.integers(len(g.EMOJI_CODES), size=n)]
    out = []
    for i, text in enumerate(texts):
        if mention[i]:
            text = f"@用户{audience_ids[rng.integers(len(audience_ids))][:6].upper()} " + text
        if emoji[i]:
            text = text + codes[i]
        out.append(text)
    return out


def _note_rows(rng, note_ids, fates, titles, descs, publish_ms, download_ms, crawl_of, duplicated, users,
               nicknames, counts, keywords) -> pd.DataFrame:
    U = len(note_ids)
    is_video = fates == "video"
    rows = pd.DataFrame({
        "note_id": note_ids, "type": np.where(is_video, "video", "normal"), "title": titles, "desc": descs,
        "video_url": np.where(is_video, [f"http://sns-video-bd.xhscdn.com/{n}.mp4" for n in note_ids], ""),
        "time": publish_ms.astype(str), "last_update_time": (publish_ms + 60_000).astype(str),
        "user_id": users, "nickname": nicknames,
        "avatar": [f"https://sns-avatar.xhscdn.com/avatar/{u}.jpg" for u in users],
        "liked_count": [display_count(int(v), rng) for v in counts["liked_count"]],
        "collected_count": [display_count(int(v), rng) for v in counts["collected_count"]],
        "comment_count": [display_count(int(v), rng) for v in counts["comment_count"]],
        "share_count": [display_count(int(v), rng) for v in counts["share_count"]],
        "ip_location": rng.choice(["上海", "北京", "广东", "浙江", "四川", "湖北"], U),
        "image_list": [f"http://sns-webpic-qc.xhscdn.com/{n}/1.jpg" for n in note_ids],
        "tag_list": [",".join(dict.fromkeys([k, HASHTAGS[1]])) for k in keywords],
        "last_modify_ts": download_ms.astype(str),
        "note_url": [f"https://www.xiaohongshu.com/explore/{n}" for n in note_ids],
        "source_keyword": keywords, "xsec_token": _hex_ids(rng, U, 32), "_crawl": crawl_of,
    })
    older = rows.loc[duplicated].copy()
    older["_crawl"] = 0
    older["last_modify_ts"] = (older["last_modify_ts"].astype(np.int64) - 8 * 86_400_000).astype(str)
    for column in ("liked_count", "collected_count"):
        key = column
        vals = counts[key][duplicated]
        older[column] = [display_count(int(v * 0.97), rng) for v in vals]
    return pd.concat([rows, older], ignore_index=True)


def _labels(rng: np.random.Generator, size: dict) -> tuple[pd.DataFrame, dict]:
    """The labelled subset for fine-tuning: fresh texts from the same grammar, two coders' scores.

    The texts are what a coder reads (title and body, no platform decorations); the sentiment
    chapter cleans them like any other text.  Each coder's score is the latent score plus
    independent Gaussian noise whose SD is set so that Cohen's kappa on three bins at the
    study's cut-offs (:data:`LABEL_KAPPA_EDGES`, an assumption: the paper reports kappa 0.80
    without its bins) is the study's 0.80.  That allows little disagreement: the labelled
    texts' difficulty for a model comes from how the text expresses the score
    (:mod:`helpers.synth.xhs_text`), not from the coders.  Returns the frame and what was
    assumed and realised (``truth.json`` → ``sentiment_labels``).
    """
    n = max(round(du_gu.SENTIMENT_MODEL["training_texts"] * size["target_posts"] / STUDY["final_posts"]), 150)
    n_posts = n // 2
    kinds = np.array(["post"] * n_posts + ["comment"] * (n - n_posts), dtype=object)
    latent = np.concatenate([post_sentiment_bands().sample(rng, n_posts), _label_comment_scores(rng, n - n_posts)])
    texts = []
    for i in range(n):
        if kinds[i] == "post":
            title, body = compose_post(rng, float(latent[i]), bool(rng.random() < 0.7),
                                       int(rng.integers(40, 160)), short=False)
            texts.append(title + "。" + body)
        else:
            theme = list(THEME_SHARES)[rng.integers(3)]
            texts.append(compose_comment(rng, float(latent[i]), theme, int(rng.integers(12, 60)),
                                         short=rng.random() < 0.1)[0])
    texts = [t.replace("\n", " ").strip() for t in texts]
    # two coders, each the latent score plus independent noise calibrated to the study's kappa
    # (du_gu.AGREEMENT["sentiment_labels"]) on the assumed bins (ASSUMED["label_coder_bins"])
    sd = label_noise_for_kappa(latent, du_gu.AGREEMENT["sentiment_labels"].value)
    coder = [np.clip(latent + rng.normal(0, sd, size=n), -1, 1).round(2) for _ in range(2)]
    frame = pd.DataFrame({"text": texts, "coder_1": coder[0], "coder_2": coder[1], "kind": kinds})
    target = du_gu.AGREEMENT["sentiment_labels"].value
    b1, b2 = (np.digitize(c, LABEL_KAPPA_EDGES) for c in coder)
    p_o = float(np.mean(b1 == b2))
    p_e = float(sum(np.mean(b1 == k) * np.mean(b2 == k) for k in range(len(LABEL_KAPPA_EDGES) + 1)))
    info = {"n": n, "kappa_target": target, "kappa_bins": list(LABEL_KAPPA_EDGES),
            "kappa_bins_source": ASSUMED["label_coder_bins"], "coder_noise_sd": sd,
            "kappa_expected": label_kappa_for_noise(latent, sd),
            "kappa_realised": (p_o - p_e) / (1 - p_e) if p_e < 1 else float("nan"),
            "label_is": "mean of the two coders in the chapter's default; each coder = latent + N(0, sd²), "
                        "clipped to -1..1 and rounded to 0.01"}
    return frame.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True), info


def _moments(x: np.ndarray, categories: np.ndarray | None = None) -> dict:
    x = np.asarray(x, dtype=float)
    out = {"n": int(len(x)), "mean": float(np.mean(x)) if len(x) else float("nan"),
           "sd": float(np.std(x, ddof=1)) if len(x) > 1 else float("nan"),
           "min": float(np.min(x)) if len(x) else float("nan"), "max": float(np.max(x)) if len(x) else float("nan")}
    if categories is not None:
        counts = pd.Series(categories).value_counts()
        out["categories"] = {c: int(counts.get(c, 0)) for c in du_gu.CATEGORIES}
    return out


def _truth(scale, seed, size, transforms, planted, residual_sd, truth_posts, truth_comments, coding, creator_of,
           realised_comment) -> dict:
    kept = truth_posts["intended_kept"].to_numpy()
    final = truth_comments.loc[truth_comments["intended_kept"]]
    t = truth_posts.loc[kept]
    realised_posts = {
        outcome: _ols({name: t[f"x_{name}"].to_numpy() - t[f"x_{name}"].mean() for name in PREDICTORS},
                      np.log1p(t[count_col].to_numpy(dtype=float)))
        for outcome, (count_col, _, _) in OUTCOMES.items()}
    term_scales = {name: _term_scale(name, transforms) for name in PREDICTORS}
    engagement = {}
    for outcome, (count_col, ln_col, mu) in OUTCOMES.items():
        model = next(m for m, o in du_gu.MODELS.items() if o == outcome)
        engagement[outcome] = {
            "model": model, "outcome": ln_col, "count_column": count_col,
            "coefficients": planted[outcome], "scale": du_gu.COEFFICIENT_SCALE, "standardised": False,
            "term_scales": term_scales, "transforms": transforms,
            "source": f"study ({du_gu.ENGAGEMENT_RESULTS}, {model})",
            "ln_mean": mu, "ln_mean_source": ASSUMED["ln_means"],
            "residual_sd": residual_sd[outcome], "residual_sd_source": ASSUMED["residual_sd"],
            "creator_share_of_residual_variance": CREATOR_SHARE_OF_RESIDUAL,
            "creator_share_source": ASSUMED["variance_components"],
            "realised_ols": realised_posts[outcome],
        }
    engagement["comment_sentiment"] = {
        "model": "Model 5", "outcome": "comment sentiment (latent)",
        "coefficients": planted["comment_sentiment"], "scale": du_gu.COEFFICIENT_SCALE, "standardised": False,
        "term_scales": term_scales, "transforms": transforms,
        "source": f"study ({du_gu.ENGAGEMENT_RESULTS}, Model 5)",
        "random_intercept_sds": {k: v for k, v in COMMENT_MODEL.items() if k.startswith("sd_")},
        "random_intercept_source": ASSUMED["variance_components"],
        "note": "score = intercept + Σ β (x − mean over planned posts) + u_creator + u_post + u_audience + ε, "
                "ε truncated to keep the score in the paper's range; realised_ols is OLS on the planned comments",
        "realised_ols": realised_comment,
    }
    coded = coding[["coder_1", "coder_2"]].to_numpy()
    p_o = float(np.mean(coded[:, 0] == coded[:, 1])) if len(coded) else float("nan")
    m1, m2 = (coded.mean(axis=0) if len(coded) else (float("nan"),) * 2)
    p_e = m1 * m2 + (1 - m1) * (1 - m2)
    prevalence = float(size["self_disclosure"]) / float(size["coding_candidates"])
    kept_creators = creator_of[kept]
    return {
        "scale": scale, "seed": seed, "generator": "helpers.synth.xhs_corpus", "synthetic": True,
        "study_targets": STUDY, "sizes": size,
        "expected_clean": {"posts": float(size["expected_kept_posts"]),
                           "comments": float(len(final)) * (1 - size["coder_error"]) ** 2,
                           "note": "expectations, not guarantees: the cleaning adjudicates two noisy coders"},
        "crawl_dates": list(CRAWL_DATES), "crawl_dates_source": ASSUMED["crawl_dates"],
        "hashtags": list(HASHTAGS), "hashtags_source": f"study ({du_gu.HASHTAGS_WHERE})",
        "engagement": engagement,
        "coefficient_scale": du_gu.COEFFICIENT_SCALE,
        "sentiment": {
            "targets": {"posts": du_gu.SCORE_DISTRIBUTION["posts"], "comments": du_gu.SCORE_DISTRIBUTION["comments"],
                        "post_categories": du_gu.POST_CATEGORY_COUNTS,
                        "comments_per_post": du_gu.comments_per_post()},
            "targets_source": f"study ({du_gu.SCORE_WHERE}; {du_gu.CATEGORY_WHERE})",
            "posts_planned": _moments(t["latent_sentiment"].to_numpy(), t["sentiment_category"].to_numpy()),
            "comments_planned": _moments(final["latent_sentiment"].to_numpy()),
            "comments_by_post_category_planned": {c: int((final["post_category"] == c).sum())
                                                  for c in du_gu.CATEGORIES},
            "band_shapes_source": ASSUMED["sentiment_band_shapes"],
        },
        "themes": g.all_theme_terms(),
        "theme_shares": THEME_SHARES,
        "coding": {"kappa_target": du_gu.AGREEMENT["inclusion"].value,
                   "kappa_expected": kappa_for_error(size["coder_error"], prevalence),
                   "kappa_realised": float((p_o - p_e) / (1 - p_e)) if len(coded) and p_e < 1 else float("nan"),
                   "coder_error_rate": size["coder_error"], "coder_error_source": ASSUMED["coder_errors"],
                   "n_coded": int(len(coding)), "true_self_disclosures_coded": int(size["self_disclosure"]),
                   "decision": "not written: the coding file holds coder_1 and coder_2 only; the cleaning "
                               "adjudicates"},
        "post_length": {"unit": du_gu.POST_LENGTH_UNIT, "unit_source": ASSUMED["post_length_unit"],
                        "distribution_source": ASSUMED["post_length_distribution"],
                        "measure": "the generator's own character-class count of the composed title and body"},
        "creators": {"n_creators_planned": int(len(np.unique(kept_creators))),
                     "mean_posts_per_planned_creator": float(kept.sum() / max(len(np.unique(kept_creators)), 1)),
                     "source": ASSUMED["n_creators"]},
        "audience": {"n_audience_planned": int(final["audience_index"].nunique()), "source": ASSUMED["n_audience"]},
        "assumed": ASSUMED,
    }


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------

#: Column orders of MediaCrawler's 2026-07 store (``store/xhs/__init__.py`` at 9f4f8bf): the
#: user id is replaced by ``creator_hash`` and avatar / IP location are no longer stored.
NOTE_COLUMNS_2026 = ("note_id", "type", "title", "desc", "video_url", "time", "last_update_time", "creator_hash",
                     "nickname", "liked_count", "collected_count", "comment_count", "share_count", "image_list",
                     "tag_list", "last_modify_ts", "note_url", "source_keyword", "xsec_token")
COMMENT_COLUMNS_2026 = ("comment_id", "create_time", "note_id", "content", "creator_hash", "nickname",
                        "sub_comment_count", "pictures", "parent_comment_id", "last_modify_ts", "like_count")


def _creator_hash(user_id: str) -> str:
    """MediaCrawler's 2026-07 pseudonym of a user: the first 16 hex digits of sha256(user_id)."""
    return hashlib.sha256(str(user_id).encode("utf-8")).hexdigest()[:16]


def _as_creator_hash(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A table as the 2026-07 store writes it (``_crawl`` kept for splitting by crawl)."""
    out = frame.assign(creator_hash=frame["user_id"].map(_creator_hash))
    keep = [c for c in columns if c in out.columns] + [c for c in ("_crawl",) if c in out.columns]
    return out[keep]


def write(corpus: SynthCorpus, out: str | Path, formats: tuple[str, ...] = ("csv",), schema: str = "user_id",
          sqlite: bool = False) -> Path:
    """Write the export and the truth files under ``out``.

    ``formats`` cycles over crawls (``("csv", "json")`` writes the first crawl as
    CSV and the second as JSON); ``schema="creator_hash"`` writes the newer
    MediaCrawler schema (no creators table; followers in ``fans.csv``);
    ``sqlite=True`` writes ``xhs.db`` with the three tables instead of files.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    notes, comments, creators = corpus.notes, corpus.comments, corpus.creators
    if schema == "creator_hash":
        notes = _as_creator_hash(notes, NOTE_COLUMNS_2026)
        comments = _as_creator_hash(comments, COMMENT_COLUMNS_2026)
        fans = _as_creator_hash(creators[["user_id", "fans"]], ("creator_hash", "fans"))
        fans.to_csv(out / "fans.csv", index=False)
        creators = None
    elif schema == "user_id":
        # the crawl dates fall under the 2024-08 note schema, which had no xsec_token yet
        notes = notes.drop(columns="xsec_token")
    else:
        raise ValueError(f"schema must be user_id or creator_hash, not {schema!r}")
    if sqlite:
        db = out / "xhs.db"
        db.unlink(missing_ok=True)
        with sqlite3.connect(db) as con:
            notes.drop(columns="_crawl").to_sql("xhs_note", con, index=False)
            comments.drop(columns="_crawl").to_sql("xhs_note_comment", con, index=False)
            if creators is not None:
                creators.to_sql("xhs_creator", con, index=False)
    else:
        for crawl, date in enumerate(CRAWL_DATES):
            fmt = formats[crawl % len(formats)]
            folder = out / "xhs" / fmt
            folder.mkdir(parents=True, exist_ok=True)
            tables = {"contents": notes, "comments": comments}
            if creators is not None and crawl == len(CRAWL_DATES) - 1:
                tables["creators"] = creators.assign(_crawl=crawl)
            for item, frame in tables.items():
                part = frame.loc[frame["_crawl"] == crawl].drop(columns="_crawl")
                _write_table(part, folder / f"search_{item}_{date}.{fmt}", fmt)
    tp = corpus.truth_posts
    tp.to_parquet(out / "truth_posts.parquet", index=False)
    corpus.truth_comments.to_parquet(out / "truth_comments.parquet", index=False)
    corpus.coding.to_csv(out / "self_disclosure_coding.csv", index=False)
    corpus.labels.to_csv(out / "sentiment_labels.csv", index=False)
    truth = dict(corpus.truth, files={"schema": schema, "formats": list(formats), "sqlite": sqlite})
    (out / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False, default=json_default))
    return out


TRUTH_FILES = ("truth.json", "truth_posts.parquet", "truth_comments.parquet")


def clear_truth(raw_dir: str | Path) -> list[str]:
    """Remove planted-truth files left in a run folder by an earlier synthetic run.

    When a run switches to a real export, later chapters must not compare their
    estimates with a stand-in's truth that has nothing to do with the data.
    """
    removed = []
    for name in TRUTH_FILES:
        path = Path(raw_dir) / name
        if path.exists():
            path.unlink()
            removed.append(name)
    return removed


def _write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "json":
        path.write_text(json.dumps(frame.to_dict(orient="records"), ensure_ascii=False, indent=1),
                        encoding="utf-8")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        raise ValueError(f"unknown format {fmt!r} (csv, json, jsonl)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers synth",
                                     description="Write the calibrated synthetic MediaCrawler export (stand-in data).")
    parser.add_argument("--out", required=True, help="folder to write (e.g. <run_dir>/raw)")
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the study's raw size")
    parser.add_argument("--formats", default="csv", help="comma list cycled over crawls: csv,json,jsonl")
    parser.add_argument("--schema", default="user_id", choices=["user_id", "creator_hash"])
    parser.add_argument("--sqlite", action="store_true", help="write xhs.db instead of files")
    parser.add_argument("--transforms", default="",
                        help="per-covariate scale the coefficients are planted on, e.g. post_length:ln1p "
                             "(default: the paper's: post length unlogged, time and followers ln(x+1))")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        corpus = generate(scale=args.scale, seed=args.seed, transforms=args.transforms or None)
        write(corpus, args.out, formats=tuple(args.formats.split(",")), schema=args.schema, sqlite=args.sqlite)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    s, expected = corpus.truth["sizes"], corpus.truth["expected_clean"]
    print(f"synth: {s['raw_notes']} notes, {s['raw_comments']} comments -> {args.out} "
          f"({time.perf_counter() - t0:.1f} s); expected after cleaning (two noisy coders, so not exact): "
          f"about {expected['posts']:.0f} posts, {expected['comments']:.0f} comments")
    return 0
