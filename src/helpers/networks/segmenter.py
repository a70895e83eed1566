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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

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
    """

    def __init__(
        self,
        stopwords: Iterable[str] | None = None,
        keep: Iterable[str] = DEFAULT_KEEP,
        extra_stopwords: Iterable[str] = (),
        user_dict: str | Path | None | bool = None,
        min_chars: int = 2,
        drop_numbers: bool = True,
    ) -> None:
        import jieba

        # jieba logs "Building prefix dict…" on every new tokenizer; in a rendered chapter that
        # is noise, so only its warnings are kept.
        jieba.setLogLevel(logging.WARNING)
        if min_chars < 1:
            raise ValueError(f"min_chars must be >= 1, got {min_chars}")
        self.keep = tuple(keep)
        self.stopwords = effective_stopwords(stopwords, self.keep, extra_stopwords)
        self.min_chars = int(min_chars)
        self.drop_numbers = bool(drop_numbers)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        if user_dict is None:
            user_dict = domain_dictionary_path()
        if user_dict is not False:
            path = Path(user_dict)  # type: ignore[arg-type]
            if not path.exists():
                raise FileNotFoundError(f"jieba user dictionary not found: {path}")
            self._jieba.load_userdict(str(path))
        # The keep-list words must survive segmentation as single tokens.
        for word in self.keep:
            self._jieba.add_word(word)

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
        return [t for t in self._jieba.lcut(text, HMM=True) if self.is_term(t.strip())]

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Terms of many texts (a missing text gives an empty list rather than an error)."""
        return [self.tokenize(t) if isinstance(t, str) else [] for t in texts]
