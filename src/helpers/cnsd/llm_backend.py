"""Pluggable chat backends for Module II: an OpenAI-compatible endpoint, a local model, or rules.

Why pluggable: the study's Module II uses large hosted models; readers will
use whatever they can reach: DeepSeek, GPT-4o, a vLLM or Ollama server on
their own GPU (all speak the OpenAI ``/v1/chat/completions`` protocol), a
local transformers model on Colab, or nothing at all.  Module II only needs
``backend.chat(messages) -> str``.

The HTTP backend is built for running a whole corpus through a paid API:

* the key is read from an environment variable (never a parameter that could
  end up in a rendered notebook);
* transient failures (HTTP 429/5xx, connection errors) are retried with
  exponential backoff, honouring ``Retry-After``;
* an optional client-side rate limit spaces requests;
* every response is cached on disk under the SHA-256 of the request (URL,
  model, messages, sampling parameters), so re-running a notebook costs
  nothing and gives identical text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from helpers.torch_device import choose_device, model_dtype

Message = dict[str, str]


class BackendError(RuntimeError):
    """A backend could not produce a completion (after retries)."""


class ChatBackend(Protocol):
    name: str

    def chat(self, messages: Sequence[Message]) -> str: ...


def request_key(payload: dict) -> str:
    """Stable SHA-256 of a request (key order does not matter)."""
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class OpenAICompatibleBackend:
    """``POST {base_url}/chat/completions`` with retries, rate limit and a disk cache."""

    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY",
                 cache_dir: str | Path | None = None, max_retries: int = 4, backoff_s: float = 1.0,
                 max_backoff_s: float = 30.0, requests_per_minute: float | None = None,
                 timeout_s: float = 120.0, temperature: float = 0.7, max_tokens: int = 1024,
                 require_key: bool = False) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai-compatible:{model}"
        self.api_key = os.environ.get(api_key_env, "")
        if require_key and not self.api_key:
            raise BackendError(f"set the API key in the environment variable {api_key_env}")
        self.cache_dir = Path(cache_dir) if cache_dir else None
        if self.cache_dir:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.min_interval_s = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self.timeout_s = timeout_s
        self.params = {"temperature": temperature, "max_tokens": max_tokens}
        self._last_request = 0.0
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "cache_hits": 0, "retries": 0}

    def _payload(self, messages: Sequence[Message]) -> dict:
        return {"model": self.model, "messages": [dict(m) for m in messages], **self.params}

    def _cache_path(self, payload: dict) -> Path | None:
        if not self.cache_dir:
            return None
        return self.cache_dir / f"{request_key({'url': self.base_url, **payload})}.json"

    def _wait_for_slot(self) -> None:
        with self._lock:
            wait = self._last_request + self.min_interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()

    def chat(self, messages: Sequence[Message]) -> str:
        import requests

        payload = self._payload(messages)
        cache = self._cache_path(payload)
        if cache and cache.exists():
            self.stats["cache_hits"] += 1
            return json.loads(cache.read_text(encoding="utf-8"))["content"]
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last_error = ""
        for attempt in range(self.max_retries + 1):
            self._wait_for_slot()
            self.stats["requests"] += 1
            delay = min(self.max_backoff_s, self.backoff_s * 2**attempt)
            try:
                resp = requests.post(f"{self.base_url}/chat/completions", json=payload,
                                     headers=headers, timeout=self.timeout_s)
            except requests.RequestException as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    try:
                        content = resp.json()["choices"][0]["message"]["content"]
                    except (ValueError, KeyError, IndexError, TypeError) as exc:
                        raise BackendError(f"{self.base_url}: unexpected response shape: {resp.text[:200]}") from exc
                    if cache:
                        cache.write_text(json.dumps({"request": payload, "content": content},
                                                    ensure_ascii=False), encoding="utf-8")
                    return content
                last_error = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code not in (408, 409, 429) and resp.status_code < 500:
                    raise BackendError(f"{self.base_url}: {last_error}")
                retry_after = resp.headers.get("Retry-After")
                if retry_after:
                    try:
                        delay = min(self.max_backoff_s, float(retry_after))
                    except ValueError:
                        pass
            if attempt < self.max_retries:
                self.stats["retries"] += 1
                time.sleep(delay)
        raise BackendError(f"{self.base_url}: gave up after {self.max_retries + 1} attempts ({last_error})")


class TransformersBackend:
    """A local causal LM (e.g. Qwen2.5-Instruct on Colab) through its chat template."""

    def __init__(self, model_path: str | Path, *, max_new_tokens: int = 512, device: str | None = None,
                 adapter_path: str | Path | None = None, temperature: float = 0.7) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = f"transformers:{Path(str(model_path)).name}"
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.device = choose_device(device)
        dtype = model_dtype(self.device)
        model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=dtype)
        if adapter_path:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter_path))
        self.model = model.to(self.device).eval()
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature

    def chat(self, messages: Sequence[Message]) -> str:
        import torch

        from helpers.cnsd.lora_sft import render_prompt

        prompt = render_prompt(self.tokenizer, list(messages), add_generation_prompt=True)
        enc = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        with torch.no_grad():
            sampling = {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {
                "do_sample": False}
            out = self.model.generate(**enc, max_new_tokens=self.max_new_tokens, **sampling,
                                      pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)
        return self.tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)


_TASK_RE = re.compile(r"【任务：(核实|总结)】")
_DIM_RE = re.compile(r"【维度：([^】]+)】")
_POST_RE = re.compile(r"【帖子】(.*)", re.S)
_TOTAL_RE = re.compile(r"【帖子总数】(\d+)")
_VERIFIED_RE = re.compile(r"^text_(\d+)（(.*?)）：(.*)$", re.M)
_ALL_RE = re.compile(r"^text_(\d+)：(.*)$", re.M)


class LexiconBackend:
    """The offline default: answers Module II prompts with the transparent tagger.

    It reads the same prompts an LLM would get (task tag, dimension, evidence, posts) so the
    pipeline code path is identical; it is a rule baseline, reported as such.

    * verification: "是" when the tagger finds the dimension in the post;
    * summary of verified posts: cites each listed post under its dimensions with the
      labeller's evidence as the note; answers "是" when the verified posts make up at least
      ``threshold`` of the user's posts;
    * plain few-shot summary (all posts, no labels): tags every post itself.
    """

    name = "lexicon-rules"

    def __init__(self, threshold: float = 0.1, max_cited: int = 12) -> None:
        self.threshold = threshold
        self.max_cited = max_cited

    def _verify(self, prompt: str) -> str:
        from helpers.cnsd.dataset_io import DIMENSION_ZH
        from helpers.cnsd.dimension_tagger import tag_post

        dim_m, post_m = _DIM_RE.search(prompt), _POST_RE.search(prompt)
        if not dim_m or not post_m:
            raise BackendError("verification prompt lacks 【维度：…】 or 【帖子】")
        key = {v: k for k, v in DIMENSION_ZH.items()}.get(dim_m.group(1).strip())
        if key is None:
            raise BackendError(f"unknown dimension {dim_m.group(1)!r}")
        tags = tag_post(post_m.group(1).strip())
        if key in tags.dims:
            return f"是。帖子中出现了词表中的“{tags.evidence(key)}”。"
        return "否。帖子中没有该维度的词表词语，或语境为一时情绪。"

    def _summarise(self, prompt: str) -> str:
        from helpers.cnsd.dataset_io import (
            DIMENSION_KEYS,
            DIMENSION_ZH,
            format_output,
            format_section,
        )
        from helpers.cnsd.dimension_tagger import tag_post

        total_m = _TOTAL_RE.search(prompt)
        if not total_m:
            raise BackendError("summary prompt lacks 【帖子总数】")
        total = int(total_m.group(1))
        zh_to_key = {v: k for k, v in DIMENSION_ZH.items()}
        cited: dict[str, list[tuple[int, str]]] = {k: [] for k in DIMENSION_KEYS}
        posts_with: set[int] = set()
        body = prompt.split("【金标准示例】", 1)[-1]
        body = body.split("【已复核的帖子", 1)[-1] if "【已复核的帖子" in body else body.split("【该用户的全部帖子】", 1)[-1]
        verified = _VERIFIED_RE.findall(body)
        if verified:
            for index, labels, _post in verified:
                for part in labels.split("、"):
                    name, _, evidence = part.partition("；")
                    key = zh_to_key.get(name.strip())
                    if key:
                        posts_with.add(int(index))
                        cited[key].append((int(index), evidence.strip()[:20]))
        else:
            for index, post in _ALL_RE.findall(body):
                tags = tag_post(post)
                for key in tags.dims:
                    posts_with.add(int(index))
                    cited[key].append((int(index), tags.evidence(key)))
        share = len(posts_with) / total if total else 0.0
        answer = int(share >= self.threshold)
        sections = {}
        for key in DIMENSION_KEYS:
            items = cited[key][: self.max_cited]
            sections[key] = format_section(f"共{len(cited[key])}条帖子涉及该维度。", items) if items else "未见相关表达。"
        overall = (f"有证据的帖子占{share:.0%}，" + ("多个维度相互印证，提示存在抑郁风险。" if answer
                                                 else "未见持续的抑郁信号。"))
        return format_output(answer, sections, overall)

    def chat(self, messages: Sequence[Message]) -> str:
        prompt = messages[-1]["content"]
        task = _TASK_RE.search(prompt)
        if not task:
            raise BackendError("LexiconBackend understands only Module II prompts (【任务：核实】/【任务：总结】)")
        return self._verify(prompt) if task.group(1) == "核实" else self._summarise(prompt)


def make_backend(kind: str = "lexicon", **kwargs) -> ChatBackend:
    """Build a backend by name: ``lexicon`` (offline), ``openai`` (any compatible URL), ``transformers``."""
    if kind == "lexicon":
        return LexiconBackend(**kwargs)
    if kind == "openai":
        return OpenAICompatibleBackend(**kwargs)
    if kind == "transformers":
        return TransformersBackend(**kwargs)
    raise ValueError(f"unknown backend {kind!r}: use 'lexicon', 'openai' or 'transformers'")
