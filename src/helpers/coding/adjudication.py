"""Disagreements, the adjudication sheet, and the files chapters 01 and 02 read.

The study resolved disagreements "through discussion".  Here the items the two
coders disagree on go to one adjudication sheet (both answers side by side,
now on purpose, plus an empty ``resolved`` column with data validation); the
returned sheet and the coders' answers then become

* ``self_disclosure_coding.csv`` for chapter 01: ``note_id, coder_1, coder_2,
  include`` (``include`` is the resolved decision; where the coders agreed it
  is their shared answer), which :func:`helpers.data.manual_coding.read_coding`
  and the cleaning pipeline read;
* ``sentiment_labels.csv`` for chapter 02: ``text, coder_1, coder_2,
  adjudicated, kind``, which :func:`helpers.sentiment.labels.read_sentiment_labels`
  reads (``adjudicated`` is filled where the coders differ by more than the
  tolerance, which is what its ``adjudicate`` mode needs).

For scores, "disagree" means an absolute difference above ``tolerance``
(0.4 by default, chapter 02's default).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.coding.sampling import CodingSet
from helpers.coding.sheets import SheetError, write_text_cell

DEFAULT_TOLERANCE = 0.4
ADJUDICATION_SHEET = "adjudication"


class AdjudicationError(ValueError):
    """Resolved decisions are missing or invalid; the message names the items and the fix."""


def disagreements(coded: pd.DataFrame, *, task: str, tolerance: float = DEFAULT_TOLERANCE) -> pd.Series:
    """Boolean mask of items the two coders disagree on."""
    c1, c2 = coded["coder_1"].astype(float), coded["coder_2"].astype(float)
    if task == "inclusion":
        return c1.ne(c2)
    if task == "sentiment":
        return (c1 - c2).abs() > tolerance
    raise ValueError(f"task must be 'inclusion' or 'sentiment', not {task!r}")


def write_adjudication_sheet(coded: pd.DataFrame, coding_set: CodingSet, path: str | Path, *,
                             tolerance: float = DEFAULT_TOLERANCE) -> tuple[Path, int]:
    """Write the disagreements (item id, text, both answers, empty ``resolved``) to an .xlsx or .csv."""
    task = coding_set.task
    mask = disagreements(coded, task=task, tolerance=tolerance)
    rows = coded.loc[mask, ["item_id", "coder_1", "coder_2"]].merge(
        coding_set.items[["item_id", "text"]], on="item_id", how="left")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame = rows.assign(resolved="", note="")[["item_id", "text", "coder_1", "coder_2", "resolved", "note"]]
        frame["text"] = frame["text"].map(lambda t: "'" + t if str(t).startswith(("=", "+", "-", "@")) else t)
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return path, len(rows)
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.properties.creator = "adjudication sheet"
    ws = wb.active
    ws.title = ADJUDICATION_SHEET
    ws.append(["item_id", "text", "coder_1", "coder_2", "resolved", "note"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows.itertuples(index=False), start=2):
        write_text_cell(ws, r, 1, row.item_id)
        write_text_cell(ws, r, 2, row.text).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=r, column=3, value=float(row.coder_1))
        ws.cell(row=r, column=4, value=float(row.coder_2))
    if task == "inclusion":
        dv = DataValidation(type="list", formula1='"1,0"', allow_blank=True, showErrorMessage=True,
                            error="Enter the agreed decision: 1 (include) or 0 (exclude).")
    else:
        dv = DataValidation(type="decimal", operator="between", formula1="-1", formula2="1",
                            allow_blank=True, showErrorMessage=True, error="Enter the agreed score (-1 to 1).")
    ws.add_data_validation(dv)
    if len(rows):
        dv.add(f"E2:E{len(rows) + 1}")
    ws.column_dimensions["B"].width = 90
    ws.freeze_panes = "A2"
    wb.save(path)
    return path, len(rows)


def read_adjudication_sheet(path: str | Path, *, task: str) -> pd.Series:
    """``resolved`` per item id from a returned adjudication sheet (blank = not yet resolved)."""
    path = Path(path)
    if not path.exists():
        raise AdjudicationError(f"{path} does not exist")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        if ADJUDICATION_SHEET not in wb.sheetnames:
            raise AdjudicationError(f"{path.name}: no sheet named {ADJUDICATION_SHEET!r}")
        values = list(wb[ADJUDICATION_SHEET].iter_rows(values_only=True))
        wb.close()
        frame = pd.DataFrame(values[1:], columns=[str(h) for h in values[0]], dtype=object)
    if not {"item_id", "resolved"} <= set(frame.columns):
        raise AdjudicationError(f"{path.name}: needs item_id and resolved columns")
    raw = frame["resolved"].map(lambda v: "" if v is None else str(v).strip())
    value = pd.to_numeric(raw.where(raw.ne("")), errors="coerce")
    bad = raw.ne("") & value.isna()
    if task == "inclusion":
        bad |= value.notna() & ~value.isin([0, 1])
    else:
        bad |= (value < -1) | (value > 1)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise AdjudicationError(f"{path.name}, row {i + 2}: resolved value {raw.iloc[i]!r} is not "
                                + ("1 or 0" if task == "inclusion" else "a number between -1 and 1"))
    return pd.Series(value.to_numpy(dtype=float), index=frame["item_id"].astype(str).str.lstrip("'"),
                     name="resolved")


def _check_resolved(coded: pd.DataFrame, resolved: pd.Series, mask: pd.Series) -> pd.Series:
    need = coded.loc[mask, "item_id"]
    got = need.map(resolved)
    if got.isna().any():
        missing = need[got.isna()]
        raise AdjudicationError(f"{len(missing)} disagreements have no resolved value (first item "
                                f"{missing.iloc[0]!r}); fill the 'resolved' column of the adjudication sheet")
    return got


def inclusion_file(coded: pd.DataFrame, resolved: pd.Series, coding_set: CodingSet) -> pd.DataFrame:
    """Chapter 01's ``self_disclosure_coding.csv`` rows: ``note_id, coder_1, coder_2, include``."""
    if coding_set.task != "inclusion":
        raise AdjudicationError("inclusion_file needs the inclusion coding set")
    mask = disagreements(coded, task="inclusion")
    include = coded["coder_1"].astype(float).copy()
    include.loc[mask] = _check_resolved(coded, resolved, mask).to_numpy()
    if coded[["coder_1", "coder_2"]].isna().any().any():
        raise SheetError("some items lack an answer from a coder; complete the sheets before resolving")
    return pd.DataFrame({
        "note_id": coding_set.source_ids(coded["item_id"]).to_numpy(),
        "coder_1": coded["coder_1"].astype(int).to_numpy(),
        "coder_2": coded["coder_2"].astype(int).to_numpy(),
        "include": include.astype(int).to_numpy(),
    })


def sentiment_file(coded: pd.DataFrame, resolved: pd.Series, coding_set: CodingSet, *,
                   tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Chapter 02's ``sentiment_labels.csv`` rows: ``text, coder_1, coder_2, adjudicated, kind``."""
    if coding_set.task != "sentiment":
        raise AdjudicationError("sentiment_file needs the sentiment coding set")
    if coded[["coder_1", "coder_2"]].isna().any().any():
        raise SheetError("some items lack a score from a coder; complete the sheets before resolving")
    mask = disagreements(coded, task="sentiment", tolerance=tolerance)
    adjudicated = pd.Series(np.nan, index=coded.index)
    adjudicated.loc[mask] = _check_resolved(coded, resolved, mask).to_numpy()
    items = coding_set.items.set_index("item_id")
    return pd.DataFrame({
        "text": coded["item_id"].map(items["text"]).to_numpy(),
        "coder_1": coded["coder_1"].astype(float).to_numpy(),
        "coder_2": coded["coder_2"].astype(float).to_numpy(),
        "adjudicated": adjudicated.to_numpy(),
        "kind": coded["item_id"].map(items["kind"]).to_numpy(),
    })
