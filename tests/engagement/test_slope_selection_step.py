"""Chapter 03's slope-selection step over all models (helpers.engagement.random_slopes)."""

from __future__ import annotations

from dataclasses import replace

from helpers.engagement.data import study_model_specs
from helpers.engagement.random_slopes import select_slopes_for_models
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import simulate


def _data(**kwargs):
    posts, comments = simulate(**kwargs)
    return posts.rename(columns={"sentiment": "post_sentiment"}), comments


def test_fixed_slopes_are_imposed_only_where_they_are_grouping_factors():
    posts, comments = _data(n_posts=120, n_creators=40, seed=1)
    out = select_slopes_for_models(study_model_specs(), posts, comments, select=False,
                                   fixed_slopes=["creator_id", "audience_id"])
    assert [s.slopes for s in out.specs[:4]] == [("creator_id",)] * 4
    assert out.specs[4].slopes == ("creator_id", "audience_id")
    assert out.table.empty and out.notes == []


def test_selection_keeps_a_real_slope_and_reports_a_model_it_cannot_build():
    require_r_or_skip(("lme4", "lmerTest"))
    posts, comments = _data(n_posts=900, n_creators=60, slope_sd=1.2, creator_sd=0.3, seed=11)
    specs = study_model_specs()
    broken = replace(specs[1], covariates=("no_such_covariate",))  # a frame that cannot be built
    out = select_slopes_for_models([specs[0], broken], posts, None)
    assert out.specs[0].slopes == ("creator_id",)
    assert out.specs[1].slopes == () and out.specs[1] is broken
    assert any(n.startswith(f"{broken.name}: slope selection") for n in out.notes)
    assert set(out.table["model"]) == {specs[0].name}
