"""Model-frame assembly for chapter 03: transforms, notes and clear errors (no R needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.data import (
    EngagementDataError,
    build_frame,
    study_model_specs,
)
from helpers.engagement.paper_comparison import display_table
from helpers.study.du_gu import NOT_REPORTED, reported_table
from tests.engagement.engagement_fixtures import simulate


def _inputs(**kwargs):
    posts, comments = simulate(n_posts=120, n_creators=40, comments_per_post=4, n_audience=200, **kwargs)
    return (posts.rename(columns={"sentiment": "post_sentiment"}),
            comments.rename(columns={"sentiment": "comment_sentiment"}))


def test_specs_give_the_study_formulas():
    specs = study_model_specs()
    assert [s.outcome for s in specs] == ["likes", "favorites", "shares", "comments", "comment_sentiment"]
    assert specs[0].formula() == (
        "ln_likes ~ post_sentiment + ln_post_length + ln_days_since_post + ln_fans + (1 | creator_id)")
    assert specs[4].formula().endswith("(1 | creator_id) + (1 | note_id) + (1 | audience_id)")
    slope = specs[0].with_slopes(["creator_id"]).formula()
    assert "(1 + post_sentiment | creator_id)" in slope
    raw = study_model_specs(outcome_transform="none", covariate_transform="none")[0]
    assert raw.formula().startswith("likes ~ post_sentiment + post_length")


def test_unknown_choices_are_rejected():
    with pytest.raises(EngagementDataError, match="unknown outcome"):
        study_model_specs(outcomes=["views"])
    with pytest.raises(EngagementDataError, match="unknown transform"):
        study_model_specs(outcome_transform="sqrt")


def test_frame_applies_ln1p_and_standardises():
    posts, _ = _inputs()
    spec = study_model_specs()[0]
    frame = build_frame(spec, posts)
    assert np.allclose(frame.data["ln_likes"], np.log1p(posts["liked_count"]))
    assert np.allclose(frame.data["ln_fans"], np.log1p(posts["fans"].astype(float)))
    z = build_frame(spec, posts, standardise=True)
    for col in ["ln_likes", *spec.fixed_terms]:
        assert abs(z.data[col].mean()) < 1e-9 and abs(z.data[col].std() - 1) < 1e-9


def test_missing_follower_counts_drop_the_covariate_with_a_note():
    posts, comments = _inputs(fans=False)
    frame = build_frame(study_model_specs()[0], posts)
    assert "ln_fans" not in frame.spec.fixed_terms and "ln_fans" not in frame.spec.formula()
    assert any("fans" in n and "without this covariate" in n for n in frame.notes)
    m5 = build_frame(study_model_specs()[4], posts, comments)
    assert "ln_fans" not in m5.spec.formula()


def test_partly_missing_and_constant_covariates():
    posts, _ = _inputs()
    posts.loc[:9, "fans"] = pd.NA
    frame = build_frame(study_model_specs()[0], posts)
    assert len(frame.data) == len(posts) - 10
    assert any("10 of 120 rows" in n for n in frame.notes)
    posts, _ = _inputs()
    posts["days_since_post"] = 30.0
    frame = build_frame(study_model_specs()[0], posts)
    assert "ln_days_since_post" not in frame.spec.fixed_terms
    assert any("constant" in n for n in frame.notes)


def test_constant_predictor_and_too_few_groups_are_errors():
    posts, _ = _inputs()
    constant = posts.assign(post_sentiment=0.1)
    with pytest.raises(EngagementDataError, match="constant"):
        build_frame(study_model_specs()[0], constant)
    few = posts.assign(creator_id=np.where(np.arange(len(posts)) % 2, "a", "b"))
    with pytest.raises(EngagementDataError, match="at least 5"):
        build_frame(study_model_specs()[0], few)
    unique = posts.assign(creator_id=[f"c{i}" for i in range(len(posts))])
    with pytest.raises(EngagementDataError, match="its own creator_id"):
        build_frame(study_model_specs()[0], unique)
    with pytest.raises(EngagementDataError, match="comments table"):
        build_frame(study_model_specs()[4], posts)


def test_comment_frame_joins_post_predictors():
    posts, comments = _inputs()
    frame = build_frame(study_model_specs()[4], posts, comments)
    assert len(frame.data) == len(comments)
    joined = frame.data.set_index("comment_id")["post_sentiment"]
    expected = comments.set_index("comment_id")["note_id"].map(posts.set_index("note_id")["post_sentiment"])
    assert np.allclose(joined.sort_index(), expected.sort_index())


def test_paper_values_are_not_invented():
    table = reported_table()
    numeric = table.loc[table["beta"].notna()]
    assert set(numeric["model"]) == {"Model 1"}  # only Model 1's coefficients are in the text
    assert numeric.set_index("term")["beta"].to_dict() == {
        "post_sentiment": -0.36, "post_length": 0.35, "days_since_post": 0.22, "fans": 0.35}
    assert table[["se", "t", "p"]].isna().all().all()  # never reported in the text we have
    assert table.set_index("outcome").loc["favorites", "significant"] == False  # noqa: E712
    shown = display_table(pd.DataFrame({
        "model": table["model"], "outcome": table["outcome"], "term": table["term"],
        "paper_beta": table["beta"].astype(float), "paper_direction": table["direction"].fillna(NOT_REPORTED),
        **{f"{p}_{k}": np.nan for p in ("ours", "ci_low", "ci_high", "diff") for k in ("raw", "std")},
        "ci_covers_raw": None, "ci_covers_std": None, "direction_agrees": None}))
    assert (shown.loc[table["beta"].isna(), "paper β"] == NOT_REPORTED).all()


def test_qq_points_handle_a_singular_fit_without_warnings():
    import warnings

    from helpers.engagement.diagnostics import qq_points

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = qq_points(np.zeros(8))
    assert (flat["sample"] == 0).all() and flat["theoretical"].is_monotonic_increasing
