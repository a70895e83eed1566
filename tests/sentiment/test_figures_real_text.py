"""Chapter 02's figures (built in the library) and the real-text summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.sentiment.categories import Thresholds
from helpers.sentiment.figures import (
    distribution_figures,
    error_by_length_figure,
    reliability_figure,
    schedule_figure,
)
from helpers.sentiment.real_text import domain_metrics, summarise, summary_frame, synthetic_vs_real
from helpers.sentiment.regressor import FineTuneResult, TrainConfig, error_by_length


def fake_result(seed: int = 0, shrink: float = 0.4) -> FineTuneResult:
    rng = np.random.default_rng(seed)

    def split(n):
        y = rng.choice([-1.0, 0.0, 1.0], n)
        p = np.clip(shrink * y + rng.normal(0, 0.1, n), -1, 1)
        return pd.DataFrame({"text": [f"t{i}" for i in range(n)], "score": y, "prediction": p,
                             "n_chars": rng.integers(3, 200, n)})

    test, val = split(300), split(200)
    return FineTuneResult(None, None, TrainConfig(), pd.DataFrame(), test, {}, 1.0, 0, 0, 1000, 200, 300, "cpu",
                          validation=val, method="frozen_ridge")


def test_reliability_figure_draws_the_binned_table():
    res = fake_result()
    fig = reliability_figure({"raw": (res.test["score"], res.test["prediction"])},
                             points=(res.test["score"], res.test["prediction"]), title="t", bins=10)
    names = [t.name for t in fig.data]
    assert names == ["texts", "raw", "perfect calibration"]
    assert len(fig.data[1].x) == 10 and sum(fig.data[1].text) == 300


def test_distribution_and_length_and_schedule_figures():
    cuts = Thresholds()
    figs = distribution_figures({"posts": pd.Series([0.1, -0.9, 0.5]), "comments": pd.Series([0.0, np.nan])}, cuts)
    assert len(figs) == 2 and "n = 3" in figs[0].layout.title.text and "n = 1" in figs[1].layout.title.text
    assert len(figs[0].layout.shapes) == 4  # the four cuts
    by_len = error_by_length(fake_result().test)
    assert sum(error_by_length_figure(by_len).data[0].text) == 300
    table = pd.DataFrame({"schedule": ["a", "b"], "method": ["frozen_ridge", "fine_tune"],
                          "wall_seconds": [10, 100], "test_r2": [0.4, 0.35]})
    assert list(schedule_figure(table).data[0].text) + list(schedule_figure(table).data[1].text) == ["a", "b"]


def test_summarise_reports_shrinkage_and_its_repair():
    out = summarise(fake_result(), "linear")
    assert out["calibration_slope"] > 2 and out["share_predictions_below_-0.79"] == 0
    assert out["calibrated_slope"] == pytest.approx(1, abs=0.15)
    assert out["calibrated_share_below_-0.79"] > 0.1 and out["share_labels_below_-0.79"] > 0.2
    assert "calibrated_slope" not in summarise(fake_result(), "none")
    frame = summary_frame({"a": out})
    assert frame.loc["test_r2", "a"] == out["test_r2"]


def test_domain_metrics_and_gap_verdicts():
    m = domain_metrics([0.5, 0.4, -0.2, -0.6, np.nan], [1, 1, -1, -1, 1])
    assert m["n"] == 4 and m["auc"] == 1.0
    assert "auc" not in domain_metrics([0.1, 0.0, -0.1], [1, 0, -1])
    assert synthetic_vs_real(0.93, 0.40)["within_tolerance"] is False
    assert "easier" in synthetic_vs_real(0.93, 0.40)["verdict"]
    assert synthetic_vs_real(0.50, 0.40)["within_tolerance"] is True
    missing = synthetic_vs_real(0.5, float("nan"))
    assert missing["within_tolerance"] is None and "cannot tell" in missing["verdict"]


def test_gap_verdict_names_unequal_training_sizes():
    v = synthetic_vs_real(0.5, 0.4, n_train_synthetic=120, n_train_real=240)
    assert v["within_tolerance"] is True and "120 texts" in v["verdict"] and "240" in v["verdict"]
    assert "training-set sizes" not in synthetic_vs_real(0.5, 0.4, n_train_synthetic=200, n_train_real=240)["verdict"]
