"""Import and cleaning of MediaCrawler exports: quirks, bad inputs, conservation, privacy."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from helpers.data.counts import (
    CountParseError,
    format_count,
    parse_count,
    parse_counts,
    parse_timestamps,
)
from helpers.data.manual_coding import CodingFileError, cohen_kappa, read_coding
from helpers.data.mediacrawler import ExportError, classify, read_export
from helpers.data.pipeline import CleaningConfig, CleaningError, clean_export
from helpers.data.privacy import salted_hash, scrub_contacts
from helpers.data.text_cleaning import clean_text, study_length
from tests.data.export_builders import (  # noqa: F401
    COMMENT_COLUMNS,
    LONG,
    LONG_COMMENT,
    NOTE_COLUMNS,
    comment,
    note,
    write_csv,
)

# ---------------------------------------------------------------- counts and timestamps

@pytest.mark.parametrize("text,value", [("1.2万", 12000), ("10万+", 100000), ("1千+", 1000), ("", 0),
                                        ("3,456", 3456), ("12", 12), (None, None), ("None", None), (7, 7),
                                        ("2w", 20000), ("1亿", 100_000_000), (" 5 ", 5)])
def test_parse_count(text, value):
    assert parse_count(text) == value
    parsed = parse_counts(pd.Series([text], dtype=object)).iloc[0]
    assert (parsed is pd.NA) if value is None else parsed == value


def test_missing_counts_stay_missing_and_lower_bounds_are_flagged():
    from helpers.data.counts import censored_counts, is_censored

    values = pd.Series(["10万+", "1千+", "12", None, "None", ""], dtype=object)
    parsed = parse_counts(values)
    assert str(parsed.dtype) == "Int64" and parsed.isna().tolist() == [False, False, False, True, True, False]
    assert censored_counts(values).tolist() == [True, True, False, False, False, False]
    assert is_censored("10万+") and not is_censored("10万")


def test_parse_counts_names_the_bad_row():
    with pytest.raises(CountParseError, match="row 1") as info:
        parse_counts(pd.Series(["1", "lots"]))
    assert info.value.index == 1
    with pytest.raises(CountParseError):
        parse_count("abc")


def test_format_count_round_trips_within_display_precision():
    for n in (0, 9999, 12345, 10000, 99999, 250000):
        assert abs(parse_count(format_count(n)) - min(n, 100000)) <= 500


def test_parse_timestamps_ms_s_iso():
    out = parse_timestamps(pd.Series(["1700000000000", "1700000000", "2023-11-14T22:13:20Z", ""]))
    assert out.iloc[0] == out.iloc[1] == out.iloc[2] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")
    assert pd.isna(out.iloc[3])
    with pytest.raises(ValueError, match="row 0"):
        parse_timestamps(pd.Series(["not a date"]))


# ---------------------------------------------------------------- text and privacy

def test_clean_text_removes_platform_markup():
    raw = pd.Series(["今天好累#抑郁症[话题]# #情绪[话题]#[哭惹R]@小明 看看 https://xhslink.com/a1B2 OK 123！！"])
    assert clean_text(raw).iloc[0] == "今天好累 看看 OK 123"
    assert study_length(clean_text(raw)).iloc[0] == 4 + 2 + 1 + 1


def test_scrub_contacts():
    text = pd.Series(["加我微信 abc_123456 或 QQ:12345678 电话 138-0013-8000 邮箱 a.b@example.com 谢谢"])
    out = scrub_contacts(text).iloc[0]
    for secret in ("abc_123456", "12345678", "138", "example.com"):
        assert secret not in out
    assert "谢谢" in out


def test_salted_hash_is_keyed_and_stable():
    ids = pd.Series(["u1", "u2", "u1", None])
    a, b = salted_hash(ids, "salt-a"), salted_hash(ids, "salt-b")
    assert a.iloc[0] == a.iloc[2] and a.iloc[0] != a.iloc[1] and a.iloc[3] is None
    assert a.iloc[0] != b.iloc[0] and "u1" not in a.iloc[0]
    with pytest.raises(ValueError):
        salted_hash(ids, "")


# ---------------------------------------------------------------- coding

def test_kappa_and_coding_rules(tmp_path):
    assert cohen_kappa(np.array([1, 1, 0, 0]), np.array([1, 1, 0, 0])) == 1.0
    assert cohen_kappa(np.array([1, 0, 1, 0]), np.array([1, 1, 0, 0])) == pytest.approx(0.0)
    path = tmp_path / "c.csv"
    pd.DataFrame({"note_id": ["a", "b", "c"], "coder_1": [1, 1, 0], "coder_2": [1, 0, 0]}).to_csv(path, index=False)
    coding = read_coding(path)
    assert coding.decision.to_dict() == {"a": True, "b": False, "c": False}
    assert coding.disagreements["note_id"].tolist() == ["b"] and coding.kappa == pytest.approx(0.4)
    pd.DataFrame({"note_id": ["a"], "include": ["maybe"]}).to_csv(path, index=False)
    with pytest.raises(CodingFileError, match="line 2"):
        read_coding(path)
    pd.DataFrame({"id": ["a"]}).to_csv(path, index=False)
    with pytest.raises(CodingFileError, match="note_id"):
        read_coding(path)


# ---------------------------------------------------------------- the pipeline

def test_every_quirk_and_stage(export):
    root, coding = export
    result = clean_export(root, CleaningConfig(coding_file=coding, salt="s"))
    assert result.posts["note_id"].tolist() == ["n1"]  # n4: coders disagree, n5: coded 0
    post = result.posts.iloc[0]
    assert post["liked_count"] == 12000 and post["collected_count"] == 1000 and post["comment_count"] == 3456
    assert post["share_count"] == 0 and post["fans"] == 15000
    assert "13800138000" not in post["text"] and "哭惹" not in post["text"] and "某人" not in post["text"]
    assert post["download_time"] == pd.Timestamp(1731900000000, unit="ms", tz="UTC")
    assert post["days_since_post"] == pytest.approx((1731900000000 - 1700000000000) / 86_400_000)
    assert post["ln_liked"] == pytest.approx(np.log1p(12000))
    assert result.comments["comment_id"].tolist() == ["c1"]
    assert result.comments["like_count"].iloc[0] == 100000 and result.comments["like_count_censored"].iloc[0]
    assert bool(post["collected_count_censored"]) and not bool(post["liked_count_censored"])
    ledger = result.exclusions.set_index(["kind", "id"])["stage"]
    assert ledger[("post", "n1")] == "duplicate" and ledger[("post", "n2")] == "video"
    assert ledger[("post", "n3")] == "too_short" and ledger[("post", "n4")] == "self_disclosure"
    assert ledger[("comment", "c2")] == "by_post_creator" and ledger[("comment", "c3")] == "reply"
    assert ledger[("comment", "c4")] == "too_short" and ledger[("comment", "c5")] == "note_excluded"
    assert ledger[("comment", "c6")] == "unknown_note" and ledger[("comment", "c7")] == "note_excluded"
    assert any("not in the export" in p.message and p.row == 7 and "search_comments" in p.file
               for p in result.problems)
    assert not any("n404" in str(p) for p in result.problems)  # problems are written: no IDs in them
    assert result.flow["coding"]["n_disagreements"] == 1 and result.coding.disagreements["note_id"].tolist() == ["n4"]


def test_conservation_at_every_stage(export):
    root, coding = export
    result = clean_export(root, CleaningConfig(coding_file=coding, salt="s"))
    for kind, ledger_kind in (("posts", "post"), ("comments", "comment")):
        stages = result.flow[kind]["stages"]
        assert stages[0]["n_in"] == result.flow[kind]["raw"]
        for before, after in zip(stages, stages[1:], strict=False):
            assert after["n_in"] == before["n_out"]
        for stage in stages:
            assert stage["n_in"] == stage["n_out"] + stage["n_excluded"]
            assert (result.exclusions.loc[result.exclusions["kind"] == ledger_kind, "stage"] == stage["stage"]).sum() == \
                stage["n_excluded"]
        assert stages[-1]["n_out"] == result.flow[kind]["final"]


def test_thresholds_are_parameters(export):
    root, coding = export
    result = clean_export(root, CleaningConfig(min_post_length=5, min_comment_length=1, drop_video=False,
                                               salt="s"))
    assert {"n1", "n2", "n3", "n4", "n5"} == set(result.posts["note_id"])
    assert "c4" in set(result.comments["comment_id"])


def test_json_jsonl_and_sqlite_exports(tmp_path, export):
    root, _ = export
    notes = pd.read_csv(root / "xhs/csv/search_contents_2024-11-20.csv", dtype=str, keep_default_na=False)
    comments = pd.read_csv(root / "xhs/csv/search_comments_2024-11-20.csv", dtype=str, keep_default_na=False)
    alt = tmp_path / "alt"
    (alt / "json").mkdir(parents=True)
    (alt / "json" / "search_contents_2024-11-20.json").write_text(
        json.dumps(notes.to_dict(orient="records"), ensure_ascii=False))
    (alt / "json" / "search_comments_2024-11-20.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in comments.to_dict(orient="records")))
    via_json = clean_export(alt, CleaningConfig(salt="s"))
    db = tmp_path / "xhs.db"
    with sqlite3.connect(db) as con:
        notes.assign(liked_count=np.arange(len(notes))).to_sql("xhs_note", con, index=False)
        comments.to_sql("xhs_note_comment", con, index=False)
    via_db = clean_export(db, CleaningConfig(salt="s"))
    assert set(via_json.posts["note_id"]) == set(via_db.posts["note_id"]) == {"n1", "n4", "n5"}
    assert len(via_json.comments) == len(via_db.comments) == 2
    assert via_db.flow["fans_available"] is False and "no creators table" in via_db.flow["fans_source"]
    assert via_db.posts["fans"].isna().all() and via_db.posts["ln_fans"].isna().all()


def test_creator_hash_schema_with_fans_file(tmp_path, export):
    root, _ = export
    new = tmp_path / "new" / "csv"
    for name in ("search_contents_2024-11-20.csv", "search_comments_2024-11-20.csv"):
        frame = pd.read_csv(root / "xhs/csv" / name, dtype=str, keep_default_na=False)
        write_csv(new / name, frame.rename(columns={"user_id": "creator_hash"}).to_dict(orient="records"),
                  [c if c != "user_id" else "creator_hash" for c in frame.columns])
    fans = tmp_path / "fans.csv"
    pd.DataFrame({"creator_hash": ["u_creator_1", "u_creator_2"], "fans": ["2万", "7"]}).to_csv(fans, index=False)
    result = clean_export(tmp_path / "new", CleaningConfig(fans_file=fans, salt="s"))
    assert result.flow["user_schema"] == "creator_hash"
    assert result.posts.set_index("note_id").loc["n1", "fans"] == 20000
    # the creator's own comment is still recognised through creator_hash
    assert "c2" not in set(result.comments["comment_id"])


def test_classify_file_names():
    from pathlib import Path
    assert classify(Path("search_contents_2024-11-12.csv")) == "notes"
    assert classify(Path("creator_contents_2024-11-12.json")) == "notes"
    assert classify(Path("search_comments_2024.jsonl")) == "comments"
    assert classify(Path("search_creators_2024.csv")) == "creators"
    assert classify(Path("readme.csv")) is None


# ---------------------------------------------------------------- bad inputs

def test_missing_column_fails_the_run_unless_skipped(export):
    root, _ = export
    broken = root / "xhs/csv/search_contents_2024-11-21.csv"
    write_csv(broken, [{"note_id": "n9", "title": "x"}], ["note_id", "title"])
    with pytest.raises(ExportError, match=r"search_contents_2024-11-21.csv: notes table lacks column\(s\) type, desc"):
        read_export(root)
    raw = read_export(root, skip_unreadable=True)
    problem = next(p for p in raw.problems if "2024-11-21" in p.file)
    assert problem.fatal and "lacks column" in problem.message and "desc" in problem.message
    assert set(raw.notes["note_id"]) == {"n1", "n2", "n3", "n4", "n5"}


def test_gbk_file_is_decoded_with_a_note_and_garbage_fails(export):
    root, _ = export
    gbk = root / "xhs/csv/search_comments_2024-11-21.csv"
    gbk.write_bytes((",".join(COMMENT_COLUMNS) + "\r\nc9,1700000500,,n1,抱抱你,u,,,,,,1731400000000,3\r\n")
                    .encode("gbk"))
    raw = read_export(root)
    assert "抱抱你" in set(raw.comments["content"]) and len(raw.comments) == 9
    report = next(r for r in raw.reports if "2024-11-21" in r.file)
    assert report.encoding == "gb18030" and "GB18030" in " ".join(report.notes)
    garbage = root / "xhs/csv/search_comments_2024-11-22.csv"
    garbage.write_bytes(b"comment_id\n\xff\xff\n")
    with pytest.raises(ExportError, match=r"search_comments_2024-11-22.csv, row 2: neither UTF-8 nor GB18030"):
        read_export(root)
    raw = read_export(root, skip_unreadable=True)  # asked to skip: the rest is read, the file is listed
    assert len(raw.comments) == 9 and any(p.fatal and "2024-11-22" in p.file for p in raw.problems)


def test_unreadable_and_malformed_files(export):
    root, _ = export
    (root / "xhs/csv/search_comments_2024-11-22.jsonl").write_text('{"comment_id": "x"\n')
    (root / "xhs/csv/search_contents_2024-11-22.json").write_text("[{broken")
    with pytest.raises(ExportError, match="search_contents_2024-11-22.json, row 1: invalid JSON"):
        read_export(root)
    raw = read_export(root, skip_unreadable=True)
    messages = " | ".join(str(p) for p in raw.problems)
    assert "search_comments_2024-11-22.jsonl, row 1" in messages  # a bad line is a row problem, not fatal
    assert "search_contents_2024-11-22.json" in messages and "invalid JSON" in messages
    not_a_db = root / "junk.db"
    not_a_db.write_text("hello")
    assert any("junk.db" in str(p) for p in read_export(root, skip_unreadable=True).problems)
    with pytest.raises(ExportError, match="junk.db"):
        read_export(root)


def test_empty_export_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="no such file"):
        read_export(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match="empty export"):
        read_export(tmp_path / "empty")
    write_csv(tmp_path / "only" / "search_contents_1.csv", [], NOTE_COLUMNS)
    with pytest.raises(ExportError, match="no notes"):
        read_export(tmp_path / "only")


def test_unreadable_count_names_file_and_row(export):
    root, _ = export
    write_csv(root / "xhs/csv/search_contents_2024-11-23.csv", [note("n8", liked="很多")], NOTE_COLUMNS)
    with pytest.raises(CleaningError, match=r"search_contents_2024-11-23.csv, row 1: column liked_count"):
        clean_export(root, CleaningConfig(salt="s"))


def test_cli_reports_and_writes(tmp_path, export, capsys):
    from helpers.data.cli import main

    root, coding = export
    assert main([str(root), "--out", str(tmp_path / "clean"), "--coding", str(coding), "--salt", "x"]) == 0
    assert {p.name for p in (tmp_path / "clean").iterdir()} >= {"posts.parquet", "comments.parquet",
                                                                 "exclusions.csv", "flow.json"}
    err = capsys.readouterr().err
    assert "row 7: comment refers to a note that is not in the export" in err and "id_map.csv" in err
    assert (tmp_path / "private" / "id_map.csv").exists()
    assert main([str(root), "--out", str(tmp_path / "c2"), "--strict"]) == 3
    assert main([str(tmp_path / "nothing"), "--out", str(tmp_path / "c3")]) == 2
    (root / "xhs" / "dump.sql").write_text("-- MySQL dump 10.13\nINSERT INTO `xhs_note` VALUES (1);\n")
    assert main([str(root), "--out", str(tmp_path / "c4")]) == 2
    assert "mysql --batch" in capsys.readouterr().err
    assert main([str(root), "--out", str(tmp_path / "c5"), "--skip-unreadable"]) == 0


def test_comments_without_reply_structure_are_kept_with_a_warning(tmp_path, export):
    root, _ = export
    frame = pd.read_csv(root / "xhs/csv/search_comments_2024-11-20.csv", dtype=str, keep_default_na=False)
    (root / "xhs/csv/search_comments_2024-11-20.csv").unlink()
    frame = frame.drop(columns="parent_comment_id")
    write_csv(root / "xhs/csv/search_comments_2024-11-20.csv", frame.to_dict(orient="records"), list(frame.columns))
    result = clean_export(root, CleaningConfig(salt="s"))
    row = next(r for r in result.import_report["files"] if r["file"].endswith("search_comments_2024-11-20.csv"))
    assert "parent_comment_id" in row["notes"] and "top-level" in row["notes"]
    assert "c3" in set(result.comments["comment_id"])  # no longer recognisable as a reply


def test_cli_picks_up_side_files(tmp_path, capsys):
    from helpers.data.cli import main
    from helpers.synth.xhs_corpus import generate, write

    raw = write(generate(scale=0.03, seed=4), tmp_path / "raw")
    assert main([str(raw), "--out", str(tmp_path / "clean")]) == 0
    assert "self_disclosure_coding.csv" in capsys.readouterr().err
    flow = json.loads((tmp_path / "clean" / "flow.json").read_text())
    # the coding file has two coders and no decision: the cleaning keeps posts both coders included
    assert flow["coding"]["rule"] == "both coders said 1"
    assert flow["posts"]["final"] == flow["coding"]["n_included"] > 0
    assert main([str(raw), "--out", str(tmp_path / "c2"), "--no-side-files"]) == 0
    assert json.loads((tmp_path / "c2" / "flow.json").read_text())["coding"] is None


def test_fast_text_cleaning_equals_the_pandas_chain():
    from helpers.data.text_cleaning import clean_text_chain
    from helpers.synth.xhs_corpus import generate

    corpus = generate(scale=0.03, seed=6)
    texts = pd.concat([corpus.comments["content"], corpus.notes["title"] + " " + corpus.notes["desc"],
                       pd.Series(["@abc#tag 你好 [哭R]#话题[话题]# www.x.com/哈哈", "", "OK 1.2万+ a@b.cn"])],
                      ignore_index=True)
    assert clean_text(texts).tolist() == clean_text_chain(texts).tolist()


def test_blank_user_ids_are_unknown_not_one_person(tmp_path):
    root = tmp_path / "e"
    write_csv(root / "search_contents_1.csv", [note("n1", user="")], NOTE_COLUMNS)
    write_csv(root / "search_comments_1.csv", [comment("c1", "n1", user=""), comment("c2", "n1", user="")],
              COMMENT_COLUMNS)
    result = clean_export(root, CleaningConfig(salt="s"))
    assert len(result.comments) == 2  # not mistaken for the (unknown) creator's own comments
    assert result.comments["audience_id"].isna().all() and result.posts["creator_id"].isna().all()
