"""What the study reports for its engagement models (Models 1–5), with where each value comes from.

Source: Du & Gu, "How depression self-disclosure shapes engagement and discourse on Chinese
social media", DIGITAL HEALTH (2026), doi:10.1177/20552076261425518; coefficients in its
supplementary Table S2 as quoted in the results text.

Only what the published text states is recorded.  A value the text does not give is ``None``
and is shown as "not reported" — it is never filled in or guessed.  ``direction`` and
``significant`` carry the qualitative findings stated in the abstract (e.g. "sentiment did not
predict favorites or shares").  The stored copy of the article consulted for this project
exposed the abstract; the four Model 1 coefficients come from the results text as quoted in
the project's issue tracker (issues 3 and 4).  Correct or extend this table from the paper's
Table S2 when you have it: the chapter's comparison updates itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

SOURCE = ("Du & Gu (2026), DIGITAL HEALTH, doi:10.1177/20552076261425518 — abstract and results "
          "text (Table S2 values as quoted in the text)")
STUDY_SIZE = {"posts": 535, "comments": 17301}
NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class ReportedCoefficient:
    model: str
    outcome: str
    term: str  # predictor or covariate name (our column without the ln_ prefix)
    beta: float | None = None
    se: float | None = None
    t: float | None = None
    p: float | None = None
    direction: str | None = None  # "negative" | "positive" | "none" (no significant effect)
    significant: bool | None = None
    where: str = ""


_ABSTRACT = "abstract"
_RESULTS = "results text (Table S2, Model 1)"

REPORTED: tuple[ReportedCoefficient, ...] = (
    ReportedCoefficient("Model 1", "likes", "post_sentiment", beta=-0.36, direction="negative",
                        significant=True, where=f"{_RESULTS}; direction: {_ABSTRACT}"),
    ReportedCoefficient("Model 1", "likes", "post_length", beta=0.35, where=_RESULTS),
    ReportedCoefficient("Model 1", "likes", "days_since_post", beta=0.22, where=_RESULTS),
    ReportedCoefficient("Model 1", "likes", "fans", beta=0.35, where=_RESULTS),
    ReportedCoefficient("Model 2", "favorites", "post_sentiment", direction="none", significant=False,
                        where=_ABSTRACT),
    ReportedCoefficient("Model 3", "shares", "post_sentiment", direction="none", significant=False,
                        where=_ABSTRACT),
    ReportedCoefficient("Model 4", "comments", "post_sentiment", direction="negative", significant=True,
                        where=_ABSTRACT),
    ReportedCoefficient("Model 5", "comment_sentiment", "post_sentiment", direction="positive",
                        significant=True, where="results text (small positive effect)"),
)


def reported_table() -> pd.DataFrame:
    """The reported values as a table; missing numbers are NaN (rendered as "not reported")."""
    return pd.DataFrame([asdict(r) for r in REPORTED])
