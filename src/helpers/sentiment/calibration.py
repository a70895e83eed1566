"""Recalibrate predicted sentiment to the label scale before the category thresholds are applied.

Why: a regressor trained with squared error shrinks its predictions towards the
mean wherever it is unsure, and the less it knows the more it shrinks.  On real
text the offline encoder's scores cluster near the middle, so a fixed cut such
as the study's "negative < −0.79" can leave a category empty although a fifth of
the labels lie below it.  A map from predictions to the label scale, fitted on
the *validation* split (never on the test split the metrics are read from, and
never on the texts being categorised), puts the scores back on the scale the
thresholds were written for.

Methods (:data:`METHODS`):

* ``none``: the scores as predicted;
* ``linear``: ordinary least squares of label on prediction, ``a + b·p``,
  clipped to −1..1.  It makes the predictions calibrated in the mean
  (E[label | score] = score) and keeps their order; the spread stays that of
  E[label | score], i.e. about r · SD(label);
* ``isotonic``: monotone step function of the prediction (pool adjacent
  violators), calibrated in the mean without assuming a line; ties appear;
* ``quantile``: maps each prediction's rank in the validation predictions to the
  same rank among the validation labels, so the calibrated scores have the
  label *distribution* (and categories the label shares).  Order is kept, but
  the scores are then over-confident (calibration slope below 1): a text gets
  the label its rank suggests, not the expected label.

:func:`calibration_summary` reports the calibration slope (label regressed on
score: 1 is calibrated, above 1 the scores are shrunk, below 1 over-confident),
the intercept, the mean bias and the ratio of the scores' SD to the labels'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

METHODS: tuple[str, ...] = ("none", "linear", "isotonic", "quantile")
MIN_VALIDATION = 5


@dataclass
class Calibrator:
    """A monotone map from predicted score to the label scale, fitted on validation texts."""

    method: str
    n_fit: int = 0
    intercept: float = 0.0
    slope: float = 1.0
    knots_x: np.ndarray = field(default_factory=lambda: np.array([]))
    knots_y: np.ndarray = field(default_factory=lambda: np.array([]))
    notes: list[str] = field(default_factory=list)

    def __call__(self, scores: Sequence[float] | np.ndarray) -> np.ndarray:
        """Calibrated scores, NaN kept as NaN, clipped to −1..1."""
        s = np.asarray(scores, dtype=float)
        if self.method == "none":
            out = s.copy()
        elif self.method == "linear":
            out = self.intercept + self.slope * s
        else:
            out = np.interp(s, self.knots_x, self.knots_y)
        out = np.clip(out, -1.0, 1.0)
        out[np.isnan(s)] = np.nan
        return out

    def describe(self) -> str:
        if self.method == "none":
            return "no calibration (scores used as predicted)"
        if self.method == "linear":
            return (f"linear: calibrated = {self.intercept:+.3f} + {self.slope:.3f} × score, "
                    f"fitted on {self.n_fit} validation texts")
        return f"{self.method}: monotone map with {len(self.knots_x)} knots, fitted on {self.n_fit} validation texts"


def _clean(labels, predictions) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(labels, dtype=float), np.asarray(predictions, dtype=float)
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels but {len(p)} predictions")
    ok = ~np.isnan(y) & ~np.isnan(p)
    return y[ok], p[ok]


def fit_calibrator(labels: Sequence[float], predictions: Sequence[float], method: str = "linear") -> Calibrator:
    """Fit ``method`` (see :data:`METHODS`) mapping validation predictions to validation labels."""
    if method not in METHODS:
        raise ValueError(f"calibration method must be one of {METHODS}, not {method!r}")
    y, p = _clean(labels, predictions)
    if method == "none":
        return Calibrator("none", n_fit=len(y))
    if len(y) < MIN_VALIDATION:
        raise ValueError(f"calibration needs at least {MIN_VALIDATION} validation texts with a prediction, "
                         f"got {len(y)}; use method='none' or label more texts")
    notes: list[str] = []
    if np.ptp(p) == 0:
        notes.append("every validation prediction is the same: the calibration maps all scores to the mean label")
        return Calibrator("linear", len(y), float(y.mean()), 0.0, notes=notes)
    if method == "linear":
        slope, intercept = np.polyfit(p, y, 1)
        if slope <= 0:
            notes.append(f"validation labels do not increase with the score (slope {slope:.3f}); "
                         "the calibration keeps the scores' order by using slope 0 (the mean label)")
            slope, intercept = 0.0, float(y.mean())
        return Calibrator("linear", len(y), float(intercept), float(slope), notes=notes)
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=-1.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(p, y)
        return Calibrator("isotonic", len(y), knots_x=np.asarray(iso.X_thresholds_, float),
                          knots_y=np.asarray(iso.y_thresholds_, float), notes=notes)
    # quantile: rank among validation predictions -> same rank among validation labels
    probs = np.linspace(0, 1, min(len(y), 101))
    qx, qy = np.quantile(p, probs), np.quantile(y, probs)
    qx, idx = np.unique(qx, return_index=True)  # np.interp needs increasing knots
    return Calibrator("quantile", len(y), knots_x=qx, knots_y=qy[idx], notes=notes)


def calibration_summary(labels: Sequence[float], predictions: Sequence[float]) -> dict[str, float]:
    """Calibration slope and intercept (label on score), mean bias, and spread of scores vs labels."""
    y, p = _clean(labels, predictions)
    if len(y) < 2:
        return {"n": int(len(y)), "slope": np.nan, "intercept": np.nan, "bias": np.nan, "sd_ratio": np.nan}
    slope, intercept = np.polyfit(p, y, 1) if np.ptp(p) > 0 else (np.nan, np.nan)
    return {
        "n": int(len(y)), "slope": float(slope), "intercept": float(intercept),
        "bias": float(np.mean(p - y)), "sd_ratio": float(np.std(p) / np.std(y)) if np.std(y) > 0 else np.nan,
        "min_prediction": float(p.min()), "max_prediction": float(p.max()),
    }


def reliability_table(labels: Sequence[float], predictions: Sequence[float], bins: int = 10) -> pd.DataFrame:
    """Mean label against mean score in bins of equal count (every bin holds texts, unlike equal-width bins).

    Equal-count bins follow where the predictions actually are: shrunk
    predictions would leave most equal-width bins on −1..1 empty.
    """
    y, p = _clean(labels, predictions)
    if len(y) == 0:
        return pd.DataFrame(columns=["bin", "mean_prediction", "mean_label", "n"])
    k = int(max(1, min(bins, len(y) // 5 or 1)))
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, k)
    rows = [{"bin": i + 1, "mean_prediction": float(p[g].mean()), "mean_label": float(y[g].mean()),
             "n": int(len(g))} for i, g in enumerate(groups) if len(g)]
    return pd.DataFrame(rows)


def compare_calibrations(val_labels, val_predictions, test_labels, test_predictions,
                         methods: Sequence[str] = METHODS) -> pd.DataFrame:
    """Each method fitted on validation, judged on test: R², MAE, calibration slope, SD ratio."""
    from helpers.sentiment.regressor import regression_metrics

    rows = []
    for method in methods:
        cal = fit_calibrator(val_labels, val_predictions, method)
        yt, pt = _clean(test_labels, test_predictions)
        q = cal(pt)
        m = regression_metrics(yt, q)
        s = calibration_summary(yt, q)
        rows.append({"method": method, "r2": m["r2"], "mae": m["mae"], "slope": s["slope"],
                     "sd_ratio": s["sd_ratio"], "min": s.get("min_prediction", np.nan),
                     "max": s.get("max_prediction", np.nan)})
    return pd.DataFrame(rows)
