"""Inter-coder agreement for the two coding steps, beside what the paper reports.

Inclusion is a yes/no decision, so Cohen's kappa (scikit-learn's
``cohen_kappa_score``) is the natural statistic; its confidence interval is
either the large-sample one (standard error of Fleiss, Cohen & Everitt 1969,
as statsmodels computes it) or a percentile bootstrap over items.

Sentiment scores are continuous on −1..1.  A kappa needs categories, and the
paper reports κ = 0.80 without saying how it binned the scores, so a kappa on
binned scores depends on a choice the reader cannot check.  Statistics made
for a continuous scale are therefore reported first: ICC(2,1) (two-way random
effects, absolute agreement, one rater; Shrout & Fleiss 1979, McGraw & Wong
1996) and Krippendorff's α on the interval metric (a linear-time form,
checked against the ``krippendorff`` package), each with a CI.  The kappas on binned scores follow, with their bins
written out beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Five equal-width bands on −1..1 (chapter 02's default) and three equal bands.
FIVE_BANDS: tuple[float, ...] = (-1.0, -0.6, -0.2, 0.2, 0.6, 1.0)
THREE_BANDS: tuple[float, ...] = (-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0)

#: What the paper reports about agreement (Du & Gu 2026; study_values.yaml keys in brackets).
#: Kept here until helpers.study.du_gu carries them.
REPORTED_AGREEMENT: dict[str, dict] = {
    "inclusion_pilot": {
        "step": "inclusion (pilot)", "statistic": "not named", "value": "> 0.80", "threshold": 0.80,
        "n": 100, "where": "Method / Data preprocessing and coding "
                           "[preprocessing.manual_coding.pilot]"},
    "inclusion_full": {
        "step": "inclusion (all posts)", "statistic": "Cohen's kappa", "value": 0.78, "threshold": None,
        "n": None, "where": "Method / Data preprocessing and coding "
                            "[preprocessing.manual_coding.full_dataset]"},
    "sentiment_labels": {
        "step": "sentiment labels", "statistic": "Cohen's kappa (binning not reported)", "value": 0.80,
        "threshold": None, "n": 3000, "where": "Method / Sentiment analysis "
                                               "[sentiment_model.label_agreement]"},
}


def reported_agreement() -> pd.DataFrame:
    """The paper's agreement values as a table (one row per coding step)."""
    return pd.DataFrame.from_dict(REPORTED_AGREEMENT, orient="index")


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def _pairs(a: Sequence, b: Sequence) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError("agreement needs two codings of the same, non-empty list of items")
    return a, b


def cohen_kappa(a: Sequence, b: Sequence, weights: str | None = None) -> float:
    """Cohen's kappa (scikit-learn); two identical one-category codings count as 1.

    scikit-learn returns NaN when both coders used a single, identical
    category (chance agreement is then 1 and kappa is 0/0); perfect agreement
    is the reading a coder would expect, so that case is 1.0.
    """
    from sklearn.metrics import cohen_kappa_score

    a, b = _pairs(a, b)
    if np.array_equal(a, b) and len(np.unique(a)) == 1:
        return 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(cohen_kappa_score(a, b, weights=weights))


def _fast_kappa(a: np.ndarray, b: np.ndarray, n_cat: int, weights: str | None) -> float:
    """Kappa from a bincount confusion matrix of integer codes 0..n_cat-1 (for bootstrap loops).

    Same definition as scikit-learn's (checked in the tests), without its
    input validation, which dominates the cost of thousands of resamples.
    """
    cm = np.bincount(a * n_cat + b, minlength=n_cat * n_cat).reshape(n_cat, n_cat).astype(float)
    expected = np.outer(cm.sum(axis=1), cm.sum(axis=0)) / cm.sum()
    idx = np.arange(n_cat)
    if weights is None:
        w = (idx[:, None] != idx[None, :]).astype(float)
    elif weights == "linear":
        w = np.abs(idx[:, None] - idx[None, :]).astype(float)
    elif weights == "quadratic":
        w = ((idx[:, None] - idx[None, :]) ** 2).astype(float)
    else:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    denom = float((w * expected).sum())
    return 1 - float((w * cm).sum()) / denom if denom else float("nan")


def kappa_standard_error(a: Sequence, b: Sequence) -> float:
    """Large-sample standard error of kappa (Fleiss, Cohen & Everitt 1969), via statsmodels."""
    from statsmodels.stats.inter_rater import cohens_kappa, to_table

    a, b = _pairs(a, b)
    table, _ = to_table(np.column_stack([a, b]))
    return float(cohens_kappa(table).std_kappa)


def _bootstrap(stat, columns: list[np.ndarray], n_boot: int, seed: int, level: float) -> tuple[float, float]:
    """Percentile bootstrap over items (rows resampled with replacement)."""
    rng = np.random.default_rng(seed)
    n = len(columns[0])
    draws = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, n)
        draws[i] = stat(*[c[idx] for c in columns])
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(draws, [0.5 - level / 2, 0.5 + level / 2])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Estimate:
    """One agreement statistic with its interval and how the interval was formed."""

    statistic: str
    value: float
    ci_low: float
    ci_high: float
    ci_method: str
    n: int

    def as_dict(self) -> dict:
        return {"statistic": self.statistic, "value": self.value, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "ci_method": self.ci_method, "n": self.n}


def kappa_with_ci(a: Sequence, b: Sequence, *, level: float = 0.95, method: str = "analytic",
                  n_boot: int = 2000, seed: int = 0, weights: str | None = None) -> Estimate:
    """Cohen's kappa with a CI: ``analytic`` (large-sample SE; unweighted only) or ``bootstrap``."""
    a, b = _pairs(a, b)
    kappa = cohen_kappa(a, b, weights=weights)
    name = "Cohen's kappa" if weights is None else f"Cohen's kappa ({weights} weights)"
    if method == "analytic":
        if weights is not None:
            raise ValueError("the analytic CI is implemented for unweighted kappa; use method='bootstrap'")
        se = kappa_standard_error(a, b)
        z = _z(level)
        return Estimate(name, kappa, max(-1.0, kappa - z * se), min(1.0, kappa + z * se),
                        f"{level:.0%} large-sample (Fleiss-Cohen-Everitt SE)", len(a))
    if method == "bootstrap":
        cats, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
        ca, cb = codes[: len(a)], codes[len(a):]
        lo, hi = _bootstrap(lambda x, y: _fast_kappa(x, y, len(cats), weights), [ca, cb], n_boot, seed, level)
        return Estimate(name, kappa, lo, hi, f"{level:.0%} percentile bootstrap ({n_boot} resamples)", len(a))
    raise ValueError(f"method must be 'analytic' or 'bootstrap', not {method!r}")


def _two_way_mean_squares(y: np.ndarray) -> tuple[float, float, float]:
    """Mean squares for targets (rows), raters (columns) and residual of a complete n×k table."""
    n, k = y.shape
    grand = y.mean()
    rows = y.mean(axis=1)
    cols = y.mean(axis=0)
    ms_rows = k * float(((rows - grand) ** 2).sum()) / (n - 1)
    ms_cols = n * float(((cols - grand) ** 2).sum()) / (k - 1)
    resid = y - rows[:, None] - cols[None, :] + grand
    ms_error = float((resid ** 2).sum()) / ((n - 1) * (k - 1))
    return ms_rows, ms_cols, ms_error


def icc_2_1(ratings: np.ndarray, *, level: float = 0.95) -> Estimate:
    """ICC(2,1) of a complete targets × raters table, with the McGraw & Wong (1996) F-based CI.

    Absolute agreement matters here: a coder who scores everything 0.2 higher
    than the other should lower agreement, which consistency ICCs ignore.
    """
    from scipy.stats import f as f_dist

    y = np.asarray(ratings, dtype=float)
    if y.ndim != 2 or y.shape[0] < 2 or y.shape[1] < 2:
        raise ValueError("ICC needs a table of at least 2 targets × 2 raters")
    if not np.isfinite(y).all():
        raise ValueError("ICC(2,1) needs a complete table: drop items a coder left blank first")
    n, k = y.shape
    msr, msc, mse = _two_way_mean_squares(y)
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    icc = (msr - mse) / denom if denom else float("nan")
    # Satterthwaite-type degrees of freedom for the denominator (McGraw & Wong 1996, case 2A)
    a = k * icc / (n * (1 - icc)) if icc != 1 else float("inf")
    b = 1 + k * icc * (n - 1) / (n * (1 - icc)) if icc != 1 else float("inf")
    if np.isfinite(a) and np.isfinite(b) and mse > 0:
        v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
        alpha = 1 - level
        f_upper = f_dist.ppf(1 - alpha / 2, n - 1, v)
        f_lower = f_dist.ppf(1 - alpha / 2, v, n - 1)
        low = n * (msr - f_upper * mse) / (f_upper * (k * msc + (k * n - k - n) * mse) + n * msr)
        high = n * (f_lower * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_lower * msr)
    else:
        low = high = icc
    return Estimate("ICC(2,1) absolute agreement", float(icc), float(low), float(high),
                    f"{level:.0%} F-based (McGraw & Wong 1996)", n)


def krippendorff_alpha(ratings: np.ndarray, level_of_measurement: str = "interval") -> float:
    """Krippendorff's alpha of a coders × units table (NaN = not coded), via the ``krippendorff`` package.

    The package builds a values × values coincidence matrix, which is fine for
    a few hundred distinct values; for thousands of continuous scores (and for
    bootstrap resamples) use :func:`interval_alpha`, which gives the same
    number in linear time.
    """
    import krippendorff

    data = np.asarray(ratings, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        raise ValueError("alpha needs a coders × units table with at least two coders")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level_of_measurement))


def interval_alpha(ratings: np.ndarray) -> float:
    """Krippendorff's alpha with the interval metric, coders × units (NaN = not coded), in O(values).

    With squared differences the pair sums collapse to sums of squares: within
    a unit holding m values, the ordered pairs contribute 2·m·SS_unit; over all
    n pairable values, 2·n·SS_total.  So D_o = Σ_u 2·m_u·SS_u / (m_u − 1) / n,
    D_e = 2·SS_total / (n − 1) and α = 1 − D_o / D_e (Krippendorff 2011).
    Units coded by fewer than two coders carry no pairable value and drop out.
    """
    data = np.asarray(ratings, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        raise ValueError("alpha needs a coders × units table with at least two coders")
    coded = np.isfinite(data)
    m = coded.sum(axis=0)
    keep = m >= 2
    data, coded, m = data[:, keep], coded[:, keep], m[keep]
    n = int(m.sum())
    if n < 2:
        return float("nan")
    values = np.where(coded, data, 0.0)
    unit_mean = values.sum(axis=0) / m
    ss_unit = (np.where(coded, data - unit_mean, 0.0) ** 2).sum(axis=0)
    pooled = data[coded]
    ss_total = float(((pooled - pooled.mean()) ** 2).sum())
    if ss_total == 0:
        return 1.0 if float(ss_unit.sum()) == 0 else float("nan")
    d_o = float((2 * m * ss_unit / (m - 1)).sum()) / n
    d_e = 2 * ss_total / (n - 1)
    return 1 - d_o / d_e


def alpha_with_ci(a: Sequence, b: Sequence, *, level: float = 0.95, n_boot: int = 1000,
                  seed: int = 0) -> Estimate:
    """Interval alpha for two coders with a percentile bootstrap CI over units."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    value = interval_alpha(np.vstack([a, b]))
    lo, hi = _bootstrap(lambda x, y: interval_alpha(np.vstack([x, y])), [a, b], n_boot, seed, level)
    return Estimate("Krippendorff's alpha (interval)", value, lo, hi,
                    f"{level:.0%} percentile bootstrap over units ({n_boot} resamples)", len(a))


def bin_labels(bins: Sequence[float]) -> str:
    """The bins written out, e.g. ``[-1, -0.6) [-0.6, -0.2) … [0.6, 1]``."""
    edges = [float(e) for e in bins]
    parts = [f"[{lo:.2g}, {hi:.2g})" for lo, hi in zip(edges[:-2], edges[1:-1], strict=True)]
    parts.append(f"[{edges[-2]:.2g}, {edges[-1]:.2g}]")
    return " ".join(parts)


def bin_scores(scores: Sequence[float], bins: Sequence[float]) -> np.ndarray:
    """Index of the bin each score falls in (left-closed; the top edge belongs to the last bin)."""
    edges = np.asarray(bins, dtype=float)
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"bin edges must increase: {list(bins)}")
    return np.clip(np.digitize(np.asarray(scores, dtype=float), edges[1:-1], right=False), 0, len(edges) - 2)


def inclusion_agreement(coder_1: Sequence, coder_2: Sequence, *, pilot: Sequence[bool] | None = None,
                        level: float = 0.95) -> pd.DataFrame:
    """Kappa with CI and percent agreement for the pilot subset and all coded posts, beside the paper."""
    c1 = np.asarray(coder_1, dtype=int)
    c2 = np.asarray(coder_2, dtype=int)
    rows = []
    subsets = [("inclusion_full", np.ones(len(c1), dtype=bool))]
    if pilot is not None:
        subsets.insert(0, ("inclusion_pilot", np.asarray(pilot, dtype=bool)))
    for key, mask in subsets:
        reported = REPORTED_AGREEMENT[key]
        if mask.sum() < 2:
            continue
        est = kappa_with_ci(c1[mask], c2[mask], level=level)
        row = {"step": reported["step"], **est.as_dict(),
               "percent_agreement": float(np.mean(c1[mask] == c2[mask])),
               "paper_statistic": reported["statistic"], "paper_value": reported["value"],
               "paper_n": reported["n"], "where": reported["where"]}
        if reported["threshold"] is not None:
            row["meets_paper_threshold"] = bool(est.value > reported["threshold"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("step")


def score_agreement(coder_1: Sequence[float], coder_2: Sequence[float], *,
                    binnings: dict[str, Sequence[float]] | None = None, level: float = 0.95,
                    n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """ICC(2,1), interval alpha and binned kappas for two coders' −1..1 scores, beside the paper."""
    a = np.asarray(coder_1, dtype=float)
    b = np.asarray(coder_2, dtype=float)
    complete = np.isfinite(a) & np.isfinite(b)
    a, b = a[complete], b[complete]
    binnings = binnings or {"5 equal bands": FIVE_BANDS, "3 equal bands": THREE_BANDS}
    reported = REPORTED_AGREEMENT["sentiment_labels"]
    rows = [
        {**icc_2_1(np.column_stack([a, b]), level=level).as_dict(), "bins": "none (continuous)"},
        {**alpha_with_ci(a, b, level=level, n_boot=n_boot, seed=seed).as_dict(), "bins": "none (continuous)"},
    ]
    for name, edges in binnings.items():
        ba, bb = bin_scores(a, edges), bin_scores(b, edges)
        for weights in (None, "quadratic"):
            est = kappa_with_ci(ba, bb, level=level, method="analytic" if weights is None else "bootstrap",
                                n_boot=n_boot, seed=seed, weights=weights)
            rows.append({**est.as_dict(), "bins": f"{name}: {bin_labels(edges)}"})
    table = pd.DataFrame(rows)
    table["paper_value"] = [reported["value"] if s == "Cohen's kappa" else "not reported"
                            for s in table["statistic"]]
    table["paper_statistic"] = reported["statistic"]
    table["where"] = reported["where"]
    return table
