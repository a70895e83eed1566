"""Model-frame assembly for chapter 03: transforms, notes and clear errors (no R needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.data import (
    EngagementDataError,
    build_frame,
    parse_transforms,
    study_model_specs,
)
from helpers.engagement.paper_comparison import CANNOT_TELL, comparison_table, display_table
from helpers.engagement.recovery import coverage_from_sweep
from helpers.study import du_gu
from tests.engagement.engagement_fixtures import simulate


def _inputs(**kwargs):
    posts, comments = simulate(n_posts=120, n_creators=40, comments_per_post=4, n_audience=200, **kwargs)
    return (posts.rename(columns={"sentiment": "post_sentiment"}),
            comments.rename(columns={"sentiment": "comment_sentiment"}))


def test_specs_give_the_study_formulas():
    specs = study_model_specs()
    assert [s.outcome for s in specs] == ["likes", "favorites", "shares", "comments", "comment_sentiment"]
    # the paper's transforms: lengths unlogged, time since posting and followers ln(x+1)
    assert specs[0].formula() == (
        "ln_likes ~ post_sentiment + post_length + ln_days_since_post + ln_fans + (1 | creator_id)")
    logged = study_model_specs(transforms="post_length:ln1p")[0]
    assert "ln_post_length" in logged.formula() and logged.transform_of("fans") == "ln1p"
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
    with pytest.raises(EngagementDataError, match="unknown transform"):
        parse_transforms("post_length:sqrt")
    with pytest.raises(EngagementDataError, match="unknown covariate"):
        parse_transforms("likes:none")
    with pytest.raises(EngagementDataError, match="NAME:ln1p"):
        parse_transforms("post_length")


def test_frame_applies_ln1p_and_standardises():
    posts, _ = _inputs()
    spec = study_model_specs()[0]
    frame = build_frame(spec, posts)
    assert np.allclose(frame.data["ln_likes"], np.log1p(posts["liked_count"]))
    assert np.allclose(frame.data["ln_fans"], np.log1p(posts["fans"].astype(float)))
    # post length unlogged, in the declared unit of 100 characters
    assert np.allclose(frame.data["post_length"], posts["post_length"] / du_gu.POST_LENGTH_UNIT)
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


def test_comparison_has_all_20_rows_and_says_cannot_tell_without_fits():
    table = comparison_table([], synthetic=False)
    assert len(table) == 20 and table["paper_se"].notna().all() and table["paper_t"].notna().all()
    assert (table["verdict"] == CANNOT_TELL).all()  # no fit, no CI: never a verdict in the claim's favour
    shown = display_table(table)
    assert list(shown.loc[0, ["paper β", "paper SE", "paper t", "paper p"]]) == ["-0.36", "0.13", "-2.78", "0.006"]
    assert shown.loc[3, "paper p"] == "< 0.001" and (shown["our β"] == "—").all()


def test_qq_points_handle_a_singular_fit_without_warnings():
    import warnings

    from helpers.engagement.diagnostics import qq_points

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = qq_points(np.zeros(8))
    assert (flat["sample"] == 0).all() and flat["theoretical"].is_monotonic_increasing


def test_coverage_from_a_sweep_table():
    rows = []
    for run, seed in (("a", 1), ("b", 2), ("c", 3), ("d", 4)):
        for term, ok in (("post_sentiment", seed != 4), ("fans", True)):
            rows.append({"run": run, "seed": seed, "scale": 0.2, "step": "03_engagement_models",
                         "metric": f"recovery.covered.likes.{term}", "value": None, "value_text": str(ok)})
        rows.append({"run": run, "seed": seed, "scale": 0.2, "step": "03_engagement_models",
                     "metric": "n_posts", "value": 100.0, "value_text": None})
    table, summary = coverage_from_sweep(pd.DataFrame(rows))
    by_term = table.set_index("term")
    assert by_term.loc["post_sentiment", "rate"] == 0.75 and by_term.loc["fans", "rate"] == 1.0
    assert summary["runs"] == 4 and summary["compared"] == 8 and summary["covered"] == 7
    assert 0 < summary["low"] < 7 / 8 < summary["high"] <= 1
    empty, nothing = coverage_from_sweep(pd.DataFrame(rows).iloc[:0])
    assert empty.empty and nothing["rate"] is None
