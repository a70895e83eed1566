"""The codebook the coders read: inclusion criteria and sentiment score anchors.

The paper states its rule in one sentence (Method / Data preprocessing and
coding): keep first-person accounts of specific depressive symptoms or
diagnoses; leave out advertisements, bot-generated content and general
complaints.  It gives no anchors for the −1..1 scores beyond the ends of the
scale (Method / Sentiment analysis).  What follows is this project's own
operational wording of those rules, with examples written for it; a group
running its own coding should adapt it and report its version.
"""

from __future__ import annotations

INCLUSION_QUESTION = "Is this post a genuine first-person self-disclosure of depression? (1 = include, 0 = exclude)"
SENTIMENT_QUESTION = "Overall sentiment of the text, from -1 (most negative) to 1 (most positive)"

INCLUSION_RULES: list[tuple[str, str]] = [
    ("Include (1)", "The writer speaks about themselves (I / my / 我) and describes depressive experiences they "
                    "have or had: specific symptoms (low mood most of the day, loss of interest, sleep or appetite "
                    "changes, fatigue, worthlessness or guilt, trouble concentrating, thoughts of death), a "
                    "diagnosis of depression, or its treatment (medication, therapy, hospital visits)."),
    ("Include (1)", "Past episodes count when the writer tells them as their own story (e.g. recovering after a "
                    "diagnosis)."),
    ("Exclude (0)", "Advertising or selling: products, courses, paid counselling, links or contact invitations, "
                    "even when the text uses first-person symptom language."),
    ("Exclude (0)", "Automated or templated text: repeated boilerplate, keyword lists, machine-like posts with no "
                    "personal account."),
    ("Exclude (0)", "General complaints or low mood without a depressive symptom or diagnosis (a bad day, exam "
                    "stress, being annoyed), and posts about depression in general, about someone else, news, "
                    "science summaries or self-tests without the writer's own experience."),
    ("When unsure", "Decide from the text alone; do not look the post up. Write a short note in the comment column "
                    "and choose the answer that fits best; disagreements are discussed afterwards."),
]

SCORE_ANCHORS: list[tuple[str, str]] = [
    ("-1.0", "Despair, hopelessness, wishing to die, intense pain with no relief in view."),
    ("-0.5", "Clearly negative: sadness, exhaustion, anxiety, frustration dominate, some coping possible."),
    ("0.0", "Neutral or balanced: factual report, questions, information, or negative and positive in equal "
            "measure."),
    ("0.5", "Clearly positive: relief, gratitude, encouragement, improvement, with some difficulty mentioned."),
    ("1.0", "Strongly positive: joy, hope, pride in recovery, warm support without reservation."),
    ("Between", "Any value between -1 and 1 is allowed (two decimals at most); score the text as a whole, not "
                "single words; comments are scored on their own, not by the post they answer."),
]

GENERAL_RULES: list[str] = [
    "Code alone: do not discuss items with the other coder until both sheets are returned.",
    "Work in the order given; every coder has a different order.",
    "Fill only the 'answer' column (and 'comment' if you wish). Do not edit item ids or texts.",
    "Texts are shown after cleaning (hashtags, mentions, emoji codes and contact details removed).",
    "A text that starts with '=', '+', '-' or '@' is shown exactly as written; it is text, not a formula.",
]


def codebook_rows(task: str) -> list[tuple[str, str]]:
    """(heading, text) rows of the codebook for ``inclusion`` or ``sentiment``."""
    if task == "inclusion":
        rows = [("Question", INCLUSION_QUESTION), *INCLUSION_RULES]
    elif task == "sentiment":
        rows = [("Question", SENTIMENT_QUESTION), *[(f"Score {a}", t) for a, t in SCORE_ANCHORS]]
    else:
        raise ValueError(f"task must be 'inclusion' or 'sentiment', not {task!r}")
    return rows + [("General", rule) for rule in GENERAL_RULES]
