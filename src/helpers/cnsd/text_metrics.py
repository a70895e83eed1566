"""Generation metrics that are correct for Chinese: BLEU, ROUGE-1 on characters, BERTScore.

All three come from the established packages; what this module adds is the Chinese-specific
configuration the paper does not report (Section 5.2 names the metrics only):

* **BLEU**: ``sacrebleu`` corpus BLEU with its ``zh`` tokenizer (splits CJK characters),
  default 4-gram order.
* **ROUGE-1**: Google's ``rouge-score`` with a character tokenizer.  Its default tokenizer
  keeps only ``[a-z0-9]`` and so scores any two Chinese strings 0; the unit here is the
  character (letters, digits, CJK; no spaces or punctuation), the usual choice for Chinese.
* **BERTScore**: the ``bert-score`` package given a *local* model folder and ``num_layers``
  (offline the book's multilingual-e5-small conversion; on a GPU e.g. bert-base-chinese);
  no idf weighting and no baseline rescaling, so values are not on the rescaled scale.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
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


@lru_cache(maxsize=8192)
def _char_units(text: str) -> tuple[str, ...]:
    # Remembered per text: a chapter scores the same references against several systems.
    text = unicodedata.normalize("NFKC", text)
    return tuple(c for c in text if not c.isspace() and not unicodedata.category(c).startswith(("P", "S")))


def char_units(text: str) -> list[str]:
    """Characters that count for ROUGE: letters/digits/CJK, no spaces or punctuation."""
    return list(_char_units(text))


class CharTokenizer:
    """The ``tokenize`` interface ``rouge_score.RougeScorer`` accepts, over characters."""

    def tokenize(self, text: str) -> list[str]:
        return char_units(text)


@lru_cache(maxsize=1)
def _rouge():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1"], tokenizer=CharTokenizer())


def rouge1_chars(candidate: str, reference: str) -> dict[str, float]:
    """ROUGE-1 precision, recall and F1 over characters (``rouge-score``)."""
    score = _rouge().score(reference, candidate)["rouge1"]
    return {"precision": score.precision, "recall": score.recall, "f1": score.fmeasure}


def rouge1_corpus(candidates: Sequence[str], references: Sequence[str]) -> float:
    """Mean character ROUGE-1 F1 over pairs."""
    _check_pairs(candidates, references)
    return float(np.mean([rouge1_chars(c, r)["f1"] for c, r in zip(candidates, references, strict=True)]))


def model_layers(model_path: str | Path) -> int:
    """Number of hidden layers in a local model folder's config (BERTScore uses the last)."""
    from transformers import AutoConfig

    return int(AutoConfig.from_pretrained(str(model_path)).num_hidden_layers)


class BertScorer:
    """``bert_score.BERTScorer`` on a local model folder, loaded once and reused.

    ``num_layers`` defaults to the model's last layer (bert-score's own table of tuned layers
    covers hub names only, not local folders).
    """

    def __init__(self, model_path: str | Path, *, num_layers: int | None = None, batch_size: int = 16,
                 device: str | None = None) -> None:
        import bert_score

        self.model_path = str(model_path)
        self.num_layers = num_layers or model_layers(model_path)
        self.scorer = bert_score.BERTScorer(model_type=self.model_path, num_layers=self.num_layers,
                                            batch_size=batch_size, device=str(choose_device(device)),
                                            use_fast_tokenizer=True,
                                            lang="zh")
        # bert-score truncates at the tokenizer's model_max_length; a folder saved without one
        # reports ~1e30, which the fast tokenizer cannot take: cap it at the position table.
        from transformers import AutoConfig

        limit = int(getattr(AutoConfig.from_pretrained(self.model_path), "max_position_embeddings", 512))
        tok = self.scorer._tokenizer
        tok.model_max_length = min(int(min(tok.model_max_length, 1e9)), limit)

    def score(self, candidates: Sequence[str], references: Sequence[str]) -> dict[str, np.ndarray]:
        """Per-pair precision, recall and F1 arrays."""
        _check_pairs(candidates, references)
        p, r, f = self.scorer.score(list(candidates), list(references))
        return {"precision": p.numpy(), "recall": r.numpy(), "f1": f.numpy()}


def generation_metrics(candidates: Sequence[str], references: Sequence[str],
                       scorer: BertScorer | None = None) -> dict[str, float]:
    """BLEU, ROUGE-1 (characters) and, when a scorer is given, mean BERTScore F1."""
    out = {"BLEU": bleu_zh(candidates, references), "ROUGE-1": rouge1_corpus(candidates, references)}
    out["BERTScore"] = float(scorer.score(candidates, references)["f1"].mean()) if scorer else float("nan")
    return out


def generation_metrics_by_system(candidates: Mapping[str, Sequence[str]], references: Sequence[str]
                                 ) -> dict[str, dict[str, float]]:
    """:func:`generation_metrics` without BERTScore for several systems sharing ``references``.

    sacrebleu's ``BLEU(references=...)`` tokenises and counts the references once and reuses
    them for every system (its documented cache; the scores equal ``corpus_bleu``'s, which a
    test checks); ROUGE's character units of each reference are remembered the same way.
    """
    from sacrebleu.metrics import BLEU

    bleu = None
    out: dict[str, dict[str, float]] = {}
    for name, cands in candidates.items():
        _check_pairs(cands, references)
        if bleu is None:
            bleu = BLEU(tokenize="zh", references=[list(references)])
        out[name] = {"BLEU": float(bleu.corpus_score(list(cands), None).score) / 100.0,
                     "ROUGE-1": rouge1_corpus(cands, references), "BERTScore": float("nan")}
    return out
