"""Calibration to the label scale, threshold rules and empty/tiny category warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.sentiment.calibration import (
    METHODS,
    calibration_summary,
    compare_calibrations,
    fit_calibrator,
    reliability_table,
)
from helpers.sentiment.categories import Thresholds
from helpers.sentiment.thresholds import (
    STUDY_STATED_PERCENTILES,
    categorised,
    category_basis,
    category_warnings,
    choose_thresholds,
    percentile_thresholds,
    threshold_table,
    with_post_category,
)


def shrunk(n: int = 2000, seed: int = 0, factor: float = 0.3):
    """Labels on −1..1 and predictions shrunk towards 0 (the failure seen on real text)."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1.0, 0.0, 1.0], size=n, p=[0.5, 0.3, 0.2])
    p = factor * y + rng.normal(0, 0.1, n)
    return y, np.clip(p, -1, 1)


def test_linear_calibration_undoes_a_known_shrinkage():
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.95, 0.95, 3000)
    p = 0.3 * y + rng.normal(0, 0.03, len(y))  # predictions shrunk to 30 % of the label scale
    assert calibration_summary(y, p)["slope"] > 2.5
    cal = fit_calibrator(y, p, "linear")
    assert cal.slope == pytest.approx(np.cov(p, y)[0, 1] / np.var(p, ddof=1), rel=1e-6)
    after = calibration_summary(y, cal(p))
    assert after["slope"] == pytest.approx(1.0, abs=0.05) and abs(after["bias"]) < 0.02
    # the study's fixed cut at -0.79 is unreachable before and reachable after
    assert (p < -0.79).sum() == 0 and (cal(p) < -0.79).mean() > 0.03


def test_isotonic_and_quantile_are_monotone_and_bounded():
    y, p = shrunk(seed=1)
    grid = np.linspace(-1.5, 1.5, 301)
    for method in ("isotonic", "quantile"):
        cal = fit_calibrator(y, p, method)
        out = cal(grid)
        assert np.all(np.diff(out) >= -1e-12), method
        assert out.min() >= -1 and out.max() <= 1
    q = fit_calibrator(y, p, "quantile")(p)
    # distribution matching: the calibrated scores have the label shares
    assert np.mean(q <= -0.999) == pytest.approx(np.mean(y == -1), abs=0.03)


def test_none_keeps_scores_and_nan_stays_nan():
    cal = fit_calibrator([0.1, 0.2], [0.3, np.nan], "none")
    np.testing.assert_array_equal(cal([0.5, np.nan])[:1], [0.5])
    assert np.isnan(fit_calibrator(*shrunk(50), "linear")([np.nan]))[0]


def test_calibrator_errors_and_degenerate_input():
    with pytest.raises(ValueError, match="one of"):
        fit_calibrator([0.0] * 10, [0.0] * 10, "platt")
    with pytest.raises(ValueError, match="at least 5"):
        fit_calibrator([0.1, 0.2], [0.1, 0.2], "linear")
    flat = fit_calibrator([1.0, -1.0, 0.0, 1.0, 0.0], [0.2] * 5, "linear")
    assert flat.slope == 0 and flat.notes
    reversed_ = fit_calibrator([1.0, 0.5, 0.0, -0.5, -1.0], [-0.4, -0.2, 0.0, 0.2, 0.4], "linear")
    assert reversed_.slope == 0 and "order" in reversed_.notes[0]


def test_reliability_table_uses_equal_count_bins():
    y, p = shrunk(1000)
    table = reliability_table(y, p, bins=10)
    assert len(table) == 10 and table["n"].sum() == 1000 and table["n"].min() >= 99
    assert table["mean_prediction"].is_monotonic_increasing


def test_compare_calibrations_judges_on_test():
    y, p = shrunk(seed=2)
    table = compare_calibrations(y[:1000], p[:1000], y[1000:], p[1000:])
    assert list(table["method"]) == list(METHODS)
    lin = table.set_index("method").loc["linear"]
    none = table.set_index("method").loc["none"]
    assert lin["r2"] > none["r2"] and abs(lin["slope"] - 1) < abs(none["slope"] - 1)


# ------------------------------------------------------------------ thresholds


def test_percentile_rule_follows_the_study_rationale():
    s = np.linspace(-1, 1, 1001)
    cuts = percentile_thresholds(s)
    assert cuts.negative == pytest.approx(-0.5, abs=0.01) and cuts.positive == pytest.approx(0.5, abs=0.01)
    assert STUDY_STATED_PERCENTILES["neutral_high"] - STUDY_STATED_PERCENTILES["neutral_low"] == pytest.approx(22.4)
    table = threshold_table("percentile", cuts, s)
    assert table.set_index("cut").loc["positive", "percentile_in_posts"] == pytest.approx(75, abs=0.2)
    with pytest.raises(ValueError, match="must satisfy"):
        percentile_thresholds(s, {"negative": 80})
    with pytest.raises(ValueError, match="unknown"):
        percentile_thresholds(s, {"middle": 50})


def test_percentile_rule_never_empties_a_category_for_shrunk_scores():
    _, p = shrunk()
    fixed = choose_thresholds("fixed", p)
    assert fixed == Thresholds()
    pct = choose_thresholds("percentile", p)
    frame = categorised(pd.DataFrame({"x": range(len(p))}), p, p, p, pct)
    shares = frame["sentiment_category"].value_counts(normalize=True)
    assert min(shares[c] for c in ("positive", "neutral", "negative")) > 0.15
    fixed_frame = categorised(pd.DataFrame({"x": range(len(p))}), p, p, p, fixed)
    warnings = category_warnings({"posts": fixed_frame["sentiment_category"]})
    assert any("negative category is EMPTY" in w for w in warnings)
    assert category_warnings({"posts": frame["sentiment_category"]}) == []
    with pytest.raises(ValueError, match="rule"):
        choose_thresholds("kde", p)


def test_tiny_category_is_warned():
    labels = pd.Series(["positive"] * 3 + ["neutral"] * 500 + ["negative"] * 497)
    warnings = category_warnings({"comments": labels})
    assert len(warnings) == 1 and "positive category is tiny (3 of 1,000" in warnings[0]


def test_basis_and_post_category_columns():
    raw, cal = np.array([0.1, -0.2]), np.array([0.5, -0.9])
    assert list(category_basis("fixed", raw, cal)) == [0.5, -0.9]
    assert list(category_basis("percentile", raw, cal)) == [0.1, -0.2]
    posts = categorised(pd.DataFrame({"note_id": ["a", "b"]}), raw, cal, cal, Thresholds())
    assert list(posts["sentiment"]) == [0.1, -0.2] and list(posts["sentiment_category"]) == ["positive", "negative"]
    comments = with_post_category(pd.DataFrame({"note_id": ["b", "a"]}), posts)
    assert list(comments["post_sentiment_category"]) == ["negative", "positive"]
    assert list(comments["post_sentiment_calibrated"]) == [-0.9, 0.5]
    with pytest.raises(ValueError, match="not in posts.parquet"):
        with_post_category(pd.DataFrame({"note_id": ["zzz"]}), posts)


# --------------------------------------------------------------------------- density-cluster rule

def clustered_scores(seed: int = 0, n: int = 4000) -> np.ndarray:
    """Post scores in five clusters separated by gaps near the study's cut-offs (−0.79, −0.15, 0.15, 0.3)."""
    rng = np.random.default_rng(seed)
    centres, sds, shares = [-0.92, -0.47, 0.0, 0.225, 0.65], [0.04, 0.1, 0.04, 0.02, 0.12], [0.2, 0.2, 0.25, 0.1, 0.25]
    k = rng.choice(5, size=n, p=shares)
    return np.clip(rng.normal(np.take(centres, k), np.take(sds, k)), -1, 1)


def test_density_rule_cuts_at_the_gaps_between_clusters():
    from helpers.sentiment.thresholds import density_minima, density_thresholds

    s = clustered_scores()
    minima = density_minima(s, bw_method=0.05)
    assert len(minima) >= 4 and (minima["dip"] <= 0.9).all()
    cuts, notes = density_thresholds(s, bw_method=0.05)
    assert notes == []
    # each cut lies in the gap between its two clusters, not at the study's number
    assert -0.86 < cuts.negative < -0.62
    assert -0.33 < cuts.neutral_low < -0.09
    assert 0.09 < cuts.neutral_high < 0.2
    assert 0.25 < cuts.positive < 0.45
    assert cuts.neutral_high != pytest.approx(0.15, abs=1e-3)


def test_density_rule_falls_back_to_percentiles_with_a_reason_when_unimodal():
    from helpers.sentiment.thresholds import density_minima, density_thresholds

    s = np.clip(np.random.default_rng(2).normal(-0.2, 0.4, 3000), -1, 1)
    assert density_minima(s).empty
    notes: list[str] = []
    cuts = choose_thresholds("density", s, notes=notes)
    assert vars(cuts) == pytest.approx(vars(percentile_thresholds(s)))
    assert len(notes) == 1 and "unimodal" in notes[0]
    # the same through density_thresholds
    assert density_thresholds(s)[1] == notes


def test_density_rule_falls_back_per_cut_when_no_minimum_is_near():
    from helpers.sentiment.thresholds import density_thresholds

    rng = np.random.default_rng(3)
    s = np.clip(np.concatenate([rng.normal(-0.6, 0.08, 1500), rng.normal(0.6, 0.08, 1500)]), -1, 1)
    cuts, notes = density_thresholds(s)
    pct = percentile_thresholds(s)
    # one minimum near 0: taken by the neutral cut nearest it; the others fall back, each with a reason
    assert any(abs(v) < 0.1 for v in vars(cuts).values())
    assert cuts.negative == pytest.approx(pct.negative) and cuts.positive == pytest.approx(pct.positive)
    assert sum("no density minimum" in n for n in notes) == 3


def test_density_rule_is_selectable_and_uses_calibrated_scores():
    from helpers.sentiment.thresholds import RULES

    assert "density" in RULES
    raw, cal = np.array([0.1, 0.2]), np.array([0.3, 0.6])
    assert category_basis("density", raw, cal).tolist() == cal.tolist()
    assert category_basis("percentile", raw, cal).tolist() == raw.tolist()
    with pytest.raises(ValueError, match="threshold rule"):
        category_basis("kde", raw, cal)
    table = threshold_table("density", choose_thresholds("density", clustered_scores(), bw_method=0.05),
                            clustered_scores())
    assert list(table["cut"]) == ["negative", "neutral_low", "neutral_high", "positive"]
