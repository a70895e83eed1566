"""Chinese word segmentation for the semantic networks: jieba + domain dictionary + stopwords.

The study segmented comments with jieba, removed the HIT (Harbin Institute of
Technology) stopword list, but *kept* two words that HIT lists and that carry
meaning in depression talk: 现在 ("now": the present-tense framing of struggle)
and 一个 ("one", as in 一个人 "alone").  Both lists are parameters so that a
reader can see and change what was removed.

Why a private :class:`jieba.Tokenizer` instead of ``jieba.lcut``: adding the
domain dictionary to jieba's global tokenizer would silently change how every
other chapter segments text in the same kernel.  Why a domain dictionary at
all: jieba's general dictionary splits clinical words (躯体化 → 躯体/化, drug
names into characters), which would scatter a concept across several nodes.

Engines.  ``engine="jieba"`` is the segmenter the study used.  ``engine="rjieba"``
is the Rust port jieba-rs through the ``rjieba`` binding, loaded with the same
domain dictionary and keep-list.  It is much faster but not the same program:
jieba-rs ships its own copy of the dictionary and of the HMM for unknown words,
so a few documents are split differently.  The project's bar for switching was
at least 99.5 % of documents segmented identically and of tokens shared with
jieba, on the embedded corpus's cleaned comments;
``benchmarks/tokenisation_speed.py`` measures agreement (also on real Weibo
text, SMP2020-EWECT) and speed against plain ``jieba.lcut`` and writes them to
``benchmarks/results/``, and the book's benchmarks page shows that run.  rjieba
cleared the bar there, so the default ``engine="auto"`` uses rjieba when it is
installed and falls back to jieba when it is not; :attr:`ChineseTokenizer.engine`
says which one ran.  Pass ``engine="jieba"`` to segment exactly as the study's
tool does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

#: Segmentation engines :class:`ChineseTokenizer` accepts.
ENGINES: tuple[str, ...] = ("auto", "jieba", "rjieba")

#: Words the study kept although the HIT list contains (or could contain) them.
DEFAULT_KEEP: tuple[str, ...] = ("现在", "一个")

#: A token is kept only if it is made of CJK characters, Latin letters or digits.
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]+$")
_DIGITS = re.compile(r"^[0-9]+$")


def domain_dictionary_path() -> Path:
    """Path of the project's jieba user dictionary (``word freq pos`` per line)."""
    return Path(str(resources.files("helpers") / "resources" / "domain_dict.txt"))


@lru_cache(maxsize=4)
def hit_stopwords() -> frozenset[str]:
    """The HIT stopword list as shipped by ``pystopwords`` (whitespace stripped, blanks dropped)."""
    import pystopwords

    path = Path(pystopwords.__file__).parent / "data" / "stopwords.zh.hit.txt"
    if not path.exists():
        raise FileNotFoundError(f"pystopwords does not ship the HIT list at {path}")
    words = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w)


def effective_stopwords(
    stopwords: Iterable[str] | None = None,
    keep: Iterable[str] = DEFAULT_KEEP,
    extra: Iterable[str] = (),
) -> frozenset[str]:
    """Stopwords actually removed: (HIT or the given list) ∪ extra, minus the keep-list."""
    base = hit_stopwords() if stopwords is None else frozenset(stopwords)
    return frozenset((set(base) | set(extra)) - set(keep))


class ChineseTokenizer:
    """Segment comments into content terms, the way the study prepared text for VOSviewer.

    Parameters
    ----------
    stopwords
        Words to drop; ``None`` means the HIT list from ``pystopwords``.
    keep
        Words kept even when they are stopwords (default 现在, 一个 as in the study).
    extra_stopwords
        Additional words to drop (e.g. the search hashtags, which occur everywhere).
    user_dict
        A jieba user dictionary; ``None`` uses the project's domain dictionary,
        ``False`` uses none.
    min_chars
        Shortest token kept.  Single characters (的, 我, 好 …) are mostly function
        words or too ambiguous to label a node, so the default is 2.
    drop_numbers
        Drop tokens made only of digits.
    engine
        ``"auto"`` (default: rjieba if installed, else jieba), ``"jieba"`` (the study's
        segmenter) or ``"rjieba"`` (jieba-rs; faster, not identical; needs ``rjieba``).
    """

    def __init__(
        self,
        stopwords: Iterable[str] | None = None,
        keep: Iterable[str] = DEFAULT_KEEP,
        extra_stopwords: Iterable[str] = (),
        user_dict: str | Path | None | bool = None,
        min_chars: int = 2,
        drop_numbers: bool = True,
        engine: str = "auto",
    ) -> None:
        import jieba

        if engine not in ENGINES:
            raise ValueError(f"unknown segmentation engine {engine!r}; choose one of {', '.join(ENGINES)}")
        if engine == "auto":
            engine = "rjieba" if _rjieba_available() else "jieba"
        self.engine = engine
        # jieba logs "Building prefix dict…" on every new tokenizer; in a rendered chapter that
        # is noise, so only its warnings are kept.
        jieba.setLogLevel(logging.WARNING)
        if min_chars < 1:
            raise ValueError(f"min_chars must be >= 1, got {min_chars}")
        self.keep = tuple(keep)
        self.stopwords = effective_stopwords(stopwords, self.keep, extra_stopwords)
        self.min_chars = int(min_chars)
        self.drop_numbers = bool(drop_numbers)
        if user_dict is None:
            user_dict = domain_dictionary_path()
        path: Path | None = None
        if user_dict is not False:
            path = Path(user_dict)  # type: ignore[arg-type]
            if not path.exists():
                raise FileNotFoundError(f"jieba user dictionary not found: {path}")
        if engine == "rjieba":
            self._cut = _rjieba_cutter(path, self.keep)
            return
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        if path is not None:
            self._jieba.load_userdict(str(path))
        # The keep-list words must survive segmentation as single tokens.
        for word in self.keep:
            self._jieba.add_word(word)
        self._cut = lambda text: self._jieba.lcut(text, HMM=True)

    def is_term(self, token: str) -> bool:
        """Whether a segmented token becomes a network term."""
        if token in self.keep:
            return True
        if len(token) < self.min_chars or token in self.stopwords:
            return False
        if not _WORD.match(token):
            return False
        return not (self.drop_numbers and _DIGITS.match(token))

    def tokenize(self, text: str) -> list[str]:
        """Content terms of one text, in order (repeats kept; the co-occurrence step binarises)."""
        if not isinstance(text, str):
            raise TypeError(f"expected a string, got {type(text).__name__}")
        return [t for t in self._cut(text) if self.is_term(t.strip())]

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Terms of many texts (a missing text gives an empty list rather than an error)."""
        return [self.tokenize(t) if isinstance(t, str) else [] for t in texts]


def _rjieba_available() -> bool:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


def _user_dict_entries(path: Path) -> list[tuple[str, int | None, str | None]]:
    """``(word, freq, tag)`` of a jieba user dictionary, parsed the way jieba reads it."""
    entries: list[tuple[str, int | None, str | None]] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.strip().split()
        if not parts:
            continue
        word, freq, tag = parts[0], None, None
        rest = parts[1:]
        if rest and rest[0].isdigit():
            freq = int(rest.pop(0))
        if rest:
            tag = rest[0]
        if not word:
            raise ValueError(f"{path}, line {lineno}: empty word; expected 'word [freq] [tag]'")
        entries.append((word, freq, tag))
    return entries


def _rjieba_cutter(path: Path | None, keep: Sequence[str]):
    """A jieba-rs segmenter with the same user dictionary and keep-list as the jieba engine."""
    try:
        import rjieba
    except ImportError as exc:
        raise ImportError(
            "engine='rjieba' needs the rjieba package (the jieba-rs binding): "
            "pip install rjieba, or use engine='jieba'"
        ) from exc
    segmenter = rjieba.Jieba()
    if path is not None:
        for word, freq, tag in _user_dict_entries(path):
            segmenter.add_word(word, freq, tag)
    for word in keep:
        segmenter.add_word(word, None, None)
    return lambda text: segmenter.cut(text, True)
