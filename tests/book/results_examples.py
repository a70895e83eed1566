"""One valid results object per chapter, with the shapes the notebooks write (for page tests)."""

from __future__ import annotations

from helpers.book.results_schema import (
    CNSDResults,
    DataCleaningResults,
    EngagementResults,
    InferenceResults,
    SemanticNetworkResults,
    SentimentResults,
)


def data_cleaning(**changes) -> DataCleaningResults:
    values = dict(synthetic=True, scale=0.05, seed=7, posts_raw=109, posts_final=27, comments_raw=6111,
                  comments_final=865, cohen_kappa=0.75, fans_available=True, n_creators=9, n_audience=267,
                  n_import_problems=12, expected_posts=27, expected_comments=865)
    return DataCleaningResults(**{**values, **changes})


def sentiment(**changes) -> SentimentResults:
    values = dict(
        model_name="offline-e5-small", device="cpu", scale=0.05, seed=7, n_labelled=151, cohen_kappa=0.84,
        weighted_kappa=0.97, test_mse=0.037, test_mae=0.167, test_r2=0.843, test_pearson_r=0.92, epochs=1,
        learning_rate=5e-5, train_steps=60, steps_per_second=0.82, posts_mean=-0.07, posts_sd=0.56,
        comments_mean=-0.19, comments_sd=0.52,
        category_counts={"posts": {"positive": 8, "neutral": 2, "negative": 2, "uncategorized": 15},
                         "comments_by_post_category": {"positive": 283, "neutral": 37, "negative": 96,
                                                       "uncategorized": 449},
                         "comments_own": {"positive": 267, "neutral": 79, "negative": 10, "uncategorized": 509}},
        truth_r2={"posts": 0.93, "comments": 0.94},
        transfer={"chnsenticorp_hotel": {"auc": 0.875, "accuracy": 0.697}},
        timings_s={"fine_tune_s": 79.6, "chapter_s": 115.3},
        schedule="quick", method="finetune", threshold_rule="fixed",
        thresholds_used={"negative": -0.79, "positive": 0.79},
        calibration={"method": "isotonic", "test_slope_before": 0.8, "test_slope_after": 1.0},
        real_text={"set": "chnsenticorp_hotel", "n": 0, "unavailable": "not on this machine"},
    )
    return SentimentResults(**{**values, **changes})


#: The four terms of each engagement model (helpers.study.du_gu.TERM_UNITS).
TERMS = ("post_sentiment", "post_length", "days_since_post", "fans")


def _per_term(values: dict[str, float | None], other=0.0) -> dict[str, dict[str, object]]:
    """outcome -> term table: ``values`` on post_sentiment, ``other`` on the other terms."""
    return {o: {t: (v if t == "post_sentiment" else other) for t in TERMS} for o, v in values.items()}


def recovery(covered: dict[str, bool | None], planted: dict[str, float] | None = None) -> dict[str, object]:
    """A recovery table (helpers.engagement.recovery.recovery_results) covering as told on post_sentiment."""
    planted = planted or {o: -0.36 for o in covered}
    known = [c for c in covered.values() if c is not None]
    return {"covered": _per_term(covered, other=True), "estimate": _per_term(planted, other=0.0),
            "planted": _per_term(planted, other=0.0), "n_compared": len(known), "n_covered": sum(known)}


def engagement(likes=-1.24, comments=-0.66, fav_p=0.48, share_p=0.8, cs=0.17, cs_p=0.017,
               likes_p=0.001, comments_p=0.01, half_width=0.2, **changes) -> EngagementResults:
    """Chapter 03 on a real export by default; ``synthetic=True, recovery=...`` for a synthetic run."""
    raw = {"likes": likes, "favorites": 0.29, "shares": -0.07, "comments": comments, "comment_sentiment": cs}
    p = {"likes": likes_p, "favorites": fav_p, "shares": share_p, "comments": comments_p, "comment_sentiment": cs_p}
    values = dict(
        scale=0.05, seed=7, synthetic=False, sentiment_source="estimated", n_posts=27, n_comments=865,
        coefficient_scale="raw", transforms={"likes": "ln(x + 1)", "post_length": "x / 100"},
        fit_seconds_all_models=1.58, models_fitted=5, models_singular=1,
        random_slopes_kept={f"Model {i}": [] for i in range(1, 6)},
        post_sentiment_raw=raw, post_sentiment_p=p,
        comparison={"estimate": _per_term(raw), "se": _per_term({o: half_width / 1.96 for o in raw}),
                    "p": _per_term(p, other=0.5),
                    "ci_low": _per_term({o: None if v is None else v - half_width for o, v in raw.items()}),
                    "ci_high": _per_term({o: None if v is None else v + half_width for o, v in raw.items()}),
                    "verdict": _per_term({o: "consistent with the study" for o in raw}, other="cannot tell")},
        verdict_counts={"consistent with the study": 5, "cannot tell": 15},
        negbin_agreement={"likes": True, "favorites": False, "shares": True, "comments": False},
        mixedlm_max_abs_diff=4.6e-6,
        measurement_error={"likes": {
            "naive": {"estimate": -0.21, "conf_low": -0.4, "conf_high": -0.02},
            "rc": {"estimate": -0.33, "conf_low": -0.61, "conf_high": -0.05},
            "simex": {"estimate": -0.31, "conf_low": -0.58, "conf_high": -0.04}}},
        measurement_error_calibration={"source": "chapter 02 test split", "n_pairs": 46, "r2": 0.62,
                                       "rc_slope_b": 0.71, "classical_slope_d": 0.88, "error_variance": 0.05},
    )
    return EngagementResults(**{**values, **changes})


def semantic_networks(ari_positive=0.3, ari_negative=0.25, separated_positive=True, separated_negative=True,
                      **changes) -> SemanticNetworkResults:
    one_map = {"comments": 283, "terms": 100, "clusters": 3, "links": 3244, "total_link_strength": 16074.0,
               "total_link_strength_fractional": 1509.5, "study_links": 4386,
               "study_total_link_strength": 3969, "seconds": 0.78}
    values = dict(
        scale=0.05, seed=7, top_n=100, counting="full", resolution=1.0, tokenize_seconds=0.13,
        maps={"positive": one_map, "negative": {**one_map, "clusters": 4}},
        pooled_map={"comments": 865, "terms": 100, "clusters": 5, "links": 3979, "total_link_strength": 47190.0},
        skipped_categories={"neutral": "37 comments (< min_comments = 50)"},
        consistency=[{"map A": "positive", "map B": "negative", "shared_terms": 63, "ari": 0.328,
                      "nmi": 0.446, "mean_best_jaccard": 0.433}],
        theme_recovery={"positive": {"n_terms": 41, "ari": ari_positive, "nmi": 0.5, "ari_theme_terms": 1.0,
                                     "n_theme_terms": 12, "themes_separated": separated_positive},
                        "negative": {"n_terms": 41, "ari": ari_negative, "nmi": 0.45, "ari_theme_terms": 0.9,
                                     "n_theme_terms": 11, "themes_separated": separated_negative}},
        glossary_coverage=0.973,
    )
    return SemanticNetworkResults(**{**values, **changes})


def cnsd(**changes) -> CNSDResults:
    values = dict(
        scale=0.05, seed=7, synthetic=True, tokenizer="jieba", users_loaded=40, users_selected=24, posts=1054,
        gold_users=8, test_users=16, n_min=3, module1_examples=36, lora_ran=True, lora_final_loss=6.95,
        module2_backend="lexicon-rules",
        module2_counts={"labels proposed": 846, "labels verified": 27, "unparseable verifications": 0},
        temperature=0.7,
        verification={"precision before": 0.61, "precision after": 0.75, "labels after": 27},
        generation_test={"Module II (lexicon-rules)": {"BLEU": 0.542, "ROUGE-1": 0.632, "BERTScore": 0.951}},
        generation_gold={"Module II (lexicon-rules)": {"BLEU": 0.5, "ROUGE-1": 0.6, "BERTScore": None}},
        classification_test={"TF-IDF + logistic regression": {"accuracy": 0.792, "precision": 0.889,
                                                              "recall": 0.667, "F1": 0.762}},
        classification_gold_cv={"TF-IDF + logistic regression": {"F1": 0.7, "accuracy": None}},
        timings_s={"data": 0.1, "total": 15.7},
    )
    return CNSDResults(**{**values, **changes})


def inference(**changes) -> InferenceResults:
    values = dict(
        scale=0.05, seed=7, synthetic=True, sections=["curve", "measurement", "power"], chapter_seconds=42.0,
        calibration={"pairs": 151.0, "r2": 0.84, "slope": 0.93},
        post_sentiment_std={"likes.naive": -0.21, "likes.rc": -0.3, "likes.latent": -0.33},
        covers_planted={"likes.naive": False, "likes.rc": True, "likes.latent": True},
        coverage={"likes.naive": 0.6, "likes.rc": 0.93}, coverage_seeds=20,
        power_post_sentiment={"likes.n27.c30.r2_0.8": 0.31, "likes.n300.c30.r2_0.8": 0.97}, power_designs=2,
        map_share_same_sign_as_study={"ari": 0.8, "tls": None},
        curve_share_matching_paper={"likes": 0.7, "comments": None}, curve_specifications={"likes": 24},
    )
    return InferenceResults(**{**values, **changes})


ALL = (data_cleaning, sentiment, engagement, semantic_networks, cnsd, inference)
