"""Every published value of Study 1 (Du & Gu), each with the section or table it comes from.

Source: Du & Gu, "How depression self-disclosure shapes engagement and discourse on Chinese
social media", DIGITAL HEALTH (2026), doi:10.1177/20552076261425518 — full text (the
supplement, Tables S1–S5, and the values of Table 1 are not part of it).

This module is the one place the book reads a Study 1 number from: chapters, pages, the
category tables and the synthetic generator all import it.  A value the paper does not give
is listed in :data:`NOT_REPORTED` and is never filled in here; where the book has to assume
something (the generator's download date, say), the assumption lives with the code that makes
it and is labelled "assumed" there.

The paper's own arithmetic is checked in :func:`consistency_checks` from these constants (no
number is typed twice), and the scale its coefficients are read on is declared once, in
:data:`COEFFICIENT_SCALE`, with the evidence computed by :func:`coefficient_scale_evidence`.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

NOT_REPORTED = "not reported"

CITATION = {
    "authors": ("Hongyan Du", "Lei Gu"),
    "title": "How depression self-disclosure shapes engagement and discourse on Chinese social media",
    "journal": "DIGITAL HEALTH", "year": 2026, "doi": "10.1177/20552076261425518",
    "funding": "Postdoctoral Research Foundation of China 2023M742303",
    "where": "front matter / footnotes",
}
SOURCE = (f"Du & Gu ({CITATION['year']}), {CITATION['journal']}, doi:{CITATION['doi']} — full text "
          "(Method and Results sections; the supplement is not part of it)")

# ----------------------------------------------------------------------------- where
DATA_COLLECTION = "Method / Data collection"
PREPROCESSING = "Method / Data preprocessing and coding"
SENTIMENT_METHOD = "Method / Sentiment analysis"
ENGAGEMENT_METHOD = "Method / Engagement analysis"
NETWORK_METHOD = "Method / Semantic network analysis"
SENTIMENT_RESULTS = "Results / Sentiment analysis"
ENGAGEMENT_RESULTS = "Results / Engagement analysis"
NETWORK_RESULTS = "Results / Semantic network analysis"
DISCUSSION = "Discussion / Engagement dynamics"

# ----------------------------------------------------------------------------- data collection
#: The nine hashtags, in the paper's order (Chinese as printed, English gloss as printed).
HASHTAGS: tuple[tuple[str, str], ...] = (
    ("抑郁", "depression"),
    ("抑郁症", "depressive disorder"),
    ("抑郁症的症状", "depression symptoms"),
    ("抑郁情绪怎么调节", "managing depressive mood"),
    ("抑郁躯体化", "somatized depression"),
    ("抑郁症药物", "depression medication"),
    ("抑郁转双相", "depression to bipolar"),
    ("抑郁症自测", "depression self-assessment"),
    ("抑郁症自救方法", "self-help for depression"),
)
HASHTAGS_WHERE = DATA_COLLECTION
COLLECTION_TOOL = ("custom Python scripts (technical help acknowledged to Ma Shukui, Xidian University); "
                   "no crawler software is named")
DATE_RANGE = {"first_post": "2021-03-22", "last_post": "2024-11-11", "where": DATA_COLLECTION}
RAW_SIZE = {"posts": 2182, "comments": 122212, "where": DATA_COLLECTION}
STUDY_SIZE = {"posts": 535, "comments": 17301, "where": PREPROCESSING}

# ----------------------------------------------------------------------------- preprocessing
MIN_POST_LENGTH = 100
MIN_COMMENT_LENGTH = 30
LENGTH_WHERE = PREPROCESSING
LENGTH_DEFINITION = "total characters, words and numerals (comment length measured the same way)"
CLEANING_RULE = ("keep Chinese characters, English words and numerals; remove hashtags, mentions and "
                 "special characters")
PREPROCESSING_ORDER = (
    "remove duplicate entries and posts with video content",
    "text cleaning (keep Chinese characters, English words, numerals)",
    "exclude posts < 100 characters and comments < 30 characters",
    "manual verification of genuine first-person self-disclosure (two coders)",
    "drop comments by the post's creator and comments directed at other audience members",
)


@dataclass(frozen=True)
class Agreement:
    """An agreement statistic as the paper states it (``relation`` '>' for a lower bound)."""

    step: str
    value: float
    relation: str
    statistic: str
    where: str

    def text(self) -> str:
        return f"{self.statistic} {'>' if self.relation == '>' else '='} {self.value:.2f}"


AGREEMENT: dict[str, Agreement] = {
    "pilot": Agreement("inclusion coding, pilot of 100 posts", 0.80, ">", "inter-rater reliability (statistic "
                       "not named)", PREPROCESSING),
    "inclusion": Agreement("inclusion coding, full dataset", 0.78, "=", "Cohen's kappa", PREPROCESSING),
    "sentiment_labels": Agreement("sentiment labels of the 3,000-text training set", 0.80, "=", "Cohen's kappa",
                                  SENTIMENT_METHOD),
}
PILOT_POSTS = 100
CODERS = "two graduate-level psychology students familiar with the DSM-5 criteria for Major Depressive Disorder"
INCLUSION_RULE = ("keep first-person accounts of specific depressive symptoms or diagnoses; exclude "
                  "advertisements, bot-generated content and general complaints; disagreements resolved by "
                  "discussion")

# ----------------------------------------------------------------------------- variables and transforms
#: ln(X+1) where Table 1 showed heteroscedasticity: "most metrics except for post and comment
#: lengths" (Method / Data preprocessing and coding); ln(Y+1) for the four outcomes (Engagement analysis).
TRANSFORMS: dict[str, str] = {
    "post_length": "none", "comment_length": "none", "days_since_post": "ln1p", "fans": "ln1p",
    "likes": "ln1p", "favorites": "ln1p", "shares": "ln1p", "comments": "ln1p",
}
TRANSFORMS_WHERE = f"{PREPROCESSING}; {ENGAGEMENT_METHOD}"
TIME_SINCE_POSTING = "days between post publication and data download"

# ----------------------------------------------------------------------------- sentiment model
SENTIMENT_MODEL = {
    "model": "BERT-base Chinese (bert-base-chinese)", "training_texts": 3000,
    "training_texts_source": "posts and comments sampled at random from the collected dataset (mix not reported)",
    "labels": "continuous −1 (negative) .. 1 (positive), set by two psychology graduate students",
    "split": {"train": 0.80, "validation": 0.10, "test": 0.10},
    "epochs": 4, "batch_size": 32, "learning_rate": 2e-5, "optimizer": "AdamW",
    "where": SENTIMENT_METHOD,
}
SENTIMENT_METRICS = {"MSE": 0.047, "MAE": 0.038, "R2": 0.953, "where": SENTIMENT_RESULTS}
#: Score distributions of the model's predictions (Results / Sentiment analysis).
SCORE_DISTRIBUTION: dict[str, dict[str, float]] = {
    "posts": {"min": -0.97, "max": 0.97, "mean": -0.19, "sd": 0.57, "n": 535},
    "comments": {"min": -1.00, "max": 0.99, "mean": -0.20, "sd": 0.49, "n": 17301},
}
SCORE_WHERE = SENTIMENT_RESULTS

# ----------------------------------------------------------------------------- categories
#: Post-sentiment categories (Method / Semantic network analysis); boundary inclusion of the
#: neutral band is not stated (the book includes both ends).
THRESHOLDS = {"positive": 0.3, "neutral_low": -0.15, "neutral_high": 0.15, "negative": -0.79}
THRESHOLDS_WHERE = NETWORK_METHOD
CATEGORIES: tuple[str, ...] = ("negative", "neutral", "positive", "uncategorized")
#: Posts per category, as printed (Results / Semantic network analysis).
POST_CATEGORY_COUNTS: dict[str, int] = {"negative": 114, "neutral": 120, "positive": 97, "uncategorized": 204}
POST_CATEGORY_PERCENT: dict[str, float] = {"negative": 21.3, "neutral": 22.4, "positive": 18.1,
                                           "uncategorized": 38.1}
#: Comments grouped by the category of the POST they answer — not the comments' own
#: categories, which the paper does not report (Results / Semantic network analysis).
COMMENTS_BY_POST_CATEGORY: dict[str, int] = {"negative": 7543, "neutral": 3181, "positive": 1601,
                                             "uncategorized": 4976}
COMMENTS_BY_POST_CATEGORY_PERCENT: dict[str, float] = {"negative": 43.6, "neutral": 18.4, "positive": 9.3,
                                                       "uncategorized": 28.8}
CATEGORY_WHERE = NETWORK_RESULTS

# ----------------------------------------------------------------------------- semantic networks
NETWORK_MAPS: dict[str, dict[str, Any]] = {
    "positive": {"L": 4386, "TLS": 3969, "n_clusters": 3, "where": f"{NETWORK_RESULTS}, Figure 1, Table S3"},
    "neutral": {"L": 4847, "TLS": 7617, "n_clusters": 3, "where": f"{NETWORK_RESULTS}, Figure 2, Table S4"},
    "negative": {"L": 4846, "TLS": 17795, "n_clusters": 3, "where": f"{NETWORK_RESULTS}, Figure 3, Table S5"},
}
NETWORK_TOOLS = {"software": "VOSviewer", "tokenization": "custom dictionary (segmenter not named)",
                 "stopwords": "Harbin Institute of Technology (HIT) list, keeping 现在 and 一个",
                 "where": NETWORK_METHOD}

# ----------------------------------------------------------------------------- engagement models
ENGAGEMENT_SOFTWARE = "jamovi with the GAMLj module"
ENGAGEMENT_DESIGN = {
    "software": ENGAGEMENT_SOFTWARE, "n_models": 5,
    "controls": ("post length", "time since posting", "follower count"),
    "random_effects": "random intercepts for creators (Models 1–4); crossed intercepts for creators, posts and "
                      "audience members (Model 5); post-sentiment slopes added if AIC/BIC improve (which were "
                      "kept is not reported)",
    "outcomes": "ln(Y+1) of likes, favorites, shares, comments (Models 1–4); comment sentiment (Model 5)",
    "robustness": "negative binomial models on raw counts, 'consistent' (no numbers given)",
    "where": ENGAGEMENT_METHOD,
}
#: Model number -> outcome (our names).
MODELS: dict[str, str] = {"Model 1": "likes", "Model 2": "favorites", "Model 3": "shares", "Model 4": "comments",
                          "Model 5": "comment_sentiment"}
#: Our term names -> the paper's wording.
TERMS: dict[str, str] = {"post_sentiment": "post sentiment", "post_length": "post length",
                         "days_since_post": "time since posting", "fans": "follower count"}


@dataclass(frozen=True)
class ReportedCoefficient:
    """One coefficient row as the Results text prints it (``p_relation`` '<' for 'p < 0.001')."""

    model: str
    outcome: str
    term: str
    beta: float
    se: float
    t: float
    p: float
    p_relation: str = "="
    where: str = ENGAGEMENT_RESULTS

    @property
    def significant(self) -> bool:
        return self.p < 0.05

    def p_text(self) -> str:
        return f"< {self.p:g}" if self.p_relation == "<" else f"{self.p:.3f}"


def _rows(model: str, values: dict[str, tuple[float, float, float, float | str]]) -> list[ReportedCoefficient]:
    out = []
    for term, (beta, se, t, p) in values.items():
        relation = "<" if isinstance(p, str) else "="
        out.append(ReportedCoefficient(model, MODELS[model], term, beta, se, t,
                                       float(str(p).lstrip("< ")), relation,
                                       f"{ENGAGEMENT_RESULTS} ({model}; Table S2 is not in the text)"))
    return out


_LT = "< 0.001"
#: All 20 rows: β, SE, t, p for post sentiment and the three covariates in Models 1–5.
COEFFICIENTS: tuple[ReportedCoefficient, ...] = tuple(
    _rows("Model 1", {"post_sentiment": (-0.36, 0.13, -2.78, 0.006), "post_length": (0.35, 0.12, 2.97, 0.003),
                      "days_since_post": (0.22, 0.06, 3.61, _LT), "fans": (0.35, 0.04, 8.89, _LT)})
    + _rows("Model 2", {"post_sentiment": (-0.12, 0.13, -0.89, 0.373), "post_length": (0.53, 0.12, 4.41, _LT),
                        "days_since_post": (0.29, 0.06, 4.65, _LT), "fans": (0.33, 0.04, 8.15, _LT)})
    + _rows("Model 3", {"post_sentiment": (-0.06, 0.12, -0.45, 0.656), "post_length": (0.58, 0.11, 5.17, _LT),
                        "days_since_post": (0.22, 0.06, 3.78, _LT), "fans": (0.29, 0.04, 7.73, _LT)})
    + _rows("Model 4", {"post_sentiment": (-0.34, 0.11, -3.12, 0.002), "post_length": (-0.02, 0.10, -0.23, 0.821),
                        "days_since_post": (0.06, 0.05, 1.22, 0.224), "fans": (0.22, 0.03, 6.60, _LT)})
    + _rows("Model 5", {"post_sentiment": (0.04, 0.02, 2.00, 0.046), "post_length": (-0.03, 0.02, -1.78, 0.075),
                        "days_since_post": (-0.02, 0.01, -1.83, 0.068), "fans": (0.02, 0.01, 2.73, 0.007)})
)
#: Backwards-compatible name.
REPORTED = COEFFICIENTS


def coefficient(outcome: str, term: str) -> ReportedCoefficient:
    """The paper's row for one outcome and term (KeyError names what exists)."""
    for row in COEFFICIENTS:
        if row.outcome == outcome and row.term == term:
            return row
    raise KeyError(f"no reported coefficient for {outcome!r}/{term!r}; outcomes {sorted(set(MODELS.values()))}, "
                   f"terms {sorted(TERMS)}")


def reported_table() -> pd.DataFrame:
    """The 20 reported rows (model, outcome, term, beta, se, t, p, p_relation, where, significant)."""
    frame = pd.DataFrame([asdict(r) for r in COEFFICIENTS])
    frame["significant"] = [r.significant for r in COEFFICIENTS]
    return frame


def planted_coefficients() -> dict[str, dict[str, float]]:
    """outcome -> term -> β: what the synthetic generator plants (on :data:`COEFFICIENT_SCALE`)."""
    out: dict[str, dict[str, float]] = {}
    for row in COEFFICIENTS:
        out.setdefault(row.outcome, {})[row.term] = row.beta
    return out


# ----------------------------------------------------------------------------- the declared scale
#: The scale the book reads the paper's β on — declared once, never picked per outcome.
COEFFICIENT_SCALE = "raw"
#: Units of each term on that scale (what "one unit" of the predictor is).  Post length: the
#: paper exempts it from ln(X+1) and does not state its unit; see :func:`coefficient_scale_evidence`.
TERM_UNITS: dict[str, str] = {
    "post_sentiment": "one unit of the −1..1 sentiment score",
    "post_length": "100 characters (unit assumed: the paper does not give one)",
    "days_since_post": "one unit of ln(days + 1)",
    "fans": "one unit of ln(followers + 1)",
}
#: Characters per unit of post length on the declared scale (assumed; see TERM_UNITS).
POST_LENGTH_UNIT = 100


def coefficient_scale_evidence() -> pd.DataFrame:
    """What the paper's standard errors say about the scale of its β (one row per model and term).

    Within one model every coefficient shares the residual variance and the sample, so
    SE_j ≈ σ / (√n · SD(x_j) · √(1 − R²_j)).  Were all predictors standardised (SD 1), the four
    SEs of a model would differ only through the collinearity factor √(1 − R²_j), which for four
    weakly related predictors stays near 1; the printed SEs differ three- to fourfold (e.g. 0.13
    for sentiment against 0.04 for followers in Model 1), which standardised predictors cannot
    produce without severe collinearity.  Read as raw coefficients, the SEs instead give each
    predictor's SD relative to the sentiment score, whose SD (0.57) the paper reports:
    ``implied_sd = 0.57 × SE_sentiment / SE_j``.
    """
    sd_sentiment = SCORE_DISTRIBUTION["posts"]["sd"]
    rows = []
    for model in MODELS:
        block = [r for r in COEFFICIENTS if r.model == model]
        se_sent = next(r.se for r in block if r.term == "post_sentiment")
        se_min = min(r.se for r in block)
        for r in block:
            rows.append({
                "model": model, "outcome": r.outcome, "term": r.term, "se": r.se,
                "se_ratio_to_smallest": r.se / se_min,
                "implied_sd_if_raw": sd_sentiment * se_sent / r.se,
                "collinearity_needed_if_standardised": 1 - (se_min / r.se) ** 2,
            })
    return pd.DataFrame(rows)


def coefficient_scale_reasoning() -> str:
    """The declaration, with the numbers computed from the reported SEs."""
    ev = coefficient_scale_evidence()
    m1 = ev.loc[ev["model"] == "Model 1"].set_index("term")
    ratio = m1["se_ratio_to_smallest"].max()
    needed = m1["collinearity_needed_if_standardised"].max()
    sd = m1["implied_sd_if_raw"]
    return (
        f"The book reads the paper's β as **{COEFFICIENT_SCALE} (unstandardised)** coefficients, for every model "
        f"and term. Within Model 1 the largest SE is {ratio:.2f} times the smallest; with standardised "
        f"predictors that would need the sentiment term to share R² = {needed:.2f} with the other three "
        f"predictors, which nothing in the paper suggests. As raw coefficients, the SEs imply predictor SDs of "
        f"{sd['post_length']:.2f} (post length), {sd['days_since_post']:.2f} (time since posting) and "
        f"{sd['fans']:.2f} (followers) for a sentiment SD of {SCORE_DISTRIBUTION['posts']['sd']:.2f}: plausible "
        f"for ln(days+1) and ln(followers+1), and the paper's 'elasticity' wording fits raw coefficients on log "
        f"scales. Post length is the exception: the text exempts it from ln(X+1), yet an SD of "
        f"{sd['post_length']:.2f} is far too small for raw characters (posts have at least "
        f"{MIN_POST_LENGTH}); it fits ln(length) or a length in hundreds of characters. The book keeps length "
        f"unlogged, as the text says, in units of {POST_LENGTH_UNIT} characters (an assumption, labelled as "
        "such), and reports this as an unresolved point of the paper."
    )


# ----------------------------------------------------------------------------- not reported
NOT_REPORTED_ITEMS: tuple[str, ...] = (
    "download / crawl date", "Table 1 descriptive statistics (values)", "Tables S1–S5 (supplement)",
    "number of creators and audience members", "which random slopes were retained",
    "model R² and variance components", "negative-binomial robustness numbers",
    "number of terms per VOSviewer map, counting method, clustering resolution",
    "custom dictionary content and segmenter", "how continuous sentiment labels were binned for kappa",
    "post/comment composition of the 3,000-text labelled set", "unit of post length in the models",
    "estimation details (REML/ML, df method, centring)",
)


# ----------------------------------------------------------------------------- derived values
def comments_per_post() -> dict[str, float]:
    """Comments per post for each post category: the printed comment counts over the post counts."""
    return {c: COMMENTS_BY_POST_CATEGORY[c] / POST_CATEGORY_COUNTS[c] for c in CATEGORIES}


def study_category_table() -> pd.DataFrame:
    """The paper's posts by category and comments by post category, with percentages recomputed."""
    rows = []
    for what, counts, printed in (("posts", POST_CATEGORY_COUNTS, POST_CATEGORY_PERCENT),
                                  ("comments by post category", COMMENTS_BY_POST_CATEGORY,
                                   COMMENTS_BY_POST_CATEGORY_PERCENT)):
        total = sum(counts.values())
        for c in CATEGORIES:
            rows.append({"texts": what, "category": c, "n": counts[c], "percent_printed": printed[c],
                         "percent_recomputed": 100 * counts[c] / total})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- consistency checks
@dataclass(frozen=True)
class Check:
    """One check of the paper against itself: what was computed, and what it means."""

    topic: str
    where: str
    arithmetic: str
    verdict: str
    consistent: bool


def _t_checks() -> list[Check]:
    worst = max(COEFFICIENTS, key=lambda r: abs(r.beta / r.se - r.t))
    # rounding: β and SE are printed to 2 decimals, so β/SE is only known within an interval
    bad_t = []
    bad_p = []
    for r in COEFFICIENTS:
        lo_b, hi_b, lo_s, hi_s = r.beta - 0.005, r.beta + 0.005, r.se - 0.005, r.se + 0.005
        ends = [lo_b / lo_s, lo_b / hi_s, hi_b / lo_s, hi_b / hi_s]
        if not (min(ends) - 0.005 <= r.t <= max(ends) + 0.005):
            bad_t.append(f"{r.model} {r.term}")
        p_from_t = 2 * stats.norm.sf(abs(r.t))
        ok = p_from_t < 0.001 if r.p_relation == "<" else abs(p_from_t - r.p) <= 0.01 + 0.05 * r.p
        if not ok:
            bad_p.append(f"{r.model} {r.term}")
    return [
        Check("t = β / SE for all 20 rows", ENGAGEMENT_RESULTS,
              f"rows whose printed t lies outside the range β/SE can take when β and SE are rounded to two "
              f"decimals: {len(bad_t)} (largest unrounded gap: {worst.model} {TERMS[worst.term]}, β/SE = "
              f"{worst.beta / worst.se:.2f} vs t = {worst.t:.2f}, inside its rounding range)",
              "consistent within rounding" if not bad_t else f"inconsistent: {', '.join(bad_t)}", not bad_t),
        Check("p from t (two-sided, large df) for all 20 rows", ENGAGEMENT_RESULTS,
              f"rows whose p does not follow from t: {len(bad_p)}",
              "consistent" if not bad_p else f"inconsistent: {', '.join(bad_p)}", not bad_p),
    ]


def _sum_checks() -> list[Check]:
    out = []
    for what, counts, printed, total in (
            ("post categories", POST_CATEGORY_COUNTS, POST_CATEGORY_PERCENT, STUDY_SIZE["posts"]),
            ("comments by post category", COMMENTS_BY_POST_CATEGORY, COMMENTS_BY_POST_CATEGORY_PERCENT,
             STUDY_SIZE["comments"])):
        s = sum(counts.values())
        pct = {c: 100 * counts[c] / s for c in CATEGORIES}
        ok = s == total and all(abs(pct[c] - printed[c]) < 0.051 for c in CATEGORIES)
        out.append(Check(
            f"{what} add up", CATEGORY_WHERE,
            " + ".join(f"{counts[c]:,}" for c in CATEGORIES) + f" = {s:,} (sample {total:,}); percentages "
            + "/".join(f"{pct[c]:.2f}" for c in CATEGORIES),
            "consistent" if ok else "inconsistent", ok))
    return out


def mse_mae_r2_check() -> dict[str, float]:
    """The label variance the three test metrics imply, and what it requires of the labels."""
    mse, mae, r2 = SENTIMENT_METRICS["MSE"], SENTIMENT_METRICS["MAE"], SENTIMENT_METRICS["R2"]
    var_y = mse / (1 - r2)
    lo = (mse - 0.0005) / (1 - (r2 - 0.0005))
    hi = (mse + 0.0005) / (1 - (r2 + 0.0005))
    max_abs_mean = math.sqrt(max(0.0, 1 - lo))  # Bhatia–Davis on [-1, 1]: Var <= 1 - mean^2
    return {
        "implied_label_variance": var_y, "implied_label_variance_low": lo, "implied_label_variance_high": hi,
        "largest_label_mean_allowed": max_abs_mean,
        "variance_bound_at_post_mean": 1 - SCORE_DISTRIBUTION["posts"]["mean"] ** 2,
        "mse_over_mae": mse / mae,  # MSE <= max|e| * MAE, so max|e| must be at least this
        "r2_if_label_sd_is_post_sd": 1 - mse / SCORE_DISTRIBUTION["posts"]["sd"] ** 2,
        "r2_if_label_sd_is_comment_sd": 1 - mse / SCORE_DISTRIBUTION["comments"]["sd"] ** 2,
    }


def percentile_check() -> dict[str, float]:
    """Where the thresholds sit in the post-score distribution: normal approximation and counts."""
    m, sd = SCORE_DISTRIBUTION["posts"]["mean"], SCORE_DISTRIBUTION["posts"]["sd"]
    n = STUDY_SIZE["posts"]
    return {
        "normal_p75": m + stats.norm.ppf(0.75) * sd, "normal_p25": m + stats.norm.ppf(0.25) * sd,
        "normal_percentile_of_positive_threshold": 100 * stats.norm.cdf((THRESHOLDS["positive"] - m) / sd),
        "normal_percentile_of_negative_threshold": 100 * stats.norm.cdf((THRESHOLDS["negative"] - m) / sd),
        "count_percentile_of_positive_threshold": 100 * (1 - POST_CATEGORY_COUNTS["positive"] / n),
        "count_percentile_of_negative_threshold": 100 * POST_CATEGORY_COUNTS["negative"] / n,
        "share_in_gaps": 100 * POST_CATEGORY_COUNTS["uncategorized"] / n,
    }


def counting_check() -> pd.DataFrame:
    """Links (L) and total link strength (TLS) of the three maps under both VOSviewer counting methods.

    Full (and binary) counting give every link an integer strength ≥ 1, so TLS ≥ L.  Fractional
    counting gives a comment with n selected terms a total strength of n/2 (each of its
    n(n−1)/2 pairs weighs 1/(n−1)), so TLS/comment = n/2 and TLS < L is possible.
    """
    rows = []
    for cat, info in NETWORK_MAPS.items():
        n_comments = COMMENTS_BY_POST_CATEGORY[cat]
        per_comment = info["TLS"] / n_comments
        rows.append({
            "map": f"comments on {cat} posts", "L": info["L"], "TLS": info["TLS"], "comments": n_comments,
            "TLS_per_comment": per_comment,
            "full_counting_possible": info["TLS"] >= info["L"],
            "terms_per_comment_if_fractional": 2 * per_comment,
            "terms_per_comment_if_full": 0.5 + math.sqrt(0.25 + 2 * per_comment),
            "min_terms_in_map": math.ceil(0.5 + math.sqrt(0.25 + 2 * info["L"])),
        })
    return pd.DataFrame(rows)


def consistency_checks() -> list[Check]:
    """The paper checked against itself, from the constants above."""
    checks = _t_checks() + _sum_checks()
    m = mse_mae_r2_check()
    checks.append(Check(
        "MSE, MAE and R² of the sentiment model", SENTIMENT_RESULTS,
        f"Var(labels) = MSE / (1 − R²) = {SENTIMENT_METRICS['MSE']} / {1 - SENTIMENT_METRICS['R2']:.3f} = "
        f"{m['implied_label_variance']:.2f} (between {m['implied_label_variance_low']:.2f} and "
        f"{m['implied_label_variance_high']:.2f} with rounding). Labels in [−1, 1] have Var ≤ 1 − mean², so the "
        f"test labels' mean must lie within ±{m['largest_label_mean_allowed']:.2f} of 0 and almost every label "
        f"must sit at ±1 (at the posts' mean −0.19 the bound is {m['variance_bound_at_post_mean']:.2f}). "
        f"MSE > MAE needs max|error| ≥ MSE/MAE = {m['mse_over_mae']:.2f}. With the score SDs the paper "
        f"reports (0.57, 0.49), the same MSE gives R² = {m['r2_if_label_sd_is_post_sd']:.3f} and "
        f"{m['r2_if_label_sd_is_comment_sd']:.3f}",
        "implausible together: at least one of MSE, MAE, R² is probably mislabelled or computed on another "
        "basis", False))
    p = percentile_check()
    checks.append(Check(
        "thresholds as 'approx. 75th and 25th percentiles'", NETWORK_METHOD,
        f"normal approximation (M −0.19, SD 0.57): 75th percentile {p['normal_p75']:.2f}, 25th "
        f"{p['normal_p25']:.2f}; 0.3 sits at percentile {p['normal_percentile_of_positive_threshold']:.1f} and "
        f"−0.79 at percentile {p['normal_percentile_of_negative_threshold']:.1f}. From the counts: 0.3 is "
        f"percentile {p['count_percentile_of_positive_threshold']:.1f} (18.1 % of posts above it) and −0.79 "
        f"percentile {p['count_percentile_of_negative_threshold']:.1f}; {p['share_in_gaps']:.1f} % of posts "
        "fall in the gaps between the bands",
        "loose: the cut-offs are about the 82nd and 21st percentiles, and the neutral band is centred on 0, not "
        "on the mean", False))
    c = counting_check().set_index("map")
    pos = c.loc["comments on positive posts"]
    checks.append(Check(
        "links vs total link strength of the maps", NETWORK_RESULTS,
        f"positive map: TLS {pos['TLS']:,} < L {pos['L']:,}, impossible under full or binary counting (integer "
        f"strengths ≥ 1 give TLS ≥ L). TLS per comment is "
        + ", ".join(f"{v:.2f}" for v in c["TLS_per_comment"])
        + " for the positive, neutral and negative maps: nearly constant, as fractional counting gives (n/2 "
        "per comment, i.e. about "
        + ", ".join(f"{v:.1f}" for v in c["terms_per_comment_if_fractional"])
        + " selected terms per comment)",
        "the numbers point to fractional counting, which the paper does not name", False))
    cpp = comments_per_post()
    checks.append(Check(
        "'neutral posts generated significantly higher engagement than positive posts'", DISCUSSION,
        f"18.4 % vs 9.3 % are shares of all comments, not a tested contrast; per post the comment counts are "
        f"{cpp['neutral']:.1f} (neutral) vs {cpp['positive']:.1f} (positive) ({cpp['negative']:.1f} negative, "
        f"{cpp['uncategorized']:.1f} uncategorized). No test of categories is reported: the models use "
        "continuous sentiment",
        "untested claim: 'significantly' rests on descriptive shares", False))
    m3 = coefficient("shares", "post_sentiment")
    checks.append(Check(
        "'lower sharing rate for severe depression disclosures'", "Discussion / lack of influence on shares",
        f"Model 3: post sentiment β = {m3.beta}, SE = {m3.se}, p = {m3.p_text()}",
        "not supported by the paper's own model of shares", False))
    return checks


def consistency_table() -> pd.DataFrame:
    return pd.DataFrame([asdict(c) for c in consistency_checks()])


# ----------------------------------------------------------------------------- the extraction file
def study_values_path() -> Path | None:
    """``study_values.yaml`` when present: ``$STUDY_VALUES_YAML``, else ``../shared/papers/`` above the
    project (a local mirror for CI; users who clone the book do not have it)."""
    env = os.environ.get("STUDY_VALUES_YAML")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidates.append(parent / "shared" / "papers" / "study_values.yaml")
        candidates.append(parent.parent / "shared" / "papers" / "study_values.yaml")
    for path in candidates:
        if path.is_file():
            return path
    return None


def as_records() -> dict[str, Any]:
    """Everything above as plain data (for truth.json and results)."""
    return {
        "source": SOURCE, "hashtags": [{"zh": z, "en": e} for z, e in HASHTAGS], "date_range": DATE_RANGE,
        "raw_size": RAW_SIZE, "study_size": STUDY_SIZE, "min_post_length": MIN_POST_LENGTH,
        "min_comment_length": MIN_COMMENT_LENGTH, "agreement": {k: asdict(v) for k, v in AGREEMENT.items()},
        "transforms": TRANSFORMS, "sentiment_metrics": SENTIMENT_METRICS, "score_distribution": SCORE_DISTRIBUTION,
        "thresholds": THRESHOLDS, "post_category_counts": POST_CATEGORY_COUNTS,
        "comments_by_post_category": COMMENTS_BY_POST_CATEGORY, "comments_per_post": comments_per_post(),
        "coefficient_scale": COEFFICIENT_SCALE, "term_units": TERM_UNITS,
        "coefficients": [asdict(r) for r in COEFFICIENTS], "network_maps": NETWORK_MAPS,
        "not_reported": list(NOT_REPORTED_ITEMS),
    }

