"""The synthetic corpus: contract files and columns, calibration, determinism, planted signals."""

from __future__ import annotations

import json

import jieba
import numpy as np
import pandas as pd
import pytest

from helpers.data.pipeline import COMMENT_COLUMNS, POST_COLUMNS, CleaningConfig, clean_export
from helpers.synth import grammar as g
from helpers.synth.xhs_corpus import generate, write


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


def test_clean_sizes_match_the_plan(small_run):
    _, corpus, result = small_run
    assert result.flow["posts"]["final"] == corpus.truth["expected_clean"]["posts"]
    assert result.flow["comments"]["final"] == corpus.truth["expected_clean"]["comments"]
    kept = set(corpus.truth_posts.loc[corpus.truth_posts["intended_kept"], "note_id"])
    assert set(result.posts["note_id"]) == kept
    planned = set(corpus.truth_comments.loc[corpus.truth_comments["intended_kept"], "comment_id"])
    assert set(result.comments["comment_id"]) == planned


def test_raw_sizes_scale_with_the_study():
    corpus = generate(scale=0.1, seed=3)
    assert len(corpus.notes) == round(2182 * 0.1)
    assert len(corpus.comments) == round(122212 * 0.1)
    times = pd.to_numeric(corpus.notes["time"])
    assert pd.Timestamp(times.min(), unit="ms") >= pd.Timestamp("2021-03-22")
    assert pd.Timestamp(times.max(), unit="ms") < pd.Timestamp("2024-11-12")
    assert set(corpus.notes["source_keyword"]) <= set(g.SOURCE_KEYWORDS)
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
    assert likes["outcome"] == "ln_liked" and likes["standardised"] is True
    assert likes["coefficients"] == {"post_sentiment": -0.36, "post_length": 0.35, "days_since_post": 0.22,
                                     "fans": 0.35}
    assert truth["synthetic"] is True and len(truth["themes"]) > 120


def test_audience_members_recur_and_creators_post_several(small_run):
    _, _, result = small_run
    assert result.comments["audience_id"].value_counts().max() > 1
    assert result.posts["creator_id"].value_counts().max() > 1


def test_theme_words_are_single_jieba_tokens_and_disjoint_from_sentiment():
    sentiment_tokens = {t for phrases in g.SENTIMENT_LEXICON.values() for p in phrases for t in jieba.lcut(p)}
    for theme, words in g.THEMES.items():
        assert 40 <= len(words) <= 80, theme
        for word in words:
            assert jieba.lcut(word) == [word], word
            assert word not in sentiment_tokens, word
    all_words = [w for words in g.THEMES.values() for w in words]
    assert len(all_words) == len(set(all_words))


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


def test_sentiment_moments_near_targets():
    corpus = generate(scale=0.5, seed=5)
    posts = corpus.truth["sentiment"]["posts_kept"]
    assert abs(posts["mean"] + 0.19) < 0.08 and abs(posts["sd"] - 0.57) < 0.06
    comments = corpus.truth["sentiment"]["comments_kept"]
    assert abs(comments["mean"] + 0.20) < 0.1 and abs(comments["sd"] - 0.49) < 0.08
    realised = corpus.truth["realised"]["engagement"]["likes"]
    assert realised["post_sentiment"] < -0.2 and realised["post_length"] > 0.2


def test_sentiment_phrases_track_the_latent_score():
    labels = generate(scale=0.05, seed=9).labels
    levels = {p: lvl for lvl, phrases in g.SENTIMENT_LEXICON.items() for p in phrases}
    lexicon = sorted(levels, key=len, reverse=True)
    est = []
    for text in labels["text"]:
        found = [levels[p] for p in lexicon if p in text]
        est.append(np.mean(found) if found else 0.0)
    score = labels[["coder_1", "coder_2"]].mean(axis=1)
    assert np.corrcoef(est, score)[0, 1] > 0.9


def test_synth_cli_writes_the_export(tmp_path, capsys):
    from helpers.synth.xhs_corpus import main

    assert main(["--out", str(tmp_path / "raw"), "--scale", "0.03", "--seed", "2", "--formats", "jsonl",
                 "--schema", "creator_hash"]) == 0
    assert (tmp_path / "raw" / "fans.csv").exists()
    assert any((tmp_path / "raw" / "xhs" / "jsonl").glob("search_comments_*.jsonl"))
    assert "expected after cleaning" in capsys.readouterr().out
    assert main(["--out", str(tmp_path / "bad"), "--scale", "-1"]) == 2


@pytest.mark.slow
def test_full_scale_reproduces_the_study_counts_quickly(tmp_path):
    import time

    started = time.perf_counter()
    write(generate(scale=1.0, seed=20241111), tmp_path / "raw")
    result = clean_export(tmp_path / "raw", CleaningConfig(coding_file=tmp_path / "raw" / "self_disclosure_coding.csv",
                                                           salt="x"))
    seconds = time.perf_counter() - started
    assert result.flow["posts"]["raw"] == 2182 and result.flow["comments"]["raw"] == 122212
    assert abs(result.flow["posts"]["final"] / 535 - 1) < 0.10
    assert abs(result.flow["comments"]["final"] / 17301 - 1) < 0.10
    assert seconds < 90, f"synth + clean at scale 1 took {seconds:.0f} s"


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
    assert result.flow["posts"]["final"] == corpus.truth["expected_clean"]["posts"]
    assert result.flow["comments"]["final"] == corpus.truth["expected_clean"]["comments"]
    assert result.posts["fans"].notna().all()
