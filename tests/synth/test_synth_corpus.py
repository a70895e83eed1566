"""The synthetic corpus: contract files and columns, calibration, determinism, planted signals."""

from __future__ import annotations

import json

import jieba
import numpy as np
import pandas as pd
import pytest

from helpers.data.counts import parse_count
from helpers.data.pipeline import COMMENT_COLUMNS, POST_COLUMNS, CleaningConfig, clean_export
from helpers.study import du_gu
from helpers.synth import grammar as g
from helpers.synth import xhs_corpus as xc
from helpers.synth import xhs_vocabulary as vocab
from helpers.synth.xhs_corpus import display_count, generate, text_units, write


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    corpus = generate(scale=0.05, seed=7)
    write(corpus, root / "raw")
    result = clean_export(root / "raw", CleaningConfig(coding_file=root / "raw" / "self_disclosure_coding.csv",
                                                       salt="test"))
    result.write(root / "clean")
    return root, corpus, result


def test_contract_files_and_columns(small_run):
    root, corpus, result = small_run
    for name in ("truth.json", "truth_posts.parquet", "truth_comments.parquet", "self_disclosure_coding.csv",
                 "sentiment_labels.csv"):
        assert (root / "raw" / name).exists(), name
    assert sorted(p.name for p in (root / "raw" / "xhs" / "csv").iterdir()) == [
        "search_comments_2024-11-12.csv", "search_comments_2024-11-20.csv", "search_contents_2024-11-12.csv",
        "search_contents_2024-11-20.csv", "search_creators_2024-11-20.csv"]
    posts = pd.read_parquet(root / "clean" / "posts.parquet")
    comments = pd.read_parquet(root / "clean" / "comments.parquet")
    assert list(posts.columns)[: len(POST_COLUMNS)] == POST_COLUMNS
    assert set(COMMENT_COLUMNS) <= set(comments.columns)
    assert {"comment_id", "note_id", "latent_sentiment", "theme", "theme_terms"} <= set(
        pd.read_parquet(root / "raw" / "truth_comments.parquet").columns)
    assert {"note_id", "latent_sentiment", "is_self_disclosure"} <= set(
        pd.read_parquet(root / "raw" / "truth_posts.parquet").columns)
    assert list(pd.read_csv(root / "raw" / "self_disclosure_coding.csv").columns)[:3] == ["note_id", "coder_1",
                                                                                           "coder_2"]
    labels = pd.read_csv(root / "raw" / "sentiment_labels.csv")
    assert list(labels.columns)[:3] == ["text", "coder_1", "coder_2"] and len(labels) >= 150
    assert labels[["coder_1", "coder_2"]].abs().max().max() <= 1
    assert str(posts["publish_time"].dtype).endswith("UTC]") and posts["fans"].dtype == "Int64"


def _adjudicated(corpus) -> set[str]:
    """What the conservative rule (both coders say 1) keeps: computed here, not by the generator."""
    coding = corpus.coding
    return set(coding.loc[(coding["coder_1"] == 1) & (coding["coder_2"] == 1), "note_id"])


def test_cleaning_adjudicates_the_coders_and_measures_lengths_like_the_generator(small_run):
    _, corpus, result = small_run
    assert "include" not in corpus.coding.columns  # the truth is never handed over as a decision
    assert set(result.posts["note_id"]) == _adjudicated(corpus)
    truth = corpus.truth_posts.set_index("note_id")
    kept = result.posts.set_index("note_id")
    # two independent length measures (cleaner's regex, generator's character scan) agree
    assert (kept["post_length"] == truth.loc[kept.index, "post_length"]).all()
    tc = corpus.truth_comments
    expected = set(tc.loc[(tc["fate"] == "final") & tc["note_id"].isin(kept.index), "comment_id"])
    assert set(result.comments["comment_id"]) == expected
    lengths = tc.drop_duplicates("comment_id").set_index("comment_id").loc[result.comments["comment_id"],
                                                                            "comment_length"]
    assert (result.comments["comment_length"].to_numpy() == lengths.to_numpy()).all()


def test_clean_sizes_land_near_the_study(small_run):
    _, corpus, result = small_run
    expected = corpus.truth["expected_clean"]
    # the coders are noisy, so the kept sample is near its expectation, not on it
    assert abs(result.flow["posts"]["final"] - expected["posts"]) <= 6
    assert abs(result.flow["comments"]["final"] / expected["comments"] - 1) < 0.35
    misses = set(corpus.truth_posts.loc[corpus.truth_posts["intended_kept"], "note_id"]) ^ set(
        result.posts["note_id"])
    assert misses, "with coders at kappa 0.78 some posts should be decided differently from the truth"


def test_generator_imports_none_of_the_methods_it_tests():
    import ast
    import importlib.util

    forbidden = ("helpers.data", "helpers.sentiment", "helpers.engagement", "helpers.networks", "helpers.cnsd")
    for module in ("helpers.synth.xhs_corpus", "helpers.synth.xhs_text", "helpers.synth.grammar"):
        tree = ast.parse(open(importlib.util.find_spec(module).origin, encoding="utf-8").read())
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module] + [
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        bad = [m for m in imported if m.startswith(forbidden)]
        assert not bad, f"{module} imports {bad}"


def test_display_counts_are_what_the_app_shows_and_the_importer_reads():
    for value, text in ((0, ""), (7, "7"), (9999, "9999"), (12_345, "1.2万"), (10_050, "1万"),
                        (99_999, "9.9万"), (250_000, "10万+")):
        assert display_count(value) == text
        assert 0 <= value - parse_count(text) < 1_000 or text == "10万+"
    assert text_units("我有3个abc朋友2024年, OK") == 10  # 我 有 3 个 abc 朋 友 2024 年 OK


def test_coder_kappa_matches_the_study():
    corpus = generate(scale=0.5, seed=8)
    coding = corpus.truth["coding"]
    assert coding["kappa_target"] == du_gu.AGREEMENT["inclusion"].value
    assert abs(coding["kappa_expected"] - 0.78) < 0.005
    assert abs(coding["kappa_realised"] - 0.78) < 0.1


def test_raw_sizes_scale_with_the_study():
    corpus = generate(scale=0.1, seed=3)
    assert len(corpus.notes) == round(2182 * 0.1)
    assert len(corpus.comments) == round(122212 * 0.1)
    times = pd.to_numeric(corpus.notes["time"])
    assert pd.Timestamp(times.min(), unit="ms") >= pd.Timestamp("2021-03-22")
    assert pd.Timestamp(times.max(), unit="ms") < pd.Timestamp("2024-11-12")
    assert set(corpus.notes["source_keyword"]) <= {zh for zh, _ in du_gu.HASHTAGS}
    assert (corpus.notes["type"] == "video").any() and corpus.notes["note_id"].duplicated().any()


def test_deterministic_for_a_seed():
    a, b = generate(scale=0.05, seed=11), generate(scale=0.05, seed=11)
    pd.testing.assert_frame_equal(a.notes, b.notes)
    pd.testing.assert_frame_equal(a.comments, b.comments)
    assert not generate(scale=0.05, seed=12).notes["note_id"].equals(a.notes["note_id"])


def test_truth_json_is_explicit_about_engagement(small_run):
    root, _, _ = small_run
    truth = json.loads((root / "raw" / "truth.json").read_text())
    likes = truth["engagement"]["likes"]
    assert likes["outcome"] == "ln_liked" and likes["standardised"] is False and likes["scale"] == "raw"
    assert likes["term_scales"] == {"post_sentiment": "raw", "post_length": "none/100", "days_since_post": "ln1p",
                                    "fans": "ln1p"}
    for outcome, coefs in du_gu.planted_coefficients().items():  # all 20, at the study's values
        assert truth["engagement"][outcome]["coefficients"] == coefs
    assert truth["synthetic"] is True and len(truth["themes"]) > 120
    assert truth["hashtags"] == [zh for zh, _ in du_gu.HASHTAGS]
    for key in ("crawl_dates", "n_creators", "n_audience", "variance_components"):
        assert truth["assumed"][key].startswith("assumed")
    assert truth["crawl_dates_source"].startswith("assumed")


def test_audience_members_recur_and_creators_post_several(small_run):
    _, _, result = small_run
    assert result.comments["audience_id"].value_counts().max() > 1
    assert result.posts["creator_id"].value_counts().max() > 1


def test_comment_themes_are_recoverable_from_tokens(small_run):
    _, corpus, result = small_run
    truth = corpus.truth_comments.set_index("comment_id")
    terms = g.all_theme_terms()
    sample = result.comments.head(300)
    hits = total = 0
    for cid, text in zip(sample["comment_id"], sample["text"], strict=True):
        theme = truth.at[cid, "theme"]
        found = [terms[t] for t in jieba.lcut(text) if t in terms]
        total += 1
        hits += bool(found) and max(set(found), key=found.count) == theme
    assert hits / total > 0.85


def test_sentiment_moments_ranges_and_categories_near_the_study():
    from helpers.synth.xhs_corpus import post_sentiment_bands

    mean, sd = post_sentiment_bands().moments()  # the fitted mixture itself
    assert abs(mean + 0.19) < 0.005 and abs(sd - 0.57) < 0.005
    corpus = generate(scale=0.5, seed=6)  # seed 5 lands 1.5 SD of the random intercepts off the mean
    posts = corpus.truth["sentiment"]["posts_planned"]
    assert abs(posts["mean"] + 0.19) < 0.08 and abs(posts["sd"] - 0.57) < 0.06
    assert -0.97 <= posts["min"] and posts["max"] <= 0.97
    share = {c: n / posts["n"] for c, n in posts["categories"].items()}
    for cat, n in du_gu.POST_CATEGORY_COUNTS.items():  # negative 114, neutral 120, positive 97, ... of 535
        assert abs(share[cat] - n / 535) < 0.07, cat
    comments = corpus.truth["sentiment"]["comments_planned"]
    assert abs(comments["mean"] + 0.20) < 0.05 and abs(comments["sd"] - 0.49) < 0.05
    assert -1.0 <= comments["min"] and comments["max"] <= 0.99
    per_post = {c: corpus.truth["sentiment"]["comments_by_post_category_planned"][c] / posts["categories"][c]
                for c in du_gu.CATEGORIES}
    for cat, rate in du_gu.comments_per_post().items():  # 66.2 / 26.5 / 16.5 / 24.4
        assert abs(per_post[cat] / rate - 1) < 0.2, (cat, per_post[cat], rate)


def test_synth_cli_writes_the_export(tmp_path, capsys):
    from helpers.synth.xhs_corpus import main

    assert main(["--out", str(tmp_path / "raw"), "--scale", "0.03", "--seed", "2", "--formats", "jsonl",
                 "--schema", "creator_hash"]) == 0
    assert (tmp_path / "raw" / "fans.csv").exists()
    assert any((tmp_path / "raw" / "xhs" / "jsonl").glob("search_comments_*.jsonl"))
    assert "expected after cleaning" in capsys.readouterr().out
    assert main(["--out", str(tmp_path / "bad"), "--scale", "-1"]) == 2


@pytest.mark.slow
def test_full_scale_reproduces_the_study_counts(tmp_path):
    """Sizes at the study's scale (its speed is measured by benchmarks/data_cleaning_speed.py)."""
    write(generate(scale=1.0, seed=20241111), tmp_path / "raw")
    result = clean_export(tmp_path / "raw", CleaningConfig(coding_file=tmp_path / "raw" / "self_disclosure_coding.csv",
                                                           salt="x"))
    assert result.flow["posts"]["raw"] == 2182 and result.flow["comments"]["raw"] == 122212
    assert abs(result.flow["posts"]["final"] / 535 - 1) < 0.10
    assert abs(result.flow["comments"]["final"] / 17301 - 1) < 0.15


def test_clear_truth_removes_only_truth_files(tmp_path):
    from helpers.synth.xhs_corpus import clear_truth

    write(generate(scale=0.03, seed=1), tmp_path)
    assert sorted(clear_truth(tmp_path)) == ["truth.json", "truth_comments.parquet", "truth_posts.parquet"]
    assert (tmp_path / "self_disclosure_coding.csv").exists() and clear_truth(tmp_path) == []


@pytest.mark.parametrize("options", [{"sqlite": True}, {"formats": ("csv", "json")},
                                     {"schema": "creator_hash", "formats": ("jsonl",)}])
def test_every_export_flavour_cleans_to_the_same_sample(tmp_path, options):
    corpus = generate(scale=0.03, seed=21)
    raw = write(corpus, tmp_path / "raw", **options)
    source = raw / "xhs.db" if options.get("sqlite") else raw
    fans = raw / "fans.csv" if options.get("schema") == "creator_hash" else None
    result = clean_export(source, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv", fans_file=fans,
                                                 salt="t"))
    assert set(result.posts["note_id"]) == _adjudicated(corpus)
    tc = corpus.truth_comments
    assert set(result.comments["comment_id"]) == set(
        tc.loc[(tc["fate"] == "final") & tc["note_id"].isin(result.posts["note_id"]), "comment_id"])
    assert result.posts["fans"].notna().all()


def test_creator_hash_export_is_the_2026_store_and_cleans_like_the_user_id_export(small_run, tmp_path):
    """The 2026-07 schema: sha256(user_id)[:16] pseudonyms, no avatar / IP, and the same cleaned data."""
    import hashlib

    from helpers.data.mediacrawler import detect_version

    root, corpus, result = small_run
    out = write(corpus, tmp_path / "raw", schema="creator_hash")
    notes = pd.read_csv(out / "xhs" / "csv" / "search_contents_2024-11-12.csv", dtype=str)
    comments = pd.read_csv(out / "xhs" / "csv" / "search_comments_2024-11-12.csv", dtype=str)
    assert detect_version("notes", list(notes.columns)).startswith("MediaCrawler 2026-07-01")
    assert detect_version("comments", list(comments.columns)).startswith("MediaCrawler 2026-07-01")
    first = corpus.notes.set_index("note_id").loc[notes["note_id"].iloc[0], "user_id"]
    assert notes["creator_hash"].iloc[0] == hashlib.sha256(first.encode()).hexdigest()[:16]
    assert not set(notes["creator_hash"]) & set(corpus.notes["user_id"])
    old = pd.read_csv(root / "raw" / "xhs" / "csv" / "search_contents_2024-11-12.csv", dtype=str)
    assert "xsec_token" not in old.columns
    assert detect_version("notes", list(old.columns)).startswith("MediaCrawler 2024-08-23")
    hashed = clean_export(out, CleaningConfig(coding_file=out / "self_disclosure_coding.csv", fans_file=out / "fans.csv",
                                              salt="test"))
    assert hashed.flow["user_schema"] == "creator_hash"
    assert set(hashed.posts["note_id"]) == set(result.posts["note_id"])
    assert set(hashed.comments["comment_id"]) == set(result.comments["comment_id"])
    mine = hashed.posts.set_index("note_id").sort_index()
    theirs = result.posts.set_index("note_id").sort_index()
    assert (mine["fans"] == theirs["fans"]).all()
    assert (mine["creator_id"] == theirs["creator_id"]).all()  # one person, one pseudonym across schemas


def test_sentiment_coders_are_calibrated_to_the_studys_kappa():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(4)
    latent = rng.uniform(-1, 1, 4000)
    sd = xc.label_noise_for_kappa(latent, 0.8)
    assert xc.label_kappa_for_noise(latent, sd) == pytest.approx(0.8, abs=1e-6)
    bins = [np.digitize(latent + rng.normal(0, sd, latent.size), xc.LABEL_KAPPA_EDGES) for _ in range(2)]
    assert cohen_kappa_score(*bins) == pytest.approx(0.8, abs=0.03)  # the formula agrees with simulation
    labels, info = xc._labels(np.random.default_rng(1), {"target_posts": 535})
    assert len(labels) == 3000 and info["kappa_target"] == 0.8
    assert info["kappa_realised"] == pytest.approx(0.8, abs=0.04)
    assert info["kappa_bins"] == [-0.79, 0.3] and info["kappa_bins_source"].startswith("assumed")
    assert 0.03 < info["coder_noise_sd"] < 0.3


def test_who_writes_reaches_the_comment_text():
    corpus = xc.generate(scale=0.05, seed=3)
    truth = corpus.truth_comments
    text = corpus.comments["content"].iloc[: len(truth)].str.replace(r"^@\S+ ", "", regex=True)
    long_creator = (truth["fate"] == "creator").to_numpy()
    assert long_creator.sum() > 10
    assert text[long_creator].str.startswith(vocab.CREATOR_REPLIES).all()
    replies = (truth["fate"] == "reply").to_numpy()
    assert 0.2 < text[replies].str.startswith(vocab.REPLY_OPENERS).mean() < 0.8
    assert "sentiment_labels" in corpus.truth and corpus.truth["sentiment_labels"]["kappa_target"] == 0.8
