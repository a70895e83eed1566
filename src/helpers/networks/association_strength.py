"""Association-strength normalisation of a co-occurrence matrix (van Eck & Waltman 2009).

Raw co-occurrence counts mostly measure how frequent two terms are: 抑郁 co-occurs
with everything because it is in every other comment.  The association strength
divides the observed co-occurrence by what would be expected if the two terms
were placed independently:

    s_ij = 2 m c_ij / (k_i k_j),   k_i = Σ_j c_ij  (total link strength),  m = ½ Σ_i k_i.

So s_ij = 1 means "as often as chance", > 1 "more often than chance".  It is the
similarity VOSviewer uses both for the VOS layout and for its CPM clustering
(with this scaling, the default clustering resolution γ = 1 separates links
above chance from links below it).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def association_strength(c: sp.spmatrix) -> sp.csr_matrix:
    """Sparse symmetric association-strength matrix with the sparsity pattern of ``c``.

    Terms with no links (k_i = 0) get an all-zero row instead of a division by zero.
    """
    c = sp.csr_matrix(c, dtype=np.float64)
    if c.shape[0] != c.shape[1]:
        raise ValueError(f"co-occurrence matrix must be square, got {c.shape}")
    if (c != c.T).nnz:
        raise ValueError("co-occurrence matrix must be symmetric")
    c = c.copy()
    c.setdiag(0.0)
    c.eliminate_zeros()
    k = np.asarray(c.sum(axis=1)).ravel()
    m = k.sum() / 2.0
    if m == 0:
        return sp.csr_matrix(c.shape, dtype=np.float64)
    inv = np.zeros_like(k)
    inv[k > 0] = 1.0 / k[k > 0]
    d = sp.diags(inv)
    return (2.0 * m * (d @ c @ d)).tocsr()
