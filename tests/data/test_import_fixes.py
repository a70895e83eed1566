"""The importer's fixes for what real MediaCrawler exports do (issue 15), one behaviour per test."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.mediacrawler import ExportError, autofilled_title, detect_version, read_export
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.data.privacy import mediacrawler_user_hash, pseudonymise_ids, pseudonymise_truth

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mediacrawler"
U1, U2 = "5c8a1e2f0000000012345601", "5c8a1e2f0000000012345602"
N2, N5 = "6701a2b3000000001a01f002", "6701a2b3000000001a01f005"


def test_user_hash_is_mediacrawlers_anonymize_user_id():
    # tools/user_hash.py: sha256(str(user_id).strip())[:16]; empty stays empty
    out = mediacrawler_user_hash(pd.Series([" abc ", "", None]))
    assert out.tolist() == ["ba7816bf8f01cfea", "", ""]


def test_autofilled_title_detection():
    desc = pd.Series(["今天很难熬" * 60, "正文", "正文\r\n第二行", ""])
    title = pd.Series([("今天很难熬" * 60)[:255], "我的标题", "正文\n第二行", ""])
    assert autofilled_title(title, desc).tolist() == [True, False, True, False]


def test_detect_version_names_the_commit():
    columns = ["comment_id", "create_time", "note_id", "content", "creator_hash", "nickname", "sub_comment_count",
               "pictures", "parent_comment_id", "last_modify_ts", "like_count"]
    assert "2026-07-01 or later (9f4f8bf)" in detect_version("comments", columns)
    assert detect_version("comments", columns[:4]).startswith("unknown (closest")


def test_one_identity_across_schema_versions():
    raw = read_export(FIXTURES / "v2026_07_sameday_upgrade_csv")
    keys = raw.notes.set_index("note_id")["user_key"]
    # N2 was written by the old code (user_id), N5 after the upgrade (creator_hash): same creator U2
    assert keys[N2] == keys[N5] == mediacrawler_user_hash(pd.Series([U2])).iloc[0]
    assert raw.user_column == "mixed"
    result = clean_export(raw, CleaningConfig(salt="s"))
    assert "one identity per person" in result.import_report["identity"]


def test_follower_file_keyed_by_creator_hash_matches_a_user_id_export(tmp_path):
    fans = tmp_path / "fans.csv"
    hashes = mediacrawler_user_hash(pd.Series([U1, U2]))
    pd.DataFrame({"creator_hash": hashes, "fans": ["1.5万", "120"]}).to_csv(fans, index=False)
    result = clean_export(FIXTURES / "v2024_04_json", CleaningConfig(salt="s", fans_file=fans))
    assert result.posts.set_index("note_id")["fans"].to_dict() == {"6701a2b3000000001a01f001": 15000, N5: 120}
    followers = result.import_report["followers"]
    assert (followers["keyed_by"], followers["keys"], followers["creators_matched"]) == ("creator_hash", 2, 2)


def test_follower_file_that_matches_nobody_says_so(tmp_path):
    fans = tmp_path / "fans.csv"
    pd.DataFrame({"user_id": ["someone_else"], "fans": ["3"]}).to_csv(fans, index=False)
    result = clean_export(FIXTURES / "v2024_04_json", CleaningConfig(salt="s", fans_file=fans))
    assert result.flow["fans_matched"] == 0 and result.posts["fans"].isna().all()


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)


def test_same_day_append_in_an_unknown_order_is_refused_with_the_cause(tmp_path):
    source = FIXTURES / "v2026_07_sameday_upgrade_csv" / "data/xhs/csv/search_contents_2026-07-01.csv"
    with source.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows.append(rows[1][:15])  # a row of a column order no MediaCrawler version wrote
    _write_rows(tmp_path / "csv" / "search_contents_2026-07-01.csv", rows)
    with pytest.raises(ExportError) as info:
        read_export(tmp_path)
    line = next(x for x in str(info.value).splitlines() if "search_contents_2026-07-01.csv" in x)
    assert "row 7" in line and "appended by another MediaCrawler version on the same day" in line
    assert "split the file at row 7" in line


def test_word_cloud_files_do_not_fail_strict_mode(tmp_path, capsys):
    from helpers.data.cli import main

    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "v2024_12_json_wordcloud", export)
    comments = export / "data/xhs/json/search_comments_2024-12-10.json"
    records = [r for r in json.loads(comments.read_text()) if r["note_id"] != "6701a2b3000000001a01f0ff"]
    comments.write_text(json.dumps(records, ensure_ascii=False, indent=4))
    assert main([str(export), "--out", str(tmp_path / "clean"), "--strict", "--salt", "x"]) == 0
    report = json.loads((tmp_path / "clean" / "import_report.json").read_text())
    freq = next(f for f in report["files"] if f["file"].endswith("_word_freq.json"))
    assert freq["status"] == "ignored" and "word-cloud" in freq["notes"]


@pytest.mark.parametrize("name,content,fix", [
    ("old.xls", b"\xd0\xcf\x11\xe0", "save as .xlsx"),
    ("broken.xlsx", b"PK\x03\x04 not really", "save it again as .xlsx"),
    ("pg.sql", b"--\n-- PostgreSQL database dump\n--\n", "\\copy xhs_note TO 'xhs_note.csv' CSV HEADER"),
    ("my.sql", b"-- MySQL dump 10.13\nCREATE TABLE `xhs_note` (id int);\n", "mysql --batch -e 'SELECT * FROM xhs_note'"),
    ("search_contents_1.json", b"[{\"note_id\": ", "re-export it"),
])
def test_each_unreadable_format_gives_its_fix_in_one_line(tmp_path, name, content, fix):
    shutil.copytree(FIXTURES / "v2024_04_json", tmp_path / "export")
    (tmp_path / "export" / name).write_bytes(content)
    with pytest.raises(ExportError) as info:
        read_export(tmp_path / "export")
    lines = [line for line in str(info.value).splitlines() if name in line]
    assert len(lines) == 1 and fix in lines[0], str(info.value)
    assert read_export(tmp_path / "export", skip_unreadable=True).notes["note_id"].nunique() == 5


def test_csv_without_header_says_so(tmp_path):
    shutil.copytree(FIXTURES / "v2026_01_postgres_csv", tmp_path / "export")
    table = tmp_path / "export" / "xhs_note_comment.csv"
    table.write_text("".join(table.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    with pytest.raises(ExportError, match=r"xhs_note_comment.csv: no header row .* mysql --batch"):
        read_export(tmp_path / "export")


def test_mysql_batch_tsv_export_is_read(tmp_path):
    note = pd.read_csv(FIXTURES / "v2026_01_postgres_csv" / "xhs_note.csv", dtype=str, keep_default_na=False)
    note["desc"] = note["desc"].str.replace("，", "\n", n=1, regex=False)
    lines = ["\t".join(note.columns)] + ["\t".join(v.replace("\n", "\\n") if v else "NULL" for v in row)
                                          for row in note.to_numpy()]
    (tmp_path / "xhs_note.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_export(tmp_path)
    assert raw.notes["note_id"].nunique() == 5 and raw.notes["desc"].str.contains("\n").sum() == 4  # N4 has no comma
    assert raw.notes["share_count"].isna().any()  # NULL read as missing


def test_synthetic_truth_follows_the_pseudonyms(tmp_path):
    from helpers.synth.xhs_corpus import generate, write

    raw = write(generate(scale=0.03, seed=3), tmp_path / "raw")
    result = clean_export(raw, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv", salt="synthetic-3"))
    result.write(tmp_path / "clean")  # re-keys the truth lying in the export folder
    truth = pd.read_parquet(raw / "truth_posts.parquet")
    posts = pd.read_parquet(tmp_path / "clean" / "posts.parquet")
    assert set(posts["note_id"]) <= set(truth["note_id"]) and posts["note_id"].str.fullmatch(r"n_[0-9a-f]{16}").all()
    comments = pd.read_parquet(tmp_path / "clean" / "comments.parquet")
    assert set(comments["comment_id"]) <= set(pd.read_parquet(raw / "truth_comments.parquet")["comment_id"])
    # cleaning again under another salt re-keys the truth from the export's IDs (not a hash of a hash)
    again = clean_export(raw, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv", salt="other"))
    again.write(tmp_path / "clean2")
    posts2 = pd.read_parquet(tmp_path / "clean2" / "posts.parquet")
    assert set(posts2["note_id"]) <= set(pd.read_parquet(raw / "truth_posts.parquet")["note_id"])
    assert not set(posts2["note_id"]) & set(posts["note_id"])
    assert sorted(pseudonymise_truth(raw, "other")) == ["truth_comments.parquet", "truth_posts.parquet"]
    assert set(pd.read_parquet(raw / "truth_posts.parquet")["export_note_id"]) >= set(result.posts["note_id"])


def test_pseudonyms_differ_by_kind_and_salt():
    ids = pd.Series(["abc"])
    assert pseudonymise_ids(ids, "s", "note").iloc[0][2:] != pseudonymise_ids(ids, "s", "comment").iloc[0][2:]
    assert pseudonymise_ids(ids, "s", "note").iloc[0] != pseudonymise_ids(ids, "t", "note").iloc[0]


def test_the_book_never_stages_the_private_folder(tmp_path):
    from helpers.book.build import stage_book

    run = tmp_path / "run"
    (run / "private").mkdir(parents=True)
    (run / "private" / "id_map.csv").write_text("kind,id,raw_id\nnote,n_1,SECRET_NOTE_ID_123\n")
    stage = stage_book(run, tmp_path / "stage")
    for path in stage.rglob("*"):
        assert "private" not in path.relative_to(stage).parts
        if path.is_file() and path.suffix in (".md", ".ipynb", ".yml", ".py", ".html", ".csv", ".json"):
            assert "SECRET_NOTE_ID_123" not in path.read_text(errors="ignore"), path
