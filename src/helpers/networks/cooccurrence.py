"""Comment-level term co-occurrence as a sparse matrix product.

VOSviewer's text-mining maps count *binary* occurrence: a term occurs in a
document or not, however often it is repeated there.  With the binary
document-term matrix X (documents × terms), the co-occurrence matrix is
C = XᵀX: C[i, j] is the number of comments that contain both terms, and the
diagonal C[i, i] is the number of comments containing term i (its
"occurrences").  One sparse product replaces the double loop over term pairs in
every comment, which is what makes the full 122k-comment corpus cheap (see
``benchmarks/cooccurrence_speed.py``).

*Full counting* (VOSviewer's default) adds 1 per comment to each pair.
*Fractional counting* (Perianes-Rodriguez, van Eck & Waltman 2016) gives each
comment with n selected terms a weight 1/(n-1) per link, so a long comment
does not dominate: it is XᵀDX with D = diag(1/(n_d-1)).

Two engines compute the product: ``"numba"`` (compiled counting that visits
each pair of a comment once, :mod:`helpers.networks.cooccurrence_kernels`) and ``"scipy"`` (the
sparse product ``XᵀX``).  They give identical matrices; ``"auto"`` takes numba
when it is installed.  The tests hold both to the pure-Python pair loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from helpers.networks import cooccurrence_kernels as kernels

COUNTING = ("full", "fractional")
METHODS = ("auto", "numba", "scipy")
#: Largest vocabulary counted into a dense triangle (2,048² float64 = 32 MiB);
#: above it the numba engine switches to the sparse row-by-row kernel.
DENSE_TERMS_MAX = 2048


def _resolve_method(method: str) -> str:
    """The engine that will run: ``auto`` means numba when it is importable."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        return "numba" if kernels.HAVE_NUMBA else "scipy"
    if method == "numba" and not kernels.HAVE_NUMBA:
        raise ImportError("method='numba' needs the numba package (pip install numba)")
    return method


@dataclass(frozen=True)
class DocumentTerm:
    """A binary document-term matrix and its column labels."""

    matrix: sp.csr_matrix  # documents × terms, 0/1 (float64)
    terms: np.ndarray  # term strings, column order

    @property
    def occurrences(self) -> np.ndarray:
        """Number of documents that contain each term."""
        return np.asarray(self.matrix.sum(axis=0)).ravel()


def encode_tokens(
    token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of every token: ``(indptr, codes, terms)`` in CSR layout.

    Row d's codes are ``codes[indptr[d]:indptr[d + 1]]``, in token order
    (repeats kept) and indexing ``terms``.  Without ``vocabulary`` the terms are
    every token seen, in sorted order; with it, exactly those terms in that
    order, other tokens dropped.

    Why Arrow: turning millions of Python strings into codes is the one step
    that must touch every token.  ``pyarrow`` converts the nested lists to
    UTF-8 buffers and hashes them in C++ in one pass, which takes about 60 % of
    the time of flattening to an object array and hashing with pandas.
    """
    if str in set(map(type, token_lists)):  # Arrow would silently split a text into characters
        first = next(i for i, doc in enumerate(token_lists) if isinstance(doc, str))
        raise TypeError(f"document {first} is a string, not a list of tokens: tokenise the texts first")
    try:
        nested = pa.array(token_lists, type=pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise TypeError(f"token lists must be sequences of strings: {err}") from None
    if nested.null_count:
        first = nested.is_null().to_numpy(zero_copy_only=False).argmax()
        raise TypeError(f"document {first} is None, not a list of tokens")
    offsets = nested.offsets.to_numpy().astype(np.int64)
    tokens = nested.values.slice(offsets[0], offsets[-1] - offsets[0])
    if tokens.null_count:
        raise TypeError("token lists contain None where a token string was expected")
    indptr = offsets - offsets[0]
    encoded = pc.dictionary_encode(tokens)
    local = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    seen = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    if vocabulary is None:
        order = np.argsort(seen.astype(str), kind="stable")
        rank = np.empty(order.size, dtype=np.int32)
        rank[order] = np.arange(order.size, dtype=np.int32)
        return indptr, rank[local], seen[order]
    terms = np.asarray(list(vocabulary), dtype=object)
    if len(set(terms.tolist())) != len(terms):
        raise ValueError("vocabulary contains duplicate terms")
    to_vocab = pd.Index(terms).get_indexer(seen).astype(np.int32)
    codes = to_vocab[local]
    keep = codes >= 0
    if keep.all():
        return indptr, codes, terms
    # Drop tokens outside the vocabulary, keeping row boundaries.
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    return kept_before[indptr], codes[keep], terms


def document_term_matrix(
    token_lists: Sequence[Sequence[str]],
    vocabulary: Sequence[str] | None = None,
    method: str = "auto",
) -> DocumentTerm:
    """Binary documents × terms matrix from tokenised documents.

    With ``vocabulary`` only those terms (in that order) are columns and other
    tokens are ignored; otherwise every token seen becomes a column, in sorted
    term order.  Repeats of a term within a comment are stored once.  With the
    numba engine a row's columns stay in first-occurrence order (scipy sorts
    them when an operation needs it); the scipy engine sorts them.
    """
    engine = _resolve_method(method)
    indptr, codes, terms = encode_tokens(token_lists, vocabulary)
    shape = (len(indptr) - 1, len(terms))
    if engine == "numba":
        indptr, indices = kernels.unique_per_row(indptr, codes, len(terms))
        matrix = sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=shape)
    else:
        matrix = sp.csr_matrix((np.ones(codes.size), codes, indptr), shape=shape)
        matrix.sum_duplicates()
        matrix.data[:] = 1.0  # binary occurrence: repeats within a comment count once
    return DocumentTerm(matrix, terms)


def top_terms(dt: DocumentTerm, n: int, min_occurrences: int = 1) -> np.ndarray:
    """The ``n`` most frequent terms (by number of comments) with at least ``min_occurrences``.

    Ties are broken by the term string so that the selection is deterministic.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    occ = dt.occurrences
    order = np.lexsort((dt.terms.astype(str), -occ))
    order = order[occ[order] >= min_occurrences]
    return dt.terms[order[:n]]


def _document_weights(terms_per_document: np.ndarray, counting: str) -> np.ndarray:
    """Per-document link weight: 1 (full) or 1/(n_d − 1) for n_d selected terms (fractional)."""
    n_terms = np.asarray(terms_per_document, dtype=np.float64)
    if counting == "full":
        return np.ones_like(n_terms)
    weight = np.zeros_like(n_terms)
    several = n_terms > 1
    weight[several] = 1.0 / (n_terms[several] - 1.0)
    return weight


def cooccurrence_matrix(x: sp.spmatrix, counting: str = "full", method: str = "auto") -> sp.csr_matrix:
    """Symmetric term × term co-occurrence counts with a zero diagonal.

    ``x`` is a documents × terms matrix restricted to the selected terms; its
    *pattern* is what counts (a stored nonzero is one occurrence, however
    large), which is VOSviewer's binary counting.
    """
    if counting not in COUNTING:
        raise ValueError(f"counting must be one of {COUNTING}, got {counting!r}")
    engine = _resolve_method(method)
    x = sp.csr_matrix(x)
    if (x.data == 0).any():  # a stored zero is not an occurrence (copy: never touch the caller's)
        x = x.copy()
        x.eliminate_zeros()
    n_terms = x.shape[1]
    if engine == "numba":
        indptr = x.indptr.astype(np.int64, copy=False)
        indices = x.indices.astype(np.int32, copy=False)
        fractional = counting == "fractional"
        # Each pair was counted once, on one side of the diagonal: C = H + Hᵀ.
        if n_terms <= DENSE_TERMS_MAX:
            half = kernels.half_pair_counts_dense(indptr, indices, n_terms, fractional)
            c = sp.csr_matrix(half + half.T)
        else:
            indptr, indices = kernels.unique_per_row(indptr, indices, n_terms)
            h_indptr, h_indices, h_data = kernels.half_pair_counts_sparse(
                indptr, indices, n_terms, fractional)
            half = sp.csr_matrix((h_data, h_indices, h_indptr), shape=(n_terms, n_terms))
            c = (half + half.T).tocsr()
    else:
        x = x.copy()
        x.sum_duplicates()
        weights = _document_weights(np.diff(x.indptr), counting)
        b = sp.csr_matrix((np.ones(x.nnz), x.indices, x.indptr), shape=x.shape)
        # csr @ csr is the fastest layout for scipy's SpGEMM.
        c = (b.T.tocsr() @ (sp.diags(weights) @ b).tocsr()).tocsr()
        c.setdiag(0.0)
    c.eliminate_zeros()
    c.sort_indices()
    return c


@dataclass(frozen=True)
class LinkTotals:
    """Map-level totals in VOSviewer's convention (each undirected link counted once)."""

    items: int
    links: int
    total_link_strength: float


def term_link_stats(c: sp.spmatrix) -> pd.DataFrame:
    """Per term: links L (number of co-occurring partners) and total link strength TLS = Σ_j c_ij."""
    c = sp.csr_matrix(c)
    return pd.DataFrame(
        {
            "links": np.diff(c.indptr).astype(int),
            "total_link_strength": np.asarray(c.sum(axis=1)).ravel(),
        }
    )


def map_totals(c: sp.spmatrix) -> LinkTotals:
    """Number of links and total link strength of a map, each unordered pair counted once.

    This is what VOSviewer prints under a map ("Links", "Total link strength"):
    the per-term sums Σ_i L_i and Σ_i TLS_i are exactly twice these, because
    every link has two ends.
    """
    upper = sp.triu(sp.csr_matrix(c), k=1)
    return LinkTotals(c.shape[0], int(upper.nnz), float(upper.sum()))


def naive_pair_counts(
    token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str]
) -> dict[tuple[str, str], int]:
    """Pure-Python reference: count each unordered pair of distinct selected terms per comment.

    The obvious implementation (a double loop over the terms of every comment);
    it is the baseline of the speed benchmark and the oracle of the unit tests.
    """
    vocab = set(vocabulary)
    counts: dict[tuple[str, str], int] = {}
    for tokens in token_lists:
        present = sorted({t for t in tokens if t in vocab})
        for a in range(len(present)):
            for b in range(a + 1, len(present)):
                key = (present[a], present[b])
                counts[key] = counts.get(key, 0) + 1
    return counts
