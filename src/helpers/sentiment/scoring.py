"""Fast batched inference for the sentiment regressor, on PyTorch or ONNX Runtime.

Texts are tokenised once, sorted by length, batched so that each batch holds
texts of similar length (dynamic padding to the longest in the batch), and
scattered back to their original order; identical texts are scored once.
Sorting by length only saves padding when lengths vary a lot within a batch:
on comments of similar length a plain batched loop in input order does about
as well.

Two engines run the model.  ``torch`` runs it under ``torch.inference_mode``,
with bf16 autocast on a GPU (and on a CPU with native bf16 units when asked).
``onnx`` exports the whole regressor (encoder, pooling, head) to ONNX once,
caches the file under ``<cache>/onnx/`` keyed by a fingerprint of the weights,
and runs it in fp32 with ONNX Runtime on the CPU, so its scores agree with
PyTorch fp32 up to summation order.  A frozen encoder with a ridge head is
exported without its head (:func:`helpers.sentiment.frozen_ridge.pooled_features`):
the features its head was fitted on come from the same export, which every
head on that encoder shares, and the head is applied in numpy.  bf16 scores, behind the chapter's ridge
head, can move by more than the 1e-3 the book allows between a fast path and
its reference, so ``auto`` scores in fp32 on the CPU and picks the engine as
:func:`resolve_engine` explains.  ``benchmarks/sentiment_throughput.py`` times
both engines against a plain batched loop in the same precision and against a
batched ``transformers.pipeline``, reports how far each precision moves the
scores, and checks the agreement; the book's benchmarks page shows its latest
run (no speed is claimed here).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.torch_device import choose_device

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ENGINES = ("auto", "torch", "onnx")
#: Bump when the exported graph changes, so cached .onnx files are rebuilt.
ONNX_EXPORT_VERSION = 1
#: ``engine="auto"`` uses ONNX Runtime from this many texts to score (see :func:`resolve_engine`).
ONNX_MIN_TEXTS = 500
_SESSIONS: dict[tuple[str, int], object] = {}
_SESSIONS_LOCK = threading.Lock()


class OnnxUnavailable(RuntimeError):
    """The ONNX engine cannot run here (package missing, export failed); the message says why."""


def pick_device(prefer: str | None = None):
    """``prefer`` if given, else the GPU when present, else the CPU (see helpers.torch_device)."""
    return choose_device(prefer)


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX), where bf16 is faster."""
    import torch

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        try:
            if getattr(torch.cpu, probe)():
                return True
        except (AttributeError, RuntimeError):
            continue
    return False


def uses_bf16(device, cpu_bf16: bool | None = None) -> bool:
    """Whether :func:`autocast_for` would run ``device`` in bf16."""
    import torch

    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        return bool(cpu_has_native_bf16() if cpu_bf16 is None else cpu_bf16)
    return False


def autocast_for(device, cpu_bf16: bool | None = None):
    """bf16 autocast on GPUs that support it, and on CPUs with native bf16 units.

    On CPUs without bf16 hardware, bf16 is emulated and slower, so fp32 is kept.
    bf16 scores differ slightly from fp32 ones; ``benchmarks/sentiment_throughput.py``
    reports the time and the largest difference.  ``cpu_bf16=False`` forces fp32 on the CPU.
    """
    import torch

    if not uses_bf16(device, cpu_bf16):
        return nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def onnx_runtime_available() -> str | None:
    """None when ONNX Runtime and the exporter's ``onnx`` package import; else the reason they do not."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return f"ONNX Runtime is not installed ({exc.name}); pip install onnxruntime==1.32.0 onnx==1.23.2"
    return None


def resolve_engine(engine: str, device, cpu_bf16: bool | None = None, n_texts: int | None = None
                   ) -> tuple[str, str]:
    """``(engine, reason)``: the engine :func:`score_texts` will use, and why.

    ``auto`` keeps PyTorch on a GPU (bf16 autocast where supported).  On the CPU
    it scores in **fp32**, unless ``cpu_bf16=True`` asks for bf16 (PyTorch):
    behind the chapter's ridge head bf16 can move scores by more than the 1e-3
    the book allows between a fast path and its reference
    (``benchmarks/sentiment_throughput.py`` reports by how much).  The fp32 engine is ONNX
    Runtime when it is installed and there are at least :data:`ONNX_MIN_TEXTS`
    texts (the one-off export of a new set of weights costs seconds, which a few
    hundred texts do not repay; fine-tuning scores its validation split after
    every epoch with new weights), else PyTorch fp32.  An explicit ``onnx`` on a
    GPU, or without ONNX Runtime, falls back to PyTorch; the reason says so.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if engine == "torch":
        return "torch", "PyTorch requested"
    if device.type != "cpu":
        why = f"the ONNX engine here runs on the CPU only, and the device is {device}"
        return "torch", why if engine == "onnx" else f"PyTorch on {device}"
    if engine == "auto" and cpu_bf16:
        return "torch", "PyTorch with bf16 autocast (cpu_bf16=True)"
    if engine == "auto" and n_texts is not None and n_texts < ONNX_MIN_TEXTS:
        return "torch", f"PyTorch fp32 (fewer than {ONNX_MIN_TEXTS} texts do not repay an ONNX export)"
    missing = onnx_runtime_available()
    if missing:
        return "torch", missing
    return "onnx", "ONNX Runtime fp32 on the CPU" + (" (requested)" if engine == "onnx" else "")


def text_flags(texts: Sequence[str]) -> pd.DataFrame:
    """Flag texts the model cannot judge well: empty, or without any Chinese character."""
    s = pd.Series(list(texts), dtype="object").fillna("").astype(str)
    empty = s.str.strip().eq("")
    return pd.DataFrame({"empty": empty, "no_chinese": ~empty & ~s.str.contains(_HAN)})


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches in order of increasing length, so each batch pads little."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def model_fingerprint(model) -> str:
    """A hash of the regressor's class, pooling, output and every weight, naming its ONNX export.

    The weights are hashed rather than the object's identity, so a model
    trained further (or a new head) never reuses a stale export.
    """
    import torch

    digest = hashlib.blake2b(digest_size=16)
    meta = (type(model).__name__, getattr(model, "pooling", ""), getattr(model, "output", "tanh"),
            ONNX_EXPORT_VERSION, torch.__version__)
    digest.update(repr(meta).encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def export_onnx(model, path: str | Path, *, opset: int = 17) -> Path:
    """Export ``model`` (``input_ids``, ``attention_mask`` → one output) to ``path``.

    A regressor's output is ``score`` (one value per text); a module can name
    another with ``onnx_output`` and its batch axis with ``onnx_batch_axis``
    (:class:`helpers.sentiment.frozen_ridge.pooled_features` exports pooled
    features this way).  Batch and sequence axes are dynamic, so one file serves
    every batch shape.  Uses the TorchScript-based exporter (``dynamo=False``),
    which needs only the ``onnx`` package.  The file is written beside its final
    name and renamed, so an interrupted export never leaves a truncated model in
    the cache.
    """
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu").eval()
    example = (torch.tensor([[0, 5, 6, 2], [0, 7, 2, 1]]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # two chapters side by side: two partials
    output = getattr(model, "onnx_output", "score")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            output: {int(getattr(model, "onnx_batch_axis", 0)): "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notices are not news here
        torch.onnx.export(model, example, str(partial), input_names=["input_ids", "attention_mask"],
                          output_names=[output], dynamic_axes=axes, opset_version=opset, dynamo=False)
    partial.replace(path)
    return path


def onnx_session(model, *, cache_dir: str | Path | None = None, threads: int | None = None):
    """An ONNX Runtime session for ``model``, exported once per set of weights and cached.

    The export lives at ``<cache>/onnx/<fingerprint>.onnx`` (``cache_dir``, else
    ``$XHS_CACHE``, else ``~/.cache/xhs-depression-book``); sessions are kept in
    memory for the process.  ``threads`` defaults to PyTorch's intra-op count, so
    both engines use the same cores.  Raises :class:`OnnxUnavailable` with the
    reason when the engine cannot run.
    """
    missing = onnx_runtime_available()
    if missing:
        raise OnnxUnavailable(missing)
    import onnxruntime as ort
    import torch

    from helpers import config

    threads = int(threads or torch.get_num_threads())
    path = config.cache_root(cache_dir) / "onnx" / f"{model_fingerprint(model)}.onnx"
    key = (str(path), threads)
    with _SESSIONS_LOCK:
        if key in _SESSIONS:
            return _SESSIONS[key]
        if not path.exists():
            try:
                export_onnx(model, path)
            except Exception as exc:  # the exporter raises many kinds; all mean "use PyTorch"
                raise OnnxUnavailable(f"exporting the regressor to ONNX failed: {type(exc).__name__}: {exc}") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # a spinning pool burns the cores other jobs of a shared machine need
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        _SESSIONS[key] = session
        return session


def score_texts(
    model,
    tokenizer,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 128,
    device=None,
    progress: bool = True,
    desc: str = "scoring",
    dedupe: bool = True,
    cpu_bf16: bool | None = None,
    engine: str = "auto",
    cache_dir: str | Path | None = None,
) -> np.ndarray:
    """Sentiment in [−1, 1] for every text, in input order; NaN for empty texts.

    ``model`` maps ``input_ids``/``attention_mask`` to one value per text (a
    :class:`helpers.sentiment.regressor.SentimentRegressor` or a frozen-ridge
    regressor).  Empty texts are not sent to the model: they get NaN, and the
    caller reports how many.  With ``dedupe`` each distinct text is scored once;
    ``engine`` (``auto``, ``torch`` or ``onnx``) see :func:`resolve_engine`:
    ``auto`` scores in fp32 on the CPU unless ``cpu_bf16=True``; with
    ``engine="torch"``, ``cpu_bf16`` means what it means in :func:`autocast_for`.
    When the ONNX engine cannot run (not installed, export failed) the texts are
    scored with PyTorch and a warning gives the reason.  ``cache_dir`` is where ONNX exports are kept.
    """
    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    if dedupe and len(texts) > 1:
        # identical texts (short replies such as 抱抱 / 加油 recur often) are scored once
        unique, inverse = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
        if len(unique) < len(texts):
            scores = score_texts(model, tokenizer, list(unique), batch_size=batch_size, max_length=max_length,
                                 device=device, progress=progress, desc=desc, dedupe=False,
                                 cpu_bf16=cpu_bf16, engine=engine, cache_dir=cache_dir)
            return scores[inverse]
    out = np.full(len(texts), np.nan, dtype=np.float64)
    keep = np.flatnonzero([bool(t.strip()) for t in texts])
    if len(keep) == 0:
        return out
    device = choose_device(device)
    chosen, reason = resolve_engine(engine, device, cpu_bf16, len(keep))
    if (engine == "auto" and device.type == "cpu" and not cpu_bf16) or chosen == "onnx":
        cpu_bf16 = False  # auto scores in fp32 on the CPU, whichever engine runs; ONNX's fallback is fp32 too
    if engine == "onnx" and chosen != "onnx":
        warnings.warn(f"scoring with PyTorch instead of ONNX Runtime: {reason}", stacklevel=2)
    session, head = None, None
    if chosen == "onnx":
        try:
            if hasattr(model, "features_module"):
                # a frozen encoder + ridge head: its encoder's feature export (the one its head was fitted
                # on, shared by every head on the same encoder) and the head in numpy
                session, head = onnx_session(model.features_module(), cache_dir=cache_dir), model.apply_head
            else:
                session = onnx_session(model, cache_dir=cache_dir)
        except OnnxUnavailable as exc:
            warnings.warn(f"scoring with PyTorch instead of ONNX Runtime: {exc}", stacklevel=2)
    enc = tokenizer([texts[i] for i in keep], truncation=True, max_length=max_length)
    ids = enc["input_ids"]
    batches = length_sorted_batches([len(x) for x in ids], batch_size)
    if session is not None:
        _run_onnx(session, tokenizer, ids, batches, keep, out, progress, desc, head)
    else:
        _run_torch(model.to(device).eval(), tokenizer, ids, batches, keep, out, device, cpu_bf16, progress, desc)
    return out


def _run_torch(model, tokenizer, ids, batches, keep, out, device, cpu_bf16, progress, desc) -> None:
    import torch
    from tqdm import tqdm

    bar = tqdm(total=len(keep), desc=desc, unit="text", disable=not progress, mininterval=10.0)
    with torch.inference_mode(), autocast_for(device, cpu_bf16):
        for batch in batches:
            padded = tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
            pred = model(
                input_ids=padded["input_ids"].to(device), attention_mask=padded["attention_mask"].to(device)
            )
            out[keep[batch]] = pred.float().cpu().numpy().reshape(-1)
            bar.update(len(batch))
    bar.close()


def _run_onnx(session, tokenizer, ids, batches, keep, out, progress, desc, head=None) -> None:
    from tqdm import tqdm

    bar = tqdm(total=len(keep), desc=desc, unit="text", disable=not progress, mininterval=10.0)
    for batch in batches:
        values = run_onnx_batch(session, tokenizer, [ids[i] for i in batch])
        out[keep[batch]] = np.asarray(head(values) if head is not None else values, dtype=np.float64).reshape(-1)
        bar.update(len(batch))
    bar.close()


def run_onnx_batch(session, tokenizer, batch_ids: Sequence[Sequence[int]]) -> np.ndarray:
    """The session's (only) output for one batch of token ids, padded to the batch's longest."""
    padded = tokenizer.pad({"input_ids": list(batch_ids)}, return_tensors="np")
    feed = {"input_ids": padded["input_ids"].astype(np.int64),
            "attention_mask": padded["attention_mask"].astype(np.int64)}
    return session.run(None, feed)[0]
