"""Simulation-based power: the simulator, the error rates it implies, the grid on Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.power import (
    Design,
    PlantedEffects,
    PowerError,
    PowerTask,
    design_grid,
    fit_simulated,
    load_power_sweep,
    observed_sds,
    power_cell,
    power_figure,
    power_grid,
    required_posts,
    simulate,
    standardise,
)
from tests.conftest import require_r_or_skip

TRUTH = {
    "seed": 1, "scale": 1.0,
    "engagement": {
        "likes": {"coefficients": {"post_sentiment": -0.36, "post_length": 0.35, "days_since_post": 0.22,
                                   "fans": 0.35}, "random_effects": {"creator_intercept_variance_std": 0.17}},
        "shares": {"coefficients": {"post_sentiment": 0.0, "post_length": 0.3, "days_since_post": 0.15,
                                    "fans": 0.25}},
        "comment_sentiment": {"planted_slope_normal_scores": 0.12,
                              "random_intercept_variances_normal_scores": {"var_creator": 0.05, "var_post": 0.1,
                                                                           "var_audience": 0.15}},
    },
    "creators": {"mean_posts_per_kept_creator": 2.5},
    "expected_clean": {"posts": 535, "comments": 17301}, "audience": {"n_audience_kept": 7000},
}


@pytest.fixture(scope="module")
def effects() -> PlantedEffects:
    return PlantedEffects.from_truth(TRUTH)


def test_effects_from_truth_read_what_is_planted_and_say_what_is_assumed(effects):
    assert effects.coefficients["likes"]["post_sentiment"] == -0.36
    assert effects.creator_share["likes"] == 0.17
    assert any("shares" in n and "assumed" in n for n in effects.notes)  # no creator variance given
    assert effects.comment_slope == 0.12
    assert effects.posts_per_creator == 2.5
    assert effects.audience_per_comment == pytest.approx(7000 / 17301)
    planted = effects.planted_table()
    assert set(planted["model"]) == {"Model 1", "Model 3", "Model 5"}  # numbered as in the study


def test_effects_from_the_study_are_standardised_from_the_raw_scale_the_book_declares():
    from helpers.study import du_gu

    assert du_gu.COEFFICIENT_SCALE == "raw"
    # SDs of the user's own data: beta_std = beta_raw * SD(x) / SD(y)
    sds = {o: {"outcome": 2.0, "post_sentiment": 0.5, "post_length": 1.0, "days_since_post": 1.5, "fans": 2.0}
           for o in ("likes", "favorites", "shares", "comments")}
    sds["comment_sentiment"] = {"outcome": 0.4, "post_sentiment": 0.6}
    study = PlantedEffects.from_study(sds)
    assert study.coefficients["likes"]["post_sentiment"] == pytest.approx(-0.36 * 0.5 / 2.0)
    assert study.coefficients["likes"]["fans"] == pytest.approx(0.35 * 2.0 / 2.0)
    assert study.comment_slope == pytest.approx(du_gu.coefficient("comment_sentiment", "post_sentiment").beta
                                                * 0.6 / 0.4)
    assert not any("inferred" in n for n in study.notes)
    assert any("assumed" in n for n in study.notes)  # the variance parts


def test_effects_from_the_study_without_data_use_reported_sds_and_flag_the_inferred_ones():
    from helpers.study import du_gu

    study = PlantedEffects.from_study()
    beta = du_gu.coefficient("likes", "post_sentiment")
    # post sentiment's SD (0.57) is reported; the outcome's is inferred from the SEs, so the
    # standardised effect is smaller in size than the raw -0.36 and keeps its sign
    assert -0.36 < study.coefficients["likes"]["post_sentiment"] < 0
    resid = beta.se * 0.57 * np.sqrt(535)
    assert abs(study.coefficients["likes"]["post_sentiment"]) < 0.36 * 0.57 / resid + 1e-12
    assert any("likes" in n and "inferred" in n and "SD(ln(Y+1))" in n for n in study.notes)
    # Model 5: both SDs are reported (0.57 posts, 0.49 comments), nothing inferred
    assert study.comment_slope == pytest.approx(
        du_gu.coefficient("comment_sentiment", "post_sentiment").beta * 0.57 / 0.49)
    # refusing to infer leaves the post models out, with a note naming why
    strict = PlantedEffects.from_study(infer=False)
    assert strict.coefficients == {}
    assert any("not the SDs" in n for n in strict.notes)


def test_raw_truth_is_standardised_with_the_runs_sds_or_left_out():
    raw_truth = {"seed": 3, "scale": 0.2, "engagement": {
        "likes": {"coefficients": {"post_sentiment": -0.36, "post_length": 0.35, "days_since_post": 0.22,
                                   "fans": 0.35}, "scale": "raw", "creator_share_of_residual_variance": 0.3},
        "comment_sentiment": {"coefficients": {"post_sentiment": 0.04}, "scale": "raw",
                              "random_intercept_sds": {"sd_creator": 0.2, "sd_post": 0.1, "sd_audience": 0.1}}}}
    left_out = PlantedEffects.from_truth(raw_truth)
    assert left_out.coefficients == {} and left_out.comment_slope is None
    assert any("raw scale" in n for n in left_out.notes)
    sds = {"likes": {"outcome": 1.8, "post_sentiment": 0.6, "post_length": 0.9, "days_since_post": 1.1, "fans": 2.0},
           "comment_sentiment": {"outcome": 0.5, "post_sentiment": 0.6}}
    effects = PlantedEffects.from_truth(raw_truth, sds)
    assert effects.coefficients["likes"]["post_sentiment"] == pytest.approx(-0.36 * 0.6 / 1.8)
    assert effects.coefficients["likes"]["fans"] == pytest.approx(0.35 * 2.0 / 1.8)
    explained = sum(b * b for b in effects.coefficients["likes"].values())
    assert effects.creator_share["likes"] == pytest.approx(0.3 * (1 - explained))
    assert effects.comment_slope == pytest.approx(0.04 * 0.6 / 0.5)
    assert effects.comment_variances["creator"] == pytest.approx((0.2 / 0.5) ** 2)
    assert standardise({"post_sentiment": 1.0}, {"post_sentiment": 0.5}) is None  # no SD(y): refuse


def test_observed_sds_read_the_model_frames():
    from helpers.engagement.data import build_frame, study_model_specs

    rng = np.random.default_rng(0)
    n = 60
    posts = pd.DataFrame({"note_id": [f"n{i}" for i in range(n)], "creator_id": [f"c{i % 12}" for i in range(n)],
                          "post_sentiment": rng.uniform(-1, 1, n), "post_length": rng.integers(100, 900, n),
                          "days_since_post": rng.integers(1, 300, n), "fans": rng.integers(0, 5000, n),
                          "liked_count": rng.integers(0, 500, n)})
    spec = study_model_specs(outcomes=("likes",), include_comment_model=False)[0]
    sds = observed_sds([build_frame(spec, posts)])
    assert sds["likes"]["post_sentiment"] == pytest.approx(posts["post_sentiment"].std())
    assert sds["likes"]["outcome"] == pytest.approx(np.log1p(posts["liked_count"]).std())
    assert sds["likes"]["fans"] == pytest.approx(np.log1p(posts["fans"]).std())
    assert sds["likes"]["post_length"] == pytest.approx((posts["post_length"] / 100).std())


def test_design_checks_its_inputs():
    with pytest.raises(PowerError, match="sentiment_r2"):
        Design(100, 10, 1.5)
    with pytest.raises(PowerError, match="n_posts"):
        Design(3, 10, 0.5)


def test_simulated_data_have_the_design_and_the_error(effects):
    design = Design(4000, 5.0, 0.4, posts_per_creator=2.5, sentiment_slope=0.7)
    data = simulate(effects, design, np.random.default_rng(0))
    posts, comments = data.posts, data.comments
    assert len(posts) == 4000 and posts["creator_id"].nunique() == design.n_creators
    r2 = np.corrcoef(posts["true_sentiment"], posts["post_sentiment"])[0, 1] ** 2
    assert r2 == pytest.approx(0.4, abs=0.03)
    assert len(comments) / len(posts) == pytest.approx(5.0, rel=0.1)
    # followers are a creator-level predictor
    assert posts.groupby("creator_id")["ln_fans"].nunique().max() == 1
    # with perfect sentiment, OLS on a big sample recovers the planted standardised β
    exact = simulate(effects, Design(20000, 0, 1.0), np.random.default_rng(1))
    table = fit_simulated(exact, effects).set_index(["outcome", "term"])
    assert table.loc[("likes", "post_sentiment"), "estimate"] == pytest.approx(-0.36, abs=0.03)
    assert table.loc[("shares", "fans"), "estimate"] == pytest.approx(0.25, abs=0.03)


def test_power_is_alpha_under_the_null_and_grows_with_posts(effects):
    small = power_cell(PowerTask(effects, Design(60, 0, 0.9), n_sims=150, seed=2))
    large = power_cell(PowerTask(effects, Design(600, 0, 0.9), n_sims=150, seed=3))
    null = large.set_index(["outcome", "term"]).loc[("shares", "post_sentiment"), "power"]
    assert 0.0 <= null <= 0.11  # type I error near 5 % (150 sims: MC SE ≈ 0.018)
    p_small = small.set_index(["outcome", "term"]).loc[("likes", "post_sentiment"), "power"]
    p_large = large.set_index(["outcome", "term"]).loc[("likes", "post_sentiment"), "power"]
    assert p_small < p_large and p_large > 0.95


def test_worse_sentiment_model_costs_power(effects):
    good = power_cell(PowerTask(effects, Design(150, 0, 0.95), n_sims=120, seed=4))
    bad = power_cell(PowerTask(effects, Design(150, 0, 0.3), n_sims=120, seed=4))
    key = ("likes", "post_sentiment")
    assert bad.set_index(["outcome", "term"]).loc[key, "power"] < good.set_index(["outcome", "term"]).loc[key, "power"]


def test_grid_tables_required_posts_and_figure(effects):
    designs = design_grid([40, 400], [10], [0.5, 0.95], effects)
    assert {d.posts_per_creator for d in designs} == {2.5}
    table = power_grid(effects, designs, n_sims=20, seed=0)
    assert set(table["n_posts"]) == {40, 400}
    assert {"power", "mc_se", "planted", "sentiment_r2", "comments_per_post"} <= set(table.columns)
    assert "Model 5" in set(table["model"])
    needed = required_posts(table, target=0.8)
    row = needed.loc[(needed["model"] == "Model 1") & (needed["term"] == "post_sentiment")
                     & (needed["sentiment_r2"] == 0.95)]
    assert row["posts_needed"].iloc[0] in (40.0, 400.0)
    fig = power_figure(table)
    assert len(fig.data) >= 2


def test_power_grid_runs_on_dask_and_matches_the_local_run(effects):
    pytest.importorskip("distributed")
    designs = design_grid([50], [4], [0.6, 0.9], effects)
    local = power_grid(effects, designs, n_sims=8, seed=7)
    on_dask = power_grid(effects, designs, n_sims=8, seed=7, executor="dask", n_workers=1)
    cols = ["model", "term", "sentiment_r2", "power", "mean_estimate"]
    pd.testing.assert_frame_equal(local[cols], on_dask[cols])


def test_power_sweep_tables_are_collected_through_runs_csv(tmp_path):
    run = tmp_path / "runs" / "abc"
    (run / "models").mkdir(parents=True)
    pd.DataFrame({"model": ["Model 1"], "power": [0.5]}).to_csv(run / "models" / "power_grid.csv", index=False)
    pd.DataFrame({"run": ["abc", "def"], "status": ["ok", "failed"],
                  "run_dir": [str(run), str(tmp_path / "x")]}).to_csv(tmp_path / "runs.csv", index=False)
    table = load_power_sweep(tmp_path)
    assert list(table["sweep_run"]) == ["abc"]
    with pytest.raises(FileNotFoundError, match="sweep"):
        load_power_sweep(tmp_path / "nowhere")


@pytest.mark.r
def test_lme4_engine_agrees_with_mixedlm_on_one_data_set(effects):
    require_r_or_skip(("lme4", "lmerTest"))  # fails instead under XHS_REQUIRE_R=1
    data = simulate(effects, Design(120, 3, 0.8), np.random.default_rng(9))
    lme4 = fit_simulated(data, effects, "lme4").set_index(["outcome", "term"])
    mixed = fit_simulated(data, effects, "mixedlm").set_index(["outcome", "term"])
    key = ("likes", "post_sentiment")
    assert lme4.loc[key, "estimate"] == pytest.approx(mixed.loc[key, "estimate"], abs=1e-3)
    assert ("comment_sentiment", "post_sentiment") in lme4.index


@pytest.mark.parametrize("name", ["power", "power_small"])
def test_power_sweep_specs_name_parameters_the_chapters_declare(name):
    from helpers.book.runner import project_root
    from helpers.book.sweep import parse_spec

    spec = parse_spec(project_root() / "data" / "sweeps" / f"{name}.yml")
    assert spec.steps[-1] == "06_inference_robustness"
    assert all(run["parameters"]["06.sections"] == "power" for run in spec.runs)


def test_cluster_ols_equals_statsmodels_clustered_ols():
    import statsmodels.api as sm

    from helpers.engagement.power import cluster_ols

    rng = np.random.default_rng(4)
    n = 400
    groups = rng.integers(0, 60, n)
    x = np.column_stack([np.ones(n), rng.standard_normal((n, 3))])
    y = x @ [0.5, -0.3, 0.0, 0.2] + rng.normal(0, 0.5, 60)[groups] + rng.standard_normal(n)
    beta, se, p = cluster_ols(x, y, groups)
    ref = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert beta == pytest.approx(ref.params, rel=1e-10)
    assert se == pytest.approx(ref.bse, rel=1e-10)
    assert p == pytest.approx(ref.pvalues, rel=1e-8)
