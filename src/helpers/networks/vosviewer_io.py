"""VOSviewer map and network files: write ours so a reader can open them in VOSviewer, and read them back.

VOSviewer's classic exchange format is two tab-separated UTF-8 text files:

* the **map file**, one item per line with a header row: ``id``, ``label``,
  ``x``, ``y``, ``cluster`` (1-based) and any number of ``weight<Name>`` and
  ``score<Name>`` columns (we write Links, Total link strength, Occurrences);
* the **network file**, no header, one undirected link per line:
  ``id_1<TAB>id_2<TAB>strength``.

In VOSviewer: *Create… → Create a map based on network data → Read data from
VOSviewer files*, and give it both files.  Because our file carries x, y and
clusters, VOSviewer shows our layout rather than recomputing it (unless asked).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

MAP_BASE_COLUMNS = ("id", "label", "x", "y", "cluster")


def write_map_file(
    path: str | Path,
    labels: list[str] | np.ndarray,
    coords: np.ndarray,
    clusters: np.ndarray,
    weights: dict[str, np.ndarray] | None = None,
    scores: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a VOSviewer map file; ``clusters`` are 0-based here and 1-based in the file."""
    path = Path(path)
    n = len(labels)
    coords = np.asarray(coords, dtype=float)
    clusters = np.asarray(clusters)
    if coords.shape != (n, 2) or clusters.shape != (n,):
        raise ValueError("labels, coords (n × 2) and clusters (n) must describe the same items")
    for label in labels:
        if "\t" in str(label) or "\n" in str(label):
            raise ValueError(f"label {label!r} contains a tab or newline, which the format cannot hold")
    frame = pd.DataFrame(
        {"id": np.arange(1, n + 1), "label": list(labels), "x": coords[:, 0], "y": coords[:, 1],
         "cluster": clusters.astype(int) + 1}
    )
    for kind, extra in (("weight", weights or {}), ("score", scores or {})):
        for name, values in extra.items():
            frame[f"{kind}<{name}>"] = np.asarray(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False, encoding="utf-8", float_format="%.6f",
                 quoting=csv.QUOTE_NONE, lineterminator="\n")
    return path


def write_network_file(path: str | Path, strengths: sp.spmatrix) -> Path:
    """Write the links (upper triangle of a symmetric matrix) as ``id1 id2 strength`` lines."""
    path = Path(path)
    upper = sp.triu(sp.csr_matrix(strengths), k=1).tocoo()
    order = np.lexsort((upper.col, upper.row))
    frame = pd.DataFrame(
        {"a": upper.row[order] + 1, "b": upper.col[order] + 1, "w": upper.data[order]}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    is_integer = bool(np.all(np.equal(np.mod(frame["w"], 1), 0)))
    if is_integer:
        frame["w"] = frame["w"].astype(np.int64)
    frame.to_csv(path, sep="\t", index=False, header=False, encoding="utf-8",
                 float_format="%.6f", lineterminator="\n")
    return path


def read_map_file(path: str | Path) -> pd.DataFrame:
    """Read a VOSviewer map file; ``cluster`` stays 1-based as in the file."""
    path = Path(path)
    frame = pd.read_csv(path, sep="\t", encoding="utf-8", quoting=csv.QUOTE_NONE,
                        dtype={"label": str}, keep_default_na=False)
    missing = [c for c in ("id", "label") if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a VOSviewer map file (missing columns {missing})")
    return frame


def read_network_file(path: str | Path, n_items: int | None = None) -> sp.csr_matrix:
    """Read a VOSviewer network file into a symmetric sparse matrix indexed by id − 1."""
    path = Path(path)
    frame = pd.read_csv(path, sep="\t", header=None, encoding="utf-8")
    if frame.shape[1] == 2:  # strength is optional in the format; default 1
        frame[2] = 1.0
    if frame.shape[1] != 3:
        raise ValueError(f"{path}: expected 2 or 3 tab-separated columns, got {frame.shape[1]}")
    a = frame[0].to_numpy(dtype=np.int64) - 1
    b = frame[1].to_numpy(dtype=np.int64) - 1
    w = frame[2].to_numpy(dtype=float)
    if (a < 0).any() or (b < 0).any():
        raise ValueError(f"{path}: item ids must be positive integers")
    n = int(max(a.max(initial=-1), b.max(initial=-1)) + 1) if n_items is None else int(n_items)
    m = sp.coo_matrix((w, (a, b)), shape=(n, n))
    return (m + m.T).tocsr()
