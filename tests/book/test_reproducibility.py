"""Same seed and parameters -> identical tables on CPU (cleaning, networks, models).

Each pipeline is run twice from scratch in separate folders and the written
tables are compared exactly; a different seed must change them, so the check
cannot pass by comparing constants.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import require_r_or_skip

SCALE = 0.03


def _clean(folder: Path, seed: int, scale: float = SCALE):
    from helpers.data.pipeline import CleaningConfig, clean_export
    from helpers.synth.xhs_corpus import generate, write

    raw = write(generate(scale=scale, seed=seed), folder / "raw")
    result = clean_export(raw, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv",
                                              salt=f"synthetic-{seed}"))
    return result.write(folder / "clean")


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    base = tmp_path_factory.mktemp("repro")
    return {name: _clean(base / name, seed) for name, seed in (("a", 7), ("b", 7), ("c", 8))}


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        "posts": pd.read_parquet(folder / "posts.parquet"),
        "comments": pd.read_parquet(folder / "comments.parquet"),
        "exclusions": pd.read_csv(folder / "exclusions.csv"),
    }


def test_cleaning_is_reproducible(cleaned):
    a, b, c = (_tables(cleaned[k]) for k in "abc")
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    assert (cleaned["a"] / "flow.json").read_text() == (cleaned["b"] / "flow.json").read_text()
    assert len(a["posts"]) > 10 and len(a["comments"]) > 100
    assert not a["comments"]["text"].equals(c["comments"]["text"]), "another seed gives another corpus"


def _network(clean_dir: Path, seed: int) -> pd.DataFrame:
    from helpers.networks.segmenter import ChineseTokenizer
    from helpers.networks.semantic_map import build_semantic_map

    comments = pd.read_parquet(clean_dir / "comments.parquet")
    tokens = ChineseTokenizer(keep=["现在", "一个"]).tokenize_many(comments["text"].tolist())
    smap = build_semantic_map(tokens, top_n=40, min_occurrences=3, n_layout_starts=2, seed=seed)
    items = smap.items.copy()
    items.attrs["cooccurrence"] = smap.cooccurrence.toarray()
    return items


def test_networks_are_reproducible(cleaned):
    first = _network(cleaned["a"], seed=3)
    second = _network(cleaned["b"], seed=3)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    np.testing.assert_array_equal(first.attrs["cooccurrence"], second.attrs["cooccurrence"])
    other = _network(cleaned["a"], seed=4)
    assert not np.array_equal(first[["x", "y"]].to_numpy(), other[["x", "y"]].to_numpy()), (
        "the layout's random starts depend on the seed")


def _model_table(folder: Path) -> pd.DataFrame:
    from helpers.engagement.data import load_comments, load_posts, study_model_specs
    from helpers.engagement.lmer import coefficient_table, fit_models

    posts = load_posts(folder, sentiment="latent")
    comments = load_comments(folder, sentiment="latent")
    results = fit_models(study_model_specs(), posts, comments, engine="lmerTest")
    assert all(r.error is None for r in results), [r.error for r in results]
    return coefficient_table(results, "raw")


def test_models_are_reproducible(tmp_path):
    require_r_or_skip(("lme4", "lmerTest"))
    folders = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        _clean(tmp_path / name, seed, scale=0.1)
        folders[name] = tmp_path / name
    first, second, other = (_model_table(folders[k]) for k in "abc")
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert len(first) >= 5 * 4
    assert not np.allclose(first["estimate"], other["estimate"]), "another seed gives other estimates"
