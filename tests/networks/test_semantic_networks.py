"""Tests for the VOSviewer-style semantic network library (chapter 04)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad

from helpers.networks.association_strength import association_strength
from helpers.networks.cooccurrence import (
    cooccurrence_matrix,
    document_term_matrix,
    map_totals,
    naive_pair_counts,
    term_link_stats,
    top_terms,
)
from helpers.networks.figures import plotly_map, pyvis_html, strongest_links
from helpers.networks.glossary import load_glossary, missing_terms
from helpers.networks.map_consistency import compare_maps, consistency_table, theme_recovery
from helpers.networks.segmenter import DEFAULT_KEEP, ChineseTokenizer, hit_stopwords
from helpers.networks.semantic_map import build_semantic_map, cluster_table, export_vosviewer
from helpers.networks.vos_clustering import cpm_quality, merge_small_clusters, vos_clustering
from helpers.networks.vos_layout import (
    _objective_and_gradient,
    constrained_objective,
    largest_component,
    vos_layout,
)
from helpers.networks.vosviewer_io import read_map_file, read_network_file, write_network_file

THEMES = {
    "coping": [f"c{i}" for i in range(25)],
    "struggle": [f"s{i}" for i in range(25)],
    "health": [f"h{i}" for i in range(25)],
}


def planted_corpus(n_docs: int = 1500, seed: int = 0, noise: int = 2) -> tuple[list[list[str]], dict]:
    """Comments that each draw 2–5 terms from one theme plus a few generic words."""
    rng = np.random.default_rng(seed)
    generic = [f"g{i}" for i in range(20)]
    names = list(THEMES)
    docs = []
    for _ in range(n_docs):
        theme = names[rng.integers(len(names))]
        words = list(rng.choice(THEMES[theme], size=rng.integers(2, 6), replace=False))
        words += list(rng.choice(generic, size=rng.integers(0, noise + 1)))
        docs.append(words)
    truth = {w: t for t, ws in THEMES.items() for w in ws}
    return docs, truth


# --- tokenisation -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer() -> ChineseTokenizer:
    return ChineseTokenizer()


def test_hit_list_loaded_and_keep_list_applied(tokenizer):
    hit = hit_stopwords()
    assert len(hit) > 700 and "的" in hit and "一个" in hit
    assert "一个" not in tokenizer.stopwords and "的" in tokenizer.stopwords
    assert DEFAULT_KEEP == ("现在", "一个")
    assert "一个" in tokenizer.tokenize("我现在一个人在家")
    assert "现在" in tokenizer.tokenize("我现在一个人在家")


def test_keep_list_is_a_parameter():
    strict = ChineseTokenizer(keep=())
    assert "一个" not in strict.tokenize("我现在一个人在家，一个")


def test_domain_dictionary_keeps_clinical_words_whole(tokenizer):
    tokens = tokenizer.tokenize("医生说我是躯体化，开了舍曲林和艾司西酞普兰，还要做心理咨询")
    for word in ("躯体化", "舍曲林", "艾司西酞普兰", "心理咨询"):
        assert word in tokens
    plain = ChineseTokenizer(user_dict=False)
    assert "艾司西酞普兰" not in plain.tokenize("开了艾司西酞普兰")


def test_stopwords_punctuation_numbers_and_short_tokens_dropped(tokenizer):
    tokens = tokenizer.tokenize("我的 2024 年，真的很难过！！ abc")
    assert "的" not in tokens and "2024" not in tokens and "，" not in tokens
    assert "难过" in tokens
    assert all(len(t) >= 2 for t in tokens if t not in DEFAULT_KEEP)


def test_extra_stopwords_and_custom_list():
    tok = ChineseTokenizer(stopwords=["难过"], extra_stopwords=["抑郁症"])
    tokens = tok.tokenize("抑郁症让我很难过，但是会好的")
    assert "难过" not in tokens and "抑郁症" not in tokens
    with pytest.raises(TypeError):
        tok.tokenize(None)  # type: ignore[arg-type]
    assert tok.tokenize_many(["难过", None]) == [[], []]


# --- co-occurrence ----------------------------------------------------------------------

def test_sparse_cooccurrence_equals_naive_pair_counts():
    docs, _ = planted_corpus(400, seed=3)
    docs = [d + d[:1] for d in docs]  # repeats within a comment must count once
    dt = document_term_matrix(docs)
    vocab = top_terms(dt, 40)
    x = document_term_matrix(docs, vocabulary=vocab)
    c = cooccurrence_matrix(x.matrix)
    naive = naive_pair_counts(docs, vocab)
    index = {t: i for i, t in enumerate(vocab)}
    dense = np.zeros((len(vocab), len(vocab)))
    for (a, b), n in naive.items():
        dense[index[a], index[b]] = dense[index[b], index[a]] = n
    np.testing.assert_array_equal(c.toarray(), dense)
    assert c.diagonal().sum() == 0
    # occurrences = comments containing the term (binary)
    assert x.occurrences[0] == sum(vocab[0] in set(d) for d in docs)


def test_top_terms_order_threshold_and_vocabulary_errors():
    docs = [["a", "b"], ["a", "c"], ["a", "b"], ["d"]]
    dt = document_term_matrix(docs)
    assert list(top_terms(dt, 2)) == ["a", "b"]
    assert list(top_terms(dt, 10, min_occurrences=2)) == ["a", "b"]
    with pytest.raises(ValueError):
        document_term_matrix(docs, vocabulary=["a", "a"])
    with pytest.raises(ValueError):
        top_terms(dt, 0)


def test_fractional_counting_and_totals_convention():
    docs = [["a", "b", "c"], ["a", "b"], ["c"]]
    x = document_term_matrix(docs, vocabulary=["a", "b", "c"]).matrix
    full = cooccurrence_matrix(x, "full").toarray()
    frac = cooccurrence_matrix(x, "fractional").toarray()
    assert full[0, 1] == 2 and full[0, 2] == 1
    assert frac[0, 1] == pytest.approx(1.5) and frac[0, 2] == pytest.approx(0.5)
    c = sp.csr_matrix(full)
    stats = term_link_stats(c)
    totals = map_totals(c)
    assert list(stats["links"]) == [2, 2, 2] and list(stats["total_link_strength"]) == [3, 3, 2]
    assert totals.links == 3 and totals.total_link_strength == 4
    assert stats["links"].sum() == 2 * totals.links
    assert stats["total_link_strength"].sum() == 2 * totals.total_link_strength
    with pytest.raises(ValueError):
        cooccurrence_matrix(x, "weird")


# --- association strength ---------------------------------------------------------------

def test_association_strength_formula():
    c = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 2], [1, 2, 0]], dtype=float))
    s = association_strength(c).toarray()
    k = np.array([5, 6, 3.0])
    m = k.sum() / 2
    assert s[0, 1] == pytest.approx(2 * m * 4 / (5 * 6))
    assert s[1, 2] == pytest.approx(2 * m * 2 / (6 * 3))
    np.testing.assert_allclose(s, s.T)
    with pytest.raises(ValueError):
        association_strength(sp.csr_matrix(np.array([[0, 1], [2, 0.0]])))
    assert association_strength(sp.csr_matrix((2, 2))).nnz == 0


# --- VOS layout -------------------------------------------------------------------------

def two_blocks(n: int = 20, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.uniform(0.0, 0.05, size=(n, n))
    half = n // 2
    dense[:half, :half] += 1.0
    dense[half:, half:] += 1.0
    dense = (dense + dense.T) / 2
    np.fill_diagonal(dense, 0.0)
    return sp.csr_matrix(dense)


def test_layout_gradient_is_correct():
    s = two_blocks(8)
    lap = (sp.diags(np.asarray(s.sum(axis=1)).ravel()) - s).tocsr()
    x0 = np.random.default_rng(1).normal(size=16)
    err = check_grad(lambda v: _objective_and_gradient(v, s, lap, 8)[0],
                     lambda v: _objective_and_gradient(v, s, lap, 8)[1], x0)
    assert err < 1e-4


def test_layout_mean_distance_one_and_blocks_separate():
    s = two_blocks(20)
    layout = vos_layout(s, n_starts=3, seed=2)
    x = layout.coords
    d = np.linalg.norm(x[:, None] - x[None], axis=2)
    assert d[np.triu_indices(20, 1)].mean() == pytest.approx(1.0)
    within = np.r_[d[:10, :10][np.triu_indices(10, 1)], d[10:, 10:][np.triu_indices(10, 1)]].mean()
    between = d[:10, 10:].mean()
    assert between > 2 * within
    assert layout.objective == pytest.approx(min(layout.objectives))
    assert layout.objective == pytest.approx(constrained_objective(x, s), rel=1e-6)
    # better than random positions
    rand = np.random.default_rng(0).normal(size=(20, 2))
    assert layout.objective < constrained_objective(rand, s)
    # centred, VOSviewer's orientation: first axis the wider one, medians <= 0
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-9)
    assert x[:, 0].var() >= x[:, 1].var()
    assert np.median(x[:, 0]) <= 0 and np.median(x[:, 1]) <= 0


def test_layout_refuses_disconnected_graphs():
    s = sp.block_diag([two_blocks(6).toarray(), two_blocks(4).toarray()]).tocsr()
    with pytest.raises(ValueError, match="disconnected"):
        vos_layout(s)
    assert list(largest_component(s)) == list(range(6))


# --- clustering -------------------------------------------------------------------------

def test_clustering_recovers_blocks_and_quality_matches_leiden():
    s = two_blocks(30, seed=4)
    result = vos_clustering(s, resolution=0.5, n_starts=3)
    assert result.n_clusters == 2
    assert len(set(result.labels[:15])) == 1 and len(set(result.labels[15:])) == 1
    assert result.quality == pytest.approx(cpm_quality(s, result.labels, 0.5))
    one = vos_clustering(s, resolution=0.0)
    assert one.n_clusters == 1


def test_merge_small_clusters_enforces_minimum_size():
    s = two_blocks(20, seed=5)
    labels = np.r_[np.zeros(10, int), np.ones(8, int), [2, 3]]
    merged = merge_small_clusters(s, labels, min_size=3, resolution=0.5)
    sizes = np.bincount(merged)
    assert sizes.min() >= 3 and len(sizes) == 2
    assert sizes[0] >= sizes[1]  # numbered by size


# --- whole map, recovery, consistency ---------------------------------------------------

@pytest.fixture(scope="module")
def planted_map():
    docs, truth = planted_corpus(1500, seed=0)
    return build_semantic_map(docs, top_n=100, min_occurrences=3, min_cluster_size=5,
                              n_layout_starts=2, seed=1), truth, docs


def test_planted_themes_recovered(planted_map):
    smap, truth, _ = planted_map
    rec = theme_recovery(smap, truth)
    # all mapped terms count: the 20 generic words form the "other" class
    assert rec["n_terms"] == 95 and rec["n_theme_terms"] == 75
    assert rec["ari_theme_terms"] >= 0.8 and rec["themes_separated"]
    assert all(rec[f"coverage_{t}"] >= 0.8 for t in THEMES)
    # the generic words sit in theme clusters, so the all-terms score and purity are lower
    assert rec["ari"] < rec["ari_theme_terms"] and all(rec[f"purity_{t}"] < 1 for t in THEMES)
    assert len(smap.items) == smap.totals.items


def test_shuffled_themes_are_not_recovered(planted_map):
    smap, truth, _ = planted_map
    rng = np.random.default_rng(0)
    terms = list(truth)
    shuffled = dict(zip(terms, rng.permutation(list(truth.values())), strict=True))
    rec = theme_recovery(smap, shuffled)
    assert rec["ari"] < 0.2 and rec["ari_theme_terms"] < 0.2


def test_consistency_between_maps(planted_map):
    smap, _, docs = planted_map
    other = build_semantic_map(planted_corpus(1500, seed=9)[0], top_n=100, n_layout_starts=1, seed=3)
    same = compare_maps(smap, smap)
    assert same["ari"] == pytest.approx(1.0) and same["mean_best_jaccard"] == pytest.approx(1.0)
    theme_terms = [w for ws in THEMES.values() for w in ws]
    diff = compare_maps(smap, other, terms=theme_terms)
    assert diff["ari"] > 0.8  # same generating themes → similar clusters
    assert diff["shared_terms"] == 75
    table = consistency_table({"a": smap, "b": other, "c": smap})
    assert len(table) == 3


def test_vosviewer_round_trip(planted_map, tmp_path):
    smap, _, _ = planted_map
    map_path, net_path = export_vosviewer(smap, tmp_path, "test")
    frame = read_map_file(map_path)
    assert list(frame.columns[:5]) == ["id", "label", "x", "y", "cluster"]
    assert frame["label"].tolist() == smap.terms
    np.testing.assert_allclose(frame[["x", "y"]].to_numpy(), smap.items[["x", "y"]], atol=1e-6)
    assert (frame["cluster"] - 1).tolist() == smap.items["cluster"].tolist()
    assert frame["weight<Occurrences>"].tolist() == smap.items["occurrences"].tolist()
    assert frame["weight<Links>"].tolist() == smap.items["links"].tolist()
    net = read_network_file(net_path, n_items=len(frame))
    assert (net != smap.cooccurrence).nnz == 0
    # fractional weights survive too
    frac = sp.csr_matrix(np.array([[0, 0.25], [0.25, 0]]))
    back = read_network_file(write_network_file(tmp_path / "f.txt", frac))
    np.testing.assert_allclose(back.toarray(), frac.toarray())


def test_figures_are_self_contained(planted_map):
    smap, _, _ = planted_map
    html = pyvis_html(smap, {"c1": "gloss-one"}, max_links=50)
    assert "<html" in html and "vis-network" in html
    assert 'src="http' not in html and 'href="http' not in html
    assert "gloss-one" in html and smap.terms[0] in html
    fig = plotly_map(smap, "t")
    assert len(fig.data) == 1 + smap.n_clusters
    rows, cols, w = strongest_links(smap.cooccurrence, 10)
    assert len(w) == 10 and np.all(np.diff(w) <= 0)


def test_cluster_table_and_glossary(planted_map):
    smap, _, _ = planted_map
    table = cluster_table(smap, {}, top_k=3)
    assert table["size"].sum() == len(smap.items)
    glossary = load_glossary()
    assert glossary["抑郁症"].startswith("depression") and glossary["现在"] == "now"
    assert missing_terms(["抑郁症", "不存在的词"]) == ["不存在的词"]


def test_bad_input_is_reported():
    with pytest.raises(ValueError):
        build_semantic_map([])
    with pytest.raises(ValueError, match="min_occurrences"):
        build_semantic_map([["a"], ["b"]], min_occurrences=2)


# --- inputs and the embedded corpus ------------------------------------------------------

def test_missing_sentiment_output_fails_clearly(tmp_path):
    from helpers.book.run_folder import RunLayout
    from helpers.networks.inputs import load_scored_comments

    with pytest.raises(FileNotFoundError, match="chapter 02"):
        load_scored_comments(RunLayout.at(tmp_path))


def test_planted_themes_reader_accepts_both_layouts(tmp_path):
    import json

    from helpers.networks.inputs import planted_themes

    assert planted_themes(tmp_path / "none.json") is None
    (tmp_path / "a.json").write_text(json.dumps({"themes": {"加油": "coping", "医院": "health"}}))
    (tmp_path / "b.json").write_text(json.dumps({"themes": {"coping": ["加油"], "health": ["医院"]}}))
    assert planted_themes(tmp_path / "a.json") == planted_themes(tmp_path / "b.json")


@pytest.fixture(scope="module")
def embedded_corpus(tmp_path_factory):
    """The project's synthetic corpus at a small scale, synthesised and cleaned (chapter 01's CLI)."""
    from helpers.__main__ import main

    root = tmp_path_factory.mktemp("embedded")
    assert main(["synth", "--out", str(root / "raw"), "--scale", "0.1", "--seed", "7"]) == 0
    assert main(["clean", str(root / "raw"), "--out", str(root / "clean")]) == 0
    return root


def test_embedded_corpus_themes_recovered(embedded_corpus, tokenizer):
    import pandas as pd

    from helpers.networks.inputs import planted_themes

    texts = pd.read_parquet(embedded_corpus / "clean" / "comments.parquet")["text"].tolist()
    themes = planted_themes(embedded_corpus / "raw" / "truth.json")
    assert themes and len(set(themes.values())) == 3
    smap = build_semantic_map(tokenizer.tokenize_many(texts), top_n=100, min_occurrences=3,
                              min_cluster_size=5, n_layout_starts=2, seed=1)
    rec = theme_recovery(smap, themes)
    assert rec["n_terms"] == len(smap.items) and rec["n_theme_terms"] >= 20
    assert rec["themes_separated"] and rec["ari_theme_terms"] >= 0.8, rec
    assert all(rec[f"coverage_{t}"] >= 0.5 for t in set(themes.values())), rec


def test_totals_under_other_counting(planted_map):
    from helpers.networks.semantic_map import totals_under

    smap, _, docs = planted_map
    full = totals_under(docs, smap.terms, "full")
    frac = totals_under(docs, smap.terms, "fractional")
    assert full.links == smap.totals.links == frac.links
    assert full.total_link_strength == pytest.approx(smap.totals.total_link_strength)
    # fractional: every comment with k >= 2 mapped terms contributes k/2 in total
    k = np.array([len(set(d) & set(smap.terms)) for d in docs])
    assert frac.total_link_strength == pytest.approx((k[k >= 2] / 2).sum())


def test_benchmark_helpers_run_on_small_data(project_root, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "cooccurrence_speed", project_root / "benchmarks" / "cooccurrence_speed.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    docs = bench.topic_corpus(200, 3000, 5, seed=1)
    assert bench.compare("tiny", docs) > 0  # asserts sparse == naive internally
    bench.layout_and_clustering(docs, 100, seed=1)
    out = capsys.readouterr().out
    assert "ratio" in out and "clusters" in out


def test_scored_comments_get_text_from_clean_and_bad_categories_fail(tmp_path):
    import pandas as pd

    from helpers.book.run_folder import RunLayout
    from helpers.networks.inputs import load_scored_comments

    layout = RunLayout.at(tmp_path)
    pd.DataFrame({"comment_id": ["a", "b"], "text": ["我现在很好", "医院复诊"]}).to_parquet(
        layout.clean / "comments.parquet")
    scored = pd.DataFrame({"comment_id": ["a", "b"], "post_sentiment_category": ["positive", "negative"]})
    scored.to_parquet(layout.sentiment / "comments_scored.parquet")
    frame = load_scored_comments(layout)
    assert frame.set_index("comment_id")["text"].to_dict() == {"a": "我现在很好", "b": "医院复诊"}
    scored.assign(post_sentiment_category=["positive", "happy"]).to_parquet(
        layout.sentiment / "comments_scored.parquet")
    with pytest.raises(ValueError, match="happy"):
        load_scored_comments(layout)
    scored.drop(columns="post_sentiment_category").to_parquet(layout.sentiment / "comments_scored.parquet")
    with pytest.raises(ValueError, match="post_sentiment_category"):
        load_scored_comments(layout)
