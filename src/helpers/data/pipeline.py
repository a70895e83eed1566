"""The study's cleaning steps as recorded stages, with an exclusion ledger.

Every stage takes a table, keeps some rows and excludes the rest; each
excluded record gets one ledger row (kind, id, stage, reason) and the stage's
counts go to the flow (in = kept + excluded, checked at every stage).  That is
what a reader needs to reproduce the study's flow diagram (2,182 → 535 posts,
122,212 → 17,301 comments) and to audit why any single record is missing.

Order (the study's): posts — duplicates (newest ``last_modify_ts`` wins),
video notes, text cleaning, length < 100, manual self-disclosure coding;
comments — duplicates, unknown note, note excluded, written by the post's
creator, reply to another audience member, length < 30.

Privacy: user IDs are replaced by salted hashes and text is scrubbed of contact
details *before* anything is returned; identifying columns are never carried
into the outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data.counts import CountParseError, TimestampParseError, parse_counts, parse_timestamps
from helpers.data.manual_coding import Coding, read_coding
from helpers.data.mediacrawler import ImportProblem, RawExport, read_export
from helpers.data.privacy import choose_salt, salted_hash, scrub_contacts
from helpers.data.text_cleaning import clean_text, study_length

POST_COLUMNS = [
    "note_id", "creator_id", "title", "text", "publish_time", "download_time", "days_since_post",
    "post_length", "liked_count", "collected_count", "share_count", "comment_count", "fans",
    "ln_liked", "ln_collected", "ln_share", "ln_comment", "ln_fans", "ln_days_since_post",
    "ln_post_length", "source_keyword",
]
COMMENT_COLUMNS = [
    "comment_id", "note_id", "audience_id", "creator_id", "text", "comment_length", "create_time",
    "like_count", "ln_comment_length", "ln_like_count",
]
COUNT_COLUMNS = {"liked_count": "ln_liked", "collected_count": "ln_collected",
                 "share_count": "ln_share", "comment_count": "ln_comment"}


class CleaningError(RuntimeError):
    """The export cannot be cleaned (e.g. an unreadable count), with file and row."""


@dataclass
class CleaningConfig:
    """Parameters of the cleaning (the study's values are the defaults)."""

    min_post_length: int = 100
    min_comment_length: int = 30
    drop_video: bool = True
    coding_file: str | Path | None = None
    fans_file: str | Path | None = None
    salt: str | None = None


@dataclass
class Ledger:
    """Exclusion records and stage counts, appended stage by stage."""

    exclusions: list[pd.DataFrame] = field(default_factory=list)
    flow: list[dict] = field(default_factory=list)

    def apply(self, kind: str, stage: str, frame: pd.DataFrame, keep: pd.Series, reason: pd.Series | str,
              id_column: str) -> pd.DataFrame:
        """Keep ``frame[keep]``; write one ledger row per excluded record; check conservation."""
        keep = keep.reindex(frame.index).fillna(False).astype(bool)
        dropped = frame.loc[~keep]
        reasons = reason.reindex(dropped.index) if isinstance(reason, pd.Series) else pd.Series(
            reason, index=dropped.index, dtype=object)
        self.exclusions.append(pd.DataFrame({
            "kind": kind, "id": dropped[id_column].astype(str).to_numpy(), "stage": stage,
            "reason": reasons.astype(str).to_numpy(),
        }))
        kept = frame.loc[keep]
        n_in, n_out, n_ex = len(frame), len(kept), len(dropped)
        if n_in != n_out + n_ex:  # pragma: no cover - guards the arithmetic above
            raise AssertionError(f"{kind}/{stage}: {n_in} in != {n_out} kept + {n_ex} excluded")
        self.flow.append({"kind": kind, "stage": stage, "n_in": n_in, "n_out": n_out, "n_excluded": n_ex})
        return kept

    def exclusions_frame(self) -> pd.DataFrame:
        frames = [f for f in self.exclusions if len(f)]
        if not frames:
            return pd.DataFrame(columns=["kind", "id", "stage", "reason"])
        return pd.concat(frames, ignore_index=True)


@dataclass
class CleanResult:
    posts: pd.DataFrame
    comments: pd.DataFrame
    exclusions: pd.DataFrame
    flow: dict
    problems: list[ImportProblem]
    coding: Coding | None = None

    def write(self, out: str | Path) -> Path:
        """Write posts/comments parquet, exclusions.csv, flow.json (and the problems list)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.posts.to_parquet(out / "posts.parquet", index=False)
        self.comments.to_parquet(out / "comments.parquet", index=False)
        self.exclusions.to_csv(out / "exclusions.csv", index=False)
        (out / "flow.json").write_text(json.dumps(self.flow, indent=2, ensure_ascii=False))
        problems = pd.DataFrame([{"file": Path(p.file).name, "row": p.row, "message": p.message}
                                 for p in self.problems], columns=["file", "row", "message"])
        problems.to_csv(out / "import_problems.csv", index=False)
        if self.coding is not None and len(self.coding.disagreements):
            self.coding.disagreements.to_csv(out / "coding_disagreements.csv", index=False)
        return out


def _blank_to_none(ids: pd.Series) -> pd.Series:
    """An empty user ID means unknown, not one shared anonymous user."""
    text = ids.astype(object)
    return text.where(text.notna() & text.astype(str).str.strip().ne(""), None)


def _ln1p(values: pd.Series) -> pd.Series:
    return np.log1p(values.astype("float64"))


def _counts(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(0, index=frame.index, dtype="int64")
    try:
        return parse_counts(frame[column])
    except CountParseError as exc:
        index = exc.index
        raise CleaningError(f"{frame.at[index, '_file']}, row {frame.at[index, '_row']}: column {column}: "
                            f"cannot read {frame.at[index, column]!r} as a count") from exc


def _times(frame: pd.DataFrame, column: str) -> pd.Series:
    try:
        return parse_timestamps(frame[column])
    except TimestampParseError as exc:
        index = exc.index
        raise CleaningError(f"{frame.at[index, '_file']}, row {frame.at[index, '_row']}: column {column}: "
                            f"cannot read {frame.at[index, column]!r} as a timestamp") from exc


def _fans_lookup(export: RawExport, fans_file: str | Path | None) -> tuple[pd.Series | None, str]:
    """Follower count per raw user key, from a user file or the creators table."""
    if fans_file is not None:
        path = Path(fans_file)
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise CleaningError(f"{path}: cannot read follower file ({exc})") from exc
        key = next((c for c in ("user_id", "creator_hash") if c in table.columns), None)
        if key is None or "fans" not in table.columns:
            raise CleaningError(f"{path}: follower file needs columns user_id (or creator_hash) and fans")
        table["_file"], table["_row"] = str(path), range(1, len(table) + 1)
        return pd.Series(_counts(table, "fans").to_numpy(), index=table[key].astype(str)), f"file {path.name}"
    if export.creators is not None and len(export.creators):
        creators = export.creators
        if "last_modify_ts" in creators.columns:
            creators = creators.assign(_ts=pd.to_numeric(creators["last_modify_ts"], errors="coerce"))
            creators = creators.sort_values("_ts", ascending=False)
        creators = creators.drop_duplicates("user_key")
        return pd.Series(_counts(creators, "fans").to_numpy(), index=creators["user_key"]), "creators table"
    return None, "none: the export has no creators table and no follower file was given"


def clean_posts(export: RawExport, config: CleaningConfig, ledger: Ledger, salt: str,
                coding: Coding | None) -> pd.DataFrame:
    notes = export.notes.copy()
    notes["_ts"] = _times(notes, "last_modify_ts")
    # 1. duplicates: the same note crawled more than once -> keep the newest crawl
    order = notes.sort_values(["_ts", "_row"], ascending=[False, False], kind="stable")
    newest = ~order.duplicated("note_id", keep="first")
    notes = ledger.apply("post", "duplicate", order, newest,
                         "older crawl of the same note_id (newest last_modify_ts kept)", "note_id")
    # 2. video notes
    if config.drop_video:
        is_video = notes["type"].astype(str).str.strip().str.lower().eq("video")
        notes = ledger.apply("post", "video", notes, ~is_video, "video note", "note_id")
    # 3. text cleaning (scrub contact details first: cleaning keeps digits)
    title = clean_text(scrub_contacts(notes["title"]))
    body = clean_text(scrub_contacts(notes["title"].astype(str) + " " + notes["desc"].astype(str)))
    notes = notes.assign(title_clean=title, text=body, post_length=study_length(body))
    empty = notes["text"].eq("")
    notes = ledger.apply("post", "text_cleaning", notes, ~empty, "no text left after cleaning", "note_id")
    # 4. short posts
    short = notes["post_length"] < config.min_post_length
    notes = ledger.apply("post", "too_short", notes, ~short,
                         notes["post_length"].map(lambda n: f"post length {n} < {config.min_post_length}"),
                         "note_id")
    # 5. manual self-disclosure coding
    if coding is not None:
        decision = notes["note_id"].map(coding.decision)
        reason = decision.map({False: "coded as not a first-person self-disclosure"}).fillna(
            "not in the coding file")
        notes = ledger.apply("post", "self_disclosure", notes, decision.eq(True), reason, "note_id")

    fans, _ = _fans_lookup(export, config.fans_file)
    publish = _times(notes, "time")
    download = notes["_ts"]
    days = (download - publish).dt.total_seconds() / 86400.0
    out = pd.DataFrame({
        "note_id": notes["note_id"].astype(str),
        "creator_id": salted_hash(_blank_to_none(notes["user_key"]), salt),
        "title": notes["title_clean"],
        "text": notes["text"],
        "publish_time": publish,
        "download_time": download,
        "days_since_post": days.astype("float64"),
        "post_length": notes["post_length"].astype("int64"),
    })
    for column in COUNT_COLUMNS:
        out[column] = _counts(notes, column)
    fans_values = notes["user_key"].map(fans) if fans is not None else pd.Series(np.nan, index=notes.index)
    out["fans"] = pd.array(fans_values.to_numpy(dtype="float64"), dtype="Float64").round().astype("Int64")
    for column, ln_name in COUNT_COLUMNS.items():
        out[ln_name] = _ln1p(out[column])
    out["ln_fans"] = np.log1p(out["fans"].astype("float64"))
    out["ln_days_since_post"] = _ln1p(out["days_since_post"].clip(lower=0))
    out["ln_post_length"] = _ln1p(out["post_length"])
    out["source_keyword"] = notes["source_keyword"].astype(str) if "source_keyword" in notes else ""
    out["_user_key"] = notes["user_key"].to_numpy()
    return out.reset_index(drop=True)


def clean_comments(export: RawExport, posts: pd.DataFrame, config: CleaningConfig, ledger: Ledger,
                   salt: str, problems: list[ImportProblem]) -> pd.DataFrame:
    comments = export.comments
    if comments.empty:
        return pd.DataFrame(columns=COMMENT_COLUMNS)
    comments = comments.copy()
    ts = _times(comments, "last_modify_ts") if "last_modify_ts" in comments else pd.Series(
        pd.NaT, index=comments.index, dtype="datetime64[ns, UTC]")
    comments["_ts"] = ts
    order = comments.sort_values(["_ts", "_row"], ascending=[False, False], kind="stable", na_position="last")
    comments = ledger.apply("comment", "duplicate", order, ~order.duplicated("comment_id", keep="first"),
                            "older crawl of the same comment_id", "comment_id")
    known = comments["note_id"].isin(set(export.notes["note_id"]))
    for _, row in comments.loc[~known].head(20).iterrows():
        problems.append(ImportProblem(row["_file"], int(row["_row"]),
                                      f"comment {row['comment_id']} refers to unknown note {row['note_id']}; "
                                      "excluded (stage unknown_note)"))
    if (~known).sum() > 20:
        problems.append(ImportProblem("(several files)", None,
                                      f"{int((~known).sum()) - 20} more comments refer to unknown notes"))
    comments = ledger.apply("comment", "unknown_note", comments, known, "note_id not in the notes tables",
                            "comment_id")
    kept_notes = set(posts["note_id"])
    comments = ledger.apply("comment", "note_excluded", comments, comments["note_id"].isin(kept_notes),
                            "its post was excluded", "comment_id")
    note_creator = posts.set_index("note_id")["_user_key"]
    author = comments["user_key"].astype(str)
    by_creator = author.ne("") & author.eq(comments["note_id"].map(note_creator).astype(str))
    comments = ledger.apply("comment", "by_post_creator", comments, ~by_creator,
                            "written by the post's creator", "comment_id")
    parent = comments["parent_comment_id"].astype(str).str.strip()
    is_reply = ~parent.isin(["", "0", "nan", "None", "null"])
    comments = ledger.apply("comment", "reply", comments, ~is_reply,
                            "reply to another comment (directed at an audience member)", "comment_id")
    text = clean_text(scrub_contacts(comments["content"]))
    length = study_length(text)
    short = length < config.min_comment_length
    comments = comments.assign(text=text, comment_length=length)
    comments = ledger.apply("comment", "too_short", comments, ~short,
                            comments["comment_length"].map(lambda n: f"comment length {n} < "
                                                                     f"{config.min_comment_length}"),
                            "comment_id")
    like = _counts(comments, "like_count")
    out = pd.DataFrame({
        "comment_id": comments["comment_id"].astype(str),
        "note_id": comments["note_id"].astype(str),
        "audience_id": salted_hash(_blank_to_none(comments["user_key"]), salt),
        "creator_id": comments["note_id"].map(posts.set_index("note_id")["creator_id"]),
        "text": comments["text"],
        "comment_length": comments["comment_length"].astype("int64"),
        "create_time": _times(comments, "create_time"),
        "like_count": like,
    })
    out["ln_comment_length"] = _ln1p(out["comment_length"])
    out["ln_like_count"] = _ln1p(out["like_count"])
    return out.reset_index(drop=True)


def _stage_table(flow: list[dict], kind: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "kind"} for row in flow if row["kind"] == kind]


def clean_export(source: str | Path | RawExport, config: CleaningConfig | None = None) -> CleanResult:
    """Run the whole cleaning on an export folder/file (or an already read :class:`RawExport`)."""
    config = config or CleaningConfig()
    export = source if isinstance(source, RawExport) else read_export(source)
    problems = list(export.problems)
    salt = choose_salt(config.salt)
    coding = read_coding(config.coding_file) if config.coding_file else None
    ledger = Ledger()
    posts = clean_posts(export, config, ledger, salt, coding)
    comments = clean_comments(export, posts, config, ledger, salt, problems)
    _, fans_source = _fans_lookup(export, config.fans_file)
    posts = posts.drop(columns="_user_key")[POST_COLUMNS]
    comments = comments[COMMENT_COLUMNS]
    flow = {
        "posts": {"raw": len(export.notes), "final": len(posts), "stages": _stage_table(ledger.flow, "post")},
        "comments": {"raw": len(export.comments), "final": len(comments),
                     "stages": _stage_table(ledger.flow, "comment")},
        "parameters": {"min_post_length": config.min_post_length,
                       "min_comment_length": config.min_comment_length, "drop_video": config.drop_video},
        "coding": coding.summary() if coding else None,
        "fans_source": fans_source,
        "fans_available": bool(posts["fans"].notna().any()),
        "user_schema": export.user_column,
        "salt": "supplied" if config.salt else "random (not stored)",
        "files": [Path(f).name for f in export.files],
        "n_problems": len(problems),
    }
    return CleanResult(posts=posts, comments=comments, exclusions=ledger.exclusions_frame(), flow=flow,
                       problems=problems, coding=coding)
