"""Scale-out on Dask distributed: sweep runs as tasks, and sentiment scoring of big corpora.

Why Dask distributed rather than a hand-rolled pool: the same code runs on a
laptop (a ``LocalCluster`` of worker processes, the default) and on any running
cluster given its scheduler address (``tcp://host:8786``; e.g. ``dask-scheduler``
plus ``dask-worker`` on each machine, or a dask-jobqueue / Kubernetes cluster).

Scoring millions of comments: the corpus is read as partitioned parquet (a
folder of part files, or the row groups of one file) and each partition is one
task.  A transformer takes seconds to load, so each worker loads the model once
and keeps it for every partition it scores: the loader runs at most once per
worker process, not once per partition.  The model is given as a *loader*, a
picklable zero-argument callable returning ``score_texts(texts) -> np.ndarray``,
so tests can pass a trivial scorer and the book passes the fine-tuned encoder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ScoreFn = Callable[[Sequence[str]], np.ndarray]
Loader = Callable[[], ScoreFn]

_LOCAL_MODELS: dict[str, ScoreFn] = {}
_LOCAL_LOCK = threading.Lock()


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = 2, threads_per_worker: int = 1,
                **cluster_kwargs: Any) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` when given, else on a new LocalCluster.

    The local cluster listens on loopback only (its status page too, on a free port), so nothing is
    exposed on the network; it is closed when the block ends.  A client to an
    existing cluster leaves that cluster running.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
        host="127.0.0.1", dashboard_address="127.0.0.1:0", **cluster_kwargs,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def map_on_dask(fn: Callable[[Any], Any], items: Sequence[Any], *, scheduler: str | None = None,
                n_workers: int = 2, on_done: Callable[[Any], None] | None = None,
                client: Any = None) -> list[Any]:
    """Run ``fn`` on each item as a Dask task; results in input order.

    ``pure=False`` so a re-submitted sweep run really runs again (skipping finished
    runs is the sweep's job, by run key, not Dask's).
    """
    from distributed import as_completed

    def _run(c: Any) -> list[Any]:
        futures = [c.submit(fn, item, pure=False, key=f"run-{i}-{os.urandom(4).hex()}")
                   for i, item in enumerate(items)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(items)
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            if on_done:
                on_done(results[index[future.key]])
        return results

    if client is not None:
        return _run(client)
    with dask_client(scheduler, n_workers=n_workers) as c:
        return _run(c)


def loader_key(loader: Loader) -> str:
    """A stable identity for a loader, so a worker can keep several models apart."""
    try:
        return hashlib.sha256(pickle.dumps(loader)).hexdigest()[:16]
    except Exception:  # unpicklable loaders only occur in-process
        return f"id-{id(loader)}"


def worker_model(loader: Loader) -> ScoreFn:
    """The scorer for ``loader`` on this worker, loading it on first use only."""
    key = loader_key(loader)
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    if worker is not None:
        cache = getattr(worker, "_xhs_models", None)
        if cache is None:
            cache = {}
            worker._xhs_models = cache
        lock = getattr(worker, "_xhs_models_lock", None)
        if lock is None:
            lock = threading.Lock()
            worker._xhs_models_lock = lock
    else:
        cache, lock = _LOCAL_MODELS, _LOCAL_LOCK
    with lock:  # two threads of one worker must not both load the model
        if key not in cache:
            cache[key] = loader()
        return cache[key]


@dataclass(frozen=True)
class Partition:
    """One unit of work: a parquet file, or one row group of it."""

    path: str
    row_group: int | None
    index: int


def list_partitions(source: str | Path) -> list[Partition]:
    """Partitions of a parquet corpus: every part file of a folder, or a file's row groups."""
    import pyarrow.parquet as pq

    source = Path(source)
    if source.is_dir():
        files = sorted(source.rglob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"no .parquet files under {source}")
        return [Partition(str(f), None, i) for i, f in enumerate(files)]
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    groups = pq.ParquetFile(source).num_row_groups
    return [Partition(str(source), g, g) for g in range(groups)]


def write_partitions(frame: Any, out_dir: str | Path, rows_per_partition: int) -> Path:
    """Split a DataFrame into ``part-NNNNN.parquet`` files (how a large crawl is stored)."""
    if rows_per_partition < 1:
        raise ValueError("rows_per_partition must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, len(frame), rows_per_partition)):
        frame.iloc[start:start + rows_per_partition].to_parquet(out / f"part-{i:05d}.parquet", index=False)
    return out


def score_partition(part: Partition, loader: Loader, text_column: str, out_dir: str,
                    score_column: str = "sentiment", batch_size: int = 256) -> dict[str, Any]:
    """Score one partition with the worker's model and write it beside the others."""
    import pyarrow.parquet as pq

    if part.row_group is None:
        frame = pq.read_table(part.path).to_pandas()
    else:
        frame = pq.ParquetFile(part.path).read_row_group(part.row_group).to_pandas()
    if text_column not in frame.columns:
        raise KeyError(f"{part.path} has no column {text_column!r} (columns: {list(frame.columns)})")
    score = worker_model(loader)
    texts = frame[text_column].fillna("").astype(str).tolist()
    scores = np.empty(len(texts), dtype=float)
    for start in range(0, len(texts), batch_size):
        chunk = np.asarray(score(texts[start:start + batch_size]), dtype=float).reshape(-1)
        if len(chunk) != len(texts[start:start + batch_size]):
            raise ValueError(f"scorer returned {len(chunk)} scores for {len(texts[start:start + batch_size])} texts")
        scores[start:start + len(chunk)] = chunk
    frame[score_column] = scores
    target = Path(out_dir) / f"part-{part.index:05d}.parquet"
    frame.to_parquet(target, index=False)
    return {"partition": part.index, "rows": len(frame), "path": str(target), "pid": os.getpid()}


def score_parquet(source: str | Path, out_dir: str | Path, loader: Loader, *,
                  text_column: str = "text", score_column: str = "sentiment",
                  scheduler: str | None = None, n_workers: int = 2, client: Any = None,
                  batch_size: int = 256) -> list[dict[str, Any]]:
    """Score every partition of a parquet corpus on Dask; one output part per partition.

    Returns one summary per partition (rows, output path, worker pid), in order.
    """
    parts = list_partitions(source)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def task(part: Partition) -> dict[str, Any]:
        return score_partition(part, loader, text_column, str(out.resolve()), score_column, batch_size)

    return map_on_dask(task, parts, scheduler=scheduler, n_workers=n_workers, client=client)


@dataclass(frozen=True)
class RegressorLoader:
    """Loader for the fine-tuned sentiment regressor saved by chapter 02 (picklable).

    Each Dask worker calls it once (see :func:`worker_model`): it loads the model
    from ``model_dir`` (a folder every worker can read), moves it to the GPU when
    the worker has one, and returns a scorer built on the chapter's fast batched
    inference.  ``threads`` caps torch's CPU threads so that workers sharing a
    machine do not fight over its cores.
    """

    model_dir: str
    batch_size: int = 64
    max_length: int = 128
    device: str | None = None
    threads: int | None = None

    def __call__(self) -> ScoreFn:
        import torch

        from helpers.sentiment.regressor import load_regressor
        from helpers.sentiment.scoring import pick_device, score_texts

        if self.threads:
            torch.set_num_threads(self.threads)
        model, tokenizer = load_regressor(self.model_dir)
        device = pick_device(self.device)
        model = model.to(device)

        def score(texts: Sequence[str]) -> np.ndarray:
            return score_texts(model, tokenizer, list(texts), batch_size=self.batch_size,
                               max_length=self.max_length, device=device, progress=False)

        return score
