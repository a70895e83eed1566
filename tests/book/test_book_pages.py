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
from tests.book import results_examples as examples


def test_find_effect_reads_the_typed_chapter_03_results():
    results = examples.engagement(likes=-0.31, likes_p=0.0001)
    likes = find_effect(results, "likes")
    assert (likes.estimate, likes.p, likes.scaling) == (-0.31, 0.0001, "standardised")
    assert "β = -0.310 (standardised)" in likes.describe()
    raw = examples.engagement(likes=-0.31, closest_scaling_to_paper="raw")
    assert find_effect(raw, "likes").estimate == pytest.approx(-1.24)
    assert find_effect(examples.engagement(cs=0.04, cs_p=0.2), "comment_sentiment").significant is False
    assert find_effect(None, "likes").found is False
    unfitted = examples.engagement()
    unfitted.post_sentiment_std["likes"] = None
    assert find_effect(unfitted, "likes").describe() == "not reported by this build"
    with pytest.raises(KeyError, match="comment_sentiment"):
        find_effect(results, "comment sentiment")
    assert Effect(0.1, -0.05, 0.2).significant is False


def test_engagement_verdicts_follow_the_numbers():
    agree = engagement_findings(examples.engagement())
    assert [f.verdict.startswith("✅") for f in agree] == [True, True, True]
    flipped = engagement_findings(examples.engagement(likes=0.3, fav_p=0.001, cs=-0.05))
    assert [f.verdict.startswith("❌") for f in flipped] == [True, True, True]
    missing = engagement_findings(None)
    assert all("cannot tell" in f.verdict and "not reported" in f.found for f in missing)


def test_theme_finding_uses_clusters_and_recovery():
    finding = theme_finding(examples.semantic_networks(ari_positive=0.95, ari_negative=0.9))
    assert finding.verdict.startswith("✅") and "positive ARI 0.950" in finding.found
    assert "mean ari 0.328" in finding.found and "positive 3, negative 4" in finding.found
    assert theme_finding(examples.semantic_networks(ari_negative=0.4)).verdict.startswith("❌")
    real = examples.semantic_networks(theme_recovery={})  # real data: the maps must agree with each other
    assert theme_finding(real).verdict.startswith("❌") and "mean ARI between" in theme_finding(real).found
    assert "cannot tell" in theme_finding(None).verdict
    pooled_only = examples.semantic_networks(
        maps={}, consistency=[], theme_recovery={"all comments": {"n_terms": 39, "ari": 1.0, "nmi": 1.0}})
    finding = theme_finding(pooled_only)
    assert "cannot tell" in finding.verdict and "only 0 category map(s)" in finding.found


def test_results_page_shows_this_runs_numbers(tmp_path):
    layout = RunLayout.at(tmp_path)
    for make in examples.ALL:
        obj = make()
        layout.write_results(obj.STEP, obj)
    layout.write_results("03_engagement_models", examples.engagement(likes=-0.4242))
    (tmp_path / "run_log.json").write_text(json.dumps({"scale": 0.05, "seed": 7}))
    page = render_results_page(layout)
    assert "β = -0.424" in page and "--scale 0.05" in page and "posts_final" in page and "865" in page
    assert "synthetic" in page and "could not be read" not in page
    assert "| TF-IDF + logistic regression | F1 | 0.762 |" in page
    assert "category_counts.comments.negative" in page


def test_engagement_findings_mention_robustness_and_recovery():
    first = engagement_findings(examples.engagement(negbin_agreement={"likes": True, "comments": False}))[0]
    assert "likes yes, comments no" in first.found
    assert "likes (estimated) yes, likes (latent) no" in first.found


def test_right_direction_but_not_significant_is_not_called_a_failure():
    results = examples.engagement(likes=-0.26, comments=-0.25, cs=0.1, likes_p=0.13, comments_p=0.14, cs_p=0.3)
    first, _, third = engagement_findings(results)
    assert "not significant at this sample size" in first.verdict and "(27 posts)" in first.found
    assert "not significant at this sample size" in third.verdict


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
