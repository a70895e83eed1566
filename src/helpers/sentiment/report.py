"""Chapter 02's tables: our numbers beside the study's, and the scored-corpus contract.

Kept apart from the model code so that the comparisons (and the arithmetic
behind the remark on the study's metrics) are unit-tested like everything else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.sentiment.categories import Thresholds, categorize
from helpers.study import du_gu

#: Test-split metrics reported by Du & Gu for fine-tuned bert-base-chinese (Results / Sentiment analysis).
STUDY_METRICS = {"mse": du_gu.SENTIMENT_METRICS["MSE"], "mae": du_gu.SENTIMENT_METRICS["MAE"],
                 "r2": du_gu.SENTIMENT_METRICS["R2"]}
#: Published range and moments of the scored texts (Results / Sentiment analysis).
STUDY_DISTRIBUTION = du_gu.SCORE_DISTRIBUTION


def study_consistency(mse: float = 0.047, mae: float = 0.038, r2: float = 0.953, sd: float = 0.57) -> dict:
    """What the study's three metrics imply about each other.

    * R² = 1 − MSE / Var(y), so R² and the label SD fix the MSE;
    * every |error| ≤ 2 on a −1..1 scale, so MSE ≤ 2 · MAE, and MSE > MAE
      needs errors above 1 in size to dominate, which a model with R² ≈ 0.95
      does not make;
    * for roughly normal errors MAE ≈ 0.8 · RMSE.
    """
    var = sd**2
    mse_from_r2 = (1 - r2) * var
    return {
        "label_variance": var,
        "mse_implied_by_r2_and_sd": mse_from_r2,
        "rmse_implied_by_r2_and_sd": math.sqrt(mse_from_r2),
        "mae_expected_for_normal_errors": math.sqrt(2 / math.pi) * math.sqrt(mse_from_r2),
        "r2_implied_by_mse_and_sd": 1 - mse / var,
        "sd_implied_by_mse_and_r2": math.sqrt(mse / (1 - r2)),
        "mse_upper_bound_from_mae": 2 * mae,
        "mse_over_mae": mse / mae,
    }


def metrics_table(ours: Mapping[str, float]) -> pd.DataFrame:
    """Our test-split metrics beside the study's."""
    rows = [{"metric": k.upper() if k != "r2" else "R²", "ours": ours.get(k, np.nan), "study": v}
            for k, v in STUDY_METRICS.items()]
    rows += [{"metric": "RMSE", "ours": ours.get("rmse", np.nan), "study": math.sqrt(STUDY_METRICS["mse"])},
             {"metric": "Pearson r", "ours": ours.get("pearson_r", np.nan), "study": np.nan},
             {"metric": "n (test)", "ours": ours.get("n", np.nan), "study": np.nan}]
    return pd.DataFrame(rows)


def distribution_summary(scores: Mapping[str, pd.Series]) -> pd.DataFrame:
    """n, M, SD, min, max per text type, beside the study's M and SD."""
    rows = []
    for kind, s in scores.items():
        s = pd.Series(s, dtype=float).dropna()
        ref = STUDY_DISTRIBUTION.get(kind, {})
        rows.append({"texts": kind, "n": len(s), "mean": s.mean(), "sd": s.std(), "min": s.min(), "max": s.max(),
                     "study_n": ref.get("n"), "study_mean": ref.get("mean"), "study_sd": ref.get("sd")})
    return pd.DataFrame(rows)


def scored_posts(posts: pd.DataFrame, scores: np.ndarray, thresholds: Thresholds) -> pd.DataFrame:
    """posts + ``sentiment`` + ``sentiment_category`` (the run-folder contract)."""
    out = posts.copy()
    out["sentiment"] = np.asarray(scores, dtype=float)
    out["sentiment_category"] = categorize(out["sentiment"], thresholds).to_numpy()
    return out


def scored_comments(comments: pd.DataFrame, scores: np.ndarray, posts_scored: pd.DataFrame,
                    thresholds: Thresholds) -> pd.DataFrame:
    """comments + their own sentiment/category + their post's (``post_sentiment*``).

    A comment whose post is not among the scored posts would get no post
    sentiment; that is an inconsistency in the cleaned data, reported as an
    error rather than silently producing missing values.
    """
    out = comments.copy()
    out["sentiment"] = np.asarray(scores, dtype=float)
    out["sentiment_category"] = categorize(out["sentiment"], thresholds).to_numpy()
    post = posts_scored.set_index("note_id")
    missing = ~out["note_id"].isin(post.index)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} comments belong to posts that are not in posts.parquet "
                         f"(e.g. note_id {out.loc[missing, 'note_id'].iloc[0]!r})")
    out["post_sentiment"] = out["note_id"].map(post["sentiment"]).astype(float)
    out["post_sentiment_category"] = out["note_id"].map(post["sentiment_category"]).astype(str)
    return out


def truth_recovery(scored: pd.DataFrame, truth: pd.DataFrame, key: str) -> dict[str, float]:
    """Agreement of scores with the planted latent sentiment (synthetic corpus only)."""
    from helpers.sentiment.regressor import regression_metrics

    merged = scored[[key, "sentiment"]].merge(truth[[key, "latent_sentiment"]], on=key, how="inner").dropna()
    if merged.empty:
        return {"n": 0}
    return regression_metrics(merged["latent_sentiment"], merged["sentiment"])
