"""Text cleaning and the study's length measure.

The study kept Chinese characters, English words and numerals, and removed
hashtags (``#抑郁症[话题]#``), ``@mentions``, the app's bracket emoji codes
(``[哭惹R]``), URLs and special characters.  Removed material is replaced by a
space rather than deleted so that words on either side of a removed symbol do
not fuse into a new "word" for jieba.  Length is counted the study's way: each
Chinese character, each English word and each numeral counts one.

Everything is vectorised with pandas string methods: the comment table of a
real crawl has >100k rows.
"""

from __future__ import annotations

import pandas as pd

#: Xiaohongshu topic tags: ``#话题[话题]#`` and plain ``#话题#`` / ``#话题``.
HASHTAG_RE = r"#[^#\s\[\]]{1,40}\[话题\]#|#[^#\s]{1,40}#|#[^#\s，。！？,.!?]{1,40}"
#: Bracket emoji codes such as ``[哭惹R]`` or ``[笑哭]``.
EMOJI_CODE_RE = r"\[[^\[\]\s]{1,8}\]"
#: ``@nickname`` mentions (up to the next space or punctuation).
MENTION_RE = r"@[^\s@，。！？,.!?:：；;]{1,30}"
URL_RE = r"(?:https?://|www\.)[^\s\u4e00-\u9fff]+|\b[a-zA-Z0-9.-]+\.(?:com|cn|net|org)(?:/[^\s\u4e00-\u9fff]*)?"
#: Whatever is not a Chinese character, Latin letter or digit.
SPECIAL_RE = r"[^\u4e00-\u9fffA-Za-z0-9]+"

_TOKEN_RE = r"[\u4e00-\u9fff]|[A-Za-z]+|\d+"


def clean_text(texts: pd.Series) -> pd.Series:
    """Cleaned text: hashtags, emoji codes, mentions, URLs and special characters removed."""
    s = texts.astype("string").fillna("")
    s = s.str.replace(URL_RE, " ", regex=True)
    s = s.str.replace(HASHTAG_RE, " ", regex=True)
    s = s.str.replace(EMOJI_CODE_RE, " ", regex=True)
    s = s.str.replace(MENTION_RE, " ", regex=True)
    s = s.str.replace(SPECIAL_RE, " ", regex=True)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    return s.astype(object)


def study_length(cleaned: pd.Series) -> pd.Series:
    """Characters, words and numerals: one per Chinese character, English word or digit run."""
    return cleaned.astype("string").fillna("").str.count(_TOKEN_RE).astype("int64")
