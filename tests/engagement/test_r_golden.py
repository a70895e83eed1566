"""R's lme4 numbers, stored as golden files, checked on every machine.

``tools/make_r_golden.py`` fitted Models 1–4 with lme4/lmerTest on the committed
``golden/posts_fixture.csv`` and wrote ``golden/lme4_post_models.json``.  Here:

* everywhere: statsmodels ``MixedLM`` — a second, independent implementation of the same
  REML criterion — must reach R's optimum on the same rows (fixed effects, their standard
  errors, the creator and residual variances), so the numbers are checked without R;
* everywhere: the closed form — given R's variance components, generalised least squares
  ``(X'V⁻¹X)⁻¹X'V⁻¹y`` with ``V = σ²I + τ²ZZ'`` is lme4's fixed-effect estimate, and the
  square roots of ``diag((X'V⁻¹X)⁻¹)`` its standard errors (MixedLM's own standard errors
  come from another information matrix and differ in the third digit);
* where R is installed (required in CI): our rpy2 route must reproduce R's golden numbers,
  Satterthwaite df and p values included.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.engagement.data import build_frame, study_model_specs
from helpers.engagement.mixedlm_crosscheck import fit_mixedlm
from helpers.study import du_gu
from tests.conftest import require_r_or_skip

GOLDEN = Path(__file__).parent / "golden"
SPECS = {s.name: s for s in study_model_specs(include_comment_model=False)}


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads((GOLDEN / "lme4_post_models.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def posts() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "posts_fixture.csv")


def _coef_frame(record: dict) -> pd.DataFrame:
    return pd.DataFrame(record["coefficients"]).set_index("term")


def _variance(record: dict, group: str) -> float:
    return next(v["variance"] for v in record["variance_components"] if v["group"] == group)


def test_golden_file_describes_the_committed_fixture(golden, posts):
    assert set(golden["models"]) == set(SPECS)
    for name, record in golden["models"].items():
        frame = build_frame(SPECS[name], posts)
        assert record["n_obs"] == len(frame.data)
        assert record["formula"] == SPECS[name].formula()
        # the paper's transforms: post length unlogged (per POST_LENGTH_UNIT characters), the others ln(x+1)
        assert record["transforms"] == dict(SPECS[name].transforms)
        assert record["transforms"]["post_length"] == "none" and record["units"] == {"post_length": float(du_gu.POST_LENGTH_UNIT)}
        assert {"post_length", "ln_days_since_post", "ln_fans"} <= {c["term"] for c in record["coefficients"]}
        assert record["n_groups"]["creator_id"] == posts["creator_id"].nunique()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_statsmodels_mixedlm_reaches_lme4s_reml_optimum(golden, posts, name):
    record = golden["models"][name]
    r_coefs = _coef_frame(record)
    result = fit_mixedlm(build_frame(SPECS[name], posts), reml=True)
    fe = result.fe_params.rename(index={"Intercept": "(Intercept)"})
    se = result.bse_fe.rename(index={"Intercept": "(Intercept)"})
    assert list(fe.index) == list(r_coefs.index)
    np.testing.assert_allclose(fe.to_numpy(), r_coefs["estimate"].to_numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(se.to_numpy(), r_coefs["std_error"].to_numpy(), rtol=1e-2)
    assert float(result.scale) == pytest.approx(_variance(record, "Residual"), rel=1e-3)
    assert float(result.cov_re.iloc[0, 0]) == pytest.approx(_variance(record, "creator_id"), rel=1e-2, abs=1e-6)


def _gls(frame, record: dict) -> tuple[np.ndarray, np.ndarray]:
    data = frame.data
    terms = frame.spec.fixed_terms
    x = np.column_stack([np.ones(len(data)), data[terms].to_numpy(float)])
    y = data[frame.spec.response].to_numpy(float)
    codes = pd.factorize(data["creator_id"])[0]
    z = np.zeros((len(data), codes.max() + 1))
    z[np.arange(len(data)), codes] = 1.0
    v = _variance(record, "Residual") * np.eye(len(data)) + _variance(record, "creator_id") * z @ z.T
    vinv_x = np.linalg.solve(v, x)
    cov = np.linalg.inv(x.T @ vinv_x)
    return cov @ (vinv_x.T @ y), np.sqrt(np.diag(cov))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_gls_closed_form_gives_lme4s_fixed_effects_and_standard_errors(golden, posts, name):
    record = golden["models"][name]
    r_coefs = _coef_frame(record)
    beta, se = _gls(build_frame(SPECS[name], posts), record)
    np.testing.assert_allclose(beta, r_coefs["estimate"].to_numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(se, r_coefs["std_error"].to_numpy(), rtol=1e-6)


def test_the_golden_check_can_fail(golden, posts):
    """A shifted golden estimate is caught at the tolerance used above."""
    record = golden["models"]["Model 1"]
    result = fit_mixedlm(build_frame(SPECS["Model 1"], posts), reml=True)
    shifted = _coef_frame(record)["estimate"].to_numpy() + np.array([0, 1e-3, 0, 0, 0])
    assert not np.allclose(result.fe_params.to_numpy(), shifted, atol=1e-4, rtol=1e-4)


@pytest.mark.r
@pytest.mark.parametrize("name", sorted(SPECS))
def test_lme4_through_rpy2_reproduces_the_golden_numbers(golden, posts, name):
    require_r_or_skip(("lme4", "lmerTest"))
    from helpers.engagement.lmer import fit_lmer

    record = golden["models"][name]
    r_coefs = _coef_frame(record)
    fit = fit_lmer(build_frame(SPECS[name], posts), engine="lmerTest")
    ours = fit.coefs.set_index("term").loc[r_coefs.index]
    for col in ("estimate", "std_error", "df", "t_stat", "p_value"):
        np.testing.assert_allclose(ours[col].to_numpy(), r_coefs[col].to_numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=f"{name} {col}")
    assert fit.loglik == pytest.approx(record["loglik_reml"], rel=1e-8)
    assert fit.sigma == pytest.approx(record["sigma"], rel=1e-8)
    assert fit.singular == record["singular"]
