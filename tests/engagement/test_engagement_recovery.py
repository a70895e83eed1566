"""Parameter recovery on the embedded synthetic corpus (helpers.synth.xhs_corpus + cleaning).

Fitted on the *latent* (planted) post and comment sentiment of ``raw/truth_*.parquet``: the
estimated sentiment of chapter 02 carries measurement error that attenuates the slope, which
is a property of the classifier, not of the models checked here.

The corpus is the book's default one (scale 1 = the study's 535 posts and 17,301 comments,
default seed), where the intervals are narrow enough to mean something: the likes and
comment-sentiment effects must also be told apart from zero.  Each interval covers its
planted value with probability 0.95, so for an arbitrary seed all five cover together only
about three times in four; the test pins the corpus the book actually renders.
"""

from __future__ import annotations

import pytest

from tests.conftest import require_r_or_skip

require_r_or_skip(("lme4", "lmerTest"))

from helpers.data.pipeline import CleaningConfig, clean_export  # noqa: E402
from helpers.engagement.data import load_comments, load_posts, study_model_specs  # noqa: E402
from helpers.engagement.lmer import fit_models  # noqa: E402
from helpers.engagement.recovery import read_truth, recovery_table  # noqa: E402
from helpers.synth.xhs_corpus import generate, write  # noqa: E402

pytestmark = pytest.mark.r


def test_planted_sentiment_effects_fall_inside_the_95_percent_intervals(tmp_path):
    seed = 20241111
    raw = write(generate(scale=1.0, seed=seed), tmp_path / "raw")
    clean_export(raw, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv",
                                     salt=f"synthetic-{seed}")).write(tmp_path / "clean")
    posts = load_posts(tmp_path, sentiment="latent")
    comments = load_comments(tmp_path, sentiment="latent")
    results = fit_models(study_model_specs(), posts, comments, engine="lmerTest")
    table = recovery_table(results, read_truth(tmp_path)).set_index("outcome")
    assert list(table.index) == ["likes", "favorites", "shares", "comments", "comment_sentiment"]
    assert (table["scale"] == "standardised").all()
    assert table["covered"].all(), table[["planted", "estimate", "conf_low", "conf_high"]]
    assert table.loc["likes", "conf_high"] < 0  # the planted likes effect is detected, not just covered
    assert table.loc["comment_sentiment", "conf_low"] > 0
