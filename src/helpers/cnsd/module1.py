"""Module I data preparation: balanced per-dimension instruction data for supervised fine-tuning.

The study trains a labeller that, given one post and one dimension, says
whether the post shows that dimension.  Its data recipe, reproduced here:

1. **Positive sets.**  For each of the six dimensions, the posts of at-risk
   users that carry evidence for it (expert-annotated segments in the study;
   planted spans or tagger evidence here, chosen by the caller).
2. **Balancing to n_min.**  The rarest dimension sets the size: every
   dimension is down-sampled to ``n_min = min_d |P_d|`` positives so the
   labeller does not learn the dimension prior.  The study's n_min (442) is a
   property of its data; ours is computed, never copied.
3. **Negatives.**  For each dimension, ``n_min`` posts sampled from
   *not-at-risk* users whose posts show *no* dimension evidence, so a "否"
   example is not secretly a positive.
4. **Instructions.**  Each example is wrapped in one of many Chinese
   instruction paraphrases (written for this project) so the model learns the
   task rather than one prompt string.
5. **Format.**  One JSON object per line with a ``messages`` list of
   ``{"role", "content"}`` turns (system/user/assistant).  TRL's ``SFTTrainer``
   reads this natively; LLaMA-Factory reads it as a ``sharegpt``-formatted
   dataset through the ``dataset_info.json`` written beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import DIMENSION_KEYS, DIMENSION_ZH

SYSTEM_PROMPT = "你是一名协助心理学研究的文本标注助手，只依据帖子内容作答，不做医学诊断。"

#: Instruction paraphrases (project-written).  Slots: {dim} dimension name, {post} the post.
INSTRUCTION_TEMPLATES: tuple[str, ...] = (
    "请判断下面这条社交媒体帖子是否体现了“{dim}”这一维度。先回答“是”或“否”，再简要说明依据。\n帖子：{post}",
    "阅读以下帖子，判断其中有没有与“{dim}”相关的表达，回答是或否并给出理由。\n帖子内容：{post}",
    "任务：维度标注。维度：{dim}。帖子：{post}\n请输出“是”或“否”，并用一句话解释。",
    "下面是一位用户发布的内容：{post}\n这条内容是否反映了{dim}？请回答是/否，并指出相关片段。",
    "作为心理学研究的标注员，请评估这条帖子是否包含“{dim}”方面的信号。\n{post}\n答案（是/否）及依据：",
    "帖子：“{post}”\n问题：该帖子是否涉及{dim}？请先给出是或否，再说明原因。",
    "请只根据文字本身判断：这段话里有没有{dim}的迹象？\n文本：{post}",
    "判断任务——维度“{dim}”。待判断文本如下：{post}\n请回答：是 / 否，并摘出支持判断的原文。",
    "以下帖子来自中文社交媒体。请检查它是否表现出{dim}，回答“是”或“否”并附一句解释。\n{post}",
    "你需要给帖子打维度标签。当前维度为“{dim}”。\n帖子正文：{post}\n该帖子属于这一维度吗？",
    "请识别这条微博式短文是否含有{dim}相关内容（是/否），并说明理由：{post}",
    "根据下列内容，判断发帖人是否在表达{dim}方面的信息。请给出是或否，以及判断依据。\n内容：{post}",
)

POSITIVE_ANSWERS: tuple[str, ...] = (
    "是。帖子中“{span}”体现了{dim}。",
    "是。依据：“{span}”。",
    "是，相关片段为“{span}”，属于{dim}。",
)
NEGATIVE_ANSWERS: tuple[str, ...] = (
    "否。帖子内容为日常分享，没有体现{dim}。",
    "否。未发现与{dim}相关的表达。",
    "否，这条帖子不涉及{dim}。",
)


@dataclass
class Module1Data:
    """The balanced examples, their counts and the computed n_min."""

    examples: pd.DataFrame  # dimension, polarity, text, user_key, post_index, template_id
    n_min: int
    positive_counts: dict[str, int]
    negative_pool: int


def positive_sets(posts: pd.DataFrame, evidence: np.ndarray) -> dict[str, pd.DataFrame]:
    """Posts of at-risk users with evidence for each dimension.

    ``posts`` has ``user_key, label, post_index, text``; ``evidence`` is the
    posts × six boolean matrix (planted truth, expert annotation or tagger).
    """
    if len(posts) != len(evidence):
        raise ValueError(f"posts ({len(posts)}) and evidence ({len(evidence)}) differ in length")
    at_risk = posts["label"].to_numpy() == 1
    return {d: posts[at_risk & evidence[:, j]] for j, d in enumerate(DIMENSION_KEYS)}


def build_module1(posts: pd.DataFrame, evidence: np.ndarray, *, seed: int = 0,
                  n_min: int | None = None) -> Module1Data:
    """Balance every dimension to n_min positives and n_min clean negatives (steps 1-3)."""
    rng = np.random.default_rng(seed)
    sets = positive_sets(posts, evidence)
    counts = {d: len(s) for d, s in sets.items()}
    computed = min(counts.values())
    if computed == 0:
        empty = [d for d, c in counts.items() if c == 0]
        raise ValueError(f"no positive posts for dimension(s) {empty}: cannot balance Module I data")
    n = computed if n_min is None else min(n_min, computed)
    clean = (posts["label"].to_numpy() == 0) & ~evidence.any(axis=1)
    pool = posts[clean]
    if len(pool) < n:
        raise ValueError(f"only {len(pool)} evidence-free posts of not-at-risk users; need {n}")
    frames = []
    for d in DIMENSION_KEYS:
        pos = sets[d].iloc[rng.choice(len(sets[d]), size=n, replace=False)]
        neg = pool.iloc[rng.choice(len(pool), size=n, replace=False)]
        frames.append(pos.assign(dimension=d, polarity=1))
        frames.append(neg.assign(dimension=d, polarity=0))
    examples = pd.concat(frames, ignore_index=True)
    examples["template_id"] = rng.integers(len(INSTRUCTION_TEMPLATES), size=len(examples))
    examples = examples.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)
    cols = ["dimension", "polarity", "text", "user_key", "post_index", "template_id"]
    return Module1Data(examples=examples[cols], n_min=n, positive_counts=counts, negative_pool=len(pool))


def to_messages(row: pd.Series, rng: np.random.Generator) -> dict:
    """One example as a chat: system rule, instruction with the post, the expected answer."""
    dim = DIMENSION_ZH[row["dimension"]]
    prompt = INSTRUCTION_TEMPLATES[int(row["template_id"])].format(dim=dim, post=row["text"])
    if row["polarity"]:
        span = row["text"] if len(row["text"]) <= 40 else row["text"][:40] + "…"
        answer = POSITIVE_ANSWERS[rng.integers(len(POSITIVE_ANSWERS))].format(dim=dim, span=span)
    else:
        answer = NEGATIVE_ANSWERS[rng.integers(len(NEGATIVE_ANSWERS))].format(dim=dim)
    return {"messages": [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": prompt},
        {"role": "assistant", "content": answer},
    ]}


def write_sft_files(data: Module1Data, folder: str | Path, *, name: str = "cnsd_module1",
                    seed: int = 0) -> dict[str, Path]:
    """Write ``<name>.jsonl`` (messages format) and a LLaMA-Factory ``dataset_info.json``.

    No user keys go into the training file: only the instruction, post and answer.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    jsonl = folder / f"{name}.jsonl"
    with jsonl.open("w", encoding="utf-8") as fh:
        for _, row in data.examples.iterrows():
            fh.write(json.dumps(to_messages(row, rng), ensure_ascii=False) + "\n")
    info = {
        name: {
            "file_name": jsonl.name,
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"},
        }
    }
    info_path = folder / "dataset_info.json"
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"jsonl": jsonl, "dataset_info": info_path}


def read_sft_jsonl(path: str | Path) -> list[list[dict]]:
    """Read a messages JSONL back, checking each line's shape (clear error naming the line)."""
    conversations = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        msgs = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(msgs, list) or not msgs or not all(
            isinstance(m, dict) and {"role", "content"} <= set(m) for m in msgs
        ):
            raise ValueError(f"{path} line {lineno}: expected {{'messages': [{{'role', 'content'}}, …]}}")
        if msgs[-1]["role"] != "assistant":
            raise ValueError(f"{path} line {lineno}: the last turn must be the assistant's answer")
        conversations.append(msgs)
    return conversations


def summary_table(data: Module1Data) -> pd.DataFrame:
    """Per-dimension counts: available positives, kept positives, negatives."""
    rows = []
    for d in DIMENSION_KEYS:
        sub = data.examples[data.examples["dimension"] == d]
        rows.append({"dimension": DIMENSION_ZH[d], "available positives": data.positive_counts[d],
                     "kept positives": int(sub["polarity"].sum()),
                     "negatives": int((sub["polarity"] == 0).sum())})
    return pd.DataFrame(rows)
