"""Table 4's human evaluation, made runnable: export a blinded rating sheet, import it, agree.

The paper's two linguistic experts rated accuracy, coverage and hallucination (higher is
better) and report per-model scores (Section 5.3.1, Table 4); the rating scale and any
agreement statistic are not reported.  This module fixes the choices the paper leaves open,
and says so:

* **scale**: integers 1-5 per criterion, reported as ``(mean - 1) / 4`` on 0-1 so the numbers
  sit on the same range as Table 4's;
* **blinding**: each rater sees items in a shuffled order with a random item id; which system
  wrote an item is in a separate key file the raters do not get;
* **agreement**: per criterion, quadratic-weighted Cohen's kappa between the two raters
  (``sklearn.metrics.cohen_kappa_score``), Krippendorff's ordinal alpha (``krippendorff``)
  and the share of exact agreement.

A filled sheet with a missing or out-of-range rating stops the import with the file, row and
column named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

CRITERIA = ("accuracy", "coverage", "hallucination")
SCALE = (1, 5)
RATERS = ("A", "B")
TABLE4_NAMES = {"accuracy": "Human.acc", "coverage": "Human.cov", "hallucination": "Human.hallu"}


class RatingSheetError(ValueError):
    """A filled rating sheet cannot be read as it is."""


def export_rating_sheet(outputs: Mapping[str, Sequence[tuple[str, str, str]]], folder: str | Path, *,
                        raters: Sequence[str] = RATERS, seed: int = 0) -> dict[str, Path]:
    """Write one CSV per rater and a key file.

    ``outputs``: system name -> [(item key, reference analysis, system analysis)].  Item keys
    stay in the key file only; the sheets carry a random ``item_id``.
    """
    rng = np.random.default_rng(seed)
    items = [(system, key, ref, cand) for system, rows in outputs.items() for key, ref, cand in rows]
    if not items:
        raise ValueError("no outputs to rate")
    ids = rng.permutation(len(items)) + 1
    key = pd.DataFrame({"item_id": ids, "system": [i[0] for i in items], "item": [i[1] for i in items]})
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"key": folder / "rating_key.csv"}
    key.to_csv(paths["key"], index=False)
    base = pd.DataFrame({"item_id": ids, "reference": [i[2] for i in items], "analysis": [i[3] for i in items]})
    for rater in raters:
        sheet = base.iloc[rng.permutation(len(base))].reset_index(drop=True)
        for c in CRITERIA:
            sheet[c] = ""
        paths[rater] = folder / f"rating_sheet_{rater}.csv"
        sheet.to_csv(paths[rater], index=False, encoding="utf-8-sig")
    return paths


def read_sheet(path: str | Path) -> pd.DataFrame:
    """One filled sheet; every rating must be an integer on the scale."""
    path = Path(path)
    sheet = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    missing = [c for c in ("item_id", *CRITERIA) if c not in sheet.columns]
    if missing:
        raise RatingSheetError(f"{path.name}: missing columns {missing}")
    lo, hi = SCALE
    for c in CRITERIA:
        for row, value in enumerate(sheet[c], start=2):  # row 1 is the header
            v = value.strip()
            if not v.isdigit() or not lo <= int(v) <= hi:
                raise RatingSheetError(f"{path.name} row {row}, column {c!r}: {value!r} is not an integer "
                                       f"{lo}-{hi}; fill it in and import again")
        sheet[c] = sheet[c].astype(int)
    sheet["item_id"] = sheet["item_id"].astype(int)
    return sheet[["item_id", *CRITERIA]]


def import_ratings(key_path: str | Path, sheets: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """Per-system scores (Table 4's human columns) and per-criterion agreement."""
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    key = pd.read_csv(key_path)
    long = []
    for rater, path in sheets.items():
        sheet = read_sheet(path)
        if set(sheet["item_id"]) != set(key["item_id"]):
            raise RatingSheetError(f"{Path(path).name}: item ids differ from the key file")
        long.append(sheet.assign(rater=rater))
    ratings = pd.concat(long).merge(key, on="item_id")
    lo, hi = SCALE
    scores = (ratings.groupby("system")[list(CRITERIA)].mean() - lo) / (hi - lo)
    scores = scores.rename(columns=TABLE4_NAMES).reset_index()
    names = list(sheets)
    agree = []
    if len(names) >= 2:
        a = ratings[ratings["rater"] == names[0]].sort_values("item_id")
        b = ratings[ratings["rater"] == names[1]].sort_values("item_id")
        for c in CRITERIA:
            x, y = a[c].to_numpy(), b[c].to_numpy()
            alpha = krippendorff.alpha(reliability_data=np.vstack([x, y]).astype(float),
                                       level_of_measurement="ordinal", value_domain=list(range(lo, hi + 1)))
            agree.append({"criterion": c, "items": len(x), "exact agreement": float((x == y).mean()),
                          "Cohen's kappa (quadratic)": float(cohen_kappa_score(x, y, weights="quadratic",
                                                                                labels=list(range(lo, hi + 1)))),
                          "Krippendorff's alpha (ordinal)": float(alpha)})
    return {"scores": scores, "agreement": pd.DataFrame(agree), "ratings": ratings}


def simulate_filled_sheets(paths: Mapping[str, Path], quality: Mapping[int, float], *, noise: float = 0.8,
                           seed: int = 0) -> dict[str, Path]:
    """Fill the exported sheets with **simulated** raters, to demonstrate the import only.

    ``quality`` maps item_id to a 0-1 score (e.g. character ROUGE-1 against the reference);
    each simulated rater rates ``1 + 4·quality`` plus Gaussian noise, rounded and clipped.
    These are not human judgements and must never be reported as such.
    """
    rng = np.random.default_rng(seed)
    out = {}
    for rater in [r for r in paths if r != "key"]:
        sheet = pd.read_csv(paths[rater], encoding="utf-8-sig")
        for c in CRITERIA:
            q = sheet["item_id"].map(quality).to_numpy(dtype=float)
            sheet[c] = np.clip(np.rint(1 + 4 * q + rng.normal(0, noise, len(sheet))), 1, 5).astype(int)
        out[rater] = paths[rater].with_name(f"simulated_{paths[rater].name}")
        sheet.to_csv(out[rater], index=False, encoding="utf-8-sig")
    return out
