"""The real-text check of chapter 02: how the sentiment model does on text people wrote and labelled.

The embedded corpus is synthetic, so its test split says how well the pipeline
recovers sentiment that was planted; it cannot say how the same model and
schedule do on real posts.  Chapter 02 therefore also trains and tests the
model on a public, human-labelled Chinese social-media set (SMP2020-EWECT Weibo
emotions, label -> score mapping in
:data:`helpers.data.public_datasets.EMOTION_SCORE`) and scores a second domain
(ChnSentiCorp hotel reviews) with the Weibo-trained model.  The functions here
turn a trained model into the numbers the chapter reports: R², MAE and
calibration, before and after the validation-fitted recalibration.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.sentiment.calibration import calibration_summary, fit_calibrator
from helpers.sentiment.regressor import FineTuneResult, regression_metrics

#: Done-when of issue 16: the synthetic and the real test R² of the default schedule within this distance.
SYNTHETIC_REAL_TOLERANCE = 0.15


def summarise(result: FineTuneResult, calibration: str = "linear") -> dict[str, float]:
    """Test R², MAE and calibration of a trained model, raw and recalibrated on its validation split."""
    test, val = result.test, result.validation
    raw = regression_metrics(test["score"], test["prediction"])
    cal_raw = calibration_summary(test["score"], test["prediction"])
    out = {
        "n_train": result.n_train, "n_val": result.n_val, "n_test": result.n_test,
        "test_r2": raw["r2"], "test_mae": raw["mae"], "test_mse": raw["mse"], "test_pearson_r": raw["pearson_r"],
        "calibration_slope": cal_raw["slope"], "calibration_intercept": cal_raw["intercept"],
        "sd_ratio": cal_raw["sd_ratio"], "min_prediction": cal_raw.get("min_prediction", np.nan),
        "max_prediction": cal_raw.get("max_prediction", np.nan),
        "share_labels_below_-0.79": float(np.mean(test["score"] < -0.79)),
        "share_predictions_below_-0.79": float(np.mean(test["prediction"] < -0.79)),
    }
    if val is not None and calibration != "none":
        cal = fit_calibrator(val["score"], val["prediction"], calibration)
        q = cal(test["prediction"].to_numpy())
        m = regression_metrics(test["score"], q)
        s = calibration_summary(test["score"], q)
        out.update({f"calibrated_{k}": v for k, v in {
            "test_r2": m["r2"], "test_mae": m["mae"], "slope": s["slope"], "sd_ratio": s["sd_ratio"],
            "share_below_-0.79": float(np.mean(q < -0.79))}.items()})
    return out


def domain_metrics(scores, labels) -> dict[str, float]:
    """R², MAE, calibration slope and (for two-valued labels) AUC of scores against labels."""
    from sklearn.metrics import roc_auc_score

    s, y = np.asarray(scores, float), np.asarray(labels, float)
    ok = ~np.isnan(s) & ~np.isnan(y)
    s, y = s[ok], y[ok]
    m = regression_metrics(y, s)
    out = {"n": m["n"], "r2": m["r2"], "mae": m["mae"], "pearson_r": m["pearson_r"],
           "calibration_slope": calibration_summary(y, s)["slope"]}
    if len(np.unique(y)) == 2:
        out["auc"] = float(roc_auc_score(y > y.min(), s))
    return out


def synthetic_vs_real(synthetic_r2: float, real_r2: float, tolerance: float = SYNTHETIC_REAL_TOLERANCE, *,
                      n_train_synthetic: int | None = None, n_train_real: int | None = None) -> dict[str, object]:
    """Gap between the synthetic and the real test R², and whether it is within ``tolerance``.

    A missing number gives the verdict "cannot tell", never a pass.  When the
    two models were trained on very different numbers of texts (more than 1.5×
    apart), the verdict says so: the gap then mixes how hard the texts are with
    how much there was to learn from.
    """
    if synthetic_r2 is None or real_r2 is None or np.isnan(synthetic_r2) or np.isnan(real_r2):
        return {"gap": np.nan, "within_tolerance": None, "verdict": "cannot tell (an R² is missing)"}
    caveat = ""
    if n_train_synthetic and n_train_real and max(n_train_synthetic, n_train_real) > 1.5 * min(
            n_train_synthetic, n_train_real):
        caveat = (f" (but the synthetic model was trained on {n_train_synthetic:,} texts and the real one on "
                  f"{n_train_real:,}, so the gap also reflects the training-set sizes)")
    gap = float(synthetic_r2 - real_r2)
    within = abs(gap) <= tolerance
    if within:
        verdict = f"within {tolerance:g}: the synthetic test is about as hard as real labelled text"
    elif gap > 0:
        verdict = (f"not within {tolerance:g}: the synthetic corpus is much easier than real text, so its "
                   "test R² overstates what the model does on real posts")
    else:
        verdict = f"not within {tolerance:g}: the synthetic corpus is harder than the real text"
    return {"gap": gap, "within_tolerance": within, "verdict": verdict + caveat}


def summary_frame(summaries: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """One column per evaluated set, one row per number (for the page)."""
    return pd.DataFrame({k: pd.Series(dict(v)) for k, v in summaries.items()})
