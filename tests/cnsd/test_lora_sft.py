"""LoRA SFT on a tiny randomly initialised Qwen2 with a tokenizer built here (CPU, no download)."""

from __future__ import annotations

import json

import pytest

from helpers.cnsd.lora_sft import build_tiny_qwen2, encode_example, render_prompt, train_lora

CONVS = [
    [{"role": "system", "content": "你是标注助手"}, {"role": "user", "content": f"帖子：{t}。是否体现负面情绪？"},
     {"role": "assistant", "content": a}]
    for t, a in [("好难过", "是。"), ("吃火锅", "否。"), ("一直哭", "是。"), ("去散步", "否。")]
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    texts = [m["content"] for c in CONVS for m in c]
    return build_tiny_qwen2(texts, tmp_path_factory.mktemp("tiny_qwen2"), hidden_size=32)


def test_prompt_tokens_are_masked(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    text = render_prompt(tok, CONVS[0])
    assert text.startswith("<|im_start|>system\n") and text.endswith("是。<|im_end|>\n")
    enc = encode_example(tok, CONVS[0], max_length=512)
    learned = [t for t, lab in zip(enc["input_ids"], enc["labels"], strict=True) if lab != -100]
    assert tok.decode(learned) == "是。<|im_end|>\n"
    short = encode_example(tok, CONVS[0], max_length=8)
    assert len(short["input_ids"]) == 8 and short["labels"][-1] != -100
    with pytest.raises(ValueError, match="assistant"):
        encode_example(tok, CONVS[0][:2], 64)


def test_lora_trains_adapter_only(tiny_model, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    before = AutoModelForCausalLM.from_pretrained(str(tiny_model)).state_dict()
    result = train_lora(tiny_model, CONVS, tmp_path / "adapter", epochs=15, learning_rate=1e-2,
                        batch_size=4, r=4, alpha=8, dropout=0.0, log=None,
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    assert result.steps == 15 and result.examples == 4
    assert result.losses[-1] < result.losses[0] - 0.2
    assert 0 < result.trainable_params < result.total_params / 2
    assert (tmp_path / "adapter" / "adapter_config.json").exists()
    assert json.loads((tmp_path / "adapter" / "training_log.json").read_text())["steps"] == 15
    after = AutoModelForCausalLM.from_pretrained(str(tiny_model)).state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    capped = train_lora(tiny_model, CONVS, tmp_path / "capped", epochs=5, max_steps=2, log=None)
    assert capped.steps == 2
    with pytest.raises(ValueError, match="no training"):
        train_lora(tiny_model, [], tmp_path / "x")


def test_transformers_backend_generates_with_adapter(tiny_model, tmp_path):
    from helpers.cnsd.llm_backend import TransformersBackend

    train_lora(tiny_model, CONVS, tmp_path / "adapter", max_steps=1, log=None)
    backend = TransformersBackend(tiny_model, max_new_tokens=4, device="cpu", adapter_path=tmp_path / "adapter")
    reply = backend.chat(CONVS[0][:2])
    assert isinstance(reply, str) and len(reply) <= 64
    assert backend.name.startswith("transformers:")
