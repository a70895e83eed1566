"""One valid results object per chapter, with the shapes the notebooks write (for page tests)."""

from __future__ import annotations

from helpers.book.results_schema import (
    CNSDResults,
    DataCleaningResults,
    EngagementResults,
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
                         "comments": {"positive": 267, "neutral": 79, "negative": 10, "uncategorized": 509}},
        truth_r2={"posts": 0.93, "comments": 0.94},
        transfer={"chnsenticorp_hotel": {"auc": 0.875, "accuracy": 0.697}},
        timings_s={"fine_tune_s": 79.6, "chapter_s": 115.3},
    )
    return SentimentResults(**{**values, **changes})


def engagement(likes=-0.31, comments=-0.22, fav_p=0.48, share_p=0.8, cs=0.19, cs_p=0.017,
               likes_p=0.001, comments_p=0.01, **changes) -> EngagementResults:
    values = dict(
        scale=0.05, seed=7, sentiment_source="estimated", n_posts=27, n_comments=865,
        fit_seconds_all_models=1.58, models_fitted=5, models_singular=1,
        random_slopes_kept={f"Model {i}": [] for i in range(1, 6)},
        post_sentiment_raw={"likes": likes * 4, "favorites": 0.29, "shares": -0.07, "comments": comments * 3,
                            "comment_sentiment": cs * 0.9},
        post_sentiment_std={"likes": likes, "favorites": 0.09, "shares": -0.05, "comments": comments,
                            "comment_sentiment": cs},
        post_sentiment_p={"likes": likes_p, "favorites": fav_p, "shares": share_p, "comments": comments_p,
                          "comment_sentiment": cs_p},
        negbin_agreement={"likes": True, "favorites": False, "shares": True, "comments": False},
        mixedlm_max_abs_diff=4.6e-6, closest_scaling_to_paper="standardised",
        recovery_covered={"likes (estimated)": True, "likes (latent)": False},
    )
    return EngagementResults(**{**values, **changes})


def semantic_networks(ari_positive=1.0, ari_negative=0.9, **changes) -> SemanticNetworkResults:
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
        theme_recovery={"positive": {"n_terms": 41, "ari": ari_positive, "nmi": 1.0},
                        "negative": {"n_terms": 41, "ari": ari_negative, "nmi": 0.87}},
        glossary_coverage=0.973,
    )
    return SemanticNetworkResults(**{**values, **changes})


def cnsd(**changes) -> CNSDResults:
    values = dict(
        scale=0.05, seed=7, synthetic=True, users=24, posts=1054, n_min=3, module1_examples=36, lora_ran=True,
        lora_final_loss=6.95, module2_backend="lexicon-rules", module2_labels_proposed=846,
        module2_labels_verified=27, module2_parse_failures=0, module2_answer_accuracy=0.75,
        generation={"Module II (lexicon-rules)": {"BLEU": 0.542, "ROUGE-1": 0.632, "BERTScore": 0.951}},
        classification={"TF-IDF + logistic regression": {"accuracy": 0.792, "precision": 0.889,
                                                         "recall": 0.667, "F1": 0.762}},
        timings_s={"data": 0.1, "total": 15.7},
    )
    return CNSDResults(**{**values, **changes})


ALL = (data_cleaning, sentiment, engagement, semantic_networks, cnsd)
