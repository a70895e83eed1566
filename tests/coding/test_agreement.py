"""Agreement statistics against published reference values and established implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.coding import agreement as ag
from helpers.data.manual_coding import cohen_kappa as pipeline_kappa

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; ICC(2,1) = .29 (their Table 4).
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
                         dtype=float)
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 observers x 12 units with
# missing values; alpha = 0.743 (nominal), 0.849 (interval).
NAN = np.nan
KRIPPENDORFF_C = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])


def hand_kappa(a, b):
    """Cohen's kappa written out, (p_o - p_e) / (1 - p_e), for the cross-check."""
    a, b = np.asarray(a), np.asarray(b)
    cats = np.union1d(a, b)
    p_o = np.mean(a == b)
    p_e = sum(np.mean(a == c) * np.mean(b == c) for c in cats)
    return (p_o - p_e) / (1 - p_e)


def fce_standard_error(a, b):
    """Fleiss, Cohen & Everitt (1969) large-sample SE of kappa, written out from the paper's formula."""
    a, b = np.asarray(a), np.asarray(b)
    cats = np.union1d(a, b)
    n = len(a)
    p = np.array([[np.mean((a == i) & (b == j)) for j in cats] for i in cats])
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    p_o, p_e = np.trace(p), float(rows @ cols)
    k = (p_o - p_e) / (1 - p_e)
    term1 = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - k)) ** 2 for i in range(len(cats)))
    term2 = (1 - k) ** 2 * sum(p[i, j] * (cols[i] + rows[j]) ** 2
                               for i in range(len(cats)) for j in range(len(cats)) if i != j)
    term3 = (k - p_e * (1 - k)) ** 2
    return np.sqrt((term1 + term2 - term3) / (n * (1 - p_e) ** 2))


def test_kappa_published_two_by_two_example():
    # 50 items: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> p_o = .7, p_e = .5, kappa = .4
    a = np.array([1] * 25 + [0] * 25)
    b = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    assert ag.cohen_kappa(a, b) == pytest.approx(0.4)
    assert pipeline_kappa(a, b) == pytest.approx(0.4)


def test_pipeline_kappa_is_sklearn_and_matches_hand_formula():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.integers(0, 2, 80)
        b = np.where(rng.random(80) < 0.2, 1 - a, a)
        assert pipeline_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
        assert pipeline_kappa(a, b) == pytest.approx(hand_kappa(a, b), abs=1e-12)
    assert pipeline_kappa(np.ones(5, int), np.ones(5, int)) == 1.0
    with pytest.raises(ValueError):
        pipeline_kappa(np.array([1, 0]), np.array([1]))


def test_analytic_se_matches_statsmodels_and_the_fce_formula():
    rng = np.random.default_rng(11)
    a = rng.integers(0, 2, 300)
    b = np.where(rng.random(300) < 0.15, 1 - a, a)
    se = ag.kappa_standard_error(a, b)
    assert se == pytest.approx(fce_standard_error(a, b), rel=1e-9)
    est = ag.kappa_with_ci(a, b)
    assert est.ci_low < est.value < est.ci_high
    assert est.ci_high - est.ci_low == pytest.approx(2 * 1.959964 * se, rel=1e-5)


def test_fast_bootstrap_kappa_equals_sklearn():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(9)
    for weights in (None, "linear", "quadratic"):
        a = rng.integers(0, 5, 200)
        b = np.clip(a + rng.integers(-1, 2, 200), 0, 4)
        assert ag._fast_kappa(a, b, 5, weights) == pytest.approx(cohen_kappa_score(a, b, weights=weights),
                                                                 abs=1e-12)


def test_bootstrap_ci_is_close_to_the_analytic_one_for_many_items():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2, 1500)
    b = np.where(rng.random(1500) < 0.1, 1 - a, a)
    analytic = ag.kappa_with_ci(a, b)
    boot = ag.kappa_with_ci(a, b, method="bootstrap", n_boot=800, seed=1)
    assert boot.value == analytic.value
    assert boot.ci_low == pytest.approx(analytic.ci_low, abs=0.01)
    assert boot.ci_high == pytest.approx(analytic.ci_high, abs=0.01)


def _population_kappa(prevalence, e1, e2):
    p1 = prevalence * (1 - e1) + (1 - prevalence) * e1
    p2 = prevalence * (1 - e2) + (1 - prevalence) * e2
    p_o = prevalence * ((1 - e1) * (1 - e2) + e1 * e2) + (1 - prevalence) * ((1 - e1) * (1 - e2) + e1 * e2)
    p_e = p1 * p2 + (1 - p1) * (1 - p2)
    return (p_o - p_e) / (1 - p_e)


def test_kappa_ci_covers_the_population_value_over_seeds():
    """Two coders who err independently: the 95% CI covers the population kappa about 95% of the time."""
    target = _population_kappa(0.45, 0.05, 0.08)
    covered = 0
    seeds = range(300)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        truth = rng.random(400) < 0.45
        a = np.where(rng.random(400) < 0.05, ~truth, truth).astype(int)
        b = np.where(rng.random(400) < 0.08, ~truth, truth).astype(int)
        est = ag.kappa_with_ci(a, b)
        covered += est.ci_low <= target <= est.ci_high
    assert 0.91 <= covered / len(seeds) <= 0.985


def _pingouin_icc2(pingouin, long):
    """ICC(2,1) and its CI from pingouin (named ICC2 before 0.7, ICC(A,1) since; CI rounded to 2 places)."""
    ref = pingouin.intraclass_corr(long, targets="target", raters="rater", ratings="score").set_index("Type")
    row = ref.loc["ICC(A,1)"] if "ICC(A,1)" in ref.index else ref.loc["ICC2"]
    return row["ICC"], tuple(row["CI95"] if "CI95" in ref.columns else row["CI95%"])


def test_icc_2_1_matches_shrout_fleiss_and_pingouin():
    pingouin = pytest.importorskip("pingouin")
    est = ag.icc_2_1(SHROUT_FLEISS)
    assert round(est.value, 2) == 0.29  # the published value
    long = pd.DataFrame([(i, j, SHROUT_FLEISS[i, j]) for i in range(6) for j in range(4)],
                        columns=["target", "rater", "score"])
    value, (low, high) = _pingouin_icc2(pingouin, long)
    assert est.value == pytest.approx(value, abs=1e-10)
    assert est.ci_low == pytest.approx(low, abs=0.006)
    assert est.ci_high == pytest.approx(high, abs=0.006)


def test_icc_against_pingouin_on_two_coders_of_continuous_scores():
    pingouin = pytest.importorskip("pingouin")
    rng = np.random.default_rng(8)
    latent = rng.uniform(-1, 1, 250)
    a = np.clip(latent + rng.normal(0, 0.15, 250), -1, 1)
    b = np.clip(latent + 0.1 + rng.normal(0, 0.2, 250), -1, 1)
    est = ag.icc_2_1(np.column_stack([a, b]))
    long = pd.DataFrame({"target": np.tile(np.arange(250), 2), "rater": np.repeat([0, 1], 250),
                         "score": np.concatenate([a, b])})
    value, (low, high) = _pingouin_icc2(pingouin, long)
    assert est.value == pytest.approx(value, abs=1e-10)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), abs=0.006)


def test_icc_penalises_a_constant_offset():
    rng = np.random.default_rng(2)
    a = rng.uniform(-0.5, 0.5, 100)
    same = ag.icc_2_1(np.column_stack([a, a + rng.normal(0, 0.01, 100)])).value
    shifted = ag.icc_2_1(np.column_stack([a, a + 0.4])).value
    assert same > 0.99 and shifted < 0.7
    with pytest.raises(ValueError, match="complete"):
        ag.icc_2_1(np.array([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]]))


def test_krippendorff_alpha_published_example():
    assert round(ag.krippendorff_alpha(KRIPPENDORFF_C, "interval"), 3) == 0.849
    assert round(ag.krippendorff_alpha(KRIPPENDORFF_C, "nominal"), 3) == 0.743
    assert round(ag.interval_alpha(KRIPPENDORFF_C), 3) == 0.849


def test_linear_time_interval_alpha_equals_the_krippendorff_package():
    rng = np.random.default_rng(6)
    for coders, units in ((2, 150), (3, 80)):
        latent = rng.uniform(-1, 1, units)
        data = np.round(np.clip(latent + rng.normal(0, 0.25, (coders, units)), -1, 1), 2)
        data[rng.random(data.shape) < 0.1] = np.nan
        assert ag.interval_alpha(data) == pytest.approx(ag.krippendorff_alpha(data), abs=1e-9)


def test_alpha_interval_for_two_coders_equals_the_textbook_formula():
    """For two coders and no missing data, interval alpha = 1 - D_o / D_e over the pooled values."""
    rng = np.random.default_rng(4)
    a = rng.uniform(-1, 1, 60)
    b = np.clip(a + rng.normal(0, 0.3, 60), -1, 1)
    values = np.concatenate([a, b])
    n = len(values)
    d_o = np.mean((a - b) ** 2)
    d_e = ((values[:, None] - values[None, :]) ** 2).sum() / (n * (n - 1))
    assert ag.alpha_with_ci(a, b, n_boot=50).value == pytest.approx(1 - d_o / d_e, abs=1e-12)


def test_binned_kappa_states_its_bins():
    assert ag.bin_labels(ag.FIVE_BANDS) == "[-1, -0.6) [-0.6, -0.2) [-0.2, 0.2) [0.2, 0.6) [0.6, 1]"
    assert ag.bin_scores([-1, -0.6, 0.19, 0.2, 1.0], ag.FIVE_BANDS).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        ag.bin_scores([0.0], (0, -1, 1))


def test_tables_put_the_paper_beside_the_run():
    rng = np.random.default_rng(1)
    truth = rng.random(300) < 0.5
    a = np.where(rng.random(300) < 0.05, ~truth, truth).astype(int)
    b = np.where(rng.random(300) < 0.05, ~truth, truth).astype(int)
    pilot = np.zeros(300, bool)
    pilot[:100] = True
    table = ag.inclusion_agreement(a, b, pilot=pilot)
    assert list(table.index) == ["inclusion (pilot)", "inclusion (all posts)"]
    assert table.loc["inclusion (all posts)", "paper_value"] == 0.78
    assert table.loc["inclusion (pilot)", "paper_value"] == "> 0.80"
    assert table.loc["inclusion (pilot)", "n"] == 100
    assert table.loc["inclusion (all posts)", "value"] == pytest.approx(hand_kappa(a, b))

    latent = rng.uniform(-1, 1, 300)
    s1 = np.clip(latent + rng.normal(0, 0.1, 300), -1, 1)
    s2 = np.clip(latent + rng.normal(0, 0.1, 300), -1, 1)
    scores = ag.score_agreement(s1, s2, n_boot=100)
    assert scores["statistic"].tolist()[:2] == ["ICC(2,1) absolute agreement", "Krippendorff's alpha (interval)"]
    kappa_rows = scores[scores["statistic"] == "Cohen's kappa"]
    assert len(kappa_rows) == 2 and (kappa_rows["paper_value"] == 0.80).all()
    assert kappa_rows["bins"].str.contains(r"\[-1, -0.6\)").any()
    assert (scores.loc[scores["statistic"] != "Cohen's kappa", "paper_value"] == "not reported").all()
    assert ag.reported_agreement().loc["sentiment_labels", "value"] == 0.80
