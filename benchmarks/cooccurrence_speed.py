"""Co-occurrence counting: the library's engines against the scipy product a user would write.

All count, for every pair of distinct terms, the comments that contain both
(binary occurrence), on the *same* tokens of all comments of the full-scale
embedded corpus: the raw export (~122k comments, text cleaned but no comment
filtered) and the cleaned comments (~17k).  The baseline is what a user with
scipy would write: a binary CSR documents × terms matrix from the token lists,
then ``XᵀX`` with the diagonal set to zero.  The library's time includes
everything after tokenisation (tokens to codes, the binary matrix, the counts),
for both engines: ``numba`` (compiled pair counting) and ``scipy`` (one sparse
product XᵀX).  Each time is the best of ``--repeat`` runs; beside each ratio
the script prints the seconds saved per build (one count of each corpus, as
chapter 04 does).  ``--naive`` adds the pure-Python pair loop as a correctness
check (slow).  Then the VOS layout and CPM/Leiden clustering are timed on a
1,000-term map.

Usage::

    .venv/bin/python benchmarks/cooccurrence_speed.py                  # synthesise scale 1 into a temp folder
    .venv/bin/python benchmarks/cooccurrence_speed.py --run-dir RUN    # reuse RUN/raw and RUN/clean
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def ensure_corpus(run_dir: Path | None, scale: float, seed: int) -> Path:
    """A run folder with ``raw/`` (MediaCrawler export) and ``clean/comments.parquet``."""
    if run_dir is not None and (run_dir / "clean" / "comments.parquet").exists():
        return run_dir
    run_dir = run_dir or Path(tempfile.mkdtemp(prefix="cooc_bench_"))
    py = sys.executable
    print(f"synthesising the embedded corpus (scale {scale}) into {run_dir} ...", flush=True)
    subprocess.run([py, "-m", "helpers", "synth", "--out", str(run_dir / "raw"), "--scale", str(scale),
                    "--seed", str(seed)], check=True)
    subprocess.run([py, "-m", "helpers", "clean", str(run_dir / "raw"), "--out", str(run_dir / "clean")],
                   check=True)
    return run_dir


def raw_comment_texts(run_dir: Path) -> list[str]:
    """Every comment row of the raw export (re-crawled duplicates included), text-cleaned."""
    from helpers.data.mediacrawler import read_export
    from helpers.data.text_cleaning import clean_text

    comments = read_export(run_dir / "raw").comments
    return clean_text(comments["content"]).tolist()


def topic_corpus(n_terms: int, n_docs: int, n_topics: int, seed: int) -> list[list[str]]:
    """Token lists with planted topics and a Zipf-like term frequency, for a map of ``n_terms``.

    The embedded corpus has a small vocabulary (a few hundred terms), so the 1,000-term
    layout/clustering timing needs a larger, still realistically structured, vocabulary.
    """
    rng = np.random.default_rng(seed)
    per_topic = n_terms // n_topics
    weights = 1.0 / np.arange(1, per_topic + 1)
    weights /= weights.sum()
    docs = []
    for _ in range(n_docs):
        topic = int(rng.integers(n_topics))
        k = int(rng.integers(4, 14))
        own = topic * per_topic + rng.choice(per_topic, size=k, p=weights)
        other = rng.integers(0, n_topics * per_topic, size=int(rng.integers(0, 3)))
        docs.append([f"t{i}" for i in np.concatenate([own, other])])
    return docs


def timed(fn, *args, repeat: int = 1):
    """Best wall time of ``repeat`` calls (timeit's convention) and the last result."""
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def matrix_counts(tokens, method: str = "auto"):
    """Tokens -> (terms, co-occurrence matrix), the library's way (``method`` picks the engine)."""
    from helpers.networks.cooccurrence import cooccurrence_matrix, document_term_matrix

    dt = document_term_matrix(tokens, method=method)
    return dt.terms, cooccurrence_matrix(dt.matrix, method=method)


def check_against_naive(c, vocab: list[str], naive: dict[tuple[str, str], int]) -> None:
    """Same numbers: total pairs and total strength agree, and a sample of pairs matches."""
    upper = c.tocoo()
    mask = upper.row < upper.col
    assert int(mask.sum()) == len(naive), "library and naive disagree on the number of pairs"
    assert int(upper.data[mask].sum()) == sum(naive.values()), "library and naive disagree on counts"
    index = {t: i for i, t in enumerate(vocab)}
    for (a, b), n in list(naive.items())[:: max(1, len(naive) // 2000)]:
        assert c[index[a], index[b]] == n


def user_scipy_counts(tokens: list[list[str]]):
    """Baseline: binary CSR from the token lists, then XᵀX with a zero diagonal (what a scipy user writes)."""
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for doc in tokens:
        codes = {vocab.setdefault(t, len(vocab)) for t in doc}
        indices.extend(codes)
        indptr.append(len(indices))
    x = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(tokens), len(vocab)))
    c = (x.T @ x).tocsr()
    c.setdiag(0)
    c.eliminate_zeros()
    return list(vocab), c


def compare(name: str, tokens: list[list[str]], repeat: int = 3, naive_check: bool = True) -> float:
    """Time every engine against the user's scipy product on the same tokens; return the default's ratio."""
    from helpers.networks.cooccurrence import _resolve_method, naive_pair_counts

    default = _resolve_method("auto")
    engines = [default] + [m for m in ("numba", "scipy") if m != default and _available(m)]
    timings, matrices = {}, {}
    for method in engines:
        matrix_counts(tokens[:50], method)  # compile (numba caches to disk) / import outside the clock
        timings[method], (terms, matrices[method]) = timed(matrix_counts, tokens, method, repeat=repeat)
    vocab = list(terms)
    t_base, (base_vocab, base) = timed(user_scipy_counts, tokens, repeat=repeat)
    order = [base_vocab.index(t) for t in vocab]
    base = base[order][:, order]
    for method in engines:
        diff = abs(matrices[method] - base)
        assert diff.nnz == 0 or diff.max() == 0, f"{method} and the user's XᵀX disagree"
    if naive_check:
        naive = naive_pair_counts(tokens, vocab)
        for method in engines:
            check_against_naive(matrices[method], vocab, naive)
    n_pairs = int((base.nnz) // 2)
    ratios = {}
    for method in engines:
        ratios[method] = t_base / timings[method]
        print(f"{name:>8}: {len(tokens):>7,} comments, {len(vocab):>6,} terms, {n_pairs:>9,} pairs | "
              f"{method:>5} {timings[method]:7.3f} s | user XᵀX {t_base:7.3f} s | ratio {ratios[method]:5.2f}x | "
              f"saves {t_base - timings[method]:+.3f} s per build")
    return ratios[default]


def _available(method: str) -> bool:
    from helpers.networks.cooccurrence import _resolve_method

    try:
        _resolve_method(method)
    except ImportError:
        return False
    return True


def layout_and_clustering(tokens: list[list[str]], n_terms: int, seed: int) -> None:
    from helpers.networks.association_strength import association_strength
    from helpers.networks.cooccurrence import cooccurrence_matrix, document_term_matrix, top_terms
    from helpers.networks.vos_clustering import vos_clustering
    from helpers.networks.vos_layout import largest_component, vos_layout

    vocab = top_terms(document_term_matrix(tokens), n_terms)
    c = cooccurrence_matrix(document_term_matrix(tokens, vocabulary=vocab).matrix)
    s = association_strength(c)
    keep = largest_component(s)
    s = s[keep][:, keep]
    t_layout, layout = timed(lambda: vos_layout(s, n_starts=3, seed=seed))
    t_cluster, clusters = timed(lambda: vos_clustering(s, resolution=1.0, min_cluster_size=5,
                                                       n_starts=10, seed=seed))
    print(f"{len(keep):,}-term map ({s.nnz // 2:,} links): VOS layout (3 starts) {t_layout:.1f} s "
          f"(objective {layout.objective:.4g}), "
          f"CPM/Leiden clustering (10 starts) {t_cluster:.2f} s -> {clusters.n_clusters} clusters")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", type=Path, default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--layout-terms", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive", action="store_true", help="also check against the pure-Python pair loop")
    args = parser.parse_args(argv)

    from helpers.networks.segmenter import ChineseTokenizer

    run_dir = ensure_corpus(args.run_dir, args.scale, args.seed)
    tokenizer = ChineseTokenizer()
    corpora = {
        "raw": raw_comment_texts(run_dir),
        "cleaned": pd.read_parquet(run_dir / "clean" / "comments.parquet", columns=["text"])["text"].tolist(),
    }
    ratios: dict[str, float] = {}
    raw_tokens = None
    for name, texts in corpora.items():
        t0 = time.perf_counter()
        tokens = tokenizer.tokenize_many(texts)
        print(f"{name:>8}: tokenised {len(texts):,} comments in {time.perf_counter() - t0:.1f} s ({tokenizer.engine})")
        ratios[name] = compare(name, tokens, args.repeat, args.naive)
        if name == "raw":
            raw_tokens = tokens
    assert raw_tokens is not None
    n_raw_terms = len(set(t for toks in raw_tokens for t in toks))
    if n_raw_terms >= args.layout_terms:
        layout_and_clustering(raw_tokens, args.layout_terms, args.seed)
    else:
        print(f"the embedded corpus has {n_raw_terms} terms; timing the {args.layout_terms}-term map "
              "on a planted-topic corpus (60,000 documents, 10 topics) instead")
        layout_and_clustering(topic_corpus(args.layout_terms, 60_000, 10, args.seed), args.layout_terms,
                              args.seed)
    from helpers.networks.cooccurrence import _resolve_method

    default = _resolve_method("auto")
    print(f"default engine ({default}) against the user's XᵀX: raw {ratios['raw']:.2f}x, "
          f"cleaned {ratios['cleaned']:.2f}x (times and seconds saved above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
