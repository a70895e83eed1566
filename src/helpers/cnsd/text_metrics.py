"""Generation metrics that are correct for Chinese: BLEU, ROUGE-1 on characters, BERTScore.

Why this module: the common ROUGE packages split text on ASCII whitespace and
drop non-ASCII characters, so two Chinese strings score 0 even when they are
identical.  Chinese has no spaces; the unit used here is the character (the
usual choice for Chinese ROUGE).  BLEU uses sacrebleu's ``zh`` tokenizer,
which splits CJK characters.  BERTScore is computed with a *local* encoder
(greedy cosine matching of contextual token embeddings, Zhang et al. 2020)
because the ``bert-score`` package downloads its model from the hub; no idf
weighting and no baseline rescaling, so values are not on the rescaled scale
some papers report.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers.torch_device import choose_device


def _check_pairs(candidates: Sequence[str], references: Sequence[str]) -> None:
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    if not candidates:
        raise ValueError("no texts to score")


def bleu_zh(candidates: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0..1) with sacrebleu's Chinese tokenizer."""
    import sacrebleu

    _check_pairs(candidates, references)
    score = sacrebleu.corpus_bleu(list(candidates), [list(references)], tokenize="zh")
    return float(score.score) / 100.0


def char_units(text: str) -> list[str]:
    """Characters that count for ROUGE: letters/digits/CJK, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text)
    return [c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P")]


def rouge1_chars(candidate: str, reference: str) -> dict[str, float]:
    """ROUGE-1 precision, recall and F1 over character unigrams (clipped counts)."""
    cand, ref = Counter(char_units(candidate)), Counter(char_units(reference))
    overlap = sum((cand & ref).values())
    p = overlap / sum(cand.values()) if cand else 0.0
    r = overlap / sum(ref.values()) if ref else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def rouge1_corpus(candidates: Sequence[str], references: Sequence[str]) -> float:
    """Mean character ROUGE-1 F1 over pairs."""
    _check_pairs(candidates, references)
    return float(np.mean([rouge1_chars(c, r)["f1"] for c, r in zip(candidates, references, strict=True)]))


_SPECIAL = re.compile(r"^\[(CLS|SEP|PAD)\]$|^<s>$|^</s>$|^<pad>$")


class BertScorer:
    """BERTScore with a local transformers encoder folder (no network).

    ``layer`` picks the hidden layer (default: the last); special tokens are
    excluded from the greedy matching, as in the original method.
    """

    def __init__(self, model_path: str | Path, *, layer: int | None = None, max_length: int = 256,
                 batch_size: int = 16, device: str | None = None) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.model = AutoModel.from_pretrained(str(model_path))
        self.model.eval()
        self.device = choose_device(device)
        self.model.to(self.device)
        self.layer = layer
        self.max_length = max_length
        self.batch_size = batch_size
        self._cache: dict[str, np.ndarray] = {}

    def _embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token embeddings per text; each distinct text is encoded once per scorer (cached),
        so scoring several systems against the same references costs one pass over them."""
        todo = sorted({t for t in texts if t not in self._cache}, key=len)  # less padding
        for text, emb in zip(todo, self._encode(todo), strict=True):
            self._cache[text] = emb
        return [self._cache[t] for t in texts]

    def _encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        import torch

        out: list[np.ndarray] = []
        special_ids = set(self.tokenizer.all_special_ids)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt").to(self.device)
            with torch.no_grad():
                result = self.model(**enc, output_hidden_states=self.layer is not None)
            hidden = result.hidden_states[self.layer] if self.layer is not None else result.last_hidden_state
            hidden = torch.nn.functional.normalize(hidden, dim=-1)
            for i in range(len(batch)):
                ids = enc["input_ids"][i].tolist()
                keep = [j for j, (t, m) in enumerate(zip(ids, enc["attention_mask"][i].tolist(), strict=True))
                        if m and t not in special_ids]
                out.append(hidden[i, keep].float().cpu().numpy())
        return out

    def score(self, candidates: Sequence[str], references: Sequence[str]) -> dict[str, np.ndarray]:
        """Per-pair precision, recall and F1 arrays."""
        _check_pairs(candidates, references)
        cand, ref = self._embed(candidates), self._embed(references)
        p, r, f = [], [], []
        for c, e in zip(cand, ref, strict=True):
            if len(c) == 0 or len(e) == 0:
                p.append(0.0)
                r.append(0.0)
                f.append(0.0)
                continue
            sim = c @ e.T
            pi, ri = float(sim.max(axis=1).mean()), float(sim.max(axis=0).mean())
            p.append(pi)
            r.append(ri)
            f.append(2 * pi * ri / (pi + ri) if pi + ri > 0 else 0.0)
        return {"precision": np.array(p), "recall": np.array(r), "f1": np.array(f)}


def generation_metrics(candidates: Sequence[str], references: Sequence[str],
                       scorer: BertScorer | None = None) -> dict[str, float]:
    """BLEU, ROUGE-1 (characters) and, when a scorer is given, mean BERTScore F1."""
    out = {"BLEU": bleu_zh(candidates, references), "ROUGE-1": rouge1_corpus(candidates, references)}
    out["BERTScore"] = float(scorer.score(candidates, references)["f1"].mean()) if scorer else float("nan")
    return out
