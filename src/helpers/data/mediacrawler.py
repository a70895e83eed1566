"""Reading MediaCrawler exports, in every format and schema version its store code writes.

MediaCrawler (NanmiCoder/MediaCrawler), the crawler most researchers use for
Xiaohongshu, has written its results in several ways since 2024; the facts
below were read from its store code (``store/xhs/``,
``tools/async_file_writer.py``, ``store/excel_store_base.py``,
``database/models.py``), commit by commit (see
``tests/fixtures/mediacrawler/README.md``):

* **files** ``{crawler_type}_{contents|comments|creator(s)}_{date}.{csv|json|jsonl}`` —
  before 2025-09 with a run number in front (``1_search_contents_2024-08-24.csv``)
  and straight under ``data/xhs/``; since 2025-09 under ``data/xhs/{csv,json,jsonl}/``,
  every run of one day *appending* to one file, the CSV header written once;
* **Excel** (since 2025-11) ``data/xhs/xhs_{crawler_type}_{YYYYmmdd_HHMMSS}.xlsx`` with
  the sheets ``Contents``, ``Comments``, ``Creators``;
* **databases**: tables ``xhs_note``, ``xhs_note_comment`` (and ``xhs_creator`` until
  2026-07) in SQLite — a raw-SQL store from 2025-07, a SQLAlchemy ORM store from
  2025-09 — or in MySQL/PostgreSQL, which reach us as one CSV per table; MongoDB
  collections ``xhs_contents``/``xhs_comments``/``xhs_creators`` reach us through
  ``mongoexport`` (one document per line by default, an array with ``--jsonArray``);
* **columns** changed: ``parent_comment_id`` since 2024-04, comment ``like_count``
  since 2024-08-24, ``source_keyword`` since 2024-08-23, ``xsec_token`` since
  2024-12, and since 2026-07 ``creator_hash = sha256(user_id)[:16]`` replaces
  ``user_id`` (``avatar``/``ip_location`` gone, nicknames masked, no creator table).

The reader keeps every cell as text (IDs such as ``"0"`` and counts such as
``"1.2万"`` must not be guessed into numbers here), keeps the file and record
number of each row for the ledger, writes a :class:`FileReport` per file (rows,
format, schema version detected, what was fixed or assumed) and collects
:class:`ImportProblem` s.  A file that cannot be read at all is *fatal*: the run
stops with one line per such file saying how to fix it, unless the caller asks to
skip unreadable files.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.data.privacy import mediacrawler_user_hash

KINDS = ("notes", "comments", "creators")
_KIND_WORDS = {
    "contents": "notes", "content": "notes", "notes": "notes", "note": "notes",
    "comments": "comments", "comment": "comments", "creators": "creators", "creator": "creators",
}
_SHEETS = {"contents": "notes", "comments": "comments", "creators": "creators"}
SQLITE_TABLES = {"notes": "xhs_note", "comments": "xhs_note_comment", "creators": "xhs_creator"}
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
TEXT_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl")
OTHER_SUFFIXES = (".xlsx", ".sql", ".xls")

#: Columns each kind must have (besides a user column, ``user_id`` or ``creator_hash``, for
#: notes and creators).  Counts are not required: a version without one gives missing values.
REQUIRED = {
    "notes": ("note_id", "type", "desc", "time", "last_modify_ts"),
    "comments": ("comment_id", "note_id", "content", "create_time"),
    "creators": ("fans",),
}
USER_COLUMNS = ("user_id", "creator_hash")
#: Columns a database adds to the store's dict (never part of the data).
DB_COLUMNS = ("id", "add_ts", "_id")


# ---------------------------------------------------------------- the schema versions

@dataclass(frozen=True)
class SchemaVersion:
    """One column order MediaCrawler's store code wrote, with the commit that introduced it."""

    kind: str
    since: str
    commit: str
    columns: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.kind} schema of {self.since} ({self.commit})"


def _v(kind: str, since: str, commit: str, columns: str) -> SchemaVersion:
    return SchemaVersion(kind, since, commit, tuple(columns.split(",")))


#: The dict key orders of ``store/xhs/__init__.py`` (file stores write the keys in this order).
SCHEMAS: tuple[SchemaVersion, ...] = (
    _v("notes", "2024-01-14", "894dabc", "note_id,type,title,desc,time,last_update_time,user_id,nickname,avatar,"
       "liked_count,collected_count,comment_count,share_count,ip_location,image_list,last_modify_ts,note_url"),
    _v("notes", "2024-03-02", "61ba8c5", "note_id,type,title,desc,video_url,time,last_update_time,user_id,nickname,"
       "avatar,liked_count,collected_count,comment_count,share_count,ip_location,image_list,tag_list,last_modify_ts,"
       "note_url"),
    _v("notes", "2024-08-23", "c70bd9e", "note_id,type,title,desc,video_url,time,last_update_time,user_id,nickname,"
       "avatar,liked_count,collected_count,comment_count,share_count,ip_location,image_list,tag_list,last_modify_ts,"
       "note_url,source_keyword"),
    _v("notes", "2024-12-05", "33e7ef0", "note_id,type,title,desc,video_url,time,last_update_time,user_id,nickname,"
       "avatar,liked_count,collected_count,comment_count,share_count,ip_location,image_list,tag_list,last_modify_ts,"
       "note_url,source_keyword,xsec_token"),
    _v("notes", "2026-07-01", "9f4f8bf", "note_id,type,title,desc,video_url,time,last_update_time,creator_hash,"
       "nickname,liked_count,collected_count,comment_count,share_count,image_list,tag_list,last_modify_ts,note_url,"
       "source_keyword,xsec_token"),
    _v("comments", "2024-01-14", "894dabc", "comment_id,create_time,ip_location,note_id,content,user_id,nickname,"
       "avatar,sub_comment_count,last_modify_ts"),
    _v("comments", "2024-03-07", "41fee4f", "comment_id,create_time,ip_location,note_id,content,user_id,nickname,"
       "avatar,sub_comment_count,pictures,last_modify_ts"),
    _v("comments", "2024-04-11", "81a9946", "comment_id,create_time,ip_location,note_id,content,user_id,nickname,"
       "avatar,sub_comment_count,pictures,parent_comment_id,last_modify_ts"),
    _v("comments", "2024-08-24", "65699aa", "comment_id,create_time,ip_location,note_id,content,user_id,nickname,"
       "avatar,sub_comment_count,pictures,parent_comment_id,last_modify_ts,like_count"),
    _v("comments", "2026-07-01", "9f4f8bf", "comment_id,create_time,note_id,content,creator_hash,nickname,"
       "sub_comment_count,pictures,parent_comment_id,last_modify_ts,like_count"),
    _v("creators", "2024-03-02", "61ba8c5", "user_id,nickname,gender,avatar,desc,ip_location,follows,fans,"
       "interaction,tag_list"),
    _v("creators", "2024-04-06", "0c8484c", "user_id,nickname,gender,avatar,desc,ip_location,follows,fans,"
       "interaction,tag_list,last_modify_ts"),
)


def detect_version(kind: str, columns: list[str]) -> str:
    """Which store-code version wrote a table with these columns (order ignored; DB columns dropped)."""
    have = {c for c in columns if c not in DB_COLUMNS and not c.startswith("_")}
    versions = [s for s in SCHEMAS if s.kind == kind]
    for index, schema in enumerate(versions):
        if set(schema.columns) == have:
            until = versions[index + 1].since if index + 1 < len(versions) else None
            return f"MediaCrawler {schema.since}" + (f" to {until}" if until else " or later") + f" ({schema.commit})"
    best = max(versions, key=lambda s: len(set(s.columns) & have) - len(set(s.columns) ^ have))
    extra, lacking = sorted(have - set(best.columns)), sorted(set(best.columns) - have)
    detail = "; ".join(x for x in (f"extra {', '.join(extra)}" if extra else "",
                                   f"lacking {', '.join(lacking)}" if lacking else "") if x)
    return f"unknown (closest: MediaCrawler {best.since}, {best.commit}; {detail})"


# ---------------------------------------------------------------- problems and reports

class ExportError(RuntimeError):
    """The export cannot be used: nothing readable, no notes, or a file that cannot be read."""


@dataclass(frozen=True)
class ImportProblem:
    """Something wrong in one file: where, and what was done about it.

    ``fatal`` marks a file that could not be read at all; the run stops on it
    unless unreadable files are to be skipped.
    """

    file: str
    row: int | None  # 1-based record (CSV/JSON) or line (JSONL, encoding errors); None = whole file
    message: str
    fatal: bool = False

    def __str__(self) -> str:
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        return f"{where}: {self.message}"


@dataclass
class FileReport:
    """What the reader did with one file (or one table/sheet of a database or workbook)."""

    file: str
    format: str
    kind: str | None = None
    rows: int = 0
    version: str = ""
    encoding: str = ""
    status: str = "read"  # read | ignored | skipped (unreadable) | empty
    notes: list[str] = field(default_factory=list)

    def as_row(self) -> dict:
        return {"file": self.file, "format": self.format, "kind": self.kind or "", "rows": self.rows,
                "schema_version": self.version, "encoding": self.encoding, "status": self.status,
                "notes": " | ".join(self.notes)}


@dataclass
class RawExport:
    """All rows of one export, as text, with provenance columns ``_file`` and ``_row``.

    ``user_key`` is one identity per person across schema versions: the
    export's ``creator_hash``, or ``sha256(user_id)[:16]`` computed the way
    MediaCrawler computes ``creator_hash`` (empty when unknown).
    """

    notes: pd.DataFrame
    comments: pd.DataFrame
    creators: pd.DataFrame | None
    user_column: str
    files: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)
    source: str = ""


# ---------------------------------------------------------------- file names

def classify(path: Path) -> str | None:
    """Which kind of table a file holds, from its name (``search_comments_2024-11-12.csv``).

    The *last* kind word wins: creator mode writes ``creator_contents_…`` (notes)
    and ``creator_creator_…``; database exports are named after their tables
    (``xhs_note.csv``, ``xhs_note_comment.csv``) or collections (``xhs_contents.json``).
    """
    tokens = re.split(r"[_\-. ]+", path.name.lower().rsplit(".", 1)[0])
    for token in reversed(tokens):
        if token in _KIND_WORDS:
            return _KIND_WORDS[token]
    return None


def is_word_cloud(path: Path) -> bool:
    """MediaCrawler's word-cloud output (``data/xhs/words/*_word_freq.json``, ``*_word_cloud.png``)."""
    name = path.name.lower()
    return name.endswith(("_word_freq.json", "_word_cloud.png")) or path.parent.name.lower() == "words"


def find_files(source: Path) -> list[Path]:
    """The candidate export files under ``source`` (a folder) or ``source`` itself (a file)."""
    if source.is_file():
        return [source]
    suffixes = TEXT_SUFFIXES + SQLITE_SUFFIXES + OTHER_SUFFIXES
    return sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                  and not p.name.startswith("~$"))


# ---------------------------------------------------------------- decoding

def _decode(data: bytes, name: str, report: FileReport, problems: list[ImportProblem]) -> str | None:
    """UTF-8 (with or without BOM) first; then GB18030, the superset of GBK that Excel on a
    Chinese-language Windows writes when it saves "CSV"; a note says which was used."""
    try:
        text = data.decode("utf-8-sig")
        report.encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text
    except UnicodeDecodeError as exc:
        first = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        line = data[: first.start].count(b"\n") + 1
        problems.append(ImportProblem(
            name, line, f"neither UTF-8 nor GB18030/GBK (byte 0x{data[first.start]:02x} at offset {first.start}) — "
                        "re-save the file as UTF-8 (MediaCrawler itself writes utf-8-sig)", fatal=True))
        report.status = "skipped (unreadable)"
        return None
    report.encoding = "gb18030"
    report.notes.append("not UTF-8: decoded as GB18030/GBK (as saved by Excel on a Chinese-language Windows)")
    return text


# ---------------------------------------------------------------- cells and JSON

def _unwrap(value: object) -> object:
    """MongoDB extended JSON (``{"$oid": …}``, ``{"$numberLong": "…"}``, ``{"$date": …}``) -> plain value."""
    if isinstance(value, dict) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if key in ("$oid", "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal", "$date"):
            return _unwrap(inner)
    return value


def _cell(value: object) -> str | None:
    """JSON value -> text cell: strings as they are, lists/objects as JSON, numbers as written."""
    value = _unwrap(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _records_to_frame(records: list[tuple[int, object]], name: str, problems: list[ImportProblem],
                      report: FileReport) -> pd.DataFrame:
    rows = []
    for number, rec in records:
        if not isinstance(rec, dict):
            problems.append(ImportProblem(name, number, "record is not a JSON object; skipped"))
            continue
        rows.append({**{k: _cell(v) for k, v in rec.items()}, "_row": number})
    frame = pd.DataFrame(rows)
    if "_id" in frame.columns:
        frame = frame.drop(columns="_id")
        report.notes.append("MongoDB's _id field dropped (not part of MediaCrawler's record)")
    return frame


def _read_json(text: str, name: str, report: FileReport, problems: list[ImportProblem]) -> pd.DataFrame | None:
    if not text.strip():
        return pd.DataFrame()
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            problems.append(ImportProblem(name, exc.lineno, f"invalid JSON ({exc.msg}) — the file is cut off or "
                                                            "was edited by hand; re-export it", fatal=True))
            report.status = "skipped (unreadable)"
            return None
        # several JSON documents one after another: mongoexport's default (one document per line)
        report.format = "json (one document per line, mongoexport default)"
        report.notes.append("one JSON document per line (mongoexport's default output): read line by line")
        return _read_json_lines(text, name, report, problems)
    if isinstance(records, dict):
        records = [records]
    else:
        report.format = "json (array)"
    return _records_to_frame(list(enumerate(records, start=1)), name, problems, report)


def _read_json_lines(text: str, name: str, report: FileReport, problems: list[ImportProblem]) -> pd.DataFrame:
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(ImportProblem(name, lineno, f"invalid JSON line ({exc.msg}); line skipped"))
    return _records_to_frame(records, name, problems, report)


# ---------------------------------------------------------------- CSV, with same-day appends

#: Same-day appending began with AsyncFileWriter (be306c6, 2025-09-06): only the column orders in
#: use from then on can meet in one file.
APPEND_ERA = "2025-09-06"


def _orders_of(kind: str | None) -> list[SchemaVersion]:
    """The column orders of ``kind`` that were written at some time since :data:`APPEND_ERA`."""
    versions = [s for s in SCHEMAS if s.kind == kind]
    return [s for i, s in enumerate(versions) if i + 1 == len(versions) or versions[i + 1].since > APPEND_ERA]


def _plausible(kind: str | None, columns: tuple[str, ...], row: list[str]) -> bool:
    """A realigned row must put a millisecond timestamp where the version has its time column."""
    column = {"notes": "time", "comments": "create_time"}.get(kind or "")
    if column is None or column not in columns:
        return True
    return bool(re.fullmatch(r"\d{9,13}", row[columns.index(column)].strip()))


def _read_csv(text: str, name: str, kind: str | None, report: FileReport, problems: list[ImportProblem],
              delimiter: str = ",") -> pd.DataFrame | None:
    """Parse with the csv module (fields may hold newlines) and realign same-day appends.

    Since 2025-09 every run of one day appends to one CSV and the header is
    written only by the first (``csv.DictWriter(fieldnames=item.keys())``).  A
    run after an upgrade appends rows in *its* column order: a row whose field
    count differs from the header's is matched to the known orders of that
    length and realigned; if none fits, the file is refused with the cause.
    """
    if not text.strip():
        return pd.DataFrame()
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        problems.append(ImportProblem(name, None, f"CSV cannot be parsed ({exc}) — re-export the file", fatal=True))
        report.status = "skipped (unreadable)"
        return None
    header = [h.strip() for h in rows[0]]
    records, realigned = [], {}
    for number, row in enumerate(rows[1:], start=1):
        if not row or row == [""]:
            continue
        if len(row) == len(header):
            records.append({**dict(zip(header, row, strict=True)), "_row": number})
            continue
        fits = [s for s in _orders_of(kind) if len(s.columns) == len(row) and _plausible(kind, s.columns, row)]
        if len(fits) != 1:
            problems.append(ImportProblem(
                name, number, f"row has {len(row)} fields under a {len(header)}-field header and matches no "
                              "known MediaCrawler column order: rows were appended by another MediaCrawler version "
                              f"on the same day — split the file at row {number} and give each part its own header",
                fatal=True))
            report.status = "skipped (unreadable)"
            return None
        schema = fits[0]
        realigned.setdefault(schema, []).append(number)
        records.append({**dict(zip(schema.columns, row, strict=True)), "_row": number})
    if realigned:
        report.version = " + ".join([f"header: {detect_version(kind, header)}"] + [
            f"{_ranges(n)}: MediaCrawler {sch.since} ({sch.commit})" for sch, n in realigned.items()])
    for schema, numbers in realigned.items():
        report.notes.append(
            f"{len(numbers)} row(s) ({_ranges(numbers)}) appended on the same day by a MediaCrawler version "
            f"with another column order: realigned by the {schema.label}")
    frame = pd.DataFrame(records)
    if realigned:
        frame = frame.where(frame.notna(), None)
    return frame


def _ranges(numbers: list[int]) -> str:
    out, start, prev = [], numbers[0], numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"rows {start}" if start == prev else f"rows {start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def _unescape_mysql_batch(frame: pd.DataFrame) -> pd.DataFrame:
    """``mysql --batch`` writes NULL as ``NULL`` and escapes newline, tab and backslash."""
    table = {"\\n": "\n", "\\t": "\t", "\\\\": "\\", "\\0": "\0"}

    def fix(value):
        if not isinstance(value, str):
            return value
        if value == "NULL":
            return None
        return re.sub(r"\\[nt0\\]", lambda m: table[m.group(0)], value)

    return frame.apply(lambda col: col.map(fix) if col.name not in ("_row",) else col)


# ---------------------------------------------------------------- Excel, SQLite, SQL dumps

def _text_value(value: object) -> str:
    """An Excel cell as text; an empty cell is ``""`` (the Excel store writes None and "" alike as "")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, name: str, problems: list[ImportProblem]) -> list[tuple[str, pd.DataFrame, FileReport]]:
    """The Contents/Comments/Creators sheets of MediaCrawler's Excel store (header in row 1)."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        problems.append(ImportProblem(name, None, "Excel export needs openpyxl — pip install openpyxl", fatal=True))
        return []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds (zipfile, KeyError, ...)
        problems.append(ImportProblem(name, None, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc}) — "
                                                  "open it in Excel and save it again as .xlsx", fatal=True))
        return []
    out = []
    for sheet in workbook.worksheets:
        kind = _SHEETS.get(sheet.title.strip().lower())
        report = FileReport(file=f"{name}[{sheet.title}]", format="xlsx", kind=kind)
        if kind is None:
            report.status = "ignored"
            report.notes.append("not a MediaCrawler sheet (Contents, Comments, Creators)")
            out.append((None, pd.DataFrame(), report))
            continue
        rows = [r for r in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
        if not rows:
            report.status = "empty"
            out.append((kind, pd.DataFrame(), report))
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        keep = [i for i, h in enumerate(header) if h]
        records = [{**{header[i]: _text_value(r[i]) if i < len(r) else "" for i in keep}, "_row": n}
                   for n, r in enumerate(rows[1:], start=1)]
        out.append((kind, pd.DataFrame(records), report))
    workbook.close()
    return out


def _sqlite_store_kind(create_sql: str) -> str:
    """Raw-SQL store (``schema/sqlite_tables.sql``, 2025-07) or SQLAlchemy ORM store (2025-09 on)."""
    if "AUTOINCREMENT" in create_sql.upper():
        return "SQLite, raw-SQL store (schema/sqlite_tables.sql, MediaCrawler 2025-07)"
    return "SQLite, SQLAlchemy ORM store (database/models.py, MediaCrawler 2025-09 or later)"


def _read_sqlite(path: Path, name: str, problems: list[ImportProblem]) -> list[tuple[str, pd.DataFrame, FileReport]]:
    out = []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        problems.append(ImportProblem(name, None, f"cannot open SQLite database ({exc})", fatal=True))
        return out
    try:
        try:
            tables = {r[0]: r[1] or "" for r in con.execute("select name, sql from sqlite_master where type='table'")}
        except sqlite3.DatabaseError as exc:
            problems.append(ImportProblem(name, None, f"not a readable SQLite database ({exc}) — point the "
                                                      "importer at MediaCrawler's .db file itself", fatal=True))
            return out
        for kind, table in SQLITE_TABLES.items():
            if table not in tables:
                continue
            report = FileReport(file=f"{name}:{table}", format=_sqlite_store_kind(tables[table]), kind=kind)
            frame = pd.read_sql_query(f'select * from "{table}"', con, dtype=object)
            for column in frame.columns:
                frame[column] = frame[column].map(lambda v: None if v is None else
                                                  (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
            frame["_row"] = range(1, len(frame) + 1)
            out.append((kind, frame, report))
        if not out:
            problems.append(ImportProblem(name, None, "SQLite database has no xhs_note / xhs_note_comment tables — "
                                                      "is it MediaCrawler's store (schema/sqlite_tables.db)?",
                                          fatal=True))
    finally:
        con.close()
    return out


def _sql_dump_problem(text: str, name: str) -> ImportProblem:
    """A .sql file holds statements, not rows: say how to export the tables instead (one line)."""
    if "PostgreSQL database dump" in text[:4096]:
        fix = ("a PostgreSQL dump (SQL statements) cannot be read — restore it and export each table with a header: "
               "psql -d DB -c \"\\copy xhs_note TO 'xhs_note.csv' CSV HEADER\" (likewise xhs_note_comment, "
               "xhs_creator)")
    else:
        fix = ("a MySQL dump (SQL statements) cannot be read — load it (mysql DB < dump.sql) and export each table "
               "with a header: mysql --batch -e 'SELECT * FROM xhs_note' DB > xhs_note.tsv (likewise "
               "xhs_note_comment, xhs_creator), or rerun MediaCrawler with --save_data_option sqlite")
    return ImportProblem(name, None, fix, fatal=True)


# ---------------------------------------------------------------- columns and identities

def _check_columns(frame: pd.DataFrame, kind: str, report: FileReport, problems: list[ImportProblem]) -> bool:
    if frame.empty:
        return True
    missing = [c for c in REQUIRED[kind] if c not in frame.columns]
    if kind in ("notes", "creators") and not any(c in frame.columns for c in USER_COLUMNS):
        missing.append("user_id (or creator_hash)")
    known = {c for schema in SCHEMAS for c in schema.columns}
    if missing and not known & set(frame.columns):
        problems.append(ImportProblem(report.file, None, "no header row (SELECT … INTO OUTFILE writes none) — "
                                                         "export the table with its column names, e.g. mysql --batch "
                                                         "-e 'SELECT * FROM xhs_note' DB > xhs_note.tsv", fatal=True))
        report.status = "skipped (unreadable)"
        return False
    if missing:
        problems.append(ImportProblem(report.file, None, f"{kind} table lacks column(s) {', '.join(missing)} — "
                                                         "not a MediaCrawler xhs table, or columns were deleted; "
                                                         "re-export it", fatal=True))
        report.status = "skipped (unreadable)"
        return False
    if kind == "comments":
        if "parent_comment_id" not in frame.columns:
            report.notes.append("no parent_comment_id (MediaCrawler before 2024-04 crawled top-level comments only): "
                                "all comments taken as top-level")
            frame["parent_comment_id"] = ""
        if "like_count" not in frame.columns:
            report.notes.append("no like_count (MediaCrawler before 2024-08-24): comment likes are missing, not 0")
    if kind == "notes" and "title" not in frame.columns:
        report.notes.append("no title column: the text is the description alone")
    for column in ("liked_count", "collected_count", "comment_count", "share_count"):
        if kind == "notes" and column not in frame.columns:
            report.notes.append(f"no {column}: missing values, not 0")
    return True


def user_keys(frame: pd.DataFrame) -> pd.Series:
    """One key per person across schema versions: ``creator_hash`` as written, else
    ``sha256(user_id)[:16]`` exactly as MediaCrawler's ``anonymize_user_id`` computes it."""
    key = pd.Series("", index=frame.index, dtype=object)
    if "creator_hash" in frame.columns:
        key = frame["creator_hash"].astype(object).where(frame["creator_hash"].notna(), "").astype(str).str.strip()
    if "user_id" in frame.columns:
        hashed = mediacrawler_user_hash(frame["user_id"])
        key = key.where(key != "", hashed)
    return key.astype(object)


def autofilled_title(title: pd.Series, desc: pd.Series) -> pd.Series:
    """True where ``title`` is MediaCrawler's fill-in for an untitled note.

    Every version writes ``"title": note_item.get("title") or note_item.get("desc", "")[:255]``,
    so an untitled note's title is the first 255 characters of its description;
    joining title and description would count that text twice.  Compared after
    normalising whitespace (spreadsheets and CSV round trips change line ends).
    """
    def norm(s: pd.Series) -> pd.Series:
        return s.astype(object).where(s.notna(), "").astype(str).str.replace(r"\s+", " ", regex=True).str.strip()

    head = desc.astype(object).where(desc.notna(), "").astype(str).str.slice(0, 255)
    t, h = norm(title), norm(head)
    return t.ne("") & (t == h)


# ---------------------------------------------------------------- the export

def _display_name(path: Path, source: Path) -> str:
    if source.is_file():
        return path.name
    try:
        return path.relative_to(source).as_posix()
    except ValueError:  # pragma: no cover
        return path.name


def _read_one(path: Path, name: str, problems: list[ImportProblem]) -> list[tuple[str | None, pd.DataFrame,
                                                                                  FileReport]]:
    """Every table in one file: (kind, text frame, report)."""
    suffix = path.suffix.lower()
    if suffix in SQLITE_SUFFIXES:
        return _read_sqlite(path, name, problems)
    if suffix == ".xlsx":
        return _read_xlsx(path, name, problems)
    report = FileReport(file=name, format=suffix.lstrip("."), kind=classify(path))
    if suffix == ".xls":
        problems.append(ImportProblem(name, None, "old Excel .xls format — open it in Excel and save as .xlsx "
                                                  "(MediaCrawler itself writes .xlsx)", fatal=True))
        report.status = "skipped (unreadable)"
        return [(report.kind, pd.DataFrame(), report)]
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(ImportProblem(name, None, f"cannot read file ({exc}) — check its permissions", fatal=True))
        report.status = "skipped (unreadable)"
        return [(report.kind, pd.DataFrame(), report)]
    if suffix == ".sql":
        problems.append(_sql_dump_problem(data[:65536].decode("utf-8", errors="replace"), name))
        report.status, report.format = "skipped (unreadable)", "SQL dump"
        return [(None, pd.DataFrame(), report)]
    if report.kind is None:
        report.status = "ignored"
        report.notes.append("file name names no MediaCrawler table (contents, comments, creators)")
        return [(None, pd.DataFrame(), report)]
    text = _decode(data, name, report, problems)
    if text is None:
        return [(report.kind, pd.DataFrame(), report)]
    if suffix == ".csv":
        frame = _read_csv(text, name, report.kind, report, problems)
    elif suffix == ".tsv":
        frame = _read_csv(text, name, report.kind, report, problems, delimiter="\t")
        if frame is not None and len(frame):
            frame = _unescape_mysql_batch(frame)
            report.notes.append("tab-separated (mysql --batch): NULL read as missing, \\n and \\t unescaped")
    elif suffix == ".json":
        frame = _read_json(text, name, report, problems)
    else:
        frame = _read_json_lines(text, name, report, problems)
    if frame is None:
        return [(report.kind, pd.DataFrame(), report)]
    return [(report.kind, frame, report)]


def read_export(source: str | Path, skip_unreadable: bool = False) -> RawExport:
    """Read every recognised file of an export.

    Row-level problems are collected.  A file that cannot be read (encoding,
    broken JSON, a dump instead of data, a same-day append that cannot be
    realigned, missing key columns) raises :class:`ExportError` with one line
    per file saying how to fix it — unless ``skip_unreadable``, in which case it
    is left out and listed.  Also raises when nothing usable is left.
    """
    source = Path(source)
    if not source.exists():
        raise ExportError(f"{source}: no such file or folder")
    problems: list[ImportProblem] = []
    reports: list[FileReport] = []
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    files = find_files(source)
    if not files:
        raise ExportError(f"{source}: no MediaCrawler files (*.csv, *.json, *.jsonl, *.xlsx, *.db) found — "
                          "empty export")
    used: list[str] = []
    for path in files:
        name = _display_name(path, source)
        if is_word_cloud(path):
            reports.append(FileReport(file=name, format=path.suffix.lstrip("."), status="ignored",
                                      notes=["MediaCrawler word-cloud output (word frequencies), not data"]))
            continue
        for kind, frame, report in _read_one(path, name, problems):
            reports.append(report)
            if report.status != "read":
                continue
            if frame.empty or len([c for c in frame.columns if not c.startswith("_")]) == 0:
                report.status = "empty"
                continue
            if "add_ts" in frame.columns:  # a database table (SQLite, or MySQL/PostgreSQL exported to CSV)
                frame = frame.drop(columns=[c for c in DB_COLUMNS if c in frame.columns])
                if not report.format.startswith("SQLite"):
                    report.format += " (database table export)"
            report.version = report.version or detect_version(kind, list(frame.columns))
            if not _check_columns(frame, kind, report, problems):
                continue
            frame["_file"] = report.file
            report.rows = len(frame)
            tables[kind].append(frame)
            used.append(report.file)

    fatal = [p for p in problems if p.fatal]
    if fatal and not skip_unreadable:
        lines = "\n".join(f"  {p}" for p in fatal)
        raise ExportError(f"{source}: {len(fatal)} file(s) cannot be read (fix them, or pass --skip-unreadable "
                          f"to leave them out):\n{lines}")
    notes = _concat(tables["notes"])
    if notes.empty:
        detail = "; ".join(str(p) for p in problems) or "no contents/notes files"
        raise ExportError(f"{source}: no notes could be read ({detail})")
    comments = _concat(tables["comments"])
    creators = _concat(tables["creators"]) if tables["creators"] else None
    schemas = set()
    for frame in (notes, comments) + ((creators,) if creators is not None else ()):
        if frame.empty:
            frame["user_key"] = pd.Series(dtype=object)
            continue
        frame["user_key"] = user_keys(frame)
        if "creator_hash" in frame.columns and frame["creator_hash"].fillna("").astype(str).str.len().gt(0).any():
            schemas.add("creator_hash")
        if "user_id" in frame.columns and frame["user_id"].fillna("").astype(str).str.len().gt(0).any():
            schemas.add("user_id")
    user_column = "mixed" if len(schemas) > 1 else (schemas.pop() if schemas else "none")
    return RawExport(notes=notes, comments=comments, creators=creators, user_column=user_column,
                     files=used, problems=problems, reports=reports, source=str(source))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack tables of different versions; a column a version lacks stays *missing* (None), not ""."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True, sort=False)
    text_cols = [c for c in out.columns if c != "_row"]
    out[text_cols] = out[text_cols].astype(object).where(out[text_cols].notna(), None)
    return out
