"""Generated book pages: the results chapter reads the run's numbers; the sweeps page plots."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.book.pages import (
    Effect,
    engagement_findings,
    find_effect,
    render_results_page,
    render_sweeps_page,
    sweep_figures,
    theme_finding,
    write_generated_pages,
)
from helpers.book.run_folder import RunLayout


def _models(likes=-0.3, comments=-0.2, fav_p=0.4, share_p=0.6, cs=0.05, cs_p=0.01):
    return {"models": {
        "likes": {"estimate": likes, "ci_low": likes - 0.1, "ci_high": likes + 0.1, "p": 0.001},
        "comments": {"estimate": comments, "ci_low": comments - 0.1, "ci_high": comments + 0.15, "p": 0.01},
        "favorites": {"estimate": -0.05, "p": fav_p},
        "shares": {"estimate": 0.01, "p": share_p},
        "comment_sentiment": {"estimate": cs, "p": cs_p},
    }}


def test_find_effect_reads_nested_numbers_and_reports_absence():
    e = find_effect(_models(), "likes")
    assert (e.estimate, e.low, e.high, e.p) == pytest.approx((-0.3, -0.4, -0.2, 0.001))
    assert e.significant is True
    assert find_effect({}, "likes").found is False
    assert Effect(0.1, -0.05, 0.2).significant is False


def test_engagement_verdicts_follow_the_numbers():
    agree = engagement_findings(_models())
    assert [f.verdict.startswith("✅") for f in agree] == [True, True, True]
    flipped = engagement_findings(_models(likes=0.3, fav_p=0.001, cs=-0.05))
    assert [f.verdict.startswith("❌") for f in flipped] == [True, True, True]
    missing = engagement_findings({})
    assert all("cannot tell" in f.verdict and "not reported" in f.found for f in missing)


def test_theme_finding_uses_clusters_and_recovery():
    results = {"maps": {c: {"clusters": 3} for c in ("positive", "neutral", "negative")},
               "consistency": [{"a": "positive", "b": "neutral", "overlap": 0.9}],
               "theme_recovery": {"positive": {"ari": 0.95}, "neutral": {"ari": 0.9}}}
    finding = theme_finding(results)
    assert finding.verdict.startswith("✅") and "0.950" in finding.found and "overlap 0.900" in finding.found
    results["theme_recovery"]["neutral"]["ari"] = 0.4
    assert theme_finding(results).verdict.startswith("❌")


def test_results_page_shows_this_runs_numbers(tmp_path):
    layout = RunLayout.at(tmp_path)
    layout.write_results("03_engagement_models", _models(likes=-0.4242))
    layout.write_results("01_data_cleaning", {"posts_kept": 535})
    (tmp_path / "run_log.json").write_text(json.dumps({"scale": 0.05, "seed": 7}))
    page = render_results_page(layout)
    assert "β = -0.424" in page and "--scale 0.05" in page and "posts_kept" in page and "535" in page
    assert "synthetic" in page


def _sweep_table(tmp_path):
    rows = []
    for seed in (1, 2):
        for thr in (-0.79, -0.5):
            rows.append({"run": f"r{seed}{thr}", "seed": seed, "scale": 0.05, "param.03.negative_threshold": thr,
                         "step": "03_engagement_models", "metric": "models.likes.estimate",
                         "value": thr * seed, "value_text": None})
            rows.append({"run": f"r{seed}{thr}", "seed": seed, "scale": 0.05, "param.03.negative_threshold": thr,
                         "step": "03_engagement_models", "metric": "constant", "value": 1.0, "value_text": None})
    path = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    runs = pd.DataFrame([{"run": "r1", "status": "ok", "seed": 1, "parameters": "{}", "seconds": 3.0, "error": None},
                         {"run": "r2", "status": "failed", "seed": 2, "parameters": "{}", "seconds": 1.0,
                          "error": "ValueError: boom"}])
    runs.to_csv(tmp_path / "runs.csv", index=False)
    return path


def test_sweep_figures_plot_only_varying_metrics(tmp_path):
    table = pd.read_csv(_sweep_table(tmp_path))
    figures = sweep_figures(table)
    assert len(figures) == 1
    assert figures[0].layout.title.text.startswith("models.likes.estimate")
    assert len(figures[0].data) == 2  # one line per seed


def test_sweeps_page_embeds_plotly_once_and_lists_failures(tmp_path):
    page = render_sweeps_page(_sweep_table(tmp_path), tmp_path / "runs.csv")
    assert page.count("```{raw} html") == 1 and "plotly" in page
    assert "2 runs, 1 finished, 1 failed" in page and "ValueError: boom" in page
    assert "No sweep results" in render_sweeps_page(tmp_path / "missing.csv")


def test_write_generated_pages(tmp_path):
    root = tmp_path / "root"
    folder = root / "data" / "sweeps" / "example"
    folder.mkdir(parents=True)
    _sweep_table(folder)
    (root / "data" / "sweeps" / "s.yml").write_text("notebooks: [03]\n")
    (folder / "provenance.json").write_text(json.dumps({"spec": "data/sweeps/s.yml", "date": "today",
                                                        "machine": "2 cores", "wall_seconds": 12}))
    stage = tmp_path / "stage"
    written = write_generated_pages(RunLayout.at(tmp_path / "run"), stage, root)
    assert [p.name for p in written] == ["results.md", "sweeps.md"]
    sweeps = (stage / "book" / "sweeps.md").read_text()
    assert "data/sweeps/s.yml" in sweeps and "notebooks: [03]" in sweeps and "2 cores" in sweeps


def test_find_effect_reads_chapter_03_layout():
    results = {"closest_scaling_to_paper": "standardised",
               "post_sentiment_raw": {"likes": -0.5, "comment_sentiment": 0.02},
               "post_sentiment_std": {"likes": -0.31, "comment_sentiment": 0.04},
               "post_sentiment_p": {"likes": 0.0001, "comment_sentiment": 0.2}}
    likes = find_effect(results, "likes")
    assert (likes.estimate, likes.p, likes.scaling) == (-0.31, 0.0001, "standardised")
    assert "β = -0.310 (standardised)" in likes.describe()
    assert find_effect({**results, "closest_scaling_to_paper": "raw"}, "likes").estimate == -0.5
    cs = find_effect(results, "comment sentiment")
    assert cs.estimate == 0.04 and cs.significant is False


def test_engagement_findings_mention_robustness_and_recovery():
    results = {"post_sentiment_std": {"likes": -0.3, "comments": -0.2},
               "post_sentiment_p": {"likes": 0.001, "comments": 0.01},
               "negbin_agreement": {"likes": True, "comments": False},
               "recovery_covered": {"likes (estimated)": True, "likes (latent)": False}}
    first = engagement_findings(results)[0]
    assert "likes yes, comments no" in first.found
    assert "likes (estimated) yes, likes (latent) no" in first.found


def test_right_direction_but_not_significant_is_not_called_a_failure():
    results = {"n_posts": 27, "post_sentiment_std": {"likes": -0.26, "comments": -0.25, "comment_sentiment": 0.1},
               "post_sentiment_p": {"likes": 0.13, "comments": 0.14, "comment_sentiment": 0.3}}
    first, _, third = engagement_findings(results)
    assert "not significant at this sample size" in first.verdict and "(27 posts)" in first.found
    assert "not significant at this sample size" in third.verdict
