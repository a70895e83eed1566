"""lme4 settings of the ML fits behind slope selection: a faster setting must not change the answer."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.engagement.data import study_model_specs
from helpers.engagement.random_slopes import select_slopes_for_models
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import simulate


def test_no_derivs_selects_the_same_slopes_with_the_same_likelihoods():
    require_r_or_skip(("lme4", "lmerTest"))
    posts, comments = simulate(n_posts=300, n_creators=40, slope_sd=1.2, creator_sd=0.3, seed=11)
    posts = posts.rename(columns={"sentiment": "post_sentiment"})
    specs = study_model_specs()
    chosen = [specs[0], specs[4]]  # a post-level model with a real slope, and Model 5 (crossed)
    default = select_slopes_for_models(chosen, posts, comments, ml_control="default")
    fast = select_slopes_for_models(chosen, posts, comments, ml_control="no_derivs")
    assert [s.slopes for s in fast.specs] == [s.slopes for s in default.specs]
    assert default.specs[0].slopes == ("creator_id",)
    tried = default.table["formula"].astype(bool)
    assert list(fast.table.loc[tried, "formula"]) == list(default.table.loc[tried, "formula"])
    for column in ("logLik", "AIC", "BIC"):
        np.testing.assert_allclose(fast.table.loc[tried, column].to_numpy(float),
                                   default.table.loc[tried, column].to_numpy(float), atol=1e-4)


def test_unknown_ml_control_is_refused():
    from helpers.engagement.lmer import fit_ml

    with pytest.raises(ValueError, match="control must be one of"):
        fit_ml(None, control="bobyqa_please")
