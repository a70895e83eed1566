"""Read and write CNSocialDepress-format user files (and SWDD/WU3D-style user JSON(L)).

Why a dedicated loader: the released ``CNSD_dataset.json`` is not a table.  It is
one JSON object keyed ``p_user_N`` (at risk) / ``n_user_N`` (not at risk); each
value holds the user's posts in a single string under the key ``inpput`` (the
misspelling is in the release and must be accepted) as ``text_1: …`` lines,
and an ``output`` string that starts with the binary answer
``答案："是"`` / ``答案："否"`` followed by ``总结和分析:`` and a free-text
analysis organised by six psychological dimensions.  Everything downstream
(statistics, Module I, benchmarks) works on :class:`CNSDUser` records, so the
embedded synthetic corpus is written in exactly this format and read back
through the same code path as the real file.

Errors name the offending entry (user key or line number) so that a broken
file is fixed at its source rather than silently skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The study's six analysis dimensions: (short English key, Chinese heading).
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("psychological_state", "抑郁心理状态"),
    ("medical_expression", "医学表达"),
    ("clinical_symptoms", "临床症状"),
    ("negative_emotion", "负面情绪"),
    ("external_causes", "潜在外部原因"),
    ("language_pattern", "语言使用模式"),
)
DIMENSION_KEYS: tuple[str, ...] = tuple(k for k, _ in DIMENSIONS)
DIMENSION_ZH: dict[str, str] = dict(DIMENSIONS)
DIMENSION_EN: dict[str, str] = {
    "psychological_state": "depressive psychological state",
    "medical_expression": "medical expressions",
    "clinical_symptoms": "clinical symptoms",
    "negative_emotion": "negative emotions",
    "external_causes": "potential external causes",
    "language_pattern": "language-use patterns",
}
#: Alternative headings a human- or LLM-written analysis may use for a dimension.
_HEADING_ALIASES: dict[str, tuple[str, ...]] = {
    "psychological_state": ("抑郁心理状态", "抑郁心理", "心理状态"),
    "medical_expression": ("医学表达", "医疗表达", "医学相关表达"),
    "clinical_symptoms": ("临床症状", "症状表现"),
    "negative_emotion": ("负面情绪", "消极情绪"),
    "external_causes": ("潜在外部原因", "外部原因", "潜在原因"),
    "language_pattern": ("语言使用模式", "语言模式", "语言特征"),
}

_ANSWER_RE = re.compile(r"^\s*答案\s*[:：]\s*[\"“”「『']?\s*(是|否)\s*[\"“”」』']?\s*[。.]?")
_SUMMARY_RE = re.compile(r"总结和分析\s*[:：]?")
_TEXT_LINE_RE = re.compile(r"^\s*text_(\d+)\s*[:：]\s?(.*)$")
_USER_KEY_RE = re.compile(r"^(p|n)_user_(\d+)$")
#: Optional enumeration before a heading: "1.", "1、", "(1)", "（1）", "一、", "- ", "• ".
_ENUM = r"(?:[(（]?\d+\s*[.、)）]\s*|[一二三四五六七]\s*[、.]\s*|[-•*]\s+)?"


class CNSDFormatError(ValueError):
    """A CNSD/SWDD/WU3D file or entry does not have the expected shape."""


@dataclass
class CNSDUser:
    """One user: posts, binary risk label and (when present) the structured analysis."""

    user_key: str
    label: int  # 1 = at risk ("是"), 0 = not at risk ("否")
    posts: list[str]
    answer: int | None = None  # the answer parsed from ``output`` (None when no output)
    analysis: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    output: str = ""

    @property
    def n_posts(self) -> int:
        return len(self.posts)


def split_posts(inpput: str, *, entry: str = "?") -> list[str]:
    """Split an ``inpput`` string into posts at its ``text_N:`` markers.

    A line without a marker continues the previous post (posts may contain
    newlines).  Text before the first marker is an error: it would otherwise be
    silently dropped or glued to the wrong post.
    """
    if not isinstance(inpput, str):
        raise CNSDFormatError(f"entry {entry!r}: 'inpput' must be a string, got {type(inpput).__name__}")
    posts: list[list[str]] = []
    for lineno, line in enumerate(inpput.splitlines(), start=1):
        match = _TEXT_LINE_RE.match(line)
        if match:
            posts.append([match.group(2)])
        elif line.strip():
            if not posts:
                raise CNSDFormatError(
                    f"entry {entry!r}: line {lineno} of 'inpput' comes before any 'text_N:' marker: {line[:40]!r}"
                )
            posts[-1].append(line)
    texts = ["\n".join(parts).strip() for parts in posts]
    texts = [t for t in texts if t]
    if not texts:
        raise CNSDFormatError(f"entry {entry!r}: 'inpput' has no 'text_N:' posts")
    return texts


def join_posts(posts: Iterable[str]) -> str:
    """Inverse of :func:`split_posts`: the ``inpput`` string of the release."""
    return "".join(f"\ntext_{i}: {p}" for i, p in enumerate(posts, start=1))


def parse_output(output: str, *, entry: str = "?") -> tuple[int, str, dict[str, str]]:
    """Parse ``答案："是/否"。总结和分析: …`` into (answer, analysis, sections by dimension).

    Sections are found by their Chinese headings (with common aliases), in any
    order, optionally numbered; a dimension without a heading is absent from
    the dict rather than an error, because real analyses are free text.
    """
    if not isinstance(output, str):
        raise CNSDFormatError(f"entry {entry!r}: 'output' must be a string, got {type(output).__name__}")
    match = _ANSWER_RE.match(output)
    if not match:
        raise CNSDFormatError(
            f"entry {entry!r}: 'output' does not start with 答案：\"是\" or 答案：\"否\": {output[:40]!r}"
        )
    answer = 1 if match.group(1) == "是" else 0
    rest = output[match.end():]
    summary = _SUMMARY_RE.search(rest)
    analysis = rest[summary.end():].strip() if summary else rest.strip()
    return answer, analysis, split_sections(analysis)


def split_sections(analysis: str) -> dict[str, str]:
    """Cut an analysis into the six dimension sections by their headings."""
    hits: list[tuple[int, int, str]] = []
    for key, aliases in _HEADING_ALIASES.items():
        pattern = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
        for m in re.finditer(rf"(?:^|(?<=[\n；;。]))\s*{_ENUM}\**(?:{pattern})\**\s*[:：]", analysis):
            hits.append((m.start(), m.end(), key))
            break
    # An overall conclusion after the six sections ends the last one but is not a dimension.
    for m in re.finditer(rf"(?:^|(?<=[\n；;。]))\s*{_ENUM}\**(?:综合|总体|总结)[^:：\n]{{0,6}}\**\s*[:：]",
                         analysis):
        hits.append((m.start(), m.end(), ""))
    hits.sort()
    sections: dict[str, str] = {}
    for i, (_, end, key) in enumerate(hits):
        stop = hits[i + 1][0] if i + 1 < len(hits) else len(analysis)
        if key:
            sections[key] = analysis[end:stop].strip(" \n；;")
    return sections


def format_output(answer: int, sections: Mapping[str, str], overall: str = "") -> str:
    """Write an analysis in the release's ``output`` format (used by the generator and Module II)."""
    label = "是" if answer else "否"
    lines = [f"{i}. {DIMENSION_ZH[k]}：{sections.get(k, '未见相关表达。')}" for i, k in enumerate(DIMENSION_KEYS, 1)]
    body = "\n".join(lines)
    if overall:
        body = f"{body}\n综合：{overall}"
    return f"答案：\"{label}\"。总结和分析: {body}"


_EVIDENCE_RE = re.compile(r"(?:text|文本)_(\d+)\s*[\[【［]([^\]】］]*)[\]】］]")


def section_evidence(section: str) -> list[tuple[int, str]]:
    """Post indices and notes cited in one dimension section: ``text_12[失眠]`` -> (12, "失眠").

    Figure 2 of the paper: each dimension's analysis "lists post indices with brief
    justifications"; this is how the Gold file carries its post-level annotation.
    """
    return [(int(i), note.strip()) for i, note in _EVIDENCE_RE.findall(section)]


def format_section(assessment: str, items: Iterable[tuple[int, str]] = ()) -> str:
    """One dimension section: an overall assessment, then the cited posts as ``text_N[note]``."""
    cited = "、".join(f"text_{i}[{note}]" for i, note in items)
    return f"{assessment}相关帖子：{cited}。" if cited else assessment


def gold_evidence_frame(users: Iterable[CNSDUser]):
    """One row per (user, post, dimension) cited in the users' analyses, with its note.

    A citation of a post number the user does not have is an error naming the entry: it would
    otherwise train Module I on the wrong post.
    """
    import pandas as pd

    rows = []
    for u in users:
        for dim, section in u.sections.items():
            for index, note in section_evidence(section):
                if not 1 <= index <= u.n_posts:
                    raise CNSDFormatError(f"entry {u.user_key!r}: section {DIMENSION_ZH[dim]} cites "
                                          f"text_{index} but the user has {u.n_posts} posts")
                rows.append({"user_key": u.user_key, "label": u.label, "post_index": index,
                             "dimension": dim, "note": note})
    return pd.DataFrame(rows, columns=["user_key", "label", "post_index", "dimension", "note"])


def evidence_matrix(posts, evidence) -> Any:
    """Boolean posts × six matrix from a :func:`gold_evidence_frame` (rows of ``posts``)."""
    import numpy as np

    out = np.zeros((len(posts), len(DIMENSION_KEYS)), dtype=bool)
    where = {(k, i): r for r, (k, i) in enumerate(zip(posts["user_key"], posts["post_index"], strict=True))}
    for k, i, d in zip(evidence["user_key"], evidence["post_index"], evidence["dimension"], strict=True):
        r = where.get((k, int(i)))
        if r is not None:
            out[r, DIMENSION_KEYS.index(d)] = True
    return out


def parse_user_entry(key: str, value: Any) -> CNSDUser:
    """Turn one ``p_user_N``/``n_user_N`` entry into a :class:`CNSDUser`."""
    m = _USER_KEY_RE.match(key)
    if not m:
        raise CNSDFormatError(f"entry {key!r}: key must look like p_user_N or n_user_N")
    if not isinstance(value, Mapping):
        raise CNSDFormatError(f"entry {key!r}: value must be an object with 'inpput' and 'output'")
    text = value.get("inpput", value.get("input"))
    if text is None:
        raise CNSDFormatError(f"entry {key!r}: missing 'inpput' (the release's spelling) or 'input'")
    label = 1 if m.group(1) == "p" else 0
    posts = split_posts(text, entry=key)
    user = CNSDUser(user_key=key, label=label, posts=posts)
    if "output" in value and value["output"] not in (None, ""):
        answer, analysis, sections = parse_output(value["output"], entry=key)
        user.answer, user.analysis, user.sections, user.output = answer, analysis, sections, value["output"]
    return user


def load_cnsd_json(path: str | Path, *, check_answer: bool = True) -> list[CNSDUser]:
    """Load ``CNSD_dataset.json``; optionally check that each answer agrees with the key prefix."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no CNSD file at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CNSDFormatError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise CNSDFormatError(f"{path}: top level must be an object keyed p_user_N/n_user_N")
    users = [parse_user_entry(str(k), v) for k, v in data.items()]
    if check_answer:
        for u in users:
            if u.answer is not None and u.answer != u.label:
                raise CNSDFormatError(
                    f"entry {u.user_key!r}: answer {'是' if u.answer else '否'} contradicts its key prefix"
                )
    return users


def write_cnsd_json(users: Iterable[CNSDUser], path: str | Path) -> Path:
    """Write users in the release format (keys p_user_N/n_user_N, misspelled ``inpput``)."""
    data = {u.user_key: {"inpput": join_posts(u.posts), "output": u.output} for u in users}
    path = Path(path)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


_LABEL_FIELDS = ("label", "is_depressed", "depressed", "target")
_POSTS_FIELDS = ("tweets", "posts", "weibos", "texts")
_TEXT_FIELDS = ("tweet_content", "content", "text", "weibo")


def _user_from_record(record: Mapping[str, Any], where: str, index: int) -> CNSDUser:
    label_field = next((f for f in _LABEL_FIELDS if f in record), None)
    if label_field is None:
        raise CNSDFormatError(f"{where}: user record has no label field (one of {_LABEL_FIELDS})")
    raw_label = record[label_field]
    try:
        label = int(raw_label)
    except (TypeError, ValueError) as exc:
        raise CNSDFormatError(f"{where}: label {raw_label!r} is not 0/1") from exc
    if label not in (0, 1):
        raise CNSDFormatError(f"{where}: label {raw_label!r} is not 0/1")
    posts_field = next((f for f in _POSTS_FIELDS if f in record), None)
    if posts_field is None:
        raise CNSDFormatError(f"{where}: user record has no posts list (one of {_POSTS_FIELDS})")
    posts: list[str] = []
    for j, item in enumerate(record[posts_field]):
        if isinstance(item, str):
            text = item
        elif isinstance(item, Mapping):
            text_field = next((f for f in _TEXT_FIELDS if f in item), None)
            if text_field is None:
                raise CNSDFormatError(f"{where}: post {j} has no text field (one of {_TEXT_FIELDS})")
            text = str(item[text_field] or "")
        else:
            raise CNSDFormatError(f"{where}: post {j} is neither a string nor an object")
        if text.strip():
            posts.append(text.strip())
    if not posts:
        raise CNSDFormatError(f"{where}: user has no non-empty posts")
    # Identifiers are not carried over: the key is positional, so no user id reaches a page.
    key = f"{'p' if label else 'n'}_user_{index}"
    return CNSDUser(user_key=key, label=label, posts=posts)


def load_user_json(path: str | Path, *, label: int | None = None) -> list[CNSDUser]:
    """Load SWDD/WU3D-style user files: a JSON list or JSON Lines of user records.

    Each record carries a label (``label``; or pass ``label=`` for files that hold
    one class, as WU3D's depressed/normal split does) and a list of posts
    (``tweets``/``posts``/``weibos``: strings or objects with ``tweet_content``/
    ``content``/``text``).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no user file at {path}")
    text = path.read_text(encoding="utf-8-sig")
    records: list[tuple[str, Any]] = []
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CNSDFormatError(f"{path}: not valid JSON ({exc})") from exc
        records = [(f"{path.name} record {i}", r) for i, r in enumerate(data)]
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((f"{path.name} line {lineno}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise CNSDFormatError(f"{path.name} line {lineno}: not valid JSON ({exc})") from exc
    users = []
    for index, (where, record) in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise CNSDFormatError(f"{where}: a user record must be an object")
        if label is not None and not any(f in record for f in _LABEL_FIELDS):
            record = {**record, "label": label}
        users.append(_user_from_record(record, where, index))
    return users


def users_frame(users: Iterable[CNSDUser]):
    """One row per user: key, label, number of posts, characters, answer and section count."""
    import pandas as pd

    rows = [
        {
            "user_key": u.user_key,
            "label": u.label,
            "n_posts": u.n_posts,
            "n_chars": sum(len(p) for p in u.posts),
            "answer": u.answer,
            "n_sections": len(u.sections),
        }
        for u in users
    ]
    return pd.DataFrame(rows)


def posts_frame(users: Iterable[CNSDUser]):
    """One row per post: user key, label, post index (1-based, as ``text_N``) and text."""
    import pandas as pd

    rows = [
        {"user_key": u.user_key, "label": u.label, "post_index": i, "text": p}
        for u in users
        for i, p in enumerate(u.posts, start=1)
    ]
    return pd.DataFrame(rows)
