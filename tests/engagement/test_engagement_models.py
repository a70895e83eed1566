"""lme4 fits through pymer4/lmerTest, slope selection, diagnostics, NB checks, MixedLM agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.data import build_frame, study_model_specs
from helpers.engagement.lmer import REngineUnavailable, require_r
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import PLANTED, simulate

require_r_or_skip(("lme4", "lmerTest", "glmmTMB"))

from helpers.engagement.diagnostics import qq_points, variance_summary, vif_table  # noqa: E402
from helpers.engagement.lmer import (  # noqa: E402
    coefficient_table,
    fit_lmer,
    fit_models,
    standardised_from_raw,
)
from helpers.engagement.mixedlm_crosscheck import compare_with_lme4, crosscheck  # noqa: E402
from helpers.engagement.negbin import agreement_table, negbin_checks  # noqa: E402
from helpers.engagement.paper_comparison import (  # noqa: E402
    CONSISTENT,
    DIFFERS,
    NOT_RECOVERED,
    RECOVERED,
    comparison_table,
    verdict,
)
from helpers.engagement.random_slopes import select_random_slopes  # noqa: E402

pytestmark = pytest.mark.r


@pytest.fixture(scope="module")
def data():
    posts, comments = simulate(n_posts=400, n_creators=150, comments_per_post=6, n_audience=900, seed=3)
    return (posts.rename(columns={"sentiment": "post_sentiment"}),
            comments.rename(columns={"sentiment": "comment_sentiment"}))


@pytest.fixture(scope="module")
def results(data):
    posts, comments = data
    return fit_models(study_model_specs(), posts, comments)


def test_missing_r_package_names_the_fix():
    with pytest.raises(REngineUnavailable, match="make setup"):
        require_r(("surely_not_an_r_package_xyz",))


def test_lean_route_equals_pymer4(data):
    frame = build_frame(study_model_specs()[0], data[0])
    full = fit_lmer(frame, engine="pymer4")
    lean = fit_lmer(frame, engine="lmerTest")
    cols = ["estimate", "std_error", "df", "t_stat", "p_value", "conf_low", "conf_high"]
    assert list(full.coefs["term"]) == list(lean.coefs["term"])
    assert np.allclose(full.coefs[cols].to_numpy(), lean.coefs[cols].to_numpy(), rtol=1e-8, atol=1e-10)
    assert full.reml and lean.reml and lean.aic == pytest.approx(full.aic)


def test_five_models_recover_the_fixture_effects(results):
    assert [r.error for r in results] == [None] * 5
    raw = coefficient_table(results, "raw").set_index(["outcome", "term"])
    for outcome in ("likes", "comments", "comment_sentiment"):
        row = raw.loc[(outcome, "post_sentiment")]
        planted = PLANTED[outcome]["post_sentiment"]
        # within 3 SE (a 99.7 % band: this fixture is a unit test, the 95 % check is the recovery test)
        assert abs(row["estimate"] - planted) < 3 * row["std_error"], (outcome, row)
    for outcome in ("likes", "comment_sentiment"):  # the strongest planted effects are detected
        assert raw.loc[(outcome, "post_sentiment"), "p_value"] < 0.001
    for outcome in ("favorites", "shares"):  # planted null effects
        assert raw.loc[(outcome, "post_sentiment"), "p_value"] > 0.001
    m5 = results[4].fit
    assert set(m5.n_groups) == {"creator_id", "note_id", "audience_id"} and m5.engine == "lmerTest"


def test_standardised_from_raw_equals_a_fit_on_zscored_data(data, results):
    spec = study_model_specs()[0]
    z = build_frame(spec, data[0], standardise=True)
    zfit = fit_lmer(z, engine="lmerTest")
    derived = standardised_from_raw(results[0].fit, results[0].frame.scales).set_index("term")
    direct = zfit.coefs.set_index("term").loc[derived.index]
    assert np.allclose(derived["estimate"], direct["estimate"], atol=1e-5)
    assert np.allclose(derived["std_error"], direct["std_error"], rtol=1e-3)
    assert np.allclose(derived["p_value"], direct["p_value"], rtol=1e-3, atol=1e-12)


def test_singular_fit_is_reported_not_hidden():
    rng = np.random.default_rng(5)
    posts, _ = simulate(n_posts=200, n_creators=60, creator_sd=0.0, seed=9)
    posts = posts.rename(columns={"sentiment": "post_sentiment"})
    posts["liked_count"] = rng.poisson(20, len(posts))  # no creator variance at all
    fit = fit_lmer(build_frame(study_model_specs()[0], posts), engine="lmerTest")
    assert fit.singular
    assert any("singular" in m for m in fit.messages)
    assert "singular" in fit.status()


def test_slope_selection_keeps_a_real_slope_and_skips_the_unidentifiable(data):
    posts, comments = simulate(n_posts=900, n_creators=60, slope_sd=1.2, creator_sd=0.3, seed=11)
    posts = posts.rename(columns={"sentiment": "post_sentiment"})
    selection = select_random_slopes(build_frame(study_model_specs()[0], posts))
    assert selection.spec.slopes == ("creator_id",)
    accepted = selection.table.loc[selection.table["accepted"] & (selection.table["step"] == 1)]
    assert len(accepted) == 1 and accepted["dAIC"].iloc[0] < 0 and accepted["LRT_p"].iloc[0] < 0.05
    # no slope in the fixture without one: the slope does not improve BIC
    flat = select_random_slopes(build_frame(study_model_specs()[0], data[0]))
    assert flat.spec.slopes == ()
    m5 = select_random_slopes(build_frame(study_model_specs()[4], data[0], data[1]), candidates=["note_id"])
    assert m5.spec.slopes == () and any("not identifiable" in n for n in m5.notes)


def test_mixedlm_agrees_with_lme4(results):
    table = crosscheck(results, tol=1e-3)
    assert set(table["model"]) == {"Model 1", "Model 2", "Model 3", "Model 4"}
    assert table["agrees"].all(), table
    # and the check can fail: a perturbed lme4 table does not agree
    res = results[0]
    res_fit = res.fit
    original = res_fit.coefs.copy()
    try:
        res_fit.coefs.loc[res_fit.coefs["term"] == "post_sentiment", "estimate"] += 0.01
        assert not compare_with_lme4(res_fit, res.frame)["agrees"].all()
    finally:
        res_fit.coefs = original


def test_nakagawa_r2_and_icc_match_r_performance(results):
    ro = require_r()

    for res in (results[0], results[4]):
        ours = variance_summary(res.fit, res.frame)
        r = list(ro.r("function(m) c(unlist(performance::r2_nakagawa(m)), performance::icc(m)$ICC_adjusted)")(
            res.fit.r_model))
        assert ours["R2_conditional"] == pytest.approx(r[0], rel=1e-6)
        assert ours["R2_marginal"] == pytest.approx(r[1], rel=1e-6)
        assert ours["ICC_adjusted"] == pytest.approx(r[2], rel=1e-6)


def test_vif_and_qq_helpers(results):
    vif = vif_table(results[0].frame)
    assert (vif["vif"] >= 1 - 1e-9).all() and (vif["vif"] < 2).all()
    qq = qq_points(np.random.default_rng(0).normal(size=500))
    assert np.corrcoef(qq["theoretical"], qq["sample"])[0, 1] > 0.99


def test_negative_binomial_checks_agree_on_the_fixture(results):
    table, fits = negbin_checks(results)
    assert list(table["outcome"]) == ["likes", "favorites", "shares", "comments"]
    assert not table.filter(like="_note").any().any() if any(c.endswith("_note") for c in table) else True
    likes = table.set_index("outcome").loc["likes"]
    assert likes["mixed_nb_estimate"] < 0 and likes["nb2_estimate"] < 0 and likes["agrees"]
    assert (table["nb2_alpha"] > 0).all() and (table["mixed_nb_theta"] > 0).all()
    assert {f.method.split(" (")[0] for f in fits} == {"mixed NB2", "NB2 fixed effects"}


def test_agreement_table_logic():
    from helpers.engagement.negbin import NBFit

    def nb(est, p):
        return NBFit("M", "y", "x", pd.DataFrame({"term": ["post_sentiment"], "estimate": [est],
                                                  "std_error": [0.1], "z": [0.0], "p_value": [p]}), 1.0)

    lin = {"a": pd.Series({"estimate": -0.3, "p_value": 0.001}), "b": pd.Series({"estimate": 0.02, "p_value": 0.7}),
           "c": pd.Series({"estimate": -0.3, "p_value": 0.001})}
    table = agreement_table(lin, {"a": nb(-0.4, 0.01), "b": nb(-0.01, 0.9), "c": nb(0.3, 0.01)},
                            {"a": nb(-0.2, 0.02), "b": "failed: x", "c": nb(0.2, 0.01)}).set_index("outcome")
    assert table.loc["a", "agrees"]
    assert not table.loc["b", "agrees"] and table.loc["b", "nb2_note"] == "failed: x"
    assert not table.loc["c", "sign_agrees"] and not table.loc["c", "agrees"]


def test_paper_comparison_covers_20_rows_on_the_declared_scale(data, results):
    real = comparison_table(results, synthetic=False)
    assert len(real) == 20 and real["ours_beta"].notna().all()
    likes = real.loc[(real["outcome"] == "likes") & (real["term"] == "post_sentiment")].iloc[0]
    assert (likes["paper_beta"], likes["paper_se"], likes["paper_t"], likes["paper_p"]) == (-0.36, 0.13, -2.78, 0.006)
    assert likes["ci_covers_paper"] == (likes["ci_low"] <= -0.36 <= likes["ci_high"])
    assert likes["verdict"] == (CONSISTENT if likes["ci_covers_paper"] else DIFFERS)
    synthetic = comparison_table(results, synthetic=True)
    assert set(synthetic["verdict"]) <= {RECOVERED, NOT_RECOVERED}  # never "consistent with the study"
    assert (real["fitted_scale"] == real["declared_scale"]).all()
    assert verdict(None, synthetic=True) == verdict(True, synthetic=False, same_scale=False) == "cannot tell"
    logged = fit_models(study_model_specs(transforms="post_length:ln1p"), *data)
    other = comparison_table(logged, synthetic=False).set_index(["outcome", "term"])
    assert other.loc[("likes", "post_length"), "verdict"] == "cannot tell"  # another scale than the paper's
    assert other.loc[("likes", "post_sentiment"), "verdict"] in (CONSISTENT, DIFFERS)

