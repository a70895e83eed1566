"""Data-description tables for the CNSD chapter (shaped like the study's Tables 1 and 2).

Kept apart from the notebook so the numbers a reader sees are computed by
tested code, and so the same tables come out of the real release and the
embedded corpus.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.cnsd.benchmarks import NOT_REPORTED, paper_value
from helpers.cnsd.dataset_io import DIMENSION_EN, DIMENSION_KEYS, DIMENSION_ZH, CNSDUser


def data_statistics(users: Sequence[CNSDUser]) -> pd.DataFrame:
    """Table 1 shape: users, posts and lengths overall and by label, with the study's values."""
    def block(group: Sequence[CNSDUser]) -> dict[str, float]:
        n_posts = np.array([u.n_posts for u in group]) if group else np.array([0])
        lengths = np.array([len(p) for u in group for p in u.posts]) if group else np.array([0])
        return {
            "users": len(group),
            "posts": int(n_posts.sum()),
            "posts per user (mean)": round(float(n_posts.mean()), 1),
            "posts per user (median)": float(np.median(n_posts)),
            "characters per post (mean)": round(float(lengths.mean()), 1),
        }

    pos = [u for u in users if u.label == 1]
    neg = [u for u in users if u.label == 0]
    table = pd.DataFrame({"all": block(list(users)), "at risk": block(pos), "not at risk": block(neg)})
    paper = {
        "users": paper_value("users"),
        "posts": paper_value("texts"),
    }
    table["study (all)"] = [paper.get(i, NOT_REPORTED) for i in table.index]
    table["study (at risk)"] = [paper_value("users_positive") if i == "users" else NOT_REPORTED
                                for i in table.index]
    table["study (not at risk)"] = [paper_value("users_negative") if i == "users" else NOT_REPORTED
                                    for i in table.index]
    return table


def dimension_statistics(posts: pd.DataFrame, evidence: np.ndarray, source: str) -> pd.DataFrame:
    """Table 2 shape: per dimension, evidence posts and users with evidence, by label.

    ``source`` says where the evidence comes from (planted spans, expert
    annotation or the tagger) and is shown in the table.
    """
    if len(posts) != len(evidence):
        raise ValueError("posts and evidence differ in length")
    label = posts["label"].to_numpy()
    rows = []
    for j, d in enumerate(DIMENSION_KEYS):
        col = evidence[:, j]
        users_with = posts.loc[col, ["user_key", "label"]].drop_duplicates()
        rows.append({
            "dimension": DIMENSION_ZH[d],
            "English": DIMENSION_EN[d],
            "evidence posts (at risk)": int((col & (label == 1)).sum()),
            "evidence posts (not at risk)": int((col & (label == 0)).sum()),
            "users with evidence (at risk)": int((users_with["label"] == 1).sum()),
            "users with evidence (not at risk)": int((users_with["label"] == 0).sum()),
        })
    table = pd.DataFrame(rows)
    table["evidence source"] = source
    return table


def evidence_from_truth(truth: pd.DataFrame) -> np.ndarray:
    """Boolean posts × six matrix from the generator's ``dims`` column ("a|b")."""
    out = np.zeros((len(truth), len(DIMENSION_KEYS)), dtype=bool)
    for i, dims in enumerate(truth["dims"].fillna("")):
        for d in filter(None, dims.split("|")):
            out[i, DIMENSION_KEYS.index(d)] = True
    return out
