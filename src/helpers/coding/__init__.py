"""The study's two human coding steps as a round trip the book can run on a new crawl.

Du & Gu had two coders decide which posts were genuine first-person
self-disclosures (a pilot of 100 posts, then every post that passed the
length filter) and two coders score 3,000 posts and comments from −1 to 1 for
fine-tuning.  The modules here draw those samples under pseudonymous ids
(:mod:`~helpers.coding.sampling`), write one sheet per coder with a codebook
(:mod:`~helpers.coding.sheets`, :mod:`~helpers.coding.codebook`) or a Label
Studio project (:mod:`~helpers.coding.label_studio`), read the answers back,
measure agreement (:mod:`~helpers.coding.agreement`) and turn an adjudicated
disagreement sheet into the files chapters 01 and 02 read
(:mod:`~helpers.coding.adjudication`).
"""
