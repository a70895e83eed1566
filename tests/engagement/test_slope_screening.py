"""Screening random slopes on a subsample of whole creators: what it keeps, and that it finds a real slope."""

from __future__ import annotations

import numpy as np

from helpers.engagement.data import build_frame, study_model_specs
from helpers.engagement.random_slopes import (
    screening_subsample,
    select_random_slopes,
    select_slopes_for_models,
)
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import simulate


def _posts(seed: int = 11, slope_sd: float = 1.2):
    posts, comments = simulate(n_posts=400, n_creators=60, slope_sd=slope_sd, creator_sd=0.3, seed=seed)
    return posts.rename(columns={"sentiment": "post_sentiment"}), comments


def test_the_subsample_holds_whole_creators_and_enough_rows_and_is_seeded():
    posts, _ = _posts()
    frame = build_frame(study_model_specs()[0], posts, None, min_groups=5)
    sub = screening_subsample(frame, 150, seed=3)
    assert len(sub.data) >= 150 and len(sub.data) < len(frame.data)
    per_creator_full = frame.data.groupby("creator_id").size()
    per_creator_sub = sub.data.groupby("creator_id").size()
    assert (per_creator_sub == per_creator_full[per_creator_sub.index]).all()  # no creator cut in two
    assert sub.data.equals(screening_subsample(frame, 150, seed=3).data)
    assert not sub.data.equals(screening_subsample(frame, 150, seed=4).data)
    assert "screened on a subsample" in sub.notes[-1]


def test_screened_selection_finds_the_planted_slope_and_says_it_screened():
    require_r_or_skip(("lme4", "lmerTest"))
    posts, comments = _posts()
    frame = build_frame(study_model_specs()[0], posts, None, min_groups=5)
    full = select_random_slopes(frame, screen_rows=None)
    assert full.spec.slopes == ("creator_id",)
    for seed in (1, 2, 3):  # three quarters of the rows: every draw finds it (smaller ones lose power)
        screened = select_random_slopes(frame, screen_rows=300, seed=seed)
        assert screened.spec.slopes == ("creator_id",), seed
    assert full.table["screened_rows"].isna().all()
    assert (screened.table["screened_rows"] >= 300).all() and (screened.table["all_rows"] == len(frame.data)).all()
    assert any("screened on a subsample" in n for n in screened.notes)
    # without a planted slope the screened selection keeps the intercepts only
    flat_posts, _ = _posts(seed=12, slope_sd=0.0)
    flat = select_slopes_for_models([study_model_specs()[0]], flat_posts, None, screen_rows=200, seed=1)
    assert flat.specs[0].slopes == ()
    assert np.isfinite(flat.table["screened_rows"]).all()
