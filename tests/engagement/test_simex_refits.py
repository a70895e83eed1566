"""The cheap SIMEX refit (GLS at the naive variance components) and chapter 06's reuse of chapter 03.

The GLS refit is checked three ways: against a dense GLS computed here from first principles
(no R), against lme4 at zero noise (it must reproduce the naive fit), and against full lme4
refits on the same noise (it must stay far inside the spread the noise itself causes).  The
reuse is checked by writing chapter 03's tables as the chapter does, reading them back as
chapter 06 does, and comparing with the table recomputed from the same fits.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.corrections import (
    CHAPTER03_FILES,
    correct_models,
    curves_from_table,
    latent_rows,
    read_chapter03_corrections,
    simex_refits_table,
)
from helpers.engagement.data import ModelFrame, ModelSpec
from helpers.engagement.measurement_error import (
    Calibration,
    MeasurementError,
    NaiveFit,
    gls_refit,
    model_refit,
    simex,
    simex_curve,
)
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import simulate


def _crossed_frame(seed: int = 0, n: int = 600) -> tuple[ModelFrame, pd.DataFrame]:
    """A Model-5-like frame (two crossed intercepts) and stated variance components."""
    rng = np.random.default_rng(seed)
    spec = ModelSpec("Model 5", "comment_sentiment", covariates=("post_length",), groups=("note_id", "audience_id"))
    note = rng.integers(0, 60, n)
    audience = rng.integers(0, 200, n)
    w = rng.standard_normal(60)[note]
    z = rng.standard_normal(n)
    y = 0.3 * w + 0.2 * z + rng.normal(0, 0.4, 60)[note] + rng.normal(0, 0.3, 200)[audience] + rng.normal(0, 1, n)
    data = pd.DataFrame({spec.response: y, spec.predictor: w, spec.covariate_term("post_length"): z,
                         "note_id": [f"n{k}" for k in note], "audience_id": [f"a{k}" for k in audience]})
    vc = pd.DataFrame({"group": ["note_id", "audience_id", "Residual"], "term": ["(Intercept)", "(Intercept)", None],
                       "term2": [None, None, None], "variance": [0.16, 0.09, 1.0], "sd_or_cor": [0.4, 0.3, 1.0]})
    return ModelFrame(spec, data), vc


def _dense_gls(frame: ModelFrame, vc: pd.DataFrame, noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """β̂ and its SE for each noise column, by the textbook formula with V built densely."""
    data, spec = frame.data, frame.spec
    sigma2 = float(vc.loc[vc["group"] == "Residual", "variance"].iloc[0])
    v = np.eye(len(data))
    for group in spec.groups:
        codes = pd.factorize(data[group])[0]
        tau2 = float(vc.loc[vc["group"] == group, "variance"].iloc[0])
        v += (tau2 / sigma2) * (codes[:, None] == codes[None, :])
    v_inv = np.linalg.inv(v)
    y = data[spec.response].to_numpy()
    est, se = [], []
    for k in range(noise.shape[1]):
        x = np.column_stack([np.ones(len(data)), data[list(spec.fixed_terms)].to_numpy()])
        x[:, 1] += noise[:, k]
        gram = x.T @ v_inv @ x
        beta = np.linalg.solve(gram, x.T @ v_inv @ y)
        r = y - x @ beta
        s2 = r @ v_inv @ r / (len(y) - x.shape[1])
        est.append(beta[1])
        se.append(np.sqrt(s2 * np.linalg.inv(gram)[1, 1]))
    return np.array(est), np.array(se)


def test_gls_refit_equals_the_dense_gls_formula_for_every_noise_column():
    frame, vc = _crossed_frame()
    noise = np.random.default_rng(1).normal(0, 0.7, (len(frame.data), 6))
    noise[:, 0] = 0.0
    est, se = gls_refit(frame, vc)(noise)
    ref_est, ref_se = _dense_gls(frame, vc, noise)
    assert est == pytest.approx(ref_est, rel=1e-9, abs=1e-12)
    assert se == pytest.approx(ref_se, rel=1e-9)
    # more added error, more attenuation of the slope (planted 0.3)
    assert np.all(np.abs(est[1:]) < abs(est[0]))


def test_gls_refit_refuses_random_slopes_and_model_refit_falls_back_to_lme4():
    frame, vc = _crossed_frame()
    sloped = ModelFrame(frame.spec.with_slopes(["audience_id"]), frame.data)
    with pytest.raises(MeasurementError, match="random slopes"):
        gls_refit(sloped, vc)
    _, route = model_refit(sloped, vc, "gls")
    assert route.startswith("lme4")
    _, route = model_refit(frame, vc, "gls")
    assert route == "gls"
    with pytest.raises(MeasurementError, match="must be one of"):
        model_refit(frame, vc, "fast")


def test_simex_curve_survives_the_round_trip_through_the_refits_table():
    frame, vc = _crossed_frame()
    naive = NaiveFit(0.3, 0.05, 500.0, 1.0, 1.5)
    cal = Calibration.fit(*(lambda r: (x := r.standard_normal(200), 0.8 * x + r.normal(0, 0.6, 200)))(
        np.random.default_rng(2)))
    curve = simex_curve(gls_refit(frame, vc), naive, len(frame.data), cal.error_var, n_rep=5,
                        rng=np.random.default_rng(3))
    back, naive_back = curves_from_table(simex_refits_table({"Model 5": (curve, naive)}))["Model 5"]
    assert naive_back == naive
    assert back.added_variance == pytest.approx(curve.added_variance)
    assert back.mean_estimate == pytest.approx(curve.mean_estimate)
    assert back.max_mc_se() == pytest.approx(curve.max_mc_se())
    a = simex(curve, naive, cal, n_boot=200, seed=4)
    b = simex(back, naive_back, cal, n_boot=200, seed=4)
    assert (a.estimate, a.conf_low, a.conf_high) == pytest.approx((b.estimate, b.conf_low, b.conf_high))


def _model_inputs(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    posts, comments = simulate(n_posts=300, n_creators=100, comments_per_post=5, n_audience=700, seed=seed)
    return (posts.rename(columns={"sentiment": "post_sentiment"}),
            comments.rename(columns={"sentiment": "comment_sentiment"}))


@pytest.mark.r
def test_gls_refit_reproduces_lme4_at_zero_noise_and_tracks_full_refits_with_noise():
    require_r_or_skip(("lme4", "lmerTest"))
    from helpers.engagement.data import study_model_specs
    from helpers.engagement.lmer import fit_models
    from helpers.engagement.measurement_error import compare_refits, lmer_refit

    posts, comments = _model_inputs()
    for res in fit_models(study_model_specs(outcomes=("likes",)), posts, comments):
        frame = res.frame
        zero = np.zeros((len(frame.data), 1))
        est, se = gls_refit(frame, res.fit.variance_components)(zero)
        c = res.fit.coef("post_sentiment")
        assert est[0] == pytest.approx(c["estimate"], rel=1e-6)
        assert se[0] == pytest.approx(c["std_error"], rel=1e-4)
        check = compare_refits(frame, res.fit.variance_components, 0.3, n_draws=4, rng=np.random.default_rng(5))
        # the GLS slope differs from the full REML refit far less than one refit differs from the next,
        # and on average by a small fraction of the slope (the difference is systematic, not noise)
        assert check["max_abs_diff"] < 0.1 * check["sd_between_draws"]
        assert abs(check["mean_diff"]) < 0.02 * abs(check["mean_full"])
        full, _ = lmer_refit(frame)(zero)
        assert full[0] == pytest.approx(est[0], rel=1e-6)


@pytest.mark.r
def test_chapter06_reads_back_exactly_what_chapter03_computed(tmp_path):
    require_r_or_skip(("lme4", "lmerTest"))
    from helpers.engagement.data import study_model_specs
    from helpers.engagement.lmer import fit_models

    posts, comments = _model_inputs()
    results = fit_models(study_model_specs(outcomes=("likes", "shares")), posts, comments)
    rng = np.random.default_rng(7)
    x = rng.standard_normal(150)
    cal = Calibration.fit(x, 0.8 * x + rng.normal(0, 0.5, 150))
    planted = {"likes": -0.36, "shares": 0.0, "comment_sentiment": 0.2}
    curves = {}
    table = correct_models(results, cal, planted=planted, n_boot=300, seed=11, curves=curves)
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "results").mkdir()
    table.to_csv(models / CHAPTER03_FILES["table"], index=False)
    simex_refits_table(curves).to_csv(models / CHAPTER03_FILES["refits"], index=False)
    latent_rows(results, planted).to_csv(models / CHAPTER03_FILES["latent"], index=False)
    info = {"sentiment_source": "estimated", "n_posts": len(posts), "n_comments": len(comments),
            "measurement_error_calibration": {"n_pairs": cal.n, "rc_slope_b": cal.rc_slope,
                                              "classical_slope_d": cal.cl_slope, "error_variance": cal.error_var}}
    (tmp_path / "results" / "03_engagement_models.json").write_text(json.dumps(info))

    read, refits, latent, why = read_chapter03_corrections(tmp_path, cal, n_posts=len(posts),
                                                           n_comments=len(comments))
    assert why.startswith("chapter 03's results")
    again = correct_models(results, cal, planted=planted, n_boot=300, seed=11)
    numeric = ["estimate", "conf_low", "conf_high", "std_estimate", "std_conf_low", "std_conf_high", "planted"]
    assert read[numeric].to_numpy() == pytest.approx(again[numeric].to_numpy(), rel=1e-12)
    assert list(read["method"]) == list(again["method"])
    assert set(curves_from_table(refits)) == {r.spec.name for r in results if r.fit is not None}
    assert set(latent["method"]) == {"latent (planted sentiment)"}

    # a chapter 03 from other labelled pairs or other data is not reused, and says why
    other = Calibration.fit(x, 0.7 * x + rng.normal(0, 0.5, 150))
    assert read_chapter03_corrections(tmp_path, other, n_posts=len(posts), n_comments=len(comments))[0] is None
    none, _, _, why = read_chapter03_corrections(tmp_path, cal, n_posts=len(posts) - 1, n_comments=len(comments))
    assert none is None and "other data" in why
    info["sentiment_source"] = "latent"
    (tmp_path / "results" / "03_engagement_models.json").write_text(json.dumps(info))
    none, _, _, why = read_chapter03_corrections(tmp_path, cal, n_posts=len(posts), n_comments=len(comments))
    assert none is None and "latent" in why


def test_chapter03_results_are_not_reused_from_an_empty_folder(tmp_path):
    cal = Calibration.fit(np.arange(10.0), np.arange(10.0) + np.tile([0.1, -0.1], 5))
    table, _, _, why = read_chapter03_corrections(tmp_path, cal, n_posts=1, n_comments=1)
    assert table is None and "not been run" in why
