"""Composing synthetic posts and comments from :mod:`helpers.synth.grammar`.

Separated from the corpus generator so the text side can be tested on its own:
every clause carries a sentiment phrase whose level is the text's latent score
(plus a little jitter, so neighbouring levels mix as real wording does), and a
comment draws ~90 % of its content words from its own theme.

Lengths are built to a target measured the study's way (one per Chinese
character, English word or numeral), so the generator knows which posts will
pass the 100-character and which comments the 30-character threshold.
"""

from __future__ import annotations

import re

import numpy as np

from helpers.synth import grammar as g

_LEN_RE = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+|\d+")


def text_length(text: str) -> int:
    """The study's length of an already clean fragment (no hashtags/emoji/mentions inside)."""
    return len(_LEN_RE.findall(text))


_LEXICON_BY_INDEX = [g.SENTIMENT_LEXICON[float(level)] for level in g.SENTIMENT_LEVELS]
_OTHER_THEMES = {t: [o for o in g.THEME_NAMES if o != t] for t in g.THEME_NAMES}
_TOP = len(g.SENTIMENT_LEVELS) - 1


def sentiment_phrase(rng: np.random.Generator, score: float, jitter: float = 0.06) -> str:
    """A phrase from the lexicon level nearest ``score`` (jittered), chosen at random.

    Scalar arithmetic on purpose: this runs ~300k times per full-size corpus.
    """
    noisy = score + jitter * rng.standard_normal()
    index = min(max(int(round((noisy + 1.0) / 0.2)), 0), _TOP)
    options = _LEXICON_BY_INDEX[index]
    return options[int(rng.integers(len(options)))]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def theme_words(rng: np.random.Generator, theme: str, k: int, purity: float = 0.9) -> list[str]:
    """k content words, each from ``theme`` with probability ``purity``, else from another theme."""
    draws = rng.random(3 * k)
    out = []
    for j in range(k):
        source = theme
        if draws[j] > purity:
            others = _OTHER_THEMES[theme]
            source = others[int(draws[k + j] * len(others))]
        words = g.THEMES[source]
        out.append(words[int(draws[2 * k + j] * len(words))])
    return out


def compose_post(rng: np.random.Generator, score: float, disclosure: bool, target_length: int,
                 short: bool) -> tuple[str, str]:
    """(title, body) of a post; body length reaches ``target_length`` (or stays under it if ``short``)."""
    if disclosure:
        title = _pick(rng, g.TITLES_DISCLOSURE).format(n=int(rng.integers(1, 400)))
        openers, clauses = g.DISCLOSURE_OPENERS, g.DISCLOSURE_CLAUSES
    else:
        title = _pick(rng, g.TITLES_OTHER)
        openers, clauses = g.OTHER_OPENERS, g.OTHER_CLAUSES
    length = text_length(title)
    parts: list[str] = []
    first = _pick(rng, openers).format(who=_pick(rng, g.IDENTITIES), dur=_pick(rng, g.DURATIONS),
                                       dx=_pick(rng, g.DIAGNOSES), s=sentiment_phrase(rng, score))
    if not short or length + text_length(first) < target_length:
        parts.append(first)
        length += text_length(first)
    themes = g.THEME_NAMES
    while True:
        theme = themes[rng.integers(len(themes))]
        a, b = theme_words(rng, theme, 2, purity=0.8)
        clause = _pick(rng, clauses).format(a=a, b=b, s=sentiment_phrase(rng, score))
        n = text_length(clause)
        if short and length + n >= target_length:
            break
        parts.append(clause)
        length += n
        if not short and length >= target_length:
            break
    separators = rng.choice(["。", "！", "。\n", "～", "…\n"], size=max(len(parts), 1), p=[0.5, 0.15, 0.2, 0.1, 0.05])
    body = "".join(p + s for p, s in zip(parts, separators, strict=False))
    return title, body


def compose_comment(rng: np.random.Generator, score: float, theme: str, min_length: int,
                    short: bool) -> tuple[str, list[str]]:
    """(text, theme terms used).  Long comments reach ``min_length``; short ones stay below 30."""
    if short:
        text = _pick(rng, g.SHORT_COMMENTS)
        if rng.random() < 0.6:
            text += "，" + sentiment_phrase(rng, score)
        return text, []
    templates = g.COMMENT_TEMPLATES[theme]
    pieces: list[str] = []
    terms: list[str] = []
    length = 0
    while length < min_length:
        a, b = theme_words(rng, theme, 2)
        clause = _pick(rng, templates).format(a=a, b=b, s=sentiment_phrase(rng, score))
        pieces.append(clause)
        terms += [a, b]
        length += text_length(clause)
    return "。".join(pieces) + "。", terms
