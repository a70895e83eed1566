"""Each real-version MediaCrawler fixture cleans to exactly the records its expectation file lists.

The fixtures (``tests/fixtures/mediacrawler/``) are written by ``make_fixtures.py``
from MediaCrawler's store code as read commit by commit; the expectation files
(``expected/*.json``) were derived by hand from the crawl described in that
script.  A test also checks that nothing written holds an identifier and that
the private mapping leads back to MediaCrawler's IDs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.mediacrawler import ExportError
from helpers.data.pipeline import CleaningConfig, clean_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mediacrawler"
EXPECTED = sorted((FIXTURES / "expected").glob("*.json"))
USERS = ("5c8a1e2f0000000012345601", "5c8a1e2f0000000012345602", "60d4b3a2000000000100a001",
         "60d4b3a2000000000100a002")
#: Everything that identifies a person or a post: raw IDs, MediaCrawler's unsalted creator_hash (anyone
#: holding a user ID can recompute it), nicknames (plain and masked), the xsec token, avatar URLs.
SECRETS = (
    *USERS, *(hashlib.sha256(u.encode()).hexdigest()[:16] for u in USERS),
    *(f"6701a2b3000000001a01f00{i}" for i in range(1, 6)), "6701a2b3000000001a01f0ff",
    *(f"6702c3d4000000001b02e00{i}" for i in range(1, 9)),
    "林间小鹿", "橘子汽水", "晚风", "一只猫", "林***鹿", "ABxsecTOKENsecret", "sns-avatar",
)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _clean(name: str, expected: dict, **options):
    root = FIXTURES / name
    fans = root / expected["fans_file"] if expected.get("fans_file") else None
    return clean_export(root / expected["source"], CleaningConfig(salt="fixture-salt", fans_file=fans, **options))


def _value(v):
    return None if v is pd.NA or (isinstance(v, float) and v != v) else (v.item() if hasattr(v, "item") else v)


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_fixture_cleans_to_its_expectation(path):
    expected = _load(path)
    if expected.get("error"):
        with pytest.raises(ExportError) as info:
            _clean(path.stem, expected)
        lines = [line for line in str(info.value).splitlines() if expected["error"] in line]
        assert len(lines) == 1 and expected["fix"] in lines[0], str(info.value)  # the fix, in one line
        return
    result = _clean(path.stem, expected)
    ledger = sorted(zip(result.exclusions["kind"], result.exclusions["id"], result.exclusions["stage"],
                        strict=True))
    want = sorted([("post", i, s) for i, s, _ in expected["posts"]["excluded"]]
                  + [("comment", i, s) for i, s, _ in expected["comments"]["excluded"]])
    assert ledger == want
    posts = result.posts.set_index("note_id")
    assert sorted(posts.index) == sorted(expected["posts"]["kept"])
    for note_id, fields in expected["posts"]["kept"].items():
        for column, value in fields.items():
            if column != "why":
                assert _value(posts.at[note_id, column]) == value, (note_id, column)
    comments = result.comments.set_index("comment_id")
    assert sorted(comments.index) == sorted(expected["comments"]["kept"])
    for comment_id, fields in expected["comments"]["kept"].items():
        for column, value in fields.items():
            if column != "why":
                assert _value(comments.at[comment_id, column]) == value, (comment_id, column)
    files = {row["file"]: row for row in result.import_report["files"]}
    for kind, table in (("notes", result.posts), ("comments", result.comments)):  # the counts add up
        assert sum(r["analysed"] for r in files.values() if r["kind"] == kind) == len(table)
    assert result.flow["user_schema"] == expected["user_schema"]
    assert result.flow["fans_matched"] == expected["fans_matched"]
    for name, checks in expected["files"].items():
        row = files[name]
        assert row["kind"] == checks.get("kind", row["kind"]) and row["rows"] == checks.get("rows", row["rows"])
        assert row["status"] == checks.get("status", "read"), row
        assert checks.get("version", "") in row["schema_version"], row
        assert checks.get("format", "") in row["format"], row
        assert checks.get("encoding", row["encoding"]) == row["encoding"], row
        assert checks.get("analysed", row["analysed"]) == row["analysed"], row
        for note in checks.get("notes", []):
            assert note in row["notes"], (name, note, row["notes"])


@pytest.mark.parametrize("path", [p for p in EXPECTED if not _load(p).get("error")], ids=lambda p: p.stem)
def test_nothing_written_identifies_anyone_and_the_private_map_leads_back(path, tmp_path):
    expected = _load(path)
    result = _clean(path.stem, expected)
    out = result.write(tmp_path / "clean")
    for file in out.iterdir():
        text = pd.read_parquet(file).astype(str).to_csv() if file.suffix == ".parquet" else file.read_text()
        for secret in SECRETS:
            assert secret not in text, (file.name, secret)
    mapping = pd.read_csv(tmp_path / "private" / "id_map.csv", dtype=str).set_index("id")["raw_id"]
    posts = pd.read_parquet(out / "posts.parquet")
    assert sorted(posts["note_id"].map(mapping)) == sorted(expected["posts"]["kept"])
    comments = pd.read_parquet(out / "comments.parquet")
    assert sorted(comments["comment_id"].map(mapping)) == sorted(expected["comments"]["kept"])
    ledger = pd.read_csv(out / "exclusions.csv", dtype=str)
    assert ledger["id"].map(mapping).notna().all()


def test_the_old_behaviour_would_have_kept_the_untitled_short_note():
    """The doubling the issue reports: N2's 50 characters counted twice pass the 100-character filter."""
    expected = _load(FIXTURES / "expected" / "v2024_12_json_wordcloud.json")
    result = _clean("v2024_12_json_wordcloud", expected, )
    n2 = "6701a2b3000000001a01f002"
    reason = result.exclusions.set_index("id").loc[n2, "reason"]
    assert reason == "post length 50 < 100"  # 2 × 50 = 100 would have passed


def test_fixtures_are_what_the_generator_writes(tmp_path):
    """The committed fixtures are reproducible from make_fixtures.py (no hand edits)."""
    import importlib.util
    import shutil

    copy = tmp_path / "mediacrawler"
    shutil.copytree(FIXTURES, copy, ignore=shutil.ignore_patterns("expected", "*.db", "*.xlsx", "__pycache__"))
    spec = importlib.util.spec_from_file_location("make_fixtures_copy", copy / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for make in module.ALL:
        make()
    for original in FIXTURES.rglob("*"):
        if original.is_file() and original.suffix in (".csv", ".json", ".jsonl", ".sql") \
                and "expected" not in original.parts:
            twin = copy / original.relative_to(FIXTURES)
            assert twin.read_bytes() == original.read_bytes(), original
