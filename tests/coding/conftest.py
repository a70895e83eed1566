"""Fixtures of the coding tests: the embedded synthetic corpus cleaned up to the coding stage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.synth.xhs_corpus import generate, write

SALT = "test-salt-not-secret"


@dataclass
class Crawl:
    raw: Path
    posts: pd.DataFrame  # cleaned posts that reach the coding stage
    comments: pd.DataFrame
    truth_posts: pd.DataFrame
    truth_comments: pd.DataFrame
    notes: pd.DataFrame  # raw MediaCrawler rows (identifiers included)
    raw_comments: pd.DataFrame


@pytest.fixture(scope="session")
def crawl(tmp_path_factory) -> Crawl:
    raw = tmp_path_factory.mktemp("coding_corpus") / "raw"
    corpus = generate(scale=0.15, seed=20241111)
    write(corpus, raw)
    result = clean_export(raw, CleaningConfig(salt=SALT))  # no coding file: posts reach the coding stage
    return Crawl(raw, result.posts, result.comments, corpus.truth_posts, corpus.truth_comments,
                 corpus.notes, corpus.comments)
