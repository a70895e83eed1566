"""Specification curve: the choice space, the fits, agreement with the paper, the figure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.measurement_error import Calibration
from helpers.engagement.specification_curve import (
    DEFAULT_FULL_SCALE_SPECS,
    NOT_APPLICABLE,
    REFERENCE,
    SpecData,
    Specification,
    SpecificationError,
    _code_sentiment,
    chapter03_fits,
    corrected_sources,
    covariate_transforms,
    curve_figure,
    default_sample_sizes,
    enumerate_specifications,
    load_curve_sweep,
    matches_paper,
    paper_claims,
    run_curve,
    sample_specifications,
    summarise,
)
from tests.conftest import require_r_or_skip
from tests.engagement.engagement_fixtures import simulate


def test_choice_space_collapses_what_does_not_apply():
    specs = enumerate_specifications(["likes", "comment_sentiment"], synthetic=False)
    assert not any(s.sentiment_source == "latent" for s in specs)
    nb = [s for s in specs if s.family != "lmm"]
    assert nb and all(s.outcome_transform == NOT_APPLICABLE and s.random_slopes == "none" for s in nb)
    m5 = [s for s in specs if s.outcome == "comment_sentiment"]
    assert all(s.family == "lmm" and s.outcome_transform == NOT_APPLICABLE for s in m5)
    assert all(s.min_comment_length == NOT_APPLICABLE for s in specs if s.outcome == "likes")
    assert len(specs) == len(set(specs))
    # likes: 2 sources x 4 codings x 3 covariate transforms x 3 lengths x (2 transforms x 2 slopes + 2 NB)
    assert sum(s.outcome == "likes" for s in specs) == 2 * 4 * 3 * 3 * (2 * 2 + 2)
    with pytest.raises(SpecificationError, match="family"):
        enumerate_specifications(["likes"], {"family": ["poisson"]})


def test_sample_keeps_the_reference_and_is_reproducible():
    specs = enumerate_specifications(["likes", "shares"])
    a = sample_specifications(specs, 10, seed=3)
    b = sample_specifications(specs, 10, seed=3)
    assert a == b and len(a) == 20
    assert sum(s.is_reference() for s in a) == 2


def test_sentiment_codings_follow_the_study_bands():
    bands = _code_sentiment(pd.Series([-0.9, -0.5, 0.0, 0.2, 0.5]), "study_bands")
    assert bands.iloc[0] == -1 and bands.iloc[2] == 0 and bands.iloc[4] == 1
    assert bands.iloc[[1, 3]].isna().all()  # in the gaps between the bands: left out, as in the maps
    terciles = _code_sentiment(pd.Series(np.arange(9.0)), "terciles")
    assert terciles.value_counts().tolist() == [3, 3, 3]
    assert _code_sentiment(pd.Series([1.0, 2.0, 3.0, 4.0]), "median_split").tolist() == [0, 0, 1, 1]


def test_matching_the_paper_needs_sign_and_significance():
    neg = {"sign": -1.0, "significant": True}
    ns = {"sign": 0.0, "significant": False}
    assert matches_paper({"status": "ok", "estimate": -0.2, "p_value": 0.01}, neg)
    assert not matches_paper({"status": "ok", "estimate": 0.2, "p_value": 0.01}, neg)
    assert not matches_paper({"status": "ok", "estimate": -0.2, "p_value": 0.2}, neg)
    assert matches_paper({"status": "ok", "estimate": 0.2, "p_value": 0.2}, ns)
    assert matches_paper({"status": "failed", "estimate": np.nan, "p_value": np.nan}, neg) is None
    claims = paper_claims()
    assert claims["likes"] == {"sign": -1.0, "significant": True}
    assert claims["shares"]["significant"] is False


@pytest.fixture(scope="module")
def spec_data() -> SpecData:
    posts, comments = simulate(n_posts=160, n_creators=60, comments_per_post=5, n_audience=300, seed=4)
    rng = np.random.default_rng(0)
    latent = posts.rename(columns={"sentiment": "post_sentiment"})
    estimated = latent.assign(post_sentiment=0.8 * latent["post_sentiment"] + rng.normal(0, 0.3, len(latent)))
    c_latent = comments.rename(columns={"sentiment": "comment_sentiment"}).assign(
        creator_id=lambda d: d["note_id"].map(latent.set_index("note_id")["creator_id"]),
        comment_length=rng.integers(30, 90, len(comments)))
    c_est = c_latent.assign(comment_sentiment=0.8 * c_latent["comment_sentiment"] + rng.normal(0, 0.2, len(c_latent)))
    x = rng.normal(-0.19, 0.57, 200)
    cal = Calibration.fit(x, 0.8 * x + rng.normal(0, 0.3, 200))
    corrected, c_corr = corrected_sources(estimated, c_est, cal)
    return SpecData({"estimated": estimated, "corrected": corrected, "latent": latent},
                    {"estimated": c_est, "corrected": c_corr, "latent": c_latent})


def test_covariate_transform_choices_reach_the_model(spec_data):
    """``study`` is the paper's (post length unlogged); the fitted model frame carries it (no R needed)."""
    from helpers.study import du_gu

    assert dict(covariate_transforms("study")) == {c: du_gu.TRANSFORMS[c] for c in ("post_length", "days_since_post",
                                                                                   "fans")}
    assert set(dict(covariate_transforms("ln1p")).values()) == {"ln1p"}
    assert set(dict(covariate_transforms("none")).values()) == {"none"}
    with pytest.raises(SpecificationError, match="covariate transform"):
        covariate_transforms("sqrt")
    specs = [Specification("likes", "latent", "continuous", NOT_APPLICABLE, how, "none", 100, NOT_APPLICABLE,
                           "nb_fixed") for how in ("study", "ln1p", "none")]
    table = run_curve(specs, spec_data)  # numerical warnings of the raw-count NB fits are silenced there
    assert table["status"].tolist() == ["ok"] * 3, table["status"].tolist()
    # the choice changes the covariates, hence (slightly) the sentiment estimate
    assert table["estimate"].nunique() == 3


def test_corrected_source_undoes_the_shrinkage(spec_data):
    est = spec_data.posts["estimated"]["post_sentiment"]
    corr = spec_data.posts["corrected"]["post_sentiment"]
    assert np.corrcoef(est, corr)[0, 1] == pytest.approx(1.0)
    assert corr.std() < est.std()  # E[X|W] shrinks W further (RC), the slope on it grows


@pytest.mark.r
def test_curve_fits_and_summarises(spec_data):
    require_r_or_skip(("lme4", "lmerTest", "glmmTMB"))  # fails instead under XHS_REQUIRE_R=1
    specs = enumerate_specifications(["likes", "comment_sentiment"], {
        "sentiment_source": ["estimated", "latent"], "sentiment_coding": ["continuous", "study_bands"],
        "outcome_transform": ["ln1p"], "covariate_transform": ["study"], "random_slopes": ["none"],
        "min_post_length": [100, 150], "min_comment_length": [30], "family": ["lmm", "nb_fixed"]})
    specs.append(Specification("likes", "estimated", "continuous", "ln1p", "ln1p", "none", 50, NOT_APPLICABLE, "lmm"))
    table = run_curve(specs, spec_data)
    assert len(table) == len(specs)
    loose = table.loc[table["min_post_length"] == 50, "status"].iloc[0]
    assert loose.startswith("failed") and "chapter 01" in loose
    ok = table.loc[table["status"] == "ok"]
    assert len(ok) == len(table) - 1
    ref = ok.loc[(ok["outcome"] == "likes") & (ok["sentiment_source"] == "latent") & (ok["family"] == "lmm")
                 & (ok["sentiment_coding"] == "continuous") & (ok["min_post_length"] == 100)]
    assert ref["estimate"].iloc[0] < 0 and ref["p_value"].iloc[0] < 0.05  # planted −0.36 per unit
    m5 = ok.loc[(ok["outcome"] == "comment_sentiment") & (ok["sentiment_source"] == "latent")
                & (ok["sentiment_coding"] == "continuous") & (ok["min_post_length"] == 100)]
    assert m5["estimate"].iloc[0] == pytest.approx(0.2, abs=0.08)
    summary = summarise(table).set_index("outcome")
    assert summary.loc["likes", "failed"] == 1
    assert 0 <= summary.loc["likes", "share_matching_paper"] <= 1
    assert summary.loc["likes", "paper_claim"] == "significant negative"
    fig = curve_figure(table, "likes")
    assert len(fig.data) >= 3


def test_sweep_tables_carry_the_swept_parameters(tmp_path):
    run = tmp_path / "runs" / "k1"
    (run / "models").mkdir(parents=True)
    pd.DataFrame({"outcome": ["likes"], "estimate": [-0.1]}).to_csv(run / "models" / "specification_curve.csv",
                                                                     index=False)
    pd.DataFrame({"run": ["k1"], "status": ["ok"], "seed": [3], "run_dir": [str(run)],
                  "parameters": [json.dumps({"01.min_post_length": 50})]}).to_csv(tmp_path / "runs.csv", index=False)
    table = load_curve_sweep(tmp_path)
    assert table["param.01.min_post_length"].tolist() == [50]
    assert table["seed"].tolist() == [3]


def test_map_curve_counts_links_per_choice():
    from helpers.engagement.specification_curve import (
        map_curve,
        map_statistics_claimed,
        summarise_maps,
    )

    rng = np.random.default_rng(2)
    vocab = [f"词{i}" for i in range(40)]
    # negative posts' comments use more terms each: their map is denser, per comment too
    post = np.concatenate([np.full(60, -0.9), np.full(60, 0.6)])
    terms = [list(rng.choice(vocab, size=8 if p < 0 else 3, replace=False)) for p in post]
    table = map_curve(terms, post, {"top_n": [20, 40], "min_occurrences": [1], "post_categories": ["study_bands"]})
    assert len(table) == 2 * 2  # counting x top_n
    full = table.loc[(table["counting"] == "full") & (table["top_n"] == 40)].iloc[0]
    assert full["negative_comments"] == 60 and full["positive_comments"] == 60
    assert full["negative_tls"] > full["positive_tls"] and full["log_tls_ratio"] > 0
    # fractional counting gives each comment a total weight of n/2 for n terms
    frac = table.loc[(table["counting"] == "fractional") & (table["top_n"] == 40)].iloc[0]
    assert frac["negative_tls"] == pytest.approx(60 * 8 / 2) and frac["positive_tls"] == pytest.approx(60 * 3 / 2)
    summary = summarise_maps(table).set_index("statistic")
    claimed = map_statistics_claimed()
    assert claimed["log_tls_ratio"] > 0 > claimed["log_tls_per_comment_ratio"]
    assert summary.loc["log_tls_ratio", "share_same_sign_as_study"] == 1.0
    assert summary.loc["log_tls_per_comment_ratio", "share_same_sign_as_study"] == 0.0
    with pytest.raises(SpecificationError, match="token lists"):
        map_curve(terms[:3], post)
    # no positive post at all: the contrasts cannot be formed and are NaN, not an error
    empty = map_curve(terms[:60], post[:60], {"top_n": [20], "min_occurrences": [1], "counting": ["full"],
                                              "post_categories": ["study_bands"]})
    assert empty["positive_comments"].iloc[0] == 0 and np.isnan(empty["log_tls_ratio"].iloc[0])


@pytest.mark.parametrize("name", ["specification_curve", "specification_curve_small"])
def test_curve_sweep_specs_name_parameters_the_chapters_declare(name):
    from helpers.book.runner import project_root
    from helpers.book.sweep import parse_spec

    spec = parse_spec(project_root() / "data" / "sweeps" / f"{name}.yml")
    assert spec.steps[0] == "01_data_cleaning" and spec.steps[-1] == "06_inference_robustness"
    assert len({run["parameters"]["01.min_post_length"] for run in spec.runs}) >= 2


def test_sample_sizes_per_outcome_keep_the_reference_and_default_small_at_full_scale():
    outcomes = ["likes", "comment_sentiment"]
    specs = enumerate_specifications(outcomes)
    sizes = default_sample_sizes(1.0, outcomes)
    assert sizes == {"likes": DEFAULT_FULL_SCALE_SPECS["likes"], "comment_sentiment": 1}
    assert default_sample_sizes(0.1, outcomes) == {"likes": 8, "comment_sentiment": 8}
    picked = sample_specifications(specs, sizes, seed=3)
    by_outcome = pd.Series([s.outcome for s in picked]).value_counts()
    assert by_outcome["likes"] == sizes["likes"] and by_outcome["comment_sentiment"] == 1
    assert all(s.is_reference() for s in picked if s.outcome == "comment_sentiment")
    assert sum(s.is_reference() for s in picked) == 2
    # an outcome missing from the mapping is not sampled down; one number still applies to all
    assert len(sample_specifications(specs, {"likes": 2}, seed=3)) == 2 + sum(
        s.outcome == "comment_sentiment" for s in specs)
    assert len(sample_specifications(specs, 3, seed=3)) == 6


def _write_chapter03(root, results, n_posts, n_comments, source="estimated"):
    from helpers.engagement.lmer import coefficient_table

    (root / "models").mkdir(exist_ok=True)
    (root / "results").mkdir(exist_ok=True)
    raw = coefficient_table(results, "raw")
    fitted_as = {r.spec.name: (r.spec.formula(), r.fit.n_obs) for r in results}
    raw.assign(formula=raw["model"].map(lambda m: fitted_as[m][0]), n_obs=raw["model"].map(lambda m: fitted_as[m][1])
               ).to_csv(root / "models" / "coefficients_raw.csv", index=False)
    (root / "results" / "03_engagement_models.json").write_text(json.dumps(
        {"sentiment_source": source, "n_posts": n_posts, "n_comments": n_comments}))


@pytest.mark.r
def test_reusing_chapter03_fits_gives_the_rows_a_fresh_fit_gives(spec_data, tmp_path):
    require_r_or_skip(("lme4", "lmerTest"))
    from helpers.engagement.data import study_model_specs
    from helpers.engagement.lmer import fit_models

    posts, comments = spec_data.posts["estimated"], spec_data.comments["estimated"]
    results = fit_models(study_model_specs(outcomes=("likes",)), posts, comments)
    _write_chapter03(tmp_path, results, len(posts), len(comments))
    reuse = chapter03_fits(tmp_path, n_posts=len(posts), n_comments=len(comments))
    assert len(reuse) == 2
    specs = [Specification(o, **REFERENCE) for o in ("likes", "comment_sentiment")]
    specs.append(Specification("likes", **{**REFERENCE, "sentiment_coding": "terciles"}))
    fresh = run_curve(specs, spec_data)
    reused = run_curve(specs, spec_data, reuse=reuse)
    assert reused["messages"].str.contains("reused").tolist() == [True, True, False]
    numeric = ["estimate", "std_error", "p_value", "std_estimate", "std_conf_low", "std_conf_high", "n_obs"]
    assert reused[numeric].to_numpy() == pytest.approx(fresh[numeric].to_numpy(), rel=1e-6)
    # chapter 03 on other data, or on another sentiment, is not reused
    assert chapter03_fits(tmp_path, n_posts=len(posts) + 1, n_comments=len(comments)) == {}
    _write_chapter03(tmp_path, results, len(posts), len(comments), source="latent")
    assert chapter03_fits(tmp_path, n_posts=len(posts), n_comments=len(comments)) == {}


@pytest.mark.r
def test_the_curves_lean_lmer_fit_equals_the_chapters_fit(spec_data):
    require_r_or_skip(("lme4", "lmerTest"))
    from helpers.engagement.data import build_frame, study_model_specs
    from helpers.engagement.lmer import fit_lmer
    from helpers.engagement.specification_curve import _lean_lmer

    posts, comments = spec_data.posts["estimated"], spec_data.comments["estimated"]
    for spec in study_model_specs(outcomes=("likes",)):
        frame = build_frame(spec, posts, comments if spec.level == "comment" else None)
        row, _, singular = _lean_lmer(frame)
        fit = fit_lmer(frame, engine="lmerTest", full=False)
        c = fit.coef("post_sentiment")
        assert [row[k] for k in ("estimate", "std_error", "df", "p_value")] == pytest.approx(
            [c["estimate"], c["std_error"], c["df"], c["p_value"]], rel=1e-10)
        assert singular == fit.singular
