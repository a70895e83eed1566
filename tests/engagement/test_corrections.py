"""Chapter 03's naive and corrected sentiment slopes, checked against known simulation truth.

The data are drawn here (true slope known, the predictor observed with classical error of a
known size, random intercepts per creator), not by helpers.engagement.power or the corpus
generator, so the corrections are not validated by the code they ship with.  Recovery is a
coverage rate over many seeds, for the mixed model chapter 03 fits with lme4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.book.sweep import flatten
from helpers.engagement.corrections import (
    correction_coverage_from_sweep,
    correction_results,
    correction_status,
    planted_slopes,
    simulated_predictions,
)
from helpers.engagement.measurement_error import Calibration, MeasurementError
from tests.conftest import require_r_or_skip

BETA = -0.5


def test_simulated_predictions_have_the_stated_error_and_a_labelled_sample_like_the_posts():
    rng = np.random.default_rng(0)
    posts = pd.DataFrame({"note_id": np.arange(20000), "post_sentiment": rng.uniform(-1, 1, 20000)})
    comments = pd.DataFrame({"note_id": rng.integers(0, 20000, 30000),
                             "comment_sentiment": rng.normal(0, 0.3, 30000)})
    p, c, pairs = simulated_predictions(posts, comments, r2=0.4, slope=0.8, n_pairs=5000,
                                        rng=np.random.default_rng(1))
    assert np.corrcoef(p["true_post_sentiment"], p["post_sentiment"])[0, 1] ** 2 == pytest.approx(0.4, abs=0.02)
    cal_post = Calibration.fit(p["true_post_sentiment"], p["post_sentiment"])
    assert cal_post.cl_slope == pytest.approx(0.8, abs=0.02)
    # the comments share the error model (same d, same error variance), not the R²
    cal_comment = Calibration.fit(c["true_comment_sentiment"], c["comment_sentiment"])
    assert cal_comment.cl_slope == pytest.approx(0.8, abs=0.05)
    assert cal_comment.error_var == pytest.approx(cal_post.error_var, rel=0.05)
    # the labelled sample is drawn like the posts, so its E[X | W] slope is the posts'
    cal = Calibration.fit(pairs["score"], pairs["prediction"])
    assert cal.rc_slope == pytest.approx(cal_post.rc_slope, abs=0.04)
    assert (posts["post_sentiment"] == p["true_post_sentiment"]).all()  # the input is not modified
    with pytest.raises(MeasurementError, match="R²"):
        simulated_predictions(posts, None, r2=1.0, slope=0.8, n_pairs=10, rng=rng)


def test_the_correction_is_refused_where_there_is_no_prediction_error():
    assert "no prediction error" in correction_status("latent")
    assert correction_status("estimated") is None and correction_status("simulated") is None
    with pytest.raises(MeasurementError):
        correction_status("guessed")


def test_planted_slopes_read_only_raw_scale_sentiment_slopes():
    truth = {"engagement": {"likes": {"coefficients": {"post_sentiment": -0.36}, "scale": "raw",
                                      "term_scales": {"post_sentiment": "raw"}},
                            "shares": {"coefficients": {"post_sentiment": 0.1}, "standardised": True}}}
    assert planted_slopes(truth) == {"likes": -0.36}
    assert planted_slopes(None) is None


def _sweep_table(covered_by_seed: dict[int, dict[str, bool]]) -> pd.DataFrame:
    """The rows a sweep writes (helpers.book.sweep's own flatten) for chapter 03's JSON."""
    rows = []
    for seed, flags in covered_by_seed.items():
        me = {"likes": {m: {"estimate": -0.4, "conf_low": -0.6, "conf_high": -0.2 if ok else -0.45,
                            "planted": -0.36, "covered": ok} for m, ok in flags.items()}}
        for metric, value in flatten({"measurement_error": me, "n_posts": 100}):
            number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
            rows.append({"run": f"r{seed}", "seed": seed, "scale": 0.2, "step": "03_engagement_models",
                         "metric": metric, "value": number, "value_text": None if number is not None else str(value)})
    return pd.DataFrame(rows)


def test_coverage_from_a_sweep_table_counts_runs_with_clopper_pearson_intervals():
    flags = {s: {"naive": s < 5, "rc": s != 3, "simex": True} for s in range(20)}
    table, summary = correction_coverage_from_sweep(_sweep_table(flags))
    t = table.set_index("method")
    assert t.loc["naive", "runs"] == 20 and t.loc["naive", "covered"] == 5
    assert t.loc["rc", "rate"] == pytest.approx(19 / 20)
    assert t.loc["simex", "high"] == 1.0 and 0.83 < t.loc["simex", "low"] < 0.85  # CP for 20 of 20
    assert list(t.index) == ["naive", "rc", "simex"]
    assert summary["runs"] == 20 and summary["seeds"] == list(range(20)) and summary["scales"] == [0.2]
    assert summary["methods"]["rc"]["covered"] == 19
    empty, none = correction_coverage_from_sweep(_sweep_table({}).reindex(columns=["run", "step", "metric"]))
    assert empty.empty and none["runs"] == 0


def _mixed_draw(seed: int, n: int = 300, n_groups: int = 40, n_cal: int = 300):
    """y = β·x + 0.3·z + creator intercept + e; w = x + u (reliability 0.6); a labelled sample."""
    rng = np.random.default_rng(1000 + seed)
    groups = rng.integers(0, n_groups, size=n)
    x = rng.standard_normal(n)
    z = 0.4 * x + rng.standard_normal(n)
    y = BETA * x + 0.3 * z + rng.normal(0, 0.6, n_groups)[groups] + rng.normal(0, 1.0, n)
    error_sd = np.sqrt(1 / 0.6 - 1)
    w = x + rng.normal(0, error_sd, n)
    x_cal = rng.standard_normal(n_cal)
    cal = Calibration.fit(x_cal, x_cal + rng.normal(0, error_sd, n_cal))
    return y, w, z, groups, cal


@pytest.mark.r
def test_rc_and_simex_recover_a_planted_slope_in_lme4_mixed_models_over_seeds():
    require_r_or_skip(("lme4", "lmerTest"))  # fails instead under XHS_REQUIRE_R=1
    from helpers.engagement.corrections import correct_models
    from helpers.engagement.data import ModelFrame, ModelSpec
    from helpers.engagement.lmer import ModelResult, fit_lmer

    spec = ModelSpec("Model 1", "likes", covariates=("fans",))
    tables = []
    for seed in range(30):
        y, w, z, groups, cal = _mixed_draw(seed)
        data = pd.DataFrame({spec.response: y, spec.predictor: w, spec.covariate_term("fans"): z,
                             "creator_id": [f"c{g}" for g in groups], "note_id": [f"n{i}" for i in range(len(y))]})
        scales = {c: (float(data[c].mean()), float(data[c].std())) for c in (spec.response, spec.predictor)}
        frame = ModelFrame(spec, data, scales=scales)
        result = ModelResult(spec, fit_lmer(frame, engine="lmerTest", full=False), None, frame=frame)
        tables.append(correct_models([result], cal, planted={"likes": BETA}, n_rep=5, n_boot=400, seed=seed)
                      .assign(seed=seed))
    runs = pd.concat(tables, ignore_index=True)
    by = runs.groupby("method")
    coverage, mean = by["covered"].mean(), by["estimate"].mean()
    assert mean["naive"] > 0.8 * BETA and coverage["naive"] < 0.5  # attenuated, intervals miss
    assert mean["regression calibration"] == pytest.approx(BETA, abs=0.06)
    assert coverage["regression calibration"] >= 0.85
    assert abs(mean["SIMEX"] - BETA) < abs(mean["naive"] - BETA) / 2
    assert coverage["SIMEX"] >= 0.8
    results = correction_results(tables[0])
    assert set(results["likes"]) == {"naive", "rc", "simex"}
    assert results["likes"]["rc"]["planted"] == BETA and isinstance(results["likes"]["rc"]["covered"], bool)


def test_correction_figure_draws_one_trace_per_method_and_the_planted_slope():
    import pandas as pd

    from helpers.engagement.corrections import correction_figure

    table = pd.DataFrame({"model": ["Model 1"] * 3 + ["Model 2"] * 3, "outcome": ["likes"] * 3 + ["shares"] * 3,
                          "method": ["naive", "regression calibration", "SIMEX"] * 2,
                          "estimate": [-0.2, -0.4, None, 0.1, 0.2, 0.15], "conf_low": [-0.3, -0.6, None, 0, 0, 0],
                          "conf_high": [-0.1, -0.2, None, 0.2, 0.4, 0.3], "planted": [-0.36] * 3 + [0.1] * 3})
    fig = correction_figure(table, title="t")
    names = [t.name for t in fig.data]
    assert names == ["naive", "regression calibration", "SIMEX", "planted"]
    assert list(fig.data[2].x) == [0.15]  # the row without an estimate is left out
    assert list(fig.data[1].error_x.array) == pytest.approx([0.2, 0.2])
    assert list(fig.data[3].x) == [-0.36, 0.1]
