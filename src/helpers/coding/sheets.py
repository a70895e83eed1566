"""One coder sheet per coder (Excel or CSV), and reading the answers back.

Each coder gets the same items in their own seeded random order, so that
neither position nor fatigue effects line up between coders, and nothing on
the sheet names or hints at the other coder.  The Excel workbook has three
sheets: ``coding`` (position, item id, text, answer, comment), ``codebook``
(:mod:`helpers.coding.codebook`) and ``about`` (task, number of items, how to
return the sheet).  The answer column carries data validation: 1/0 for
inclusion, a decimal between −1 and 1 for sentiment.

Post text is untrusted input.  A cell whose text starts with ``=``, ``+``,
``-`` or ``@`` would be read by a spreadsheet program as a formula
(formula or CSV injection, e.g. ``=HYPERLINK(...)``).  In the workbook every
text cell is stored with the string type and Excel's quote-prefix flag, so it
is never a formula; in the CSV such a cell is prefixed with an apostrophe, the
usual defence, which :func:`read_coder_sheet` ignores because it reads only ids
and answers.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.coding.codebook import INCLUSION_QUESTION, SENTIMENT_QUESTION, codebook_rows

SHEET = "coding"
COLUMNS = ["position", "item_id", "text", "answer", "comment"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EXCEL_CELL_LIMIT = 32767
_INCLUDE = {"1": 1, "1.0": 1, "include": 1, "yes": 1, "y": 1, "是": 1, "true": 1,
            "0": 0, "0.0": 0, "exclude": 0, "no": 0, "n": 0, "否": 0, "false": 0}


class SheetError(ValueError):
    """A returned coder sheet cannot be read; the message names file, row and fix."""


def coder_order(item_ids: pd.Series, coder: str, seed: int) -> np.ndarray:
    """A permutation of the items that depends on the seed and the coder's label."""
    rng = np.random.default_rng([seed, zlib.crc32(coder.encode("utf-8"))])
    return rng.permutation(len(item_ids))


def write_text_cell(ws, row: int, column: int, value: str):
    """Put untrusted text in a cell as a string, never a formula (string type + quote prefix)."""
    cell = ws.cell(row=row, column=column)
    cell.value = _ILLEGAL.sub(" ", str(value))
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _sheet_frame(items: pd.DataFrame, coder: str, seed: int) -> pd.DataFrame:
    if not {"item_id", "text"} <= set(items.columns):
        raise SheetError("items need item_id and text columns (use helpers.coding.sampling)")
    order = coder_order(items["item_id"], coder, seed)
    frame = items.iloc[order][["item_id", "text"]].reset_index(drop=True)
    text = frame["text"].astype(str).map(lambda t: _ILLEGAL.sub(" ", t))
    too_long = text.str.len() > _EXCEL_CELL_LIMIT
    if too_long.any():
        raise SheetError(f"{int(too_long.sum())} texts exceed Excel's {_EXCEL_CELL_LIMIT}-character cell limit "
                         f"(first: item {frame.loc[too_long, 'item_id'].iloc[0]}); shorten them first")
    return pd.DataFrame({"position": np.arange(1, len(frame) + 1), "item_id": frame["item_id"].astype(str),
                         "text": text, "answer": "", "comment": ""})


def write_coder_workbook(items: pd.DataFrame, path: str | Path, *, task: str, coder: str,
                         seed: int = 0) -> Path:
    """Write one coder's Excel workbook; ``coder`` only seeds the order and is not written."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    if task not in {"inclusion", "sentiment"}:
        raise ValueError(f"task must be 'inclusion' or 'sentiment', not {task!r}")
    frame = _sheet_frame(items, coder, seed)
    wb = Workbook()
    wb.properties.creator = "coding sheet"
    wb.properties.lastModifiedBy = None
    wb.properties.title = f"{task} coding"
    ws = wb.active
    ws.title = SHEET
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([int(row.position), None, None, None, None])
        r = ws.max_row
        write_text_cell(ws, r, 2, row.item_id)
        write_text_cell(ws, r, 3, row.text)
        ws.cell(row=r, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    last = ws.max_row
    if task == "inclusion":
        dv = DataValidation(type="list", formula1='"1,0"', allow_blank=True, showErrorMessage=True,
                            errorTitle="1 or 0", error="Enter 1 (include) or 0 (exclude).",
                            promptTitle="answer", prompt=INCLUSION_QUESTION, showInputMessage=True)
    else:
        dv = DataValidation(type="decimal", operator="between", formula1="-1", formula2="1",
                            allow_blank=True, showErrorMessage=True, errorTitle="-1 to 1",
                            error="Enter a number between -1 and 1.", promptTitle="answer",
                            prompt=SENTIMENT_QUESTION, showInputMessage=True)
    ws.add_data_validation(dv)
    if last >= 2:
        dv.add(f"D2:D{last}")
    ws.freeze_panes = "A2"
    for letter, width in (("A", 9), ("B", 16), ("C", 90), ("D", 10), ("E", 30)):
        ws.column_dimensions[letter].width = width
    ws.protection.sheet = False

    book = wb.create_sheet("codebook")
    book.append(["heading", "rule"])
    for heading, text in codebook_rows(task):
        book.append([heading, text])
        book.cell(row=book.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    book.column_dimensions["A"].width = 16
    book.column_dimensions["B"].width = 110

    about = wb.create_sheet("about")
    for pair in (("task", task), ("items", len(frame)),
                 ("answer column", "1 = include, 0 = exclude" if task == "inclusion" else "number from -1 to 1"),
                 ("return", "Save the workbook under the same name and send it back to the study lead.")):
        about.append(list(pair))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_coder_csv(items: pd.DataFrame, path: str | Path, *, task: str, coder: str, seed: int = 0) -> Path:
    """The same sheet as CSV (UTF-8 with BOM so Excel reads Chinese), formula-looking cells defused."""
    if task not in {"inclusion", "sentiment"}:
        raise ValueError(f"task must be 'inclusion' or 'sentiment', not {task!r}")
    frame = _sheet_frame(items, coder, seed)
    frame["item_id"] = frame["item_id"].map(_csv_safe)
    frame["text"] = frame["text"].map(_csv_safe)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _parse_answers(frame: pd.DataFrame, task: str, path: Path, first_row: int) -> pd.Series:
    raw = frame["answer"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    raw = raw.str.strip()
    if task == "inclusion":
        parsed = raw.str.lower().map(_INCLUDE)
        bad = raw.ne("") & parsed.isna()
        what = "1 (include) or 0 (exclude)"
    else:
        parsed = pd.to_numeric(raw.where(raw.ne("")), errors="coerce")
        bad = (raw.ne("") & parsed.isna()) | (parsed < -1) | (parsed > 1)
        what = "a number between -1 and 1"
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SheetError(f"{path.name}, row {i + first_row}: answer {raw.iloc[i]!r} is not {what}; "
                         f"correct it and return the sheet ({int(bad.sum())} such rows)")
    return parsed.astype(float)


def read_coder_sheet(path: str | Path, *, task: str) -> pd.DataFrame:
    """Answers from a returned workbook (``.xlsx``) or CSV: ``item_id, answer, comment``.

    Blank answers are kept as missing (the caller decides whether an
    unfinished sheet is acceptable).  Duplicated ids, edited ids or answers
    outside the allowed values raise :class:`SheetError` naming the row.
    """
    path = Path(path)
    if not path.exists():
        raise SheetError(f"{path} does not exist")
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        if SHEET not in wb.sheetnames:
            raise SheetError(f"{path.name}: no sheet named {SHEET!r} (sheets: {wb.sheetnames})")
        rows = list(wb[SHEET].iter_rows(values_only=True))
        wb.close()
        if not rows:
            raise SheetError(f"{path.name}: the {SHEET!r} sheet is empty")
        header = [str(h).strip().lower() if h is not None else "" for h in rows[0]]
        frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise SheetError(f"{path.name}: not a UTF-8 CSV file ({exc})") from exc
        frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("item_id", "answer") if c not in frame.columns]
    if missing:
        raise SheetError(f"{path.name}: columns {missing} are missing; return the sheet with its header row intact")
    frame = frame.loc[frame["item_id"].notna() & frame["item_id"].astype(str).str.strip().ne("")]
    ids = frame["item_id"].astype(str).str.strip().str.lstrip("'")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise SheetError(f"{path.name}: item id {ids[dup].iloc[0]!r} appears more than once; "
                         "remove the copied rows")
    answers = _parse_answers(frame.reset_index(drop=True), task, path, first_row=2)
    comment = frame["comment"].fillna("").astype(str) if "comment" in frame.columns else ""
    return pd.DataFrame({"item_id": ids.to_numpy(), "answer": answers.to_numpy(),
                         "comment": np.asarray(comment, dtype=object) if len(frame) else []})


def collect_sheets(sheets: dict[str, str | Path | list], items: pd.DataFrame, *, task: str,
                   require_complete: bool = True) -> pd.DataFrame:
    """Join returned sheets into ``item_id, <coder>...``; checks ids against the coding set.

    A coder may have several sheets (e.g. the pilot and the main stage): pass a list of paths.
    """
    out = items[["item_id"]].copy()
    known = set(items["item_id"])
    for coder, paths in sheets.items():
        paths = paths if isinstance(paths, list | tuple) else [paths]
        parts = []
        for path in paths:
            part = read_coder_sheet(path, task=task)
            unknown = sorted(set(part["item_id"]) - known)
            if unknown:
                raise SheetError(f"{Path(path).name}: {len(unknown)} item ids are not in the coding set "
                                 f"(first {unknown[0]!r}); was the id column edited, or is it another set's sheet?")
            parts.append(part)
        answers = pd.concat(parts, ignore_index=True)
        twice = answers["item_id"].duplicated()
        if twice.any():
            raise SheetError(f"{coder}: item {answers.loc[twice, 'item_id'].iloc[0]!r} is on two of the sheets given")
        absent = known - set(answers["item_id"])
        blank = int(answers["answer"].isna().sum())
        if require_complete and (absent or blank):
            names = ", ".join(Path(p).name for p in paths)
            raise SheetError(f"{names}: {len(absent)} items missing and {blank} answers blank; "
                             "complete the sheet or pass require_complete=False")
        out[coder] = out["item_id"].map(answers.set_index("item_id")["answer"])
    return out
