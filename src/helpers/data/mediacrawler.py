"""Reading MediaCrawler exports (CSV, JSON, JSONL folders or an SQLite store).

MediaCrawler, the crawler most researchers use for Xiaohongshu, writes one file
per crawl and item kind — ``{crawler_type}_{contents|comments|creators}_{date}.{csv|json|jsonl}`` —
or rows in the tables ``xhs_note``, ``xhs_note_comment`` and (older versions)
``xhs_creator``.  Real exports mix crawl dates, formats and schema versions
(newer ones replace ``user_id`` with ``creator_hash``), so the reader:

* reads every file it recognises, keeping the file name and record number of
  each row so that later errors and the exclusion ledger can point at them;
* reads all cells as text (IDs such as ``"0"`` and counts such as ``"1.2万"``
  must not be guessed into numbers here);
* never stops at the first bad file: a non-UTF-8 file, a missing column or an
  unparsable JSON line becomes an :class:`ImportProblem` naming file and row,
  the rest of the export is still read, and the caller decides whether to go on.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

KINDS = ("notes", "comments", "creators")
_KIND_WORDS = {
    "contents": "notes", "content": "notes", "notes": "notes", "note": "notes",
    "comments": "comments", "comment": "comments", "creators": "creators", "creator": "creators",
}
SQLITE_TABLES = {"notes": "xhs_note", "comments": "xhs_note_comment", "creators": "xhs_creator"}
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
TEXT_SUFFIXES = (".csv", ".json", ".jsonl")

#: Columns each kind must have (besides a user column: ``user_id`` or ``creator_hash``).
REQUIRED = {
    "notes": ("note_id", "type", "title", "desc", "time", "liked_count", "collected_count",
              "comment_count", "share_count", "last_modify_ts"),
    "comments": ("comment_id", "note_id", "content", "create_time"),
    "creators": ("fans",),
}
USER_COLUMNS = ("user_id", "creator_hash")


class ExportError(RuntimeError):
    """The export cannot be used at all (nothing readable, no notes)."""


@dataclass(frozen=True)
class ImportProblem:
    """Something wrong in one file: where, and what was done about it."""

    file: str
    row: int | None  # 1-based record (CSV/JSON) or line (JSONL, encoding errors); None = whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        return f"{where}: {self.message}"


@dataclass
class RawExport:
    """All rows of one export, as text, with provenance columns ``_file`` and ``_row``."""

    notes: pd.DataFrame
    comments: pd.DataFrame
    creators: pd.DataFrame | None
    user_column: str
    files: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


def classify(path: Path) -> str | None:
    """Which kind of table a file holds, from its name (``search_comments_2024-11-12.csv``).

    The *last* kind word wins: MediaCrawler's creator mode writes
    ``creator_contents_…`` (notes) and ``creator_creators_…``.
    """
    tokens = re.split(r"[_\-. ]+", path.name.lower().rsplit(".", 1)[0])
    for token in reversed(tokens):
        if token in _KIND_WORDS:
            return _KIND_WORDS[token]
    return None


def _decode(path: Path, problems: list[ImportProblem]) -> str | None:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(ImportProblem(
            str(path), line,
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); file skipped — "
            "re-save it as UTF-8 (MediaCrawler writes utf-8-sig)",
        ))
        return None


def _cell(value: object) -> str | None:
    """JSON value -> text cell: strings as they are, lists/objects as JSON, numbers as written."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _records_to_frame(records: list, path: Path, problems: list[ImportProblem]) -> pd.DataFrame:
    rows = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            problems.append(ImportProblem(str(path), i, "record is not a JSON object; skipped"))
            continue
        rows.append({**{k: _cell(v) for k, v in rec.items()}, "_row": i})
    return pd.DataFrame(rows)


def read_table_file(path: Path, problems: list[ImportProblem]) -> pd.DataFrame | None:
    """One CSV/JSON/JSONL file -> text frame with ``_file``/``_row``; None if unreadable."""
    try:
        text = _decode(path, problems)
    except OSError as exc:
        problems.append(ImportProblem(str(path), None, f"cannot read file ({exc}); skipped"))
        return None
    if text is None:
        return None
    suffix = path.suffix.lower()
    frame: pd.DataFrame | None
    if suffix == ".csv":
        if not text.strip():
            frame = pd.DataFrame()
        else:
            try:
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])
            except (pd.errors.ParserError, ValueError) as exc:
                match = re.search(r"line (\d+)", str(exc))
                problems.append(ImportProblem(str(path), int(match.group(1)) if match else None,
                                              f"CSV cannot be parsed ({exc}); file skipped"))
                return None
            frame["_row"] = range(1, len(frame) + 1)
    elif suffix == ".json":
        if not text.strip():
            frame = pd.DataFrame()
        else:
            try:
                records = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(ImportProblem(str(path), exc.lineno, f"invalid JSON ({exc.msg}); file skipped"))
                return None
            if isinstance(records, dict):
                records = [records]
            frame = _records_to_frame(records, path, problems)
    else:  # .jsonl
        records = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((lineno, json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(ImportProblem(str(path), lineno, f"invalid JSON line ({exc.msg}); line skipped"))
        frame = _records_to_frame([r for _, r in records], path, problems)
        if frame is not None and len(frame):
            frame["_row"] = [lineno for lineno, r in records if isinstance(r, dict)]
    if frame is None:
        return None
    frame["_file"] = str(path)
    return frame


def _check_columns(frame: pd.DataFrame, kind: str, source: str, problems: list[ImportProblem]) -> bool:
    if frame.empty:
        return True
    missing = [c for c in REQUIRED[kind] if c not in frame.columns]
    if kind != "creators" and not any(c in frame.columns for c in USER_COLUMNS):
        missing.append("user_id (or creator_hash)")
    if kind == "creators" and not any(c in frame.columns for c in USER_COLUMNS):
        missing.append("user_id (or creator_hash)")
    if missing:
        problems.append(ImportProblem(source, None, f"{kind} table lacks column(s) {', '.join(missing)}; "
                                                    "file skipped"))
        return False
    if kind == "comments" and "parent_comment_id" not in frame.columns:
        # some older versions store no reply structure: keep the rows, say what cannot be done
        problems.append(ImportProblem(source, None, "comments table has no parent_comment_id column: replies "
                                                    "cannot be told apart and are all treated as top-level"))
        frame["parent_comment_id"] = ""
    return True


def _read_sqlite(path: Path, problems: list[ImportProblem]) -> dict[str, list[pd.DataFrame]]:
    out: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        except sqlite3.DatabaseError as exc:
            con.close()
            problems.append(ImportProblem(str(path), None, f"not a readable SQLite database ({exc})"))
            return out
        for kind, table in SQLITE_TABLES.items():
            if table not in tables:
                continue
            frame = pd.read_sql_query(f'select * from "{table}"', con)
            frame = frame.astype(object).where(frame.notna(), None)
            for column in frame.columns:
                frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else
                                                  (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
            frame = frame.fillna("")
            frame["_row"] = range(1, len(frame) + 1)
            frame["_file"] = f"{path}:{table}"
            out[kind].append(frame)
        con.close()
    except sqlite3.Error as exc:
        problems.append(ImportProblem(str(path), None, f"cannot open SQLite database ({exc})"))
    return out


def find_files(source: Path) -> list[Path]:
    """The export files under ``source`` (a folder) or ``source`` itself (a file)."""
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*")
                  if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES + SQLITE_SUFFIXES)


def read_export(source: str | Path) -> RawExport:
    """Read every recognised file of an export; problems are collected, not raised.

    Raises :class:`ExportError` only when nothing usable is left: the source does
    not exist, holds no files, or no notes could be read.
    """
    source = Path(source)
    if not source.exists():
        raise ExportError(f"{source}: no such file or folder")
    problems: list[ImportProblem] = []
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    files = find_files(source)
    if not files:
        raise ExportError(f"{source}: no MediaCrawler files (*.csv, *.json, *.jsonl, *.db) found — empty export")
    used: list[str] = []
    for path in files:
        if path.suffix.lower() in SQLITE_SUFFIXES:
            for kind, frames in _read_sqlite(path, problems).items():
                for frame in frames:
                    if _check_columns(frame, kind, frame["_file"].iloc[0] if len(frame) else str(path), problems):
                        tables[kind].append(frame)
            used.append(str(path))
            continue
        kind = classify(path)
        if kind is None:
            continue
        frame = read_table_file(path, problems)
        if frame is None:
            continue
        used.append(str(path))
        if frame.empty or len(frame.columns) <= 2:
            problems.append(ImportProblem(str(path), None, f"{kind} file is empty"))
            continue
        if _check_columns(frame, kind, str(path), problems):
            tables[kind].append(frame)

    notes = _concat(tables["notes"])
    if notes.empty:
        detail = "; ".join(str(p) for p in problems) or "no contents/notes files"
        raise ExportError(f"{source}: no notes could be read ({detail})")
    comments = _concat(tables["comments"])
    creators = _concat(tables["creators"]) if tables["creators"] else None
    user_column = "user_id" if "user_id" in notes.columns and notes["user_id"].astype(str).str.len().gt(0).any() \
        else "creator_hash"
    for frame in (notes, comments) + ((creators,) if creators is not None else ()):
        _unify_user_column(frame)
    return RawExport(notes=notes, comments=comments, creators=creators, user_column=user_column,
                     files=used, problems=problems)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True, sort=False)
    text_cols = [c for c in out.columns if c != "_row"]
    out[text_cols] = out[text_cols].fillna("")
    return out


def _unify_user_column(frame: pd.DataFrame) -> None:
    """Give every table a ``user_key`` column from ``user_id`` or ``creator_hash`` (schema versions)."""
    if frame.empty:
        frame["user_key"] = pd.Series(dtype=object)
        return
    key = pd.Series("", index=frame.index, dtype=object)
    for column in USER_COLUMNS:
        if column in frame.columns:
            key = key.where(key != "", frame[column].astype(str))
    frame["user_key"] = key
