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

Privacy: user IDs are replaced by salted hashes (after hashing ``user_id`` the
way MediaCrawler computes ``creator_hash``, so one person has one identity in
crawls before and after 2026-07) and text is scrubbed of contact details
*before* anything is returned; identifying columns are never carried into the
outputs.  Note and comment IDs (a note ID is the key of its public URL) are
kept in memory, so that a coding file or a synthetic truth can be joined, and
replaced by salted pseudonyms in everything :meth:`CleanResult.write` writes;
the link back goes to a private mapping file outside the rendered outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data.counts import (
    CountParseError,
    TimestampParseError,
    censored_counts,
    parse_counts,
    parse_timestamps,
)
from helpers.data.manual_coding import Coding, read_coding
from helpers.data.mediacrawler import ImportProblem, RawExport, autofilled_title, read_export
from helpers.data.privacy import (
    choose_salt,
    mediacrawler_user_hash,
    pseudonym_map,
    pseudonymise_ids,
    pseudonymise_truth,
    salted_hash,
    scrub_contacts,
)
from helpers.data.text_cleaning import clean_text, study_length

POST_COLUMNS = [
    "note_id", "creator_id", "title", "text", "publish_time", "download_time", "days_since_post",
    "post_length", "liked_count", "collected_count", "share_count", "comment_count", "fans",
    "ln_liked", "ln_collected", "ln_share", "ln_comment", "ln_fans", "ln_days_since_post",
    "ln_post_length", "source_keyword", "title_autofilled",
    "liked_count_censored", "collected_count_censored", "share_count_censored", "comment_count_censored",
]
COMMENT_COLUMNS = [
    "comment_id", "note_id", "audience_id", "creator_id", "text", "comment_length", "create_time",
    "like_count", "ln_comment_length", "ln_like_count", "like_count_censored",
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
    skip_unreadable: bool = False


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
    """The cleaned tables (raw note/comment IDs in memory), the ledger, the flow and the import report."""

    posts: pd.DataFrame
    comments: pd.DataFrame
    exclusions: pd.DataFrame
    flow: dict
    problems: list[ImportProblem]
    coding: Coding | None = None
    import_report: dict = field(default_factory=dict)
    salt: str = field(default="", repr=False)
    source: str = ""

    def _maps(self) -> dict[str, dict[str, str]]:
        """Pseudonym of every note and comment ID the outputs mention, computed once."""
        is_post = self.exclusions["kind"].eq("post")
        notes = pd.concat([self.posts["note_id"], self.comments["note_id"], self.exclusions.loc[is_post, "id"]])
        comments = pd.concat([self.comments["comment_id"], self.exclusions.loc[~is_post, "id"]])
        return {"note": pseudonym_map(notes, self.salt, "note"), "comment": pseudonym_map(comments, self.salt, "comment")}

    def id_map(self, maps: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
        """Pseudonym -> raw ID for every note and comment the outputs mention (private)."""
        frames = [pd.DataFrame({"kind": kind, "id": list(mapping.values()), "raw_id": list(mapping.keys())})
                  for kind, mapping in (maps or self._maps()).items()]
        return pd.concat(frames, ignore_index=True)

    def pseudonymised(self, maps: dict[str, dict[str, str]] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Posts, comments and exclusions with note/comment IDs replaced by salted pseudonyms."""
        maps = maps or self._maps()
        posts = self.posts.assign(note_id=self.posts["note_id"].astype(str).map(maps["note"]))
        comments = self.comments.assign(comment_id=self.comments["comment_id"].astype(str).map(maps["comment"]),
                                        note_id=self.comments["note_id"].astype(str).map(maps["note"]))
        exclusions = self.exclusions.copy()
        is_post = exclusions["kind"].eq("post")
        ids = exclusions["id"].astype(str)
        exclusions["id"] = ids.map(maps["note"]).where(is_post, ids.map(maps["comment"]))
        return posts, comments, exclusions

    def write(self, out: str | Path, private_dir: str | Path | None = None) -> Path:
        """Write the cleaned tables, ledger, flow, import report and problems list to ``out``.

        Every note/comment ID written there is a salted pseudonym.  The mapping
        back to MediaCrawler's IDs (and the coders' disagreement list with real
        IDs, for resolving) goes to ``private_dir`` (default ``out/../private``),
        which the book never stages: keep it with the raw export.  A synthetic
        stand-in's planted truth lying in the export folder is re-keyed to the
        same pseudonyms (:func:`~helpers.data.privacy.pseudonymise_truth`), so the
        chapters that check estimates against it can still join.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        private = Path(private_dir) if private_dir is not None else out.parent / "private"
        maps = self._maps()
        posts, comments, exclusions = self.pseudonymised(maps)
        posts.to_parquet(out / "posts.parquet", index=False)
        comments.to_parquet(out / "comments.parquet", index=False)
        exclusions.to_csv(out / "exclusions.csv", index=False)
        (out / "flow.json").write_text(json.dumps(self.flow, indent=2, ensure_ascii=False))
        problems = pd.DataFrame([{"file": p.file, "row": p.row, "message": p.message, "fatal": p.fatal}
                                 for p in self.problems], columns=["file", "row", "message", "fatal"])
        problems.to_csv(out / "import_problems.csv", index=False)
        (out / "import_report.json").write_text(json.dumps(self.import_report, indent=2, ensure_ascii=False))
        pd.DataFrame(self.import_report.get("files", [])).to_csv(out / "import_report.csv", index=False)
        private.mkdir(parents=True, exist_ok=True)
        self.id_map(maps).to_csv(private / "id_map.csv", index=False)
        (private / "README.txt").write_text(
            "PRIVATE: links the pseudonymous note/comment IDs of the cleaned files to MediaCrawler's IDs\n"
            "(a note ID is the key of the note's public URL). Keep this folder with the raw export;\n"
            "never publish it. The book does not stage it.\n")
        if self.coding is not None and len(self.coding.disagreements):
            disagreements = self.coding.disagreements
            disagreements.to_csv(private / "coding_disagreements.csv", index=False)
            disagreements.assign(note_id=pseudonymise_ids(disagreements["note_id"].astype(str), self.salt, "note")
                                 ).to_csv(out / "coding_disagreements.csv", index=False)
        if self.source:
            folder = Path(self.source) if Path(self.source).is_dir() else Path(self.source).parent
            pseudonymise_truth(folder, self.salt, known=maps)
        return out


def _blank_to_none(ids: pd.Series) -> pd.Series:
    """An empty user ID means unknown, not one shared anonymous user."""
    text = ids.astype(object)
    return text.where(text.notna() & text.astype(str).str.strip().ne(""), None)


def _counts(frame: pd.DataFrame, column: str) -> pd.Series:
    """A count column as nullable integers: a column the export's version lacks is missing, not 0."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    try:
        return parse_counts(frame[column])
    except CountParseError as exc:
        raise _bad_cell(frame, exc.index, column, "a count") from exc


def _censored(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return censored_counts(frame[column])


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)


def _times(frame: pd.DataFrame, column: str) -> pd.Series:
    try:
        return parse_timestamps(frame[column])
    except TimestampParseError as exc:
        raise _bad_cell(frame, exc.index, column, "a timestamp") from exc


def _bad_cell(frame: pd.DataFrame, index, column: str, what: str) -> CleaningError:
    """The error for one unreadable cell, naming its file and row (kept in ``_file``/``_row``)."""
    return CleaningError(f"{frame.at[index, '_file']}, row {frame.at[index, '_row']}: column {column}: "
                         f"cannot read {frame.at[index, column]!r} as {what}")


@dataclass
class Followers:
    """Follower count per canonical user key, and where it came from."""

    fans: pd.Series | None
    source: str
    keyed_by: str = ""
    keys: int = 0


def _fans_lookup(export: RawExport, fans_file: str | Path | None) -> Followers:
    """Follower count per canonical user key, from a user file or the creators table.

    A file keyed by ``user_id`` is hashed the way MediaCrawler hashes it, so it
    matches exports written before or after 2026-07; one keyed by
    ``creator_hash`` is used as it is.
    """
    if fans_file is not None:
        path = Path(fans_file)
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise CleaningError(f"{path}: cannot read follower file ({exc})") from exc
        key = next((c for c in ("creator_hash", "user_id") if c in table.columns), None)
        if key is None or "fans" not in table.columns:
            raise CleaningError(f"{path}: follower file needs columns user_id (or creator_hash) and fans")
        table["_file"], table["_row"] = str(path), range(1, len(table) + 1)
        keys = table[key].astype(str).str.strip() if key == "creator_hash" else mediacrawler_user_hash(table[key])
        fans = pd.Series(_counts(table, "fans").to_numpy(), index=keys.to_numpy())
        fans = fans[~fans.index.duplicated(keep="last")]
        return Followers(fans, f"file {path.name}", key, int(fans.index.nunique()))
    if export.creators is not None and len(export.creators):
        creators = export.creators
        if "last_modify_ts" in creators.columns:
            creators = creators.assign(_ts=pd.to_numeric(creators["last_modify_ts"], errors="coerce"))
            creators = creators.sort_values("_ts", ascending=False)
        creators = creators.drop_duplicates("user_key")
        fans = pd.Series(_counts(creators, "fans").to_numpy(), index=creators["user_key"].to_numpy())
        return Followers(fans, "creators table", "user_id" if "user_id" in creators else "creator_hash",
                         int(len(fans)))
    return Followers(None, "none: the export has no creators table and no follower file was given")


def clean_posts(export: RawExport, config: CleaningConfig, ledger: Ledger, salt: str,
                coding: Coding | None, followers: Followers) -> pd.DataFrame:
    notes = export.notes.copy()
    notes["_ts"] = _times(notes, "last_modify_ts")
    # 1. duplicates: the same note crawled more than once -> keep the newest crawl
    order = notes.sort_values(["_ts", "_row"], ascending=[False, False], kind="stable")
    newest = ~order.duplicated("note_id", keep="first")
    notes = ledger.apply("post", "duplicate", order, newest,
                         "older crawl of the same note_id (newest last_modify_ts kept)", "note_id")
    # 2. video notes
    if config.drop_video:
        is_video = _text(notes, "type").str.strip().str.lower().eq("video")
        notes = ledger.apply("post", "video", notes, ~is_video, "video note", "note_id")
    # 3. text cleaning (scrub contact details first: cleaning keeps digits).  An untitled note's
    #    title is MediaCrawler's copy of desc[:255]: the text is then the description alone.
    raw_title, raw_desc = _text(notes, "title"), _text(notes, "desc")
    filled = autofilled_title(raw_title, raw_desc)
    own_title = raw_title.where(~filled, "")
    title = clean_text(scrub_contacts(own_title))
    body = clean_text(scrub_contacts((own_title + " " + raw_desc).str.strip()))
    notes = notes.assign(title_clean=title, text=body, post_length=study_length(body), _autofilled=filled)
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
    fans = followers.fans
    fans_values = notes["user_key"].map(fans) if fans is not None else pd.Series(np.nan, index=notes.index)
    out["fans"] = pd.array(pd.to_numeric(fans_values, errors="coerce").to_numpy(dtype="float64"),
                           dtype="Float64").round().astype("Int64")
    for column, ln_name in COUNT_COLUMNS.items():
        out[ln_name] = _ln1p(out[column])
    out["ln_fans"] = np.log1p(out["fans"].astype("float64"))
    out["ln_days_since_post"] = _ln1p(out["days_since_post"].clip(lower=0))
    out["ln_post_length"] = _ln1p(out["post_length"])
    out["source_keyword"] = _text(notes, "source_keyword")
    out["title_autofilled"] = notes["_autofilled"].astype(bool)
    for column in ("liked_count", "collected_count", "share_count", "comment_count"):
        out[f"{column}_censored"] = _censored(notes, column).astype(bool)
    out["_user_key"] = notes["user_key"].to_numpy()
    out["_file"] = notes["_file"].to_numpy()
    return out.reset_index(drop=True)


def _ln1p(values: pd.Series) -> pd.Series:
    """ln(x + 1) as float64 with NaN where the count is missing."""
    return np.log1p(pd.to_numeric(values, errors="coerce").astype("float64"))


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
    # problems name file and row, never the IDs (the problems list is written beside the cleaned data)
    for _, row in comments.loc[~known].head(20).iterrows():
        problems.append(ImportProblem(row["_file"], int(row["_row"]),
                                      "comment refers to a note that is not in the export; excluded "
                                      "(stage unknown_note)"))
    if (~known).sum() > 20:
        problems.append(ImportProblem("(several files)", None,
                                      f"{int((~known).sum()) - 20} more comments refer to unknown notes"))
    comments = ledger.apply("comment", "unknown_note", comments, known, "note_id not in the notes tables",
                            "comment_id")
    kept_notes = set(posts["note_id"])
    comments = ledger.apply("comment", "note_excluded", comments, comments["note_id"].isin(kept_notes),
                            "its post was excluded", "comment_id")
    note_creator = posts.set_index("note_id")["_user_key"]
    author = _text(comments, "user_key")
    by_creator = author.ne("") & author.eq(comments["note_id"].map(note_creator).astype(str))
    comments = ledger.apply("comment", "by_post_creator", comments, ~by_creator,
                            "written by the post's creator", "comment_id")
    parent = _text(comments, "parent_comment_id").str.strip()
    is_reply = ~parent.isin(["", "0", "nan", "None", "null"])
    comments = ledger.apply("comment", "reply", comments, ~is_reply,
                            "reply to another comment (directed at an audience member)", "comment_id")
    text = clean_text(scrub_contacts(_text(comments, "content")))
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
    out["like_count_censored"] = _censored(comments, "like_count").astype(bool).to_numpy()
    out["_file"] = comments["_file"].to_numpy()
    return out.reset_index(drop=True)


def _stage_table(flow: list[dict], kind: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "kind"} for row in flow if row["kind"] == kind]


def build_import_report(export: RawExport, posts: pd.DataFrame, comments: pd.DataFrame,
                        followers: Followers, n_problems: int, analysed: dict[str, int] | None = None) -> dict:
    """What the import found and did, per file and overall; names files, never records.

    ``posts``/``comments`` are the *cleaned* tables: the counts of auto-filled
    titles, censored and missing counts describe the analysed sample.
    """
    files = [{**r.as_row(), "analysed": ((analysed or {}).get(r.file, 0) if r.status == "read" else 0)
              if r.kind in ("notes", "comments") else None} for r in export.reports]
    creators = {k for k in export.notes["user_key"].astype(str) if k}
    matched = None
    if followers.fans is not None:
        matched = int(len(creators & set(followers.fans.dropna().index.astype(str))))
    identity = {
        "user_id": "user_id, hashed as MediaCrawler hashes it (sha256[:16]) before salting",
        "creator_hash": "creator_hash as written by MediaCrawler (2026-07 or later), salted",
        "mixed": "user_id (hashed as MediaCrawler hashes it) and creator_hash: one identity per person",
        "none": "no user column filled: creators and audience unknown",
    }[export.user_column]
    assumed = []
    if export.user_column == "mixed":
        assumed.append("files from before and after MediaCrawler's 2026-07 switch to creator_hash were merged; "
                       "user_id was hashed the same way so each person keeps one identity")
    n_filled = int(posts["title_autofilled"].sum()) if len(posts) else 0
    if n_filled:
        assumed.append(f"{n_filled} analysed post(s) had no title (MediaCrawler filled it with the first 255 "
                       "characters of the description): text is the description alone")
    censored = {c: int(posts[f"{c}_censored"].sum()) for c in COUNT_COLUMNS if len(posts)}
    censored["comment like_count"] = int(comments["like_count_censored"].sum()) if len(comments) else 0
    if any(censored.values()):
        assumed.append("counts shown as '10万+' / '1千+' are lower bounds: read as 100000 / 1000 and flagged in "
                       "the *_censored columns")
    missing_likes = int(comments["like_count"].isna().sum()) if len(comments) else 0
    if missing_likes:
        assumed.append(f"{missing_likes} analysed comment(s) have no like count (exports before 2024-08-24): "
                       "missing, not 0")
    return {
        "files": files,
        "n_files_read": sum(r.status == "read" for r in export.reports),
        "n_files_ignored": sum(r.status == "ignored" for r in export.reports),
        "n_files_skipped": sum(r.status.startswith("skipped") for r in export.reports),
        "identity": identity,
        "user_schema": export.user_column,
        "followers": {"source": followers.source, "keyed_by": followers.keyed_by, "keys": followers.keys,
                      "creators_in_export": len(creators), "creators_matched": matched},
        "titles_autofilled": n_filled,
        "censored_counts": censored,
        "comment_likes_missing": missing_likes,
        "ids": "note and comment IDs are salted pseudonyms in every written file; the mapping is private",
        "assumptions": assumed,
        "n_problems": n_problems,
    }


def clean_export(source: str | Path | RawExport, config: CleaningConfig | None = None) -> CleanResult:
    """Run the whole cleaning on an export folder/file (or an already read :class:`RawExport`)."""
    config = config or CleaningConfig()
    export = source if isinstance(source, RawExport) else read_export(source, skip_unreadable=config.skip_unreadable)
    problems = list(export.problems)
    salt = choose_salt(config.salt)
    coding = read_coding(config.coding_file) if config.coding_file else None
    followers = _fans_lookup(export, config.fans_file)
    ledger = Ledger()
    posts = clean_posts(export, config, ledger, salt, coding, followers)
    comments = clean_comments(export, posts, config, ledger, salt, problems)
    # records of each file that reach the analysis (a duplicate counts for the file of its newest crawl)
    analysed = pd.concat([posts["_file"], comments.get("_file", pd.Series(dtype=object))]).value_counts().to_dict()
    posts = posts.drop(columns=["_user_key", "_file"])[POST_COLUMNS]
    comments = comments[COMMENT_COLUMNS]
    report = build_import_report(export, posts, comments, followers, len(problems), analysed)
    flow = {
        "posts": {"raw": len(export.notes), "final": len(posts), "stages": _stage_table(ledger.flow, "post")},
        "comments": {"raw": len(export.comments), "final": len(comments),
                     "stages": _stage_table(ledger.flow, "comment")},
        "parameters": {"min_post_length": config.min_post_length,
                       "min_comment_length": config.min_comment_length, "drop_video": config.drop_video},
        "coding": coding.summary() if coding else None,
        "fans_source": followers.source,
        "fans_available": bool(posts["fans"].notna().any()),
        "fans_matched": report["followers"]["creators_matched"],
        "user_schema": export.user_column,
        "salt": "supplied" if config.salt else "random (not stored)",
        "files": [Path(f).name for f in export.files],
        "n_problems": len(problems),
    }
    return CleanResult(posts=posts, comments=comments, exclusions=ledger.exclusions_frame(), flow=flow,
                       problems=problems, coding=coding, import_report=report, salt=salt, source=export.source)
