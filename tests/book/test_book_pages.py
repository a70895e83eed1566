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
    results = examples.engagement(likes=-1.24, likes_p=0.0001, half_width=0.3)
    likes = find_effect(results, "likes")
    assert (likes.estimate, likes.p, likes.scaling) == (-1.24, 0.0001, "raw")
    assert (likes.low, likes.high) == (pytest.approx(-1.54), pytest.approx(-0.94))  # comparison's 95 % CI
    assert "β = -1.240 (raw), 95 % CI [-1.540, -0.940], p = 0.0001" in likes.describe()
    other_scale = examples.engagement(likes=-0.31, coefficient_scale="standardised")
    assert find_effect(other_scale, "likes").describe().startswith("β = -0.310 (standardised)")
    assert find_effect(examples.engagement(cs=0.04, cs_p=0.2), "comment_sentiment").significant is False
    no_p = examples.engagement(cs=0.04, cs_p=None, half_width=0.01)  # judged by the CI without a p-value
    assert find_effect(no_p, "comment_sentiment").significant is True
    assert find_effect(None, "likes").found is False
    unfitted = examples.engagement()
    unfitted.post_sentiment_raw["likes"] = None
    assert find_effect(unfitted, "likes").describe() == "not reported by this build"
    with pytest.raises(KeyError, match="comment_sentiment"):
        find_effect(results, "comment sentiment")
    assert Effect(0.1, -0.05, 0.2).significant is False


def test_engagement_verdicts_follow_the_numbers():
    agree = engagement_findings(examples.engagement())
    assert [f.verdict for f in agree] == ["✅ consistent with the study"] * 3
    flipped = engagement_findings(examples.engagement(likes=0.3, fav_p=0.001, cs=-0.05))
    assert [f.verdict for f in flipped] == ["❌ differs from the study"] * 3
    missing = engagement_findings(None)
    assert all("cannot tell" in f.verdict and "not reported" in f.found for f in missing)


def _synthetic(covered: dict, **changes):
    """A synthetic chapter-03 run whose CIs cover the planted post-sentiment value as told."""
    return examples.engagement(synthetic=True, recovery_estimated=examples.recovery(covered),
                               recovery=examples.recovery({o: True for o in covered}), **changes)


ALL_COVERED = {"likes": True, "favorites": True, "shares": True, "comments": True, "comment_sentiment": True}


def test_a_synthetic_run_is_judged_on_recovery_and_a_real_run_against_the_study():
    recovered = "✅ recovered the planted value (the generator planted the study's value)"
    # Same numbers, two readings: a real export confirms the study, a synthetic run only recovers.
    assert [f.verdict for f in engagement_findings(examples.engagement())] == ["✅ consistent with the study"] * 3
    assert [f.verdict for f in engagement_findings(_synthetic(ALL_COVERED))] == [recovered] * 3
    # A synthetic run is never "consistent with the study", even when the signs differ from it:
    # the verdict follows the coverage of the planted value.
    flipped = engagement_findings(_synthetic(ALL_COVERED, likes=0.3, fav_p=0.001, cs=-0.05))
    assert [f.verdict for f in flipped] == [recovered] * 3
    missed = engagement_findings(_synthetic({**ALL_COVERED, "comments": False, "shares": None}))
    assert missed[0].verdict.startswith("❌ did not recover the planted value")
    assert missed[1].verdict.startswith("– cannot tell")  # no interval for shares
    assert missed[2].verdict == recovered
    # Estimated sentiment is judged on recovery_estimated, planted (latent) sentiment on recovery.
    latent = _synthetic({**ALL_COVERED, "likes": False}, sentiment_source="latent")
    assert [f.verdict for f in engagement_findings(latent)] == [recovered] * 3
    no_recovery = engagement_findings(examples.engagement(synthetic=True))
    assert all(f.verdict.startswith("– cannot tell") for f in no_recovery)
    assert not any("consistent with the study" in f.verdict for f in no_recovery)


def test_theme_finding_uses_clusters_and_recovery():
    finding = theme_finding(examples.semantic_networks(ari_positive=0.35, ari_negative=0.3))
    assert finding.verdict.startswith("✅ recovered the planted themes") and "positive ARI 0.350" in finding.found
    assert "mean ari 0.328" in finding.found and "positive 3, negative 4" in finding.found
    assert "consistent with the study" not in finding.verdict  # synthetic: recovery, not confirmation
    # judged by whether the planted themes separate, not by the all-terms ARI
    assert theme_finding(examples.semantic_networks(ari_negative=0.95, separated_negative=False)
                         ).verdict.startswith("❌ did not recover the planted themes")
    real = examples.semantic_networks(theme_recovery={})  # real data: the maps must agree with each other
    assert theme_finding(real).verdict == "❌ differs from the study" and "mean ARI between" in theme_finding(real).found
    agreeing = examples.semantic_networks(theme_recovery={}, consistency=[{"map A": "positive", "map B": "negative",
                                                                           "shared_terms": 63, "ari": 0.6}])
    assert theme_finding(agreeing).verdict == "✅ consistent with the study"
    assert "cannot tell" in theme_finding(None).verdict
    pooled_only = examples.semantic_networks(
        maps={}, consistency=[], theme_recovery={"all comments": {"n_terms": 39, "ari": 1.0, "nmi": 1.0,
                                                                  "themes_separated": True}})
    finding = theme_finding(pooled_only)
    assert "cannot tell" in finding.verdict and "only 0 category map(s)" in finding.found
    seeds = examples.semantic_networks(theme_recovery_over_seeds={"seeds": 10, "recovered": 9, "rate_low": 0.55,
                                                                  "rate_high": 0.997})
    assert "themes recovered in 9 of 10 regenerated corpora" in theme_finding(seeds).found


def test_results_page_shows_this_runs_numbers(tmp_path):
    layout = RunLayout.at(tmp_path)
    for make in examples.ALL:
        obj = make()
        layout.write_results(obj.STEP, obj)
    layout.write_results("03_engagement_models", examples.engagement(likes=-0.4242))
    (tmp_path / "run_log.json").write_text(json.dumps({"scale": 0.05, "seed": 7}))
    page = render_results_page(layout)
    assert "β = -0.424 (raw)" in page and "--scale 0.05" in page and "posts_final" in page and "865" in page
    assert "synthetic" in page and "could not be read" not in page
    assert "| TF-IDF + logistic regression | F1 | 0.762 |" in page
    assert "| Module II (lexicon-rules) | BLEU | 0.542 |" in page
    assert "category_counts.comments_own.negative" in page
    assert "### 06_inference_robustness" in page and "coverage.likes.rc" in page
    assert "Not yet declared" not in page
    assert "**Verdict:** ✅ consistent with the study" in page  # the example chapter 03 is a real export
    assert "**Verdict:** ✅ recovered the planted themes" in page  # chapter 04 has planted themes


def test_engagement_findings_mention_robustness_and_recovery():
    results = _synthetic({**ALL_COVERED, "comments": False}, negbin_agreement={"likes": True, "comments": False})
    first = engagement_findings(results)[0]
    assert "negative-binomial model agrees in sign and significance: likes yes, comments no" in first.found
    assert "planted effect inside the 95 % CI (planted sentiment): likes yes, comments yes" in first.found
    assert "planted effect inside the 95 % CI (estimated sentiment): likes yes, comments no" in first.found
    assert "planted effect" not in engagement_findings(examples.engagement())[0].found  # real: nothing planted


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
    # the sweeps behind chapters 03 and 06, with their full-scale commands, and the specs exist
    import re

    from helpers.book.runner import project_root

    for spec in ("power.yml", "specification_curve.yml", "measurement_error_coverage_full.yml",
                 "power_small.yml", "specification_curve_small.yml", "measurement_error_coverage.yml"):
        assert spec in sweeps
    for spec in set(re.findall(r"data/sweeps/([a-z_]+\.yml)", sweeps)) - {"s.yml"}:
        assert (project_root() / "data" / "sweeps" / spec).exists(), spec
