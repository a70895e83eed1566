"""Compiled kernels behind :mod:`helpers.networks.cooccurrence`: per-comment de-duplication and pair counting.

Why not just ``XᵀX`` with scipy?  On comment data the work that matters is
the pairs inside each comment, Σ_d m_d(m_d−1)/2 for a comment with m_d
distinct terms (about 10 million pairs for the 122k raw comments of the
embedded corpus).  scipy's general sparse product does the full m_d² per
comment, in two passes (structure, then values), and needs every row sorted
and de-duplicated first.  The kernels here visit each unordered pair once.

Each pair {a, b} of a comment is added on one side of the diagonal only: at
(a, b) when a comes first in the comment, else at (b, a).  The returned
"half" matrix H therefore gives the co-occurrence matrix as C = H + Hᵀ, and
no row needs sorting.

* :func:`half_pair_counts_dense`, for a map-sized vocabulary (up to a few
  thousand terms): the pairs go straight into a dense V × V array that stays
  in the CPU cache while the comments are read once, in storage order.
* :func:`half_pair_counts_sparse`, for a larger vocabulary, where a dense
  V × V array would not fit in memory: Gustavson's row-by-row algorithm.  For
  each term i, walk the comments that contain it and add the comment's weight
  to every term that follows i in the comment; a dense accumulator of length V
  and a "last row that touched j" marker make each step O(1), and only the
  touched columns are written out, so memory is that of the result.

The kernels are compiled with numba when it is installed (``cache=True``, so a
kernel is compiled once per machine, not once per run).  Without numba the
same functions would run as plain Python, correct but slow, so callers check
:data:`HAVE_NUMBA` and use scipy's product instead.
"""

from __future__ import annotations

import numpy as np

try:  # numba is a speed-up, not a requirement: without it the scipy path is used.
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None
    HAVE_NUMBA = False


def _compiled(fn):
    """``numba.njit`` with an on-disk cache and the GIL released, or ``fn`` itself."""
    if HAVE_NUMBA:
        return numba.njit(cache=True, nogil=True)(fn)
    return fn


@_compiled
def distinct_codes(
    indices: np.ndarray, lo: int, hi: int, row: int, last_row: np.ndarray, out: np.ndarray, start: int
) -> int:
    """Write the distinct codes of ``indices[lo:hi]`` to ``out[start:]`` in first-seen order.

    ``last_row[code]`` remembers the last row that saw a code, so a repeat is
    found in O(1) with no sorting (binary occurrence: a term repeated in a
    comment counts once).  Returns how many codes were written.
    """
    m = 0
    for k in range(lo, hi):
        code = indices[k]
        if last_row[code] != row:
            last_row[code] = row
            out[start + m] = code
            m += 1
    return m


@_compiled
def unique_per_row(
    indptr: np.ndarray, codes: np.ndarray, n_terms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated codes within each row, keeping first occurrences in order.

    Returns the new ``indptr`` and ``indices``.
    """
    n_rows = indptr.shape[0] - 1
    out = np.empty(codes.shape[0], dtype=np.int32)
    new_indptr = np.zeros(n_rows + 1, dtype=np.int64)
    last_row = np.full(n_terms, -1, dtype=np.int64)
    pos = 0
    for r in range(n_rows):
        pos += distinct_codes(codes, indptr[r], indptr[r + 1], r, last_row, out, pos)
        new_indptr[r + 1] = pos
    return new_indptr, out[:pos].copy()


@_compiled
def document_weight(n_terms_in_document: int, fractional: bool) -> float:
    """Link weight of one comment: 1 (full counting) or 1/(n − 1) (fractional counting)."""
    if not fractional:
        return 1.0
    if n_terms_in_document < 2:
        return 0.0
    return 1.0 / (n_terms_in_document - 1)


@_compiled
def half_pair_counts_dense(
    indptr: np.ndarray, indices: np.ndarray, n_terms: int, fractional: bool
) -> np.ndarray:
    """Dense H with C = H + Hᵀ, the binary co-occurrence counts off the diagonal.

    Rows may hold repeats and need not be sorted: each comment's distinct
    terms are collected first (:func:`distinct_codes`), so that a repeated
    term still counts once, without a de-duplicated copy of the whole matrix.
    """
    half = np.zeros((n_terms, n_terms), dtype=np.float64)
    last_doc = np.full(n_terms, -1, dtype=np.int64)
    longest = 0
    for d in range(indptr.shape[0] - 1):
        longest = max(longest, indptr[d + 1] - indptr[d])
    present = np.empty(longest, dtype=np.int32)
    for d in range(indptr.shape[0] - 1):
        m = distinct_codes(indices, indptr[d], indptr[d + 1], d, last_doc, present, 0)
        w = document_weight(m, fractional)
        for p in range(m):
            row = half[present[p]]
            for q in range(p + 1, m):
                row[present[q]] += w
    return half


@_compiled
def half_pair_counts_sparse(
    indptr: np.ndarray, indices: np.ndarray, n_terms: int, fractional: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (``indptr``, ``indices``, ``data``) of H, for vocabularies too large to hold densely.

    Rows must be free of repeats (:func:`unique_per_row`); they need not be sorted.
    """
    n_docs = indptr.shape[0] - 1
    weights = np.empty(n_docs, dtype=np.float64)
    for d in range(n_docs):
        weights[d] = document_weight(indptr[d + 1] - indptr[d], fractional)
    # Transpose the pattern: for each term, the positions (into `indices`) where it occurs.
    occurrences = np.zeros(n_terms, dtype=np.int64)
    for k in range(indices.shape[0]):
        occurrences[indices[k]] += 1
    t_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    for i in range(n_terms):
        t_indptr[i + 1] = t_indptr[i] + occurrences[i]
    fill = t_indptr[:-1].copy()
    t_pos = np.empty(indices.shape[0], dtype=np.int64)
    t_doc = np.empty(indices.shape[0], dtype=np.int64)
    for d in range(n_docs):
        for k in range(indptr[d], indptr[d + 1]):
            i = indices[k]
            t_pos[fill[i]] = k
            t_doc[fill[i]] = d
            fill[i] += 1

    capacity = max(16, 2 * indices.shape[0])
    out_indices = np.empty(capacity, dtype=np.int32)
    out_data = np.empty(capacity, dtype=np.float64)
    out_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    acc = np.zeros(n_terms, dtype=np.float64)
    marker = np.full(n_terms, -1, dtype=np.int64)
    touched = np.empty(n_terms, dtype=np.int32)
    nnz = 0
    for i in range(n_terms):
        n_touched = 0
        for p in range(t_indptr[i], t_indptr[i + 1]):
            d = t_doc[p]
            w = weights[d]
            for q in range(t_pos[p] + 1, indptr[d + 1]):
                j = indices[q]
                if marker[j] != i:
                    marker[j] = i
                    acc[j] = 0.0
                    touched[n_touched] = j
                    n_touched += 1
                acc[j] += w
        if nnz + n_touched > capacity:  # grow geometrically
            while nnz + n_touched > capacity:
                capacity *= 2
            grown_indices = np.empty(capacity, dtype=np.int32)
            grown_data = np.empty(capacity, dtype=np.float64)
            grown_indices[:nnz] = out_indices[:nnz]
            grown_data[:nnz] = out_data[:nnz]
            out_indices = grown_indices
            out_data = grown_data
        cols = np.sort(touched[:n_touched])
        for k in range(n_touched):
            out_indices[nnz + k] = cols[k]
            out_data[nnz + k] = acc[cols[k]]
        nnz += n_touched
        out_indptr[i + 1] = nnz
    return out_indptr, out_indices[:nnz].copy(), out_data[:nnz].copy()
