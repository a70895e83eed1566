"""Measurement-error corrections checked against known simulation truth.

The data here are drawn by this file's own small generator (true slope known, predictor
observed with error of known reliability), not by helpers.engagement.power, so the corrections
are not validated by the code they ship with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.measurement_error import (
    Calibration,
    MeasurementError,
    NaiveFit,
    coverage_table,
    naive_interval,
    ols_refit,
    read_calibration_pairs,
    regression_calibration,
    simex,
    simex_curve,
)
from tests.conftest import require_r_or_skip

BETA = -0.5
GAMMA = 0.3


def _draw(seed: int, n: int = 400, n_cal: int = 300, d: float = 1.0, error_sd: float = 0.8,
          n_groups: int = 0) -> dict:
    """y = β·x + γ·z + (group intercept) + e; w = d·x + u; an independent labelled sample."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    z = 0.4 * x + rng.standard_normal(n)  # a covariate correlated with the true predictor
    groups = rng.integers(0, n_groups, size=n) if n_groups else None
    u = rng.normal(0, 0.5, size=n_groups)[groups] if n_groups else 0.0
    y = BETA * x + GAMMA * z + u + rng.normal(0, 1.0, size=n)
    w = d * x + rng.normal(0, error_sd, size=n)
    x_cal = rng.standard_normal(n_cal)
    w_cal = d * x_cal + rng.normal(0, error_sd, size=n_cal)
    return {"x": x, "z": z, "y": y, "w": w, "groups": groups, "cal": Calibration.fit(x_cal, w_cal)}


def test_calibration_recovers_the_measurement_model():
    rng = np.random.default_rng(1)
    x = rng.normal(0.2, 0.6, size=20000)
    w = 0.1 + 0.7 * x + rng.normal(0, 0.3, size=len(x))
    cal = Calibration.fit(x, w)
    assert cal.cl_slope == pytest.approx(0.7, abs=0.01)
    assert cal.cl_intercept == pytest.approx(0.1, abs=0.01)
    assert cal.error_var == pytest.approx(0.09, rel=0.03)
    # E[X|W] slope = d Var X / Var W for bivariate normal data
    assert cal.rc_slope == pytest.approx(0.7 * 0.36 / (0.49 * 0.36 + 0.09), rel=0.02)
    assert cal.r2 == pytest.approx(0.49 * 0.36 / (0.49 * 0.36 + 0.09), abs=0.01)
    assert cal.latent_variance(float(np.var(w))) == pytest.approx(0.36, rel=0.03)
    boot = cal.bootstrap(np.random.default_rng(0), 50)
    assert boot["rc_slope"].shape == (50,) and np.all(np.isfinite(boot["rc_slope"]))


def test_calibration_refuses_too_few_or_constant_pairs():
    with pytest.raises(MeasurementError, match="at least 5"):
        Calibration.fit([0.1, 0.2, 0.3], [0.1, 0.2, 0.4])
    with pytest.raises(MeasurementError, match="constant"):
        Calibration.fit([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.3] * 6)


def test_missing_test_split_names_the_chapter_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="chapter 02"):
        read_calibration_pairs(tmp_path)
    folder = tmp_path / "sentiment" / "fine_tune"
    folder.mkdir(parents=True)
    pd.DataFrame({"text": ["a"], "score": [0.1]}).to_parquet(folder / "test_predictions.parquet")
    with pytest.raises(MeasurementError, match="prediction"):
        read_calibration_pairs(tmp_path)


def test_rc_equals_refitting_on_the_calibrated_predictor():
    """An affine map of one predictor divides its slope by b and leaves the others alone."""
    import statsmodels.api as sm

    d = _draw(3)
    cal = d["cal"]
    naive = sm.OLS(d["y"], sm.add_constant(np.column_stack([d["w"], d["z"]]))).fit()
    refit = sm.OLS(d["y"], sm.add_constant(np.column_stack([cal.calibrate(d["w"]), d["z"]]))).fit()
    fit = NaiveFit(float(naive.params[1]), float(naive.bse[1]), float(naive.df_resid),
                   float(np.var(d["w"], ddof=1)), float(np.var(d["y"], ddof=1)))
    rc = regression_calibration(fit, cal, n_boot=200)
    assert rc.estimate == pytest.approx(refit.params[1], rel=1e-9)
    assert naive.params[2] == pytest.approx(refit.params[2], rel=1e-9)


def _coverage(method: str, seeds: range, **kwargs) -> tuple[float, float]:
    """(coverage of the planted raw slope, mean estimate) for one method over seeds."""
    covered, estimates = [], []
    for seed in seeds:
        d = _draw(seed, **kwargs)
        naive, refit = ols_refit(d["y"], d["w"], d["z"][:, None], cluster=d["groups"])
        if method == "naive":
            est = naive_interval(naive)
        elif method == "rc":
            est = regression_calibration(naive, d["cal"], n_boot=400, seed=seed)
        else:
            curve = simex_curve(refit, naive, len(d["y"]), d["cal"].error_var, n_rep=8,
                                rng=np.random.default_rng(seed))
            est = simex(curve, naive, d["cal"], n_boot=400, seed=seed)
        covered.append(est.conf_low <= BETA <= est.conf_high)
        estimates.append(est.estimate)
    return float(np.mean(covered)), float(np.mean(estimates))


def test_naive_attenuates_and_regression_calibration_covers_over_50_seeds():
    naive_cov, naive_mean = _coverage("naive", range(50))
    rc_cov, rc_mean = _coverage("rc", range(50))
    # reliability of w for x here: 1 / (1 + 0.64) ≈ 0.61 (attenuation is milder with z in the model)
    assert naive_mean > 0.8 * BETA  # clearly pulled towards zero
    assert naive_cov < 0.5
    assert rc_mean == pytest.approx(BETA, abs=0.05)
    assert rc_cov >= 0.85


def test_regression_calibration_covers_with_clustered_data_and_shrunk_predictions():
    """Mixed-model-like data (group intercepts, clustered SEs) and predictions shrunk (d = 0.6)."""
    cov, mean = _coverage("rc", range(40), d=0.6, error_sd=0.5, n_groups=80)
    assert mean == pytest.approx(BETA, abs=0.06)
    assert cov >= 0.85


def test_simex_recovers_the_slope_over_seeds():
    naive_cov, naive_mean = _coverage("naive", range(30))
    cov, mean = _coverage("simex", range(30))
    assert abs(mean - BETA) < abs(naive_mean - BETA) / 3
    assert cov >= 0.8


def test_outcome_calibration_corrects_a_shrunk_predicted_outcome():
    """Model 5: the outcome is predicted too; a shrinking scale (d < 1) biases the slope by d."""
    slopes, covered = [], []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        x = rng.standard_normal(1500)
        y_true = 0.3 * x + rng.standard_normal(1500)
        y_obs = 0.6 * y_true + rng.normal(0, 0.4, 1500)
        w = 0.6 * x + rng.normal(0, 0.4, 1500)
        x_cal = rng.standard_normal(400)
        cal = Calibration.fit(x_cal, 0.6 * x_cal + rng.normal(0, 0.4, 400))
        naive, _ = ols_refit(y_obs, w)
        rc = regression_calibration(naive, cal, outcome_calibration=cal, n_boot=400, seed=seed)
        slopes.append(rc.estimate)
        covered.append(rc.conf_low <= 0.3 <= rc.conf_high)
    assert np.mean(slopes) == pytest.approx(0.3, abs=0.03)
    assert np.mean(covered) >= 0.85


def test_coverage_table_counts_seeds_and_coverage():
    runs = pd.DataFrame({
        "seed": [0, 1, 0, 1], "model": "Model 1", "outcome": "likes",
        "method": ["naive", "naive", "rc", "rc"], "planted": -0.3,
        "std_estimate": [-0.2, -0.25, -0.3, -0.31], "std_conf_low": [-0.25, -0.28, -0.4, -0.35],
        "std_conf_high": [-0.15, -0.2, -0.2, -0.25],
    })
    table = coverage_table(runs).set_index("method")
    assert table.loc["naive", "coverage"] == 0.0
    assert table.loc["rc", "coverage"] == 1.0
    assert table.loc["rc", "seeds"] == 2
    assert table.loc["naive", "mean_bias"] == pytest.approx(0.075)


@pytest.mark.r
def test_lmer_refit_without_noise_reproduces_lme4():
    require_r_or_skip(("lme4", "lmerTest"))  # fails instead under XHS_REQUIRE_R=1
    from helpers.engagement.data import ModelFrame, ModelSpec
    from helpers.engagement.lmer import fit_lmer
    from helpers.engagement.measurement_error import lmer_refit

    d = _draw(5, n=300, n_groups=40)
    spec = ModelSpec("Model 1", "likes", covariates=("post_length",))
    # the covariate column is named as the spec's formula names it (post length is unlogged by default)
    data = pd.DataFrame({spec.response: d["y"], spec.predictor: d["w"], spec.covariate_term("post_length"): d["z"],
                         "creator_id": [f"c{g}" for g in d["groups"]]})
    frame = ModelFrame(spec, data)
    fit = fit_lmer(frame, engine="lmerTest", full=False)
    est, se = lmer_refit(frame)(np.zeros((len(data), 2)))
    assert est == pytest.approx([fit.coef("post_sentiment")["estimate"]] * 2, rel=1e-6)
    assert se == pytest.approx([fit.coef("post_sentiment")["std_error"]] * 2, rel=1e-4)
    est_noisy, _ = lmer_refit(frame)(np.random.default_rng(0).normal(0, 1.0, (len(data), 3)))
    assert np.all(np.abs(est_noisy) < abs(fit.coef("post_sentiment")["estimate"]))  # more error, more attenuation


@pytest.mark.parametrize("clustered", [True, False])
def test_vectorised_ols_refits_equal_statsmodels_fit_by_fit(clustered):
    import statsmodels.api as sm

    d = _draw(8, n=300, n_groups=40)
    cluster = d["groups"] if clustered else None
    naive, refit = ols_refit(d["y"], d["w"], d["z"], cluster=cluster)
    noise = np.random.default_rng(9).normal(0, 0.5, (len(d["y"]), 7))
    est, se = refit(noise)
    kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": cluster}} if clustered else {}
    fits = [sm.OLS(d["y"], sm.add_constant(np.column_stack([d["w"] + noise[:, k], d["z"]]), has_constant="add"))
            .fit(**kwargs) for k in range(noise.shape[1])]
    assert est == pytest.approx([f.params[1] for f in fits], rel=1e-10)
    assert se == pytest.approx([f.bse[1] for f in fits], rel=1e-10)
    assert refit(np.zeros((len(d["y"]), 1)))[0][0] == pytest.approx(naive.estimate, rel=1e-10)
