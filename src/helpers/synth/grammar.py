"""Theme vocabularies and platform constants of the synthetic corpus.

The words of the synthetic text are not here: :mod:`helpers.synth.xhs_text` holds the
generative model of posts and comments (Zipfian vocabulary, a published valence lexicon
with negation and degree adverbs, the study's themes), with its vocabularies in
:mod:`helpers.synth.xhs_vocabulary` and the published word lists in
:mod:`helpers.synth.xhs_lexicon`.  The study's numbers the generator plants (category
shares, comments per post, score moments, the nine hashtags) come from
:mod:`helpers.study.du_gu`; the 66-phrase sentiment ladder, the banded sentiment mixtures
and the invented hashtags that used to live in this module were removed (issues 13, 16).
"""

from __future__ import annotations

from helpers.synth import xhs_vocabulary as vocab

# --------------------------------------------------------------------------------------
# Themes (the vocabularies are in xhs_vocabulary; the planted truth comes from xhs_text)
# --------------------------------------------------------------------------------------

THEME_NAMES = tuple(vocab.THEME_SEEDS)

#: Theme vocabularies (seeds from the paper first), one word in one theme only.
THEMES: dict[str, tuple[str, ...]] = {}
for _theme in THEME_NAMES:
    _taken = {w for words in THEMES.values() for w in words}
    THEMES[_theme] = tuple(dict.fromkeys(w for w in (*vocab.THEME_SEEDS[_theme], *vocab.THEME_WORDS[_theme])
                                         if w not in _taken))

EMOJI_CODES = ("[哭惹R]", "[笑哭R]", "[抱抱R]", "[加油R]", "[叹气R]", "[爱心R]", "[委屈R]")

def all_theme_terms() -> dict[str, str]:
    """term -> theme, the ground truth for clustering recovery; any other term is 'other'."""
    from helpers.synth.xhs_text import theme_lexicon

    return theme_lexicon()
