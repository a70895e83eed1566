"""Simulated coders for the round-trip tests.

A coder here knows the planted truth of the synthetic corpus (whether a post
is a self-disclosure, the latent sentiment of a text) and answers with their
own error: an inclusion coder flips the true decision with a fixed
probability; a sentiment coder adds a personal bias and noise to the latent
score, clips to −1..1 and rounds to two decimals, as a person typing scores
would.  The adjudicator is a third, more careful coder, not the truth.

Nothing here imports helpers.coding's agreement or adjudication code: the
sheets are filled with openpyxl / the csv module directly, by reading the item
ids a coder sees, so a bug in the package's readers cannot cancel out here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Coder:
    name: str
    flip_rate: float = 0.05  # inclusion: probability of giving the wrong decision
    bias: float = 0.0  # sentiment: added to every score
    noise_sd: float = 0.08  # sentiment: sd of the per-item error
    blank_rate: float = 0.0  # share of items left blank

    def rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng([seed, sum(map(ord, self.name))])

    def answer(self, truth: np.ndarray, task: str, seed: int) -> np.ndarray:
        rng = self.rng(seed)
        if task == "inclusion":
            truth = np.asarray(truth, dtype=bool)
            flip = rng.random(len(truth)) < self.flip_rate
            out = np.where(flip, ~truth, truth).astype(float)
        else:
            noisy = np.asarray(truth, dtype=float) + self.bias + rng.normal(0, self.noise_sd, len(truth))
            out = np.round(np.clip(noisy, -1, 1), 2)
        if self.blank_rate:
            out[rng.random(len(out)) < self.blank_rate] = np.nan
        return out


def truth_for_items(key: pd.DataFrame, truth_posts: pd.DataFrame, truth_comments: pd.DataFrame | None,
                    task: str) -> pd.Series:
    """Planted truth per item id (through the private key, as only the researcher could)."""
    if task == "inclusion":
        lookup = truth_posts.set_index(truth_posts["note_id"].astype(str))["is_self_disclosure"]
        return pd.Series(key["source_id"].map(lookup).to_numpy(), index=key["item_id"].to_numpy())
    post = truth_posts.set_index(truth_posts["note_id"].astype(str))["latent_sentiment"]
    comment = truth_comments.set_index(truth_comments["comment_id"].astype(str))["latent_sentiment"]
    values = np.where(key["kind"].eq("post"), key["source_id"].map(post), key["source_id"].map(comment))
    return pd.Series(values.astype(float), index=key["item_id"].to_numpy())


def fill_workbook(path: Path, coder: Coder, truth: pd.Series, task: str, seed: int) -> None:
    """Open a coder's workbook, answer every row in the order shown, save it."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["coding"]
    header = [c.value for c in ws[1]]
    id_col, answer_col = header.index("item_id") + 1, header.index("answer") + 1
    ids = [ws.cell(row=r, column=id_col).value for r in range(2, ws.max_row + 1)]
    answers = coder.answer(truth.reindex(ids).to_numpy(), task, seed)
    for r, value in enumerate(answers, start=2):
        if np.isfinite(value):
            ws.cell(row=r, column=answer_col, value=int(value) if task == "inclusion" else float(value))
    wb.save(path)


def fill_csv(path: Path, coder: Coder, truth: pd.Series, task: str, seed: int) -> None:
    """Answer a CSV sheet with the csv module (as a spreadsheet program would save it)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    answers = coder.answer(truth.reindex([r["item_id"] for r in rows]).to_numpy(), task, seed)
    for row, value in zip(rows, answers, strict=True):
        row["answer"] = "" if not np.isfinite(value) else (str(int(value)) if task == "inclusion" else f"{value:.2f}")
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def fill_adjudication(path: Path, adjudicator: Coder, truth: pd.Series, task: str, seed: int) -> int:
    """The adjudicator answers every row of the adjudication sheet; returns the number of rows."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["adjudication"]
    header = [c.value for c in ws[1]]
    id_col, col = header.index("item_id") + 1, header.index("resolved") + 1
    ids = [ws.cell(row=r, column=id_col).value for r in range(2, ws.max_row + 1)]
    values = adjudicator.answer(truth.reindex(ids).to_numpy(), task, seed)
    for r, value in enumerate(values, start=2):
        ws.cell(row=r, column=col, value=int(value) if task == "inclusion" else float(value))
    wb.save(path)
    return len(ids)
