"""The study module against the extraction file ``study_values.yaml`` (when the mirror has it),
and the paper's self-checks computed from the module."""

from __future__ import annotations

import pytest
import yaml

from helpers.study import du_gu

PATH = du_gu.study_values_path()
needs_yaml = pytest.mark.skipif(PATH is None, reason="study_values.yaml not present (../shared/papers)")


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load(PATH.read_text(encoding="utf-8"))["study1_du_gu"]


def _p(value):
    return float(str(value).lstrip("< ").strip())


@needs_yaml
def test_all_20_coefficients_match_the_extraction(values):
    names = {"Model_1_likes": "likes", "Model_2_favorites": "favorites", "Model_3_shares": "shares",
             "Model_4_comments": "comments", "Model_5_comment_sentiment": "comment_sentiment"}
    terms = {"post_sentiment": "post_sentiment", "post_length": "post_length",
             "time_since_posting": "days_since_post", "follower_count": "fans"}
    seen = 0
    for model, rows in values["engagement_models"]["models"].items():
        for term, row in rows.items():
            if term not in terms:
                continue
            ours = du_gu.coefficient(names[model], terms[term])
            assert (ours.beta, ours.se, ours.t) == (row["beta"], row["se"], row["t"]), (model, term)
            assert ours.p == _p(row["p"]) and (ours.p_relation == "<") == str(row["p"]).startswith("<")
            assert ours.significant == row["significant"]
            seen += 1
    assert seen == len(du_gu.COEFFICIENTS) == 20


@needs_yaml
def test_sizes_categories_and_distributions_match(values):
    assert du_gu.RAW_SIZE["posts"] == values["data_collection"]["raw_counts"]["posts"]
    assert du_gu.RAW_SIZE["comments"] == values["data_collection"]["raw_counts"]["comments"]
    assert du_gu.STUDY_SIZE["posts"] == values["preprocessing"]["final_counts"]["posts"]
    assert du_gu.STUDY_SIZE["comments"] == values["preprocessing"]["final_counts"]["comments"]
    assert du_gu.MIN_POST_LENGTH == values["preprocessing"]["min_post_length_chars"]
    assert du_gu.MIN_COMMENT_LENGTH == values["preprocessing"]["min_comment_length_chars"]
    net = values["semantic_network"]
    for cat in ("negative", "neutral", "positive", "uncategorized"):
        assert du_gu.POST_CATEGORY_COUNTS[cat] == net["post_counts"][cat]["n"]
        assert du_gu.POST_CATEGORY_PERCENT[cat] == net["post_counts"][cat]["pct"]
        by_post = net["comment_counts_by_post_category"][f"{cat}_posts"]
        assert du_gu.COMMENTS_BY_POST_CATEGORY[cat] == by_post["n"]
        assert du_gu.COMMENTS_BY_POST_CATEGORY_PERCENT[cat] == by_post["pct"]
    for kind in ("posts", "comments"):
        for key, value in values["sentiment_distribution"][kind].items():
            assert du_gu.SCORE_DISTRIBUTION[kind][key] == value, (kind, key)
    for metric, value in values["sentiment_model"]["metrics_reported"].items():
        assert du_gu.SENTIMENT_METRICS[metric] == value
    for cat, info in net["maps"].items():
        name = cat.removesuffix("_posts")
        assert (du_gu.NETWORK_MAPS[name]["L"], du_gu.NETWORK_MAPS[name]["TLS"]) == (info["L"], info["TLS"])
    thresholds = net["thresholds"]
    assert f"> {du_gu.THRESHOLDS['positive']}" == thresholds["positive"]
    assert f"< {du_gu.THRESHOLDS['negative']}" == thresholds["negative"]


@needs_yaml
def test_method_details_match(values):
    collection = values["data_collection"]
    assert [(h["zh"], h["en"]) for h in collection["hashtags"]] == list(du_gu.HASHTAGS)
    assert str(collection["date_range"]["first_post"]) == du_gu.DATE_RANGE["first_post"]
    assert str(collection["date_range"]["last_post"]) == du_gu.DATE_RANGE["last_post"]
    coding = values["preprocessing"]["manual_coding"]
    assert du_gu.AGREEMENT["inclusion"].value == coding["full_dataset"]["cohens_kappa"]
    assert coding["pilot"]["inter_rater_reliability"] == f"> {du_gu.AGREEMENT['pilot'].value:.2f}"
    assert du_gu.PILOT_POSTS == coding["pilot"]["n_posts"]
    assert du_gu.AGREEMENT["sentiment_labels"].value == values["sentiment_model"]["label_agreement"]["cohens_kappa"]
    model = values["sentiment_model"]
    assert (du_gu.SENTIMENT_MODEL["epochs"], du_gu.SENTIMENT_MODEL["batch_size"],
            du_gu.SENTIMENT_MODEL["learning_rate"]) == (model["epochs"], model["batch_size"], model["learning_rate"])
    assert str(du_gu.SENTIMENT_MODEL["training_texts"]) == model["training_sample"].split()[0]
    exempt = values["variables"]["log_transform"]["exempt"]
    assert [du_gu.TRANSFORMS[name.replace(" ", "_")] for name in exempt] == ["none", "none"]
    assert "jamovi" in values["engagement_models"]["software"] and "jamovi" in du_gu.ENGAGEMENT_SOFTWARE
    assert "GAMLj" in du_gu.ENGAGEMENT_SOFTWARE


@needs_yaml
def test_not_reported_items_are_the_extraction_s(values):
    listed = " ".join(values["not_reported_in_full_text"]).lower()
    for item in ("download", "creators and audience", "random slopes", "counting method"):
        assert item in listed
        assert any(item.split()[0] in ours.lower() for ours in du_gu.NOT_REPORTED_ITEMS)


def test_comments_per_post_and_scale_evidence():
    per_post = du_gu.comments_per_post()
    assert [round(per_post[c], 1) for c in du_gu.CATEGORIES] == [66.2, 26.5, 16.5, 24.4]
    ev = du_gu.coefficient_scale_evidence().set_index(["model", "term"])
    assert ev.loc[("Model 1", "fans"), "implied_sd_if_raw"] == pytest.approx(0.57 * 0.13 / 0.04)
    assert ev.loc[("Model 1", "post_sentiment"), "se_ratio_to_smallest"] == pytest.approx(3.25)
    assert du_gu.COEFFICIENT_SCALE == "raw" and "raw" in du_gu.coefficient_scale_reasoning()


def test_self_checks_are_computed_from_the_module():
    checks = {c.topic: c for c in du_gu.consistency_checks()}
    assert checks["t = β / SE for all 20 rows"].consistent
    assert checks["post categories add up"].consistent and checks["comments by post category add up"].consistent
    m = du_gu.mse_mae_r2_check()
    assert m["implied_label_variance"] == pytest.approx(1.0, abs=0.005)
    assert m["r2_if_label_sd_is_post_sd"] == pytest.approx(0.855, abs=0.001)
    p = du_gu.percentile_check()
    assert p["count_percentile_of_positive_threshold"] == pytest.approx(81.87, abs=0.01)
    assert p["normal_percentile_of_negative_threshold"] == pytest.approx(14.6, abs=0.1)
    counting = du_gu.counting_check().set_index("map")
    assert not counting.loc["comments on positive posts", "full_counting_possible"]
    assert counting["min_terms_in_map"].tolist() == [95, 99, 99]
    assert not checks["'neutral posts generated significantly higher engagement than positive posts'"].consistent
