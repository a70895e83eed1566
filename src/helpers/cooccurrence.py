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
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

COUNTING = ("full", "fractional")


@dataclass(frozen=True)
class DocumentTerm:
    """A binary document-term matrix and its column labels."""

    matrix: sp.csr_matrix  # documents × terms, 0/1 (float64)
    terms: np.ndarray  # term strings, column order

    @property
    def occurrences(self) -> np.ndarray:
        """Number of documents that contain each term."""
        return np.asarray(self.matrix.sum(axis=0)).ravel()


def document_term_matrix(
    token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str] | None = None
) -> DocumentTerm:
    """Binary documents × terms matrix from tokenised documents.

    With ``vocabulary`` only those terms (in that order) are columns and other
    tokens are ignored; otherwise every token seen becomes a column.
    """
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    total = int(lengths.sum())
    flat = np.fromiter(itertools.chain.from_iterable(token_lists), dtype=object, count=total)
    if vocabulary is None:
        # pandas' C hash table, then a cheap re-ranking so that columns are in sorted term order.
        codes, uniques = pd.factorize(flat)
        labels = np.asarray(uniques, dtype=object)
        order = np.argsort(labels.astype(str), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        codes = rank[codes] if codes.size else codes
        terms = labels[order]
    else:
        terms = np.asarray(list(vocabulary), dtype=object)
        if len(set(terms.tolist())) != len(terms):
            raise ValueError("vocabulary contains duplicate terms")
        codes = pd.Index(terms).get_indexer(flat) if total else np.empty(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    if vocabulary is not None:  # drop tokens outside the vocabulary, keeping row boundaries
        keep = codes >= 0
        rows = np.repeat(np.arange(len(token_lists)), lengths)
        per_row = np.bincount(rows[keep], minlength=len(token_lists))
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        codes = codes[keep]
    matrix = sp.csr_matrix((np.ones(codes.size), codes, indptr), shape=(len(token_lists), len(terms)))
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


def cooccurrence_matrix(x: sp.spmatrix, counting: str = "full") -> sp.csr_matrix:
    """Symmetric term × term co-occurrence counts with a zero diagonal.

    ``x`` is a binary documents × terms matrix restricted to the selected terms.
    """
    if counting not in COUNTING:
        raise ValueError(f"counting must be one of {COUNTING}, got {counting!r}")
    x = sp.csr_matrix(x, dtype=np.float64)
    if counting == "fractional":
        n_terms = np.asarray(x.sum(axis=1)).ravel()
        weight = np.zeros_like(n_terms)
        several = n_terms > 1
        weight[several] = 1.0 / (n_terms[several] - 1.0)
        c = (x.T.tocsr() @ (sp.diags(weight) @ x)).tocsr()
    else:
        c = (x.T.tocsr() @ x).tocsr()  # csr @ csr: the fastest layout for scipy's SpGEMM
    c.setdiag(0.0)
    c.eliminate_zeros()
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
