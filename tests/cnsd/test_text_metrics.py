"""Chinese-correct BLEU, character ROUGE-1 and BERTScore with a tiny local encoder."""

from __future__ import annotations

import pytest

from helpers.cnsd.text_metrics import (
    BertScorer,
    bleu_zh,
    generation_metrics,
    rouge1_chars,
    rouge1_corpus,
)


def test_rouge_library_matches_the_definition():
    """rouge-score with our character tokenizer equals clipped character-unigram overlap."""
    from collections import Counter

    from helpers.cnsd.text_metrics import char_units

    for cand, ref in (("我今天很难过很难过", "他今天不难过"), ("失眠。失眠！", "一直失眠")):
        c, r = Counter(char_units(cand)), Counter(char_units(ref))
        overlap = sum((c & r).values())
        p, rec = overlap / sum(c.values()), overlap / sum(r.values())
        assert rouge1_chars(cand, ref)["f1"] == pytest.approx(2 * p * rec / (p + rec))


def test_rouge_on_chinese_is_not_zero():
    score = rouge1_chars("我今天很难过", "他今天不难过")
    assert score["f1"] > 0
    # 今 天 难 过 shared out of six characters each
    assert score["precision"] == pytest.approx(4 / 6) and score["recall"] == pytest.approx(4 / 6)
    assert rouge1_chars("失眠很久了", "失眠很久了")["f1"] == 1.0
    assert rouge1_chars("火锅", "失眠")["f1"] == 0.0
    assert rouge1_chars("难过。", "难过！")["f1"] == 1.0  # punctuation does not count


def test_bleu_zh():
    assert bleu_zh(["我今天很难过，睡不着觉"], ["我今天很难过，睡不着觉"]) == pytest.approx(1.0)
    partial = bleu_zh(["我今天很难过，一直睡不着"], ["我今天很难过，睡不着觉"])
    assert 0 < partial < 1
    with pytest.raises(ValueError):
        rouge1_corpus(["a"], [])


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_bert")
    chars = sorted(set("我今天很难过睡不着觉一直失眠火锅好吃他"))
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    from tokenizers.processors import TemplateProcessing

    tok.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64)).save_pretrained(folder)
    return folder


def test_bertscore_library_matches_greedy_matching(tiny_bert):
    """bert-score on a local folder equals greedy cosine matching, averaged over non-special tokens.

    (As in bert-score itself, [CLS]/[SEP] get zero weight in the averages but stay available as
    matches in the maximum.)"""
    import torch
    from transformers import AutoModel, AutoTokenizer

    cand, ref = "我今天很难过", "他一直失眠睡不着"
    tok = AutoTokenizer.from_pretrained(str(tiny_bert))
    model = AutoModel.from_pretrained(str(tiny_bert)).eval()

    def emb(text):
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            h = model(**enc).last_hidden_state[0]
        return torch.nn.functional.normalize(h, dim=-1)

    c, r_ = emb(cand), emb(ref)
    p = (c[1:-1] @ r_.T).max(1).values.mean().item()
    r = (r_[1:-1] @ c.T).max(1).values.mean().item()
    got = BertScorer(tiny_bert).score([cand], [ref])
    assert got["precision"][0] == pytest.approx(p, abs=1e-4) and got["recall"][0] == pytest.approx(r, abs=1e-4)


def test_bertscore_with_local_model(tiny_bert):
    scorer = BertScorer(tiny_bert, batch_size=2)
    same = scorer.score(["我今天很难过"], ["我今天很难过"])
    assert same["f1"][0] == pytest.approx(1.0, abs=1e-5)
    scores = scorer.score(["我今天很难过", "火锅好吃"], ["我今天很难过睡不着", "我一直失眠"])
    assert scores["f1"][0] > scores["f1"][1]
    metrics = generation_metrics(["我今天很难过"], ["我今天很难过"], scorer)
    assert metrics["BERTScore"] == pytest.approx(1.0, abs=1e-5) and metrics["ROUGE-1"] == 1.0


def test_generation_rows_pools_systems_into_one_bertscore_call(tiny_bert):
    """Scoring all systems in one call gives each system the BERTScore of its own call."""
    from helpers.cnsd.chapter import generation_rows

    scorer = BertScorer(tiny_bert, batch_size=2)
    refs = ["我今天很难过睡不着", "我一直失眠", "火锅好吃"]
    systems = {"a": ["我今天很难过", "火锅好吃", "他一直失眠"], "b": ["我很难过", "我一直失眠", "好吃"]}
    rows = generation_rows(systems, refs, scorer, max_bertscore=2)
    for name, cands in systems.items():
        alone = float(scorer.score(cands[:2], refs[:2])["f1"].mean())
        assert rows[name]["BERTScore"] == pytest.approx(alone, abs=1e-5)
        assert rows[name]["ROUGE-1"] == pytest.approx(rouge1_corpus(cands, refs))
