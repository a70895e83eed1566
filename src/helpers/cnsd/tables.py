"""The paper's Tables 1-7, every published cell in its own columns, beside this run's rows.

Every table here has the same shape: one row per model, strategy or quantity; ``paper …``
columns hold the published values (from :mod:`helpers.study.cnsd`, never typed in here) and
``this run …`` columns hold what the chapter computed.  A paper row has empty "this run"
cells and vice versa: nothing is put side by side as if it were the same experiment.  The
paper's internal inconsistencies are a separate table with the arithmetic
(:func:`consistency_notes`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import DIMENSION_KEYS, DIMENSION_ZH
from helpers.study import cnsd as study

GEN_METRICS = ("BERTScore", "ROUGE-1", "BLEU")
HUMAN_METRICS = ("Human.acc", "Human.cov", "Human.hallu")
CLS_METRICS = ("accuracy", "recall", "precision", "F1")


def side_by_side(paper: Mapping[str, Mapping[str, float]], ours: Mapping[str, Mapping[str, object]],
                 metrics: Sequence[str], *, where: str, ours_extra: Sequence[str] = ()) -> pd.DataFrame:
    """Paper rows (``paper <metric>``) and our rows (``this run <metric>``) in one frame."""
    rows = []
    for name, cells in paper.items():
        if name == "where":
            continue
        rows.append({"row": name, "source": f"paper ({where})",
                     **{f"paper {m}": cells.get(m) for m in metrics}})
    for name, cells in ours.items():
        row = {"row": name, "source": "this run", **{f"this run {m}": cells.get(m) for m in metrics}}
        row.update({k: cells.get(k) for k in ours_extra})
        rows.append(row)
    cols = ["row", "source", *[f"paper {m}" for m in metrics], *[f"this run {m}" for m in metrics], *ours_extra]
    return pd.DataFrame(rows).reindex(columns=cols)


def table1(selection_table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 (users, texts, tokens per class) and per-user ratios, paper vs this run.

    ``selection_table`` is :attr:`helpers.cnsd.selection.Selection.table` of the users analysed.
    """
    rows = []
    for column, label in (("positive", 1), ("negative", 0)):
        t = study.TABLE1[column]
        ours = selection_table[selection_table["label"] == label]
        n, texts, tokens = len(ours), int(ours["posts"].sum()), int(ours["tokens"].sum())
        for q, paper_v, our_v in (
            ("users", t["users"], n),
            ("texts", t["texts"], texts),
            ("tokens", t["tokens"], tokens),
            ("texts per user", t["texts"] / t["users"], texts / n if n else np.nan),
            ("tokens per user", t["tokens"] / t["users"], tokens / n if n else np.nan),
            ("tokens per text", t["tokens"] / t["texts"], tokens / texts if texts else np.nan),
        ):
            rows.append({"class": column, "quantity": q, "paper (Table 1)": paper_v, "this run": our_v})
    return pd.DataFrame(rows)


def span_counts_from_truth(truth: pd.DataFrame) -> pd.DataFrame:
    """Spans per dimension and class from the generator's truth table (``spans`` JSON)."""
    rows = []
    for key, label, spans in zip(truth["user_key"], truth["label"], truth["spans"], strict=True):
        for dim, *_ in json.loads(spans):
            rows.append({"user_key": key, "label": int(label), "dimension": dim})
    return pd.DataFrame(rows, columns=["user_key", "label", "dimension"])


def table2(spans: pd.DataFrame, n_texts: Mapping[int, int], source: str) -> pd.DataFrame:
    """Table 2: spans per dimension by class, shares and spans per text, paper vs this run.

    ``spans`` has one row per span (``label``, ``dimension``): planted spans for the synthetic
    corpus, cited ``text_N[note]`` items for a real file.  ``source`` names which.
    """
    rows = []
    for d in study.DIMENSIONS:
        paper = study.TABLE2[d.id]
        ours = spans[spans["dimension"] == d.key]
        rows.append({"dimension": f"{d.id} {DIMENSION_ZH[d.key]}", "level": d.level,
                     "paper negative": paper["negative"], "paper positive": paper["positive"],
                     "this run negative": int((ours["label"] == 0).sum()),
                     "this run positive": int((ours["label"] == 1).sum())})
    t = pd.DataFrame(rows)
    for col in ("negative", "positive"):
        t[f"paper share {col}"] = t[f"paper {col}"] / t[f"paper {col}"].sum()
        total = t[f"this run {col}"].sum()
        t[f"this run share {col}"] = t[f"this run {col}"] / total if total else np.nan
    total_row = {"dimension": "Total", "level": "",
                 "paper negative": study.TABLE2["Total"]["negative"],
                 "paper positive": study.TABLE2["Total"]["positive"],
                 "this run negative": int(t["this run negative"].sum()),
                 "this run positive": int(t["this run positive"].sum())}
    per_text = {"dimension": "spans per text", "level": "",
                "paper negative": study.spans_per_text("negative"),
                "paper positive": study.spans_per_text("positive"),
                "this run negative": total_row["this run negative"] / max(n_texts.get(0, 0), 1),
                "this run positive": total_row["this run positive"] / max(n_texts.get(1, 0), 1)}
    t = pd.concat([t, pd.DataFrame([total_row, per_text])], ignore_index=True)
    t["this run source"] = source
    return t


def table3(ours: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Table 3: generation strategies (pipeline vs few-shot)."""
    return side_by_side(study.TABLE3, ours, GEN_METRICS, where=study.TABLE3["where"])


def table4(ours: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Table 4: automatic and human columns."""
    return side_by_side(study.TABLE4, ours, GEN_METRICS + HUMAN_METRICS, where=study.TABLE4["where"])


def table5(ours: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Table 5: classification; paper rows carry their k/36 and k/18 reading."""
    t = side_by_side(study.TABLE5, ours, CLS_METRICS, where=study.TABLE5["where"], ours_extra=("users",))
    dens = {r["model"]: r for r in study.table5_denominators()}
    t["paper accuracy as k/36"] = t["row"].map(lambda r: dens[r]["accuracy as k/36"] if r in dens else None)
    t["paper recall as k/18"] = t["row"].map(lambda r: dens[r]["recall as k/18"] if r in dens else None)
    return t


def table6(ours: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Table 6: structured summarisation benchmark."""
    return side_by_side(study.TABLE6, ours, GEN_METRICS, where=study.TABLE6["where"])


def table7(ours: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Table 7: accuracy / F1 per test dataset; ours fill the datasets this run has."""
    metrics = [f"{ds} {m}" for ds in study.TABLE7_DATASETS for m in ("Acc", "F1")]
    return side_by_side(study.TABLE7, ours, metrics, where=study.TABLE7_WHERE)


def consistency_notes() -> pd.DataFrame:
    """The paper's internal inconsistencies, each with the arithmetic that shows it."""
    rows = []
    dens = study.table5_denominators()
    n_test = study.SPLITS["test"]["positive"] + study.SPLITS["test"]["negative"]
    fits = sum(r["fits k/33"] for r in dens)
    fits_r = sum(r["fits k/16"] for r in dens)
    rows.append({"where": "Table 5 vs Section 3",
                 "check": f"Test split is {study.SPLITS['test']['positive']} + {study.SPLITS['test']['negative']}"
                          f" = {n_test} users",
                 "arithmetic": "accuracies " + ", ".join(r["accuracy as k/36"] for r in dens)
                               + "; recalls " + ", ".join(r["recall as k/18"] for r in dens),
                 "finding": f"{fits} of {len(dens)} accuracies are some k/{n_test} and {fits_r} of {len(dens)} "
                            f"recalls some k/{study.SPLITS['test']['positive']}: the table fits 36 users with "
                            "18 positives, not the stated Test split"})
    ds = study.deepseek_precision_check()
    rows.append({"where": "Table 5, DeepSeek-R1-671B",
                 "check": "precision implied by accuracy and recall",
                 "arithmetic": f"TP = {ds['TP']}, FP = {ds['FP']}: precision {ds['TP']}/{ds['TP'] + ds['FP']} = "
                               f"{ds['implied precision']}; F1 from 0.801 = {ds['F1 from printed precision']}, "
                               f"from {ds['implied precision']} = {ds['F1 from implied precision']}",
                 "finding": f"printed {ds['printed precision']}; the other cells (F1 {ds['F1 printed']}) imply "
                            f"{ds['implied precision']}"})
    for g in study.gains_check():
        if not g["consistent"]:
            rows.append({"where": "Section 5.3.1 vs Table 4", "check": f"{g['model']} {g['metric']} gain",
                         "arithmetic": f"{g['fine-tuned']} / {g['base']} - 1 = {g['gain from Table 4']} "
                                       f"(rounding allows {g['range allowed by rounding']})",
                         "finding": f"text states {g['stated gain']}"})
    s = study.task3_sampling_check()
    rows.append({"where": "Section 5.5 vs Table 1", "check": "200 + 200 users per dataset",
                 "arithmetic": f"CNSD has {s['CNSD positive users']} positive / {s['CNSD negative users']} negative",
                 "finding": "cannot be drawn from CNSD" if not s["possible"] else "possible"})
    rows.append({"where": "Table 3 vs Table 4", "check": "few-shot Qwen2.5-14B row",
                 "arithmetic": f"Table 3 {tuple(study.TABLE3['FS: Qwen2.5-14B'].values())}; Table 4 base "
                               f"{tuple(study.TABLE4['Qwen2.5-14B'][m] for m in GEN_METRICS)}",
                 "finding": "identical cells for a few-shot and a base-model row"})
    rows.append({"where": "Section 5.4 vs Section 5", "check": "Table 6 evaluation set",
                 "arithmetic": f"Section 5.4: {study.ABSTRACT['users']} users; experiment list: CNSD Gold "
                               f"({study.SPLITS['gold']['positive'] + study.SPLITS['gold']['negative']} users)",
                 "finding": "the evaluation set is stated two ways"})
    return pd.DataFrame(rows)


def post_dimension_counts(matrix: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Posts with each dimension by class, for a posts × six matrix."""
    return pd.DataFrame([{"dimension": DIMENSION_ZH[d], "positive users' posts": int(matrix[labels == 1, j].sum()),
                          "negative users' posts": int(matrix[labels == 0, j].sum())}
                         for j, d in enumerate(DIMENSION_KEYS)])
