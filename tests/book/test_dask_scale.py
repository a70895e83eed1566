"""Dask scale-out on a two-worker LocalCluster on loopback: partitioned scoring, sweep tasks."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.book.dask_scale import (
    dask_client,
    list_partitions,
    map_on_dask,
    score_parquet,
    worker_model,
    write_partitions,
)

pytest.importorskip("distributed")


def _length_scorer(texts):
    """A trivial scorer: longer text -> higher score, in -1..1."""
    return np.array([np.tanh(len(t) / 10) * (1 if "好" in t else -1) for t in texts])


def counting_loader(log_dir: str):
    """Loader that leaves one file per load, named by the loading process."""
    path = Path(log_dir) / f"load-{os.getpid()}-{os.urandom(3).hex()}"
    path.write_text("loaded")
    return _length_scorer


def _square(x: int) -> int:
    return x * x


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=2, threads_per_worker=2) as c:
        yield c


def test_local_cluster_has_two_loopback_workers(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)


def test_map_on_dask_keeps_input_order(client):
    seen = []
    assert map_on_dask(_square, list(range(7)), client=client, on_done=seen.append) == [
        0, 1, 4, 9, 16, 25, 36]
    assert sorted(seen) == [0, 1, 4, 9, 16, 25, 36]


def test_score_parquet_loads_the_model_once_per_worker(client, tmp_path):
    texts = [f"{'好' if i % 3 else '坏'}{'字' * (i % 17)}" for i in range(400)]
    frame = pd.DataFrame({"comment_id": [f"c{i}" for i in range(400)], "text": texts})
    source = write_partitions(frame, tmp_path / "corpus", rows_per_partition=25)
    assert len(list_partitions(source)) == 16
    loads = tmp_path / "loads"
    loads.mkdir()
    loader = functools.partial(counting_loader, str(loads))

    summary = score_parquet(source, tmp_path / "scored", loader, client=client, batch_size=10)

    assert [s["partition"] for s in summary] == list(range(16))
    assert sum(s["rows"] for s in summary) == 400
    used_pids = {s["pid"] for s in summary}
    load_files = list(loads.iterdir())
    assert 1 <= len(load_files) <= 2, "one model load per worker, not per partition"
    assert {int(f.name.split("-")[1]) for f in load_files} == used_pids
    scored = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "scored").glob("*.parquet")))
    assert scored["comment_id"].tolist() == frame["comment_id"].tolist()
    np.testing.assert_allclose(scored["sentiment"], _length_scorer(texts))


def test_score_parquet_reads_row_groups_of_one_file(client, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"body": ["好好", "坏", "好字字字"] * 10})
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / "one.parquet", row_group_size=7)
    assert len(list_partitions(tmp_path / "one.parquet")) == 5
    loads = tmp_path / "loads"
    loads.mkdir()
    score_parquet(tmp_path / "one.parquet", tmp_path / "out", functools.partial(counting_loader, str(loads)),
                  text_column="body", client=client)
    scored = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("*.parquet")))
    np.testing.assert_allclose(scored["sentiment"], _length_scorer(frame["body"]))


def test_bad_inputs_give_clear_errors(client, tmp_path):
    with pytest.raises(FileNotFoundError, match="no .parquet"):
        list_partitions(tmp_path)
    write_partitions(pd.DataFrame({"x": ["a"]}), tmp_path / "c", 5)
    with pytest.raises(KeyError, match="no column 'text'"):
        score_parquet(tmp_path / "c", tmp_path / "o", functools.partial(counting_loader, str(tmp_path)),
                      client=client)


def test_worker_model_caches_in_process(tmp_path):
    loader = functools.partial(counting_loader, str(tmp_path))
    assert worker_model(loader) is worker_model(loader)
    assert len(list(tmp_path.iterdir())) == 1


NB = '''# %% tags=["parameters"]
run_dir = "x"
seed = 0
k = 1

# %%
import json, os, pathlib
p = pathlib.Path(run_dir, "results"); p.mkdir(parents=True, exist_ok=True)
p.joinpath("01_k.json").write_text(json.dumps({"k_plus_seed": k + seed}))
'''


def test_sweep_runs_as_dask_tasks(tmp_path):
    """A sweep on a new LocalCluster (the default of --dask)."""
    from helpers.book.sweep import run_sweep

    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    (nb_dir / "01_k.py").write_text(NB)
    records, root = run_sweep({"notebooks": ["01"], "seeds": [1, 2], "grid": {"k": [10, 20]}},
                              tmp_path / "sw", notebooks_dir=nb_dir, executor="dask", workers=2,
                              log=lambda _: None)
    assert [r.status for r in records] == ["ok"] * 4
    table = pd.read_csv(root / "results.csv")
    assert sorted(table["value"]) == [11, 12, 21, 22]


def _tiny_regressor(folder: Path) -> Path:
    """A randomly initialised two-layer BERT with a character tokenizer, saved as chapter 02 does."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    sr = pytest.importorskip("helpers.sentiment.regressor")
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *"好坏字今天心情不"])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]")
    enc_dir = folder / "tiny-encoder"
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=64)).save_pretrained(enc_dir)
    fast.save_pretrained(enc_dir)
    model, tokenizer = sr.build_regressor(str(enc_dir))
    return sr.save_regressor(model, tokenizer, folder / "regressor")


def test_regressor_loader_scores_partitions_on_dask(client, tmp_path):
    from helpers.book.dask_scale import RegressorLoader

    pytest.importorskip("helpers.sentiment.scoring")
    model_dir = _tiny_regressor(tmp_path)
    frame = pd.DataFrame({"text": ["今天心情好", "坏", "好字字", "不好"] * 6})
    source = write_partitions(frame, tmp_path / "corpus", rows_per_partition=5)
    loader = RegressorLoader(str(model_dir), batch_size=4, threads=1)
    score_parquet(source, tmp_path / "scored", loader, client=client)
    scored = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "scored").glob("*.parquet")))
    direct = loader()(frame["text"].tolist())
    assert scored["sentiment"].between(-1, 1).all()
    np.testing.assert_allclose(scored["sentiment"], direct, atol=1e-5)


def test_sweep_on_an_existing_cluster_by_address(client, tmp_path, monkeypatch):
    """--scheduler tcp://host:port: the runs go to a cluster that outlives the sweep."""
    from helpers.book.sweep import main

    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    (nb_dir / "01_k.py").write_text(NB)
    spec = tmp_path / "s.yml"
    spec.write_text("notebooks: ['01_k']\nseed: 5\ngrid:\n  k: [1, 2]\n")
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    import helpers.book.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "project_root", lambda: tmp_path)
    assert main([str(spec), "--out", str(tmp_path / "o"), "--scheduler", address]) == 0
    assert sorted(pd.read_csv(tmp_path / "o" / "results.csv")["value"]) == [6, 7]
    assert len(client.scheduler_info()["workers"]) == 2, "the cluster is still up"
