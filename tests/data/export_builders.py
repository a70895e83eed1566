"""Builders of small MediaCrawler-shaped rows for the data tests."""

from __future__ import annotations

import pandas as pd

LONG = "我是一名大学生，两年前被确诊为抑郁症，" + "最近总是失眠，心里很难受，" * 10  # > 100 characters
LONG_COMMENT = "抱抱你，我以前也这样，后来每天散步和晒太阳，慢慢就好多了，我们一起加油吧"  # > 30 characters

NOTE_COLUMNS = ["note_id", "type", "title", "desc", "video_url", "time", "last_update_time", "user_id", "nickname",
                "avatar", "liked_count", "collected_count", "comment_count", "share_count", "ip_location",
                "image_list", "tag_list", "last_modify_ts", "note_url", "source_keyword", "xsec_token"]
COMMENT_COLUMNS = ["comment_id", "create_time", "ip_location", "note_id", "content", "user_id", "nickname",
                   "avatar", "sub_comment_count", "pictures", "parent_comment_id", "last_modify_ts", "like_count"]


def note(note_id, user="u_creator_1", kind="normal", desc=LONG, ts="1731400000000", liked="1.2万", **extra):
    row = dict.fromkeys(NOTE_COLUMNS, "")
    row.update(note_id=note_id, type=kind, title="我的日记", desc=desc, time="1700000000000", user_id=user,
               nickname="秘密昵称甲", liked_count=liked, collected_count="1千+", comment_count="3,456",
               share_count="", last_modify_ts=ts, source_keyword="抑郁症", xsec_token="tok123secret")
    row.update(extra)
    return row


def comment(comment_id, note_id, user="u_aud_1", content=LONG_COMMENT, parent="", ts="1731400000000"):
    row = dict.fromkeys(COMMENT_COLUMNS, "")
    row.update(comment_id=comment_id, create_time="1700000500", note_id=note_id, content=content, user_id=user,
               nickname="秘密昵称乙", parent_comment_id=parent, last_modify_ts=ts, like_count="10万+")
    return row


def write_csv(path, rows, columns):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False, encoding="utf-8-sig")
    return path
