"""The blocked-Cholesky engine against lme4/lmerTest, fit by fit (R needed for the comparisons)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.crossed_lmm import CrossedModelError, build_design, deviance, fit_crossed
from helpers.engagement.data import build_frame, study_model_specs
from helpers.engagement.lmer import (
    AUTO_BLOCKED_MIN_ROWS,
    auto_engine,
    fit_blocked,
    fit_lmer,
    fit_ml,
)
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import simulate


def _model5_frame(seed: int = 3, n_posts: int = 150, n_audience: int = 400):
    posts, comments = simulate(n_posts=n_posts, n_creators=40, comments_per_post=12, n_audience=n_audience,
                               seed=seed)
    posts = posts.rename(columns={"sentiment": "post_sentiment"})
    comments = comments.rename(columns={"sentiment": "comment_sentiment"})
    return build_frame(study_model_specs()[4], posts, comments, min_groups=5)


def _compare(ours, lme4, *, df: bool):
    if not lme4.coefs.empty:  # lme4's ML fits come without a coefficient table
        a, b = ours.coefs.set_index("term"), lme4.coefs.set_index("term")
        assert list(a.index) == list(b.index)
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-4, atol=1e-6)
    if df:
        np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-4)
        np.testing.assert_allclose(a["df"], b["df"], rtol=1e-3)
        np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-3, atol=1e-8)
    assert ours.loglik == pytest.approx(lme4.loglik, abs=1e-5)
    assert ours.n_params == lme4.n_params and ours.n_obs == lme4.n_obs
    assert ours.aic == pytest.approx(lme4.aic, abs=1e-4) and ours.bic == pytest.approx(lme4.bic, abs=1e-4)
    va = ours.variance_components.set_index("group")["variance"]
    vb = lme4.variance_components.set_index("group")["variance"]
    np.testing.assert_allclose(va[vb.index], vb, rtol=1e-3, atol=1e-7)
    assert ours.n_groups == lme4.n_groups


def test_model5_reml_agrees_with_lmertest_to_1e4():
    require_r_or_skip(("lme4", "lmerTest"))
    frame = _model5_frame()
    ours = fit_blocked(frame, reml=True)
    lme4 = fit_lmer(frame, engine="lmerTest")
    _compare(ours, lme4, df=True)
    # conditional modes and fitted values as lme4 gives them
    for group, modes in lme4.ranef.items():
        np.testing.assert_allclose(ours.ranef[group].loc[modes.index, "(Intercept)"],
                                   modes["(Intercept)"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(ours.fitted, lme4.fitted, atol=1e-5)
    np.testing.assert_allclose(ours.residuals, lme4.residuals, atol=1e-5)


def test_ml_fits_agree_with_lme4_and_on_a_single_factor_too():
    require_r_or_skip(("lme4", "lmerTest"))
    frame = _model5_frame(seed=5)
    _compare(fit_ml(frame, engine="blocked"), fit_ml(frame), df=False)
    one = replace(frame, spec=replace(frame.spec, groups=("note_id",)))
    _compare(fit_blocked(one, reml=True), fit_lmer(one, engine="lmerTest"), df=True)


def test_a_zero_variance_is_found_and_flagged_singular():
    require_r_or_skip(("lme4", "lmerTest"))
    frame = _model5_frame(seed=8)
    data = frame.data.copy()
    # the creator intercepts removed from the response: their variance is estimated at (about) zero
    data["comment_sentiment"] = data["comment_sentiment"] - data.groupby("creator_id")["comment_sentiment"].transform(
        "mean") + data["comment_sentiment"].mean()
    flat = replace(frame, data=data)
    ours, lme4 = fit_blocked(flat, reml=True), fit_lmer(flat, engine="lmerTest")
    assert ours.singular and lme4.singular
    # on this boundary lme4's optimiser stops early (its criterion, evaluated by our deviance at its
    # θ, is several units worse here); the blocked engine must never end at a worse criterion
    assert ours.loglik >= lme4.loglik - 1e-6


def test_the_deviance_is_the_profiled_criterion():
    frame = _model5_frame()
    spec = frame.spec
    from helpers.engagement.lmer import fixed_effect_matrix

    design = build_design(frame.data, spec.response, fixed_effect_matrix(frame), spec.groups)
    assert design.groups[0] == "audience_id"  # the factor with most levels is the diagonal block
    fit = fit_crossed(design, reml=False, satterthwaite=False)
    # the optimum is a minimum, and at θ = 0 the deviance is that of ordinary least squares
    for step in (0.05, -0.05):
        assert deviance(design, np.maximum(fit.theta * (1 + step), 0), False) >= fit.deviance - 1e-9
    x, y = fixed_effect_matrix(frame).to_numpy(), frame.data[spec.response].to_numpy()
    rss = float(np.sum((y - x @ np.linalg.lstsq(x, y, rcond=None)[0]) ** 2))
    n = len(y)
    assert deviance(design, np.zeros(3), False) == pytest.approx(n * (1 + np.log(2 * np.pi * rss / n)), rel=1e-10)


def test_slopes_are_refused_and_auto_picks_the_engine_by_size_and_structure():
    frame = _model5_frame()
    with pytest.raises(CrossedModelError, match="intercepts only"):
        fit_blocked(replace(frame, spec=frame.spec.with_slopes(["creator_id"])))
    assert auto_engine(frame) == "lmerTest"  # small: lme4, as in the study
    big = replace(frame, data=pd.concat([frame.data] * (AUTO_BLOCKED_MIN_ROWS // len(frame.data) + 1)))
    assert auto_engine(big) == "blocked"
    assert auto_engine(replace(big, spec=big.spec.with_slopes(["creator_id"]))) == "lmerTest"
    with pytest.raises(ValueError, match="engine must be"):
        fit_ml(frame, engine="glmm")


def test_folding_the_nested_factor_leaves_the_deviance_unchanged():
    frame = _model5_frame(seed=9)
    from helpers.engagement.lmer import fixed_effect_matrix

    design = build_design(frame.data, frame.spec.response, fixed_effect_matrix(frame), frame.spec.groups)
    assert design.groups == ["audience_id", "note_id", "creator_id"] and design.parent_of is not None
    rng = np.random.default_rng(0)
    for theta in [np.array([0.4, 0.3, 0.5]), np.array([0.0, 0.7, 0.2]), np.array([1.1, 0.0, 0.0]),
                  *rng.uniform(0, 1.5, (3, 3))]:
        for reml in (False, True):
            assert deviance(design, theta, reml) == pytest.approx(deviance(design, theta, reml, nested=False),
                                                                  rel=1e-11, abs=1e-8)


def test_a_warm_start_from_an_lme4_fit_lands_on_the_same_estimates():
    require_r_or_skip(("lme4", "lmerTest"))
    from helpers.engagement.lmer import relative_sds

    frame = _model5_frame(seed=4)
    lme4_ml = fit_ml(frame)
    start = relative_sds(lme4_ml)
    assert set(start) == {"audience_id", "note_id", "creator_id"} and all(v >= 0 for v in start.values())
    cold, warm = fit_blocked(frame, reml=True), fit_blocked(frame, reml=True, start=start)
    np.testing.assert_allclose(warm.coefs["estimate"], cold.coefs["estimate"], rtol=1e-5, atol=1e-8)
    assert warm.loglik == pytest.approx(cold.loglik, abs=1e-6)

    def evals(fit):
        return int(next(n for n in fit.notes if "deviance evaluations" in n).split("(")[1].split()[0])

    assert evals(warm) <= evals(cold) + 4  # (on this small design it saves nothing; it must not cost)
