"""Module I training: LoRA supervised fine-tuning of a causal LM on the messages JSONL.

The study fine-tunes Qwen2.5-14B with LoRA for one epoch at learning rate
5e-5 (via LLaMA-Factory).  This module does the same job with ``peft`` and a
plain PyTorch loop, so it runs wherever transformers runs:

* on a GPU (Colab, a lab server) with a real checkpoint such as
  ``Qwen/Qwen2.5-0.5B-Instruct`` … ``Qwen/Qwen2.5-14B-Instruct``;
* on CPU in CI with :func:`build_tiny_qwen2`, a randomly initialised model of
  the same architecture (Qwen2) and a small byte-level BPE tokenizer trained on the
  training text, which proves the data path, masking, LoRA wiring and adapter
  saving without any download.  Its outputs are meaningless by design.

Only the assistant turn is trained on (prompt tokens get label -100), which
is what LLaMA-Factory and TRL do by default for chat data.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from helpers.study import cnsd as _study
from helpers.torch_device import choose_device, model_dtype

STUDY_SETTINGS = {k: _study.MODULE_I[k] for k in ("model", "epochs", "learning_rate", "method")}

#: ChatML, the template Qwen2.5 uses; set on the tiny tokenizer so the code path is the real one.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]")


def render_prompt(tokenizer, messages: list[dict], *, add_generation_prompt: bool = False) -> str:
    """The chat as text, through the tokenizer's chat template (ChatML when it has none)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def build_tiny_qwen2(texts: Iterable[str], folder: str | Path, *, hidden_size: int = 64,
                     layers: int = 2, vocab_size: int = 1000, seed: int = 0) -> Path:
    """Write a randomly initialised tiny Qwen2 causal LM + a byte-level BPE tokenizer to ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Byte-level BPE, the kind Qwen2 uses: transformers rebuilds a Qwen2 tokenizer from
    # vocab + merges when loading, so the tiny tokenizer must be of the same family.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(list(texts) + ["system\nuser\nassistant\n"], trainer=trainer)
    vocab = tok.get_vocab()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="<|endoftext|>",
                                   eos_token="<|im_end|>", additional_special_tokens=["<|im_start|>"])
    fast.chat_template = CHATML_TEMPLATE
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=len(vocab), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, tie_word_embeddings=True,
                         pad_token_id=vocab["<|endoftext|>"], eos_token_id=vocab["<|im_end|>"])
    Qwen2ForCausalLM(config).save_pretrained(folder)
    return folder


def encode_example(tokenizer, messages: list[dict], max_length: int) -> dict[str, list[int]]:
    """Token ids and labels with the prompt masked (-100): only the answer is learned."""
    if messages[-1]["role"] != "assistant":
        raise ValueError("the last message must be the assistant's answer")
    prompt = render_prompt(tokenizer, messages[:-1], add_generation_prompt=True)
    full = render_prompt(tokenizer, messages)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    labels = [-100] * len(prompt_ids) + full_ids[len(prompt_ids):]
    # Keep the answer when truncating: cut the prompt from the left.
    if len(full_ids) > max_length:
        cut = len(full_ids) - max_length
        full_ids, labels = full_ids[cut:], labels[cut:]
    return {"input_ids": full_ids, "labels": labels}


@dataclass
class LoraResult:
    model: str
    examples: int
    steps: int
    epochs: float
    learning_rate: float
    trainable_params: int
    total_params: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    adapter_dir: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def train_lora(model_path: str | Path, conversations: Sequence[list[dict]], output_dir: str | Path, *,
               epochs: float = 1.0, learning_rate: float = 5e-5, r: int = 8, alpha: int = 16,
               dropout: float = 0.05, batch_size: int = 4, max_length: int = 512,
               max_steps: int | None = None, target_modules: Sequence[str] | None = None,
               seed: int = 0, log_every: int = 10, device: str | None = None, log=print) -> LoraResult:
    """LoRA SFT; saves the adapter (not the base model) to ``output_dir``.

    Defaults follow the study (1 epoch, lr 5e-5); ``max_steps`` caps a smoke run.
    ``device`` None takes the GPU when present; ``"cpu"`` forces the CPU.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not conversations:
        raise ValueError("no training conversations")
    torch.manual_seed(seed)
    device = choose_device(device)
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = model_dtype(device)
    base = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=dtype)
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, task_type="CAUSAL_LM",
                        target_modules=list(target_modules or ["q_proj", "k_proj", "v_proj", "o_proj"]))
    model = get_peft_model(base, config).to(device)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    encoded = [encode_example(tokenizer, list(c), max_length) for c in conversations]
    steps_per_epoch = math.ceil(len(encoded) / batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * epochs))
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 - s / max(total_steps, 1))
    generator = torch.Generator().manual_seed(seed)
    model.train()
    losses: list[float] = []
    started = time.perf_counter()
    step = 0
    while step < total_steps:
        order = torch.randperm(len(encoded), generator=generator).tolist()
        for start in range(0, len(order), batch_size):
            if step >= total_steps:
                break
            batch = [encoded[i] for i in order[start:start + batch_size]]
            width = max(len(b["input_ids"]) for b in batch)
            pad = tokenizer.pad_token_id
            ids = torch.tensor([b["input_ids"] + [pad] * (width - len(b["input_ids"])) for b in batch])
            labels = torch.tensor([b["labels"] + [-100] * (width - len(b["labels"])) for b in batch])
            mask = torch.tensor([[1] * len(b["input_ids"]) + [0] * (width - len(b["input_ids"])) for b in batch])
            out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
            out.loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(out.loss.detach().cpu()))
            step += 1
            if log and (step % log_every == 0 or step == total_steps):
                log(f"step {step}/{total_steps} loss {losses[-1]:.4f}")
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    result = LoraResult(model=str(model_path), examples=len(encoded), steps=step,
                        epochs=step / steps_per_epoch, learning_rate=learning_rate,
                        trainable_params=int(trainable), total_params=int(total),
                        seconds=time.perf_counter() - started, losses=losses, adapter_dir=str(output_dir))
    (output_dir / "training_log.json").write_text(json.dumps(result.to_dict(), indent=2))
    return result
