"""The co-occurrence engines (numba kernels, scipy product) against the pure-Python pair loop."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from helpers.networks import cooccurrence as co
from helpers.networks import cooccurrence_kernels as kernels
from helpers.networks.cooccurrence import (
    cooccurrence_matrix,
    document_term_matrix,
    encode_tokens,
    naive_pair_counts,
)

ENGINES = ["numba", "scipy"]
needs_numba = pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba is not installed")


def messy_corpus(n_docs: int, n_terms: int, seed: int) -> list[list[str]]:
    """Comments with repeats, empty and one-term comments, Zipf-like frequencies, CJK terms."""
    rng = np.random.default_rng(seed)
    vocab = [f"词{i}" for i in range(n_terms)]
    p = 1.0 / np.arange(1, n_terms + 1)
    p /= p.sum()
    docs = []
    for _ in range(n_docs):
        k = int(rng.choice([0, 1, 2, 5, 12, 30], p=[0.05, 0.1, 0.2, 0.3, 0.25, 0.1]))
        docs.append([vocab[i] for i in rng.choice(n_terms, size=k, p=p)])  # repeats likely
    docs.append([])  # a trailing empty comment must keep its row
    return docs


def dense_from_naive(naive: dict[tuple[str, str], int], vocab: list[str]) -> np.ndarray:
    index = {t: i for i, t in enumerate(vocab)}
    dense = np.zeros((len(vocab), len(vocab)))
    for (a, b), n in naive.items():
        dense[index[a], index[b]] = dense[index[b], index[a]] = n
    return dense


def fractional_reference(docs: list[list[str]], vocab: list[str]) -> np.ndarray:
    """Fractional counting written out: each comment adds 1/(n-1) to each of its pairs."""
    index = {t: i for i, t in enumerate(vocab)}
    dense = np.zeros((len(vocab), len(vocab)))
    for doc in docs:
        present = sorted({index[t] for t in doc if t in index})
        if len(present) < 2:
            continue
        w = 1.0 / (len(present) - 1)
        for a_pos, a in enumerate(present):
            for b in present[a_pos + 1:]:
                dense[a, b] += w
                dense[b, a] += w
    return dense


@pytest.mark.parametrize("method", [pytest.param("numba", marks=needs_numba), "scipy"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_engine_equals_the_pair_loop(method, seed):
    docs = messy_corpus(600, 60, seed)
    dt = document_term_matrix(docs, method=method)
    vocab = list(dt.terms)
    assert vocab == sorted(set(t for d in docs for t in d))  # every term, in sorted order
    assert dt.matrix.shape == (len(docs), len(vocab))
    assert set(np.unique(dt.matrix.data)) <= {1.0}  # binary, repeats stored once
    expected_occ = [sum(t in set(d) for d in docs) for t in vocab]
    np.testing.assert_array_equal(dt.occurrences, expected_occ)
    c = cooccurrence_matrix(dt.matrix, method=method)
    np.testing.assert_array_equal(c.toarray(), dense_from_naive(naive_pair_counts(docs, vocab), vocab))
    assert c.has_sorted_indices and c.diagonal().sum() == 0
    frac = cooccurrence_matrix(dt.matrix, "fractional", method=method)
    np.testing.assert_allclose(frac.toarray(), fractional_reference(docs, vocab), rtol=1e-12)


@pytest.mark.parametrize("method", [pytest.param("numba", marks=needs_numba), "scipy"])
def test_vocabulary_restriction_drops_other_tokens_and_keeps_rows(method):
    docs = messy_corpus(400, 50, seed=5)
    vocab = ["词3", "词0", "词7", "词49", "没出现"]  # unsorted on purpose, one never seen
    dt = document_term_matrix(docs, vocabulary=vocab, method=method)
    assert list(dt.terms) == vocab and dt.matrix.shape == (len(docs), len(vocab))
    assert dt.occurrences[-1] == 0
    c = cooccurrence_matrix(dt.matrix, method=method)
    np.testing.assert_array_equal(c.toarray(), dense_from_naive(naive_pair_counts(docs, vocab), vocab))
    frac = cooccurrence_matrix(dt.matrix, "fractional", method=method)
    np.testing.assert_allclose(frac.toarray(), fractional_reference(docs, vocab), rtol=1e-12)


@needs_numba
def test_sparse_kernel_for_large_vocabularies_matches_the_dense_one(monkeypatch):
    docs = messy_corpus(800, 120, seed=9)
    x = document_term_matrix(docs).matrix
    dense_full = cooccurrence_matrix(x, method="numba")
    dense_frac = cooccurrence_matrix(x, "fractional", method="numba")
    monkeypatch.setattr(co, "DENSE_TERMS_MAX", 10)  # force the row-by-row kernel
    assert (cooccurrence_matrix(x, method="numba") != dense_full).nnz == 0
    np.testing.assert_allclose(cooccurrence_matrix(x, "fractional", method="numba").toarray(),
                               dense_frac.toarray(), rtol=1e-12)


@needs_numba
def test_sparse_kernel_grows_its_output_buffer():
    # A complete graph: the result has more entries than the initial buffer (2 × tokens).
    n = 40
    indptr = np.array([0, n], dtype=np.int64)
    indices = np.arange(n, dtype=np.int32)[::-1].copy()  # unsorted row
    h_indptr, h_indices, h_data = kernels.half_pair_counts_sparse(indptr, indices, n, False)
    half = sp.csr_matrix((h_data, h_indices, h_indptr), shape=(n, n))
    full = (half + half.T).toarray()
    np.testing.assert_array_equal(full, np.ones((n, n)) - np.eye(n))


@pytest.mark.parametrize("method", [pytest.param("numba", marks=needs_numba), "scipy"])
def test_matrix_input_pattern_counts_and_caller_matrix_untouched(method):
    # Counts above 1, a stored zero and an unsorted, duplicated row: only the pattern matters.
    data = np.array([3.0, 0.0, 1.0, 2.0, 1.0, 5.0])
    indices = np.array([2, 1, 0, 0, 1, 2])
    indptr = np.array([0, 3, 6])
    x = sp.csr_matrix((data, indices, indptr), shape=(2, 3))
    before = (x.data.copy(), x.indices.copy(), x.indptr.copy())
    c = cooccurrence_matrix(x, method=method).toarray()
    # row 0 holds terms {2, 0} (1 is a stored zero); row 1 holds {0, 1, 2}
    np.testing.assert_array_equal(c, [[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    for got, want in zip((x.data, x.indices, x.indptr), before, strict=True):
        np.testing.assert_array_equal(got, want)


@needs_numba
def test_engines_agree_on_the_semantic_map_sized_problem():
    docs = messy_corpus(3000, 400, seed=11)
    a = document_term_matrix(docs, method="numba")
    b = document_term_matrix(docs, method="scipy")
    assert (a.matrix != b.matrix).nnz == 0 and list(a.terms) == list(b.terms)
    assert (cooccurrence_matrix(a.matrix, method="numba")
            != cooccurrence_matrix(b.matrix, method="scipy")).nnz == 0


def test_encode_tokens_layout_and_empty_input():
    indptr, codes, terms = encode_tokens([["b", "a", "b"], [], ["c"]])
    assert list(terms) == ["a", "b", "c"]
    assert indptr.tolist() == [0, 3, 3, 4] and codes.tolist() == [1, 0, 1, 2]
    indptr, codes, terms = encode_tokens([["b", "x"], ["x"], ["a"]], vocabulary=["a", "b"])
    assert indptr.tolist() == [0, 1, 1, 2] and codes.tolist() == [1, 0]
    for empty in ([], [[], []]):
        dt = document_term_matrix(empty)
        assert dt.matrix.shape == (len(empty), 0)
    # tuples, numpy arrays and pandas Series of lists are all sequences of tokens
    import pandas as pd

    rows = pd.Series([("a", "b"), np.array(["b", "c"], dtype=object)])
    assert document_term_matrix(rows).matrix.toarray().tolist() == [[1, 1, 0], [0, 1, 1]]


@pytest.mark.parametrize(
    "bad, message",
    [
        (["我很难过", ["难过"]], "document 0 is a string"),
        ([["难过"], None], "document 1 is None"),
        ([["难过", None]], "contain None"),
        ([["难过", 3]], "sequences of strings"),
    ],
)
def test_bad_token_lists_get_a_clear_error(bad, message):
    with pytest.raises(TypeError, match=message):
        document_term_matrix(bad)


def test_method_is_checked(monkeypatch):
    with pytest.raises(ValueError, match="method must be one of"):
        document_term_matrix([["a"]], method="fast")
    with pytest.raises(ValueError, match="method must be one of"):
        cooccurrence_matrix(sp.csr_matrix((1, 1)), method="gpu")
    monkeypatch.setattr(kernels, "HAVE_NUMBA", False)
    assert co._resolve_method("auto") == "scipy"
    with pytest.raises(ImportError, match="numba"):
        co._resolve_method("numba")
