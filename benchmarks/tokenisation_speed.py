"""Tokenisation: the chapter's jieba tokenizer against plain ``jieba.lcut``, rjieba and parallel jieba.

All four segment the same comments with the project's domain dictionary and
keep-list (:mod:`helpers.networks.segmenter`) and keep the same terms
(``ChineseTokenizer.is_term``):

* ``ChineseTokenizer`` (engine ``jieba``): what chapter 04 runs, a private
  ``jieba.Tokenizer``;
* plain ``jieba.lcut``: the global tokenizer with the same dictionary, the call
  a user would write (the baseline);
* ``rjieba``: jieba-rs through its binding (``ChineseTokenizer(engine="rjieba")``);
* parallel jieba: ``ChineseTokenizer`` in a process pool, documents split into
  one chunk per worker (start-up of the pool included in the time).

Each time is the best of ``--repeat`` runs.  Beside each ratio the script prints
the absolute seconds saved on this corpus and per 100,000 comments.  Agreement
with jieba is measured on the full segmentation (before the term filter):
the share of documents segmented identically, and token-level agreement as the
share of token spans (start, end) that both engines produce,
``2·|common| / (|jieba| + |other|)``; and on the network terms (after the filter).
rjieba is adopted only at >= 99.5 % on both document and token level.

    .venv/bin/python benchmarks/tokenisation_speed.py --run-dir RUN   # RUN/clean/comments.parquet

Without ``--run-dir`` the embedded corpus is synthesised and cleaned at ``--scale``
into a temporary folder.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ADOPT_AT = 0.995


def ensure_comments(run_dir: Path | None, scale: float, seed: int) -> Path:
    if run_dir is not None and (run_dir / "clean" / "comments.parquet").exists():
        return run_dir / "clean" / "comments.parquet"
    run_dir = run_dir or Path(tempfile.mkdtemp(prefix="tok_bench_"))
    print(f"synthesising the embedded corpus (scale {scale}) into {run_dir} ...", flush=True)
    subprocess.run([sys.executable, "-m", "helpers", "synth", "--out", str(run_dir / "raw"), "--scale",
                    str(scale), "--seed", str(seed)], check=True)
    subprocess.run([sys.executable, "-m", "helpers", "clean", str(run_dir / "raw"), "--out",
                    str(run_dir / "clean")], check=True)
    return run_dir / "clean" / "comments.parquet"


def best_of(fn, repeat: int):
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def spans(tokens: list[str]) -> set[tuple[int, int]]:
    out, pos = set(), 0
    for tok in tokens:
        out.add((pos, pos + len(tok)))
        pos += len(tok)
    return out


def agreement(ref: list[list[str]], other: list[list[str]]) -> tuple[float, float]:
    """(share of documents segmented identically, token-span agreement 2|common|/(|a|+|b|))."""
    same = sum(a == b for a, b in zip(ref, other, strict=True))
    common = total = 0
    for a, b in zip(ref, other, strict=True):
        sa, sb = spans(a), spans(b)
        common += len(sa & sb)
        total += len(sa) + len(sb)
    return same / max(len(ref), 1), (2 * common / total if total else 1.0)


_WORKER = None


def _init_worker() -> None:
    global _WORKER
    from helpers.networks.segmenter import ChineseTokenizer

    _WORKER = ChineseTokenizer(engine="jieba")


def _work(chunk: list[str]) -> list[list[str]]:
    assert _WORKER is not None
    return _WORKER.tokenize_many(chunk)


def parallel_jieba(texts: list[str], workers: int) -> list[list[str]]:
    size = -(-len(texts) // workers)
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
        parts = pool.map(_work, chunks)
    return [toks for part in parts for toks in part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", type=Path, default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--real-sample", type=int, default=5000, help="SMP2020 posts to compare (0: all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    path = ensure_comments(args.run_dir, args.scale, args.seed)
    texts = [t if isinstance(t, str) else "" for t in pd.read_parquet(path, columns=["text"])["text"]]
    print(f"best of {args.repeat} runs each; load average at the start {os.getloadavg()[0]:.1f}")
    decision = compare(f"embedded corpus, cleaned comments ({path})", texts, args.repeat, args.workers)
    print(f"rjieba decision (embedded corpus): {decision}")
    real = real_texts(args.real_sample, args.seed)
    if real is None:
        print("real text: SMP2020-EWECT not available here (set XHS_DATA_MIRROR); agreement on real text not measured")
    else:
        compare("real text: SMP2020-EWECT Weibo (usual, test), text-cleaned", real, args.repeat, args.workers)
    return 0


def real_texts(sample: int, seed: int) -> list[str] | None:
    """Real Weibo posts (SMP2020-EWECT), cleaned as the chapter cleans comments; None when unavailable."""
    from helpers.data.public_datasets import DatasetUnavailable, load_smp2020
    from helpers.data.text_cleaning import clean_text

    try:
        df = load_smp2020("smp2020_usual_test")
    except DatasetUnavailable:
        return None
    texts = clean_text(df["text"]).tolist()
    if sample and len(texts) > sample:
        rng = np.random.default_rng(seed)
        texts = [texts[i] for i in sorted(rng.choice(len(texts), size=sample, replace=False))]
    return [t if isinstance(t, str) else "" for t in texts]


def compare(label: str, texts: list[str], repeat: int, workers: int) -> str:
    """Time and compare every engine on ``texts``; return the rjieba decision."""
    import jieba

    from helpers.networks.segmenter import ChineseTokenizer, domain_dictionary_path

    n = len(texts)
    print(f"\n== {label}: {n:,} texts, {sum(map(len, texts)):,} characters")

    ours = ChineseTokenizer(engine="jieba")
    # plain jieba with the same dictionary and keep-list, on the global tokenizer
    jieba.setLogLevel(60)
    jieba.initialize()
    jieba.load_userdict(str(domain_dictionary_path()))
    for word in ours.keep:
        jieba.add_word(word)
    timings: dict[str, float] = {}
    terms: dict[str, list[list[str]]] = {}
    segs: dict[str, list[list[str]]] = {}

    timings["plain jieba.lcut"], terms["plain jieba.lcut"] = best_of(
        lambda: [[t for t in jieba.lcut(x, HMM=True) if ours.is_term(t.strip())] for x in texts], repeat)
    segs["plain jieba.lcut"] = [jieba.lcut(x, HMM=True) for x in texts]
    timings["ChineseTokenizer (jieba)"], terms["ChineseTokenizer (jieba)"] = best_of(
        lambda: ours.tokenize_many(texts), repeat)
    segs["ChineseTokenizer (jieba)"] = [ours._cut(x) for x in texts]
    timings[f"parallel jieba ({workers} procs)"], terms[f"parallel jieba ({workers} procs)"] = best_of(
        lambda: parallel_jieba(texts, workers), repeat)
    try:
        fast = ChineseTokenizer(engine="rjieba")
    except ImportError as exc:
        print(f"rjieba not timed: {exc}")
        fast = None
    if fast is not None:
        import rjieba

        fast.tokenize_many(texts[:10])
        timings[f"rjieba {getattr(rjieba, '__version__', '')}".strip()], terms["rjieba"] = best_of(
            lambda: fast.tokenize_many(texts), repeat)
        segs["rjieba"] = [fast._cut(x) for x in texts]

    base = timings["plain jieba.lcut"]
    print(f"{'engine':<28} {'seconds':>8} {'texts/s':>9} {'ratio':>7} {'saved':>8} {'saved/100k':>10}")
    for name, t in timings.items():
        print(f"{name:<28} {t:8.2f} {n / t:9.0f} {base / t:6.2f}x {base - t:7.2f}s {(base - t) * 1e5 / n:9.1f}s")

    ref_terms, ref_segs = terms["ChineseTokenizer (jieba)"], segs["ChineseTokenizer (jieba)"]
    decision = "not measured (rjieba not installed)"
    for name in terms:
        if name == "ChineseTokenizer (jieba)":
            continue
        doc_t, tok_t = agreement(ref_terms, terms[name])
        line = f"agreement with jieba, {name:<24}: terms: documents {doc_t:.3%}, tokens {tok_t:.3%}"
        if name in segs:
            doc_s, tok_s = agreement(ref_segs, segs[name])
            line += f" | segmentation: documents {doc_s:.3%}, tokens {tok_s:.3%}"
        print(line)
        if name == "rjieba":
            ok = min(doc_s, tok_s) >= ADOPT_AT
            print(f"rjieba against the bar: {'ADOPT' if ok else 'KEEP jieba'} (bar: {ADOPT_AT:.1%} of documents "
                  f"and of tokens segmented as jieba does; measured {doc_s:.3%} and {tok_s:.3%})")
            diffs = [(a, b) for a, b in zip(ref_segs, segs[name], strict=True) if a != b][:3]
            for a, b in diffs:
                i = next(k for k in range(min(len(a), len(b))) if a[k] != b[k]) if a[:1] == b[:1] else 0
                print(f"  e.g. jieba  {'/'.join(a[max(i - 2, 0):i + 4])}")
                print(f"       rjieba {'/'.join(b[max(i - 2, 0):i + 4])}")
            decision = f"{'adopt' if ok else 'keep jieba'} ({doc_s:.3%} of documents, {tok_s:.3%} of tokens)"
    return decision


if __name__ == "__main__":
    sys.exit(main())
