"""Fixtures of the data tests: a small export with every quirk the cleaner handles."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.data.export_builders import (
    COMMENT_COLUMNS,
    LONG,
    LONG_COMMENT,
    NOTE_COLUMNS,
    comment,
    note,
    write_csv,
)


@pytest.fixture
def export(tmp_path):
    root = tmp_path / "export"
    csv = root / "xhs" / "csv"
    write_csv(csv / "search_contents_2024-11-12.csv", [
        note("n1", ts="1731300000000", liked="5"),  # older crawl of n1
        note("n2", kind="video"),
        note("n3", desc="太短了 #抑郁症[话题]#"),
    ], NOTE_COLUMNS)
    write_csv(csv / "search_contents_2024-11-20.csv", [
        note("n1", ts="1731900000000", desc=LONG + "\n第二段 @某人 [哭惹R] 联系我 13800138000"),
        note("n4", user="u_creator_2", liked="10万+"),
        note("n5", user="u_creator_2"),
    ], NOTE_COLUMNS)
    write_csv(csv / "search_comments_2024-11-20.csv", [
        comment("c1", "n1"),
        comment("c1", "n1", ts="1731000000000"),  # duplicate, older
        comment("c2", "n1", user="u_creator_1"),  # by the post's creator
        comment("c3", "n1", parent="c1"),  # reply to an audience member
        comment("c4", "n1", parent="0", content="抱抱"),  # too short
        comment("c5", "n2"),  # note excluded (video)
        comment("c6", "n404"),  # unknown note
        comment("c7", "n4", user="u_aud_2", content=LONG_COMMENT + " 加我微信 abc_123456 [笑哭R]"),
    ], COMMENT_COLUMNS)
    write_csv(csv / "search_creators_2024-11-20.csv", [
        {"user_id": "u_creator_1", "nickname": "秘密昵称甲", "fans": "1.5万", "last_modify_ts": "1731900000000"},
        {"user_id": "u_creator_2", "nickname": "秘密昵称丙", "fans": "120", "last_modify_ts": "1731900000000"},
    ], ["user_id", "nickname", "fans", "last_modify_ts"])
    coding = root / "coding.csv"
    pd.DataFrame({"note_id": ["n1", "n3", "n4", "n5"], "coder_1": [1, 1, 1, 0],
                  "coder_2": [1, 1, 0, 0]}).to_csv(coding, index=False)
    return root, coding
