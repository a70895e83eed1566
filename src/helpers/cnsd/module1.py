"""Module I data preparation (Section 4.1, Appendix A.2-A.4): balanced dimension-labelling data.

The paper's recipe, step by step, as implemented here:

1. ``S_k``: posts of **Gold positive** users with at least one annotated span of dimension
   ``D_k`` (the Gold file cites them as ``text_N[note]`` in dimension *k*'s section).
2. ``n_min = min_k |S_k|`` (442 in the paper, the medical-expressions dimension; ours is
   computed, never copied).
3. Every ``S_k`` larger than ``n_min`` is randomly down-sampled to ``n_min``: 6 × n_min
   positive examples.  The target names the dimension and the annotated evidence span,
   in one of 20 positive label expressions.
4. Negatives: the posts of **Gold negative** users, minus every post annotated with any
   dimension, sampled uniformly to 6 × n_min, each with one of 20 negative expressions.
5. Every example's instruction is the task instruction (all six dimensions with their
   primary/secondary level) plus one of 20 supplementary instructions chosen at random.

All instruction and label wording below was written for this project (the appendix's
sentences are not copied).  The file is alpaca-formatted JSON with a ``dataset_info.json``
entry that LLaMA-Factory (the paper's framework) loads as is; see
:mod:`helpers.cnsd.llamafactory_format`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import DIMENSION_KEYS, DIMENSION_ZH
from helpers.study import cnsd as study

SYSTEM_PROMPT = "你是协助心理学研究的文本标注助手。只依据帖子文字作答，所作判断不构成任何医学诊断。"
LEVEL_ZH = {"primary": "主要判断标准", "secondary": "次要判断标准"}


def task_instruction() -> str:
    """The fixed part: the six dimensions with their level (Appendix A.4's structure)."""
    lines = [f"- {DIMENSION_ZH[d.key]}（{LEVEL_ZH[d.level]}）" for d in study.DIMENSIONS]
    return "本任务涉及抑郁相关的六个维度：\n" + "\n".join(lines)


#: 20 supplementary instructions (one is appended to the task instruction at random).
SUPPLEMENTARY_INSTRUCTIONS: tuple[str, ...] = (
    "请判断下面这段文字是否体现了上述六个维度中的任何一个，并简要说明依据；若都不符合，请说明它不属于任何维度。",
    "阅读下面的帖子，看它是否落入上面列出的某个维度，给出简短理由；如果哪个维度都不沾，就直接说明。",
    "请逐一对照这六个维度检查下面的文字，指出它属于哪个维度及原因；都不属于时请明确写出。",
    "下面是一条社交媒体帖子。它是否表现出以上任一维度？请用一句话说明；若没有，请注明不属于任何维度。",
    "请根据以上维度定义，判断下列文本归属哪个维度并解释；若不属于任何维度，也请说明。",
    "对下面这条内容做维度判断：符合哪个维度、凭什么；如果六个维度都不符合，请写明。",
    "请阅读以下文字，说明它是否含有六个维度之一的表达，并引出相关字句；若无，请说明该文本不涉及任何维度。",
    "判断下面的帖子与上述六个维度的关系：属于哪一个，依据是什么；全不相关时请直接指出。",
    "请检查下文是否出现以上任何一种抑郁相关表达，给出维度名称和简要依据；没有的话请注明。",
    "请对下列帖子进行维度标注：若符合某个维度，写出维度及文本依据；若不符合，写明不属于任何维度。",
    "仔细读下面这段话，判断它有没有体现上述维度中的某一个，并给出理由；若没有，请如实说明。",
    "以下文本是否包含六个维度中的任意一种？请回答所属维度并引用依据；若不包含，请说明。",
    "请用上面的六个维度来衡量下面的帖子：它归入哪个维度、为什么；若无法归入，请写明不属于任何维度。",
    "请判断这条帖子是否表达了以上某一维度的内容，并简单解释；如果没有，请说明它与各维度都无关。",
    "阅读下文并作答：它属于上述哪个维度？依据是哪句话？若不属于任何维度，请直接说明。",
    "请分析下面的文字是否符合六个维度之一，并给出一句话的依据；若均不符合，请注明。",
    "针对下列帖子，请判断其是否涉及上述维度之一并说明理由；不涉及时请写明不属于任何维度。",
    "请确认下面这段内容是否体现了以上任一抑郁相关维度，并写出依据；若没有体现，请说明。",
    "请看下面的帖子，判断是否能归入上述六个维度中的一个，并说明理由；不能归入时请直接写出。",
    "下面的文本需要维度判定：如属于某一维度，请写出维度与证据；如不属于，请注明不属于任何维度。",
)

#: 20 positive label expressions; slots {dim} (dimension) and {evidence} (annotated span).
POSITIVE_EXPRESSIONS: tuple[str, ...] = (
    "这条帖子属于“{dim}”，因为它提到了“{evidence}”。",
    "该文本可归入“{dim}”维度，依据是其中的“{evidence}”。",
    "判断为“{dim}”：文中写到“{evidence}”。",
    "属于“{dim}”。理由：帖子里出现了“{evidence}”。",
    "这段文字体现了“{dim}”，相关表述为“{evidence}”。",
    "本帖归入“{dim}”，因为作者写道“{evidence}”。",
    "维度：“{dim}”。证据：“{evidence}”。",
    "帖子中“{evidence}”这一表达，说明它属于“{dim}”。",
    "可以归为“{dim}”，关键在于“{evidence}”这句话。",
    "该帖子涉及“{dim}”，文中的“{evidence}”是直接依据。",
    "它属于“{dim}”维度，因为提到“{evidence}”。",
    "从“{evidence}”来看，这条内容属于“{dim}”。",
    "符合“{dim}”：帖子出现了“{evidence}”的表述。",
    "这是一条“{dim}”相关的帖子，依据为“{evidence}”。",
    "归类：“{dim}”；支持这一判断的原文是“{evidence}”。",
    "文本提到“{evidence}”，因此属于“{dim}”。",
    "该内容体现“{dim}”，因为其中说到“{evidence}”。",
    "帖子属于“{dim}”这一维度，证据是“{evidence}”。",
    "判断结果：“{dim}”。原因：作者提到“{evidence}”。",
    "这段话落在“{dim}”维度，文中“{evidence}”即为依据。",
)

#: 20 negative label expressions: no evidence for any dimension.
NEGATIVE_EXPRESSIONS: tuple[str, ...] = (
    "这条帖子没有体现任何抑郁相关维度。",
    "文中找不到与六个维度相关的表达，不属于任何维度。",
    "该文本是日常内容，不涉及上述任一维度。",
    "未发现负面情绪或其他维度的证据，不归入任何维度。",
    "这段文字与六个维度都无关。",
    "帖子里没有可作为依据的相关表述，因此不属于任何维度。",
    "判断结果：不属于任何维度。",
    "本帖不包含抑郁相关的表达，六个维度均不符合。",
    "没有看到与这些维度有关的内容，不作归类。",
    "该内容不体现任何一个维度。",
    "文本中不存在支持任一维度的证据。",
    "这条内容属于一般分享，与抑郁相关维度无关。",
    "六个维度都找不到对应的表述，因此不归入任何维度。",
    "帖子没有流露负面情绪，也不涉及其他维度。",
    "经判断，该文本不属于上述任何维度。",
    "此帖未出现与维度相关的字句。",
    "文中没有相关证据，不能归入任何维度。",
    "这段话不符合六个维度中的任何一个。",
    "没有发现任何维度的迹象，不属于任何维度。",
    "该帖子与抑郁相关的六个维度均无关联。",
)


@dataclass
class Module1Data:
    """The balanced examples, the per-dimension pool sizes and the computed n_min."""

    examples: pd.DataFrame  # dimension, polarity, text, evidence, user_key, post_index, supp_id, expr_id
    n_min: int
    positive_counts: dict[str, int]
    negative_pool: int


def positive_sets(posts: pd.DataFrame, evidence: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``S_k``: Gold positive users' posts cited for dimension *k*, with the cited note as evidence.

    ``posts``: ``user_key, label, post_index, text``; ``evidence``: a
    :func:`helpers.cnsd.dataset_io.gold_evidence_frame`.  A post cited twice for the same
    dimension counts once (its notes are joined).
    """
    ev = evidence[evidence["label"] == 1]
    merged = ev.merge(posts[["user_key", "post_index", "text"]], on=["user_key", "post_index"], how="inner")
    out = {}
    for d in DIMENSION_KEYS:
        sub = merged[merged["dimension"] == d]
        sub = (sub.groupby(["user_key", "post_index", "text"], sort=False)["note"]
               .agg(lambda s: "；".join(dict.fromkeys(s))).reset_index()
               .rename(columns={"note": "evidence"}))
        out[d] = sub
    return out


def build_module1(posts: pd.DataFrame, evidence: pd.DataFrame, *, seed: int = 0,
                  n_min: int | None = None) -> Module1Data:
    """Steps 1-4 on the Gold split.  ``n_min`` caps the computed value (for small runs)."""
    rng = np.random.default_rng(seed)
    sets = positive_sets(posts, evidence)
    counts = {d: len(s) for d, s in sets.items()}
    computed = min(counts.values())
    if computed == 0:
        empty = [DIMENSION_ZH[d] for d, c in counts.items() if c == 0]
        raise ValueError(f"no annotated Gold positive posts for {empty}: cannot balance Module I data")
    n = computed if n_min is None else min(n_min, computed)
    cited = set(zip(evidence["user_key"], evidence["post_index"].astype(int), strict=True))
    neg_users = posts["label"].to_numpy() == 0
    clean = np.array([(k, int(i)) not in cited for k, i in zip(posts["user_key"], posts["post_index"],
                                                               strict=True)])
    pool = posts[neg_users & clean]
    if len(pool) < 6 * n:
        raise ValueError(f"only {len(pool)} unannotated posts of Gold negative users; need 6 × {n} = {6 * n}")
    frames = []
    for d in DIMENSION_KEYS:
        pos = sets[d].iloc[rng.choice(len(sets[d]), size=n, replace=False)]
        frames.append(pos.assign(dimension=d, polarity=1))
    neg = pool.iloc[rng.choice(len(pool), size=6 * n, replace=False)]
    frames.append(neg[["user_key", "post_index", "text"]].assign(
        dimension=np.repeat(DIMENSION_KEYS, n), polarity=0, evidence=""))
    examples = pd.concat(frames, ignore_index=True)
    examples["supp_id"] = rng.integers(len(SUPPLEMENTARY_INSTRUCTIONS), size=len(examples))
    examples["expr_id"] = rng.integers(len(POSITIVE_EXPRESSIONS), size=len(examples))
    examples = examples.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)
    cols = ["dimension", "polarity", "text", "evidence", "user_key", "post_index", "supp_id", "expr_id"]
    return Module1Data(examples=examples[cols], n_min=n, positive_counts=counts, negative_pool=len(pool))


def instruction(supp_id: int) -> str:
    """Task instruction + supplementary instruction number ``supp_id``."""
    return f"{task_instruction()}\n\n{SUPPLEMENTARY_INSTRUCTIONS[int(supp_id)]}"


def target(row: pd.Series | dict) -> str:
    """The expected answer: dimension and evidence for positives, 'no dimension' for negatives."""
    if row["polarity"]:
        return POSITIVE_EXPRESSIONS[int(row["expr_id"])].format(dim=DIMENSION_ZH[row["dimension"]],
                                                                evidence=row["evidence"])
    return NEGATIVE_EXPRESSIONS[int(row["expr_id"]) % len(NEGATIVE_EXPRESSIONS)]


def to_alpaca(row: pd.Series | dict) -> dict[str, str]:
    """One example as an alpaca record (no user keys: only instruction, post and answer)."""
    return {"instruction": instruction(row["supp_id"]), "input": row["text"], "output": target(row),
            "system": SYSTEM_PROMPT}


DATASET_INFO_COLUMNS = {"prompt": "instruction", "query": "input", "response": "output", "system": "system"}


def write_sft_files(data: Module1Data, folder: str | Path, *, name: str = "cnsd_module1") -> dict[str, Path]:
    """Write ``<name>.json`` (alpaca records) and ``dataset_info.json`` registering it as ``name``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records = [to_alpaca(row) for row in data.examples.to_dict("records")]
    path = folder / f"{name}.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    info = {name: {"file_name": path.name, "formatting": "alpaca", "columns": DATASET_INFO_COLUMNS}}
    info_path = folder / "dataset_info.json"
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"data": path, "dataset_info": info_path}


def write_llamafactory_config(folder: str | Path, *, model: str, name: str = "cnsd_module1",
                              output_dir: str = "saves/cnsd-module1-lora") -> Path:
    """A ``llamafactory-cli train`` YAML with the paper's settings (Section 4.1 / 5.2).

    LoRA rank, alpha and batch size are not reported by the paper, so they are left at
    LLaMA-Factory's defaults rather than invented.
    """
    folder = Path(folder)
    settings = {
        "model_name_or_path": model, "stage": "sft", "do_train": "true", "finetuning_type": "lora",
        "lora_target": "all", "dataset": name, "dataset_dir": str(folder), "template": "qwen",
        "num_train_epochs": float(study.MODULE_I["epochs"]), "learning_rate": study.MODULE_I["learning_rate"],
        "output_dir": output_dir,
    }
    import yaml

    settings["do_train"] = True
    path = folder / "llamafactory_lora_sft.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def read_sft_conversations(folder: str | Path, name: str = "cnsd_module1") -> list[list[dict]]:
    """Validate the folder as LLaMA-Factory would, then return the chats it would build."""
    from helpers.cnsd.llamafactory_format import alpaca_to_messages, validate_entry

    report = validate_entry(folder, name)
    records = json.loads(Path(report["file"]).read_text(encoding="utf-8"))
    return [alpaca_to_messages(r, report["columns"]) for r in records]


def summary_table(data: Module1Data) -> pd.DataFrame:
    """Per dimension: |S_k| available, positives kept (n_min) and negatives assigned."""
    rows = []
    for d in DIMENSION_KEYS:
        sub = data.examples[data.examples["dimension"] == d]
        rows.append({"dimension": DIMENSION_ZH[d], "|S_k| (Gold positive posts)": data.positive_counts[d],
                     "positives kept": int(sub["polarity"].sum()),
                     "negatives": int((sub["polarity"] == 0).sum())})
    return pd.DataFrame(rows)
