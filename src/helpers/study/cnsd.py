"""What the CNSocialDepress paper reports, with the section or table of every value.

Source: Xu et al., "CNSocialDepress: A Chinese Social Media Dataset for Depression Risk
Detection and Structured Analysis", arXiv:2510.11233v2 (CC BY 4.0), as extracted in the
project's ``study_values.yaml`` (``study2_cnsd``).  This module is the only place the CNSD
chapter, its tables and the synthetic generator read a published CNSD number from.

Values the paper does not give are ``None`` and are shown as "not reported".  Chinese
renderings of the representative spans (Section 3 lists them in English only) are the
extractor's guesses (``zh_guess`` in the YAML) and are marked as such wherever they are used.
The internal inconsistencies of the paper are recomputed by functions here, so the chapter
shows the arithmetic rather than a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

CITATION = ("Xu et al. (2026), CNSocialDepress, arXiv:2510.11233v2, CC BY 4.0")
NOT_REPORTED = "not reported"

#: Section 3: selection of users from SWDD.
SELECTION = {"min_posts_per_user": 60, "min_tokens_per_user": 3000, "tokenizer": "Qwen2.5",
             "where": "Section 3"}
#: Section 3: the Gold and Test splits.
SPLITS = {"gold": {"positive": 100, "negative": 100}, "test": {"positive": 16, "negative": 17},
          "where": "Section 3"}
#: Abstract.
ABSTRACT = {"posts": 44178, "users": 233, "annotated_segments": 10306, "where": "Abstract"}

#: Six dimensions (Section 3; levels also in Appendix A.4).  ``spans_zh_guess``: the
#: YAML extractor's Chinese renderings of the English representative spans (not the paper's).
@dataclass(frozen=True)
class Dimension:
    id: str
    key: str
    name: str
    level: str  # "primary" | "secondary"
    covers: tuple[str, ...]
    spans_en: tuple[str, ...]
    spans_zh_guess: tuple[str, ...]


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("Dim1", "psychological_state", "depressive psychological state", "primary",
              ("loss of self-worth", "overwhelming guilt", "suicidal ideation"),
              ("inferiority", "apology", "death", "self-harm", "suicide"),
              ("自卑", "对不起", "道歉", "死", "自残", "自杀")),
    Dimension("Dim2", "medical_expression", "medical expressions related to depression", "primary",
              ("medication use", "clinical diagnoses"),
              ("taking medication", "venlafaxine", "side effects", "depression", "anxiety disorder",
               "hospital", "doctor"),
              ("吃药", "文拉法辛", "副作用", "抑郁症", "焦虑症", "医院", "医生")),
    Dimension("Dim3", "clinical_symptoms", "clinical symptoms related to depression", "primary",
              ("appetite/weight change", "sleep disturbance", "fatigue", "physical pain"),
              ("appetite", "insomnia", "sleeping pills", "nightmares", "tiredness", "headache",
               "stomachache"),
              ("食欲", "失眠", "安眠药", "噩梦", "累", "疲惫", "头疼", "胃疼")),
    Dimension("Dim4", "negative_emotion", "negative emotions", "secondary",
              ("sadness", "grief", "anxiety", "loneliness", "despair"), (), ()),
    Dimension("Dim5", "external_causes", "potential external causes of depression", "secondary",
              ("intimate relationship issues", "family conflict", "major social events",
               "everyday stressors"),
              ("divorce", "parents", "school", "teacher", "dropping out"),
              ("离婚", "父母", "学校", "老师", "退学", "休学")),
    Dimension("Dim6", "language_pattern", "language use patterns related to depression", "secondary",
              ("negation", "questions", "derogatory expressions"),
              ("I don't know", "I don't like myself", "I don't want to", "I can't do it", "why",
               "what should I do"),
              ("不知道", "不喜欢自己", "不想", "做不到", "为什么", "怎么办")),
)
DIMENSIONS_WHERE = "Section 3 (levels also Appendix A.4)"

#: Table 1: dataset statistics.
TABLE1 = {"positive": {"users": 116, "texts": 20360, "tokens": 1024978},
          "negative": {"users": 117, "texts": 23818, "tokens": 1115951}, "where": "Table 1"}
#: Table 2: expert-annotated spans per dimension (columns: negative users, positive users).
TABLE2 = {
    "Dim1": {"negative": 117, "positive": 2127},
    "Dim2": {"negative": 2, "positive": 555},
    "Dim3": {"negative": 126, "positive": 768},
    "Dim4": {"negative": 514, "positive": 2933},
    "Dim5": {"negative": 193, "positive": 863},
    "Dim6": {"negative": 231, "positive": 1877},
    "Total": {"negative": 1183, "positive": 9123},
    "where": "Table 2",
}

#: Section 4.1 / 5.2: Module I.
MODULE_I = {"model": "Qwen2.5-14B", "n_min": 442, "n_min_dimension": "Dim2", "epochs": 1,
            "learning_rate": 5e-5, "method": "LoRA", "framework": "LLaMA-Factory",
            "label_expressions_positive": 20, "label_expressions_negative": 20,
            "supplementary_instructions": 20, "training_texts": 2 * 6 * 442,
            "lora_rank": None, "lora_alpha": None, "batch_size": None,
            "where": "Section 4.1; Section 5.2; Appendix A.2-A.4"}
#: Section 4.2: Module II.
MODULE_II = {"labeller": "fine-tuned Module I", "verifier": "DeepSeek-R1-671B",
             "summary": "few-shot: psychology-expert role, detailed requirements, gold-standard examples",
             "prompt": "Appendix A.7 / Figure 4 (image, not in the text)", "where": "Section 4.2"}
#: Section 4: CNSD Silver.
SILVER = {"positive": 100, "negative": 100, "min_tokens_per_user": 3000, "where": "Section 4"}
#: Section 5.2.
SETUP = {"temperature": 0.7, "gpus": "NVIDIA A800 80GB, A100 80GB",
         "classification_metrics": ("accuracy", "precision", "recall", "F1"),
         "generation_metrics": ("BLEU", "ROUGE-1", "BERTScore"),
         "bleu_tokenisation": None, "rouge_tokenisation": None, "bertscore_model": None,
         "where": "Section 5.2"}

#: Table 3: generation strategies on CNSD Test (FS = few-shot; prompt in Figure 3, an image).
TABLE3 = {
    "Pipeline": {"BERTScore": 0.791, "ROUGE-1": 0.478, "BLEU": 0.288},
    "FS: Qwen2.5-14B": {"BERTScore": 0.649, "ROUGE-1": 0.076, "BLEU": 0.075},
    "FS: GPT-4o": {"BERTScore": 0.678, "ROUGE-1": 0.269, "BLEU": 0.094},
    "FS: GPT-4o Mini": {"BERTScore": 0.674, "ROUGE-1": 0.170, "BLEU": 0.070},
    "FS: DeepSeek-R1-671B": {"BERTScore": 0.678, "ROUGE-1": 0.301, "BLEU": 0.054},
    "FS: DeepSeek-R1-Distill-14B": {"BERTScore": 0.6756, "ROUGE-1": 0.191, "BLEU": 0.073},
    "where": "Table 3",
}
#: Table 4: generation quality (human columns: two linguistic experts; scale not reported).
TABLE4 = {
    "Qwen2.5-14B": {"BERTScore": 0.649, "ROUGE-1": 0.076, "BLEU": 0.075,
                    "Human.acc": 0.583, "Human.cov": 0.574, "Human.hallu": 0.657},
    "Qwen2.5-14B Silver": {"BERTScore": 0.787, "ROUGE-1": 0.218, "BLEU": 0.237,
                           "Human.acc": 0.778, "Human.cov": 0.787, "Human.hallu": 0.759},
    "Qwen2.5-14B Gold": {"BERTScore": 0.764, "ROUGE-1": 0.217, "BLEU": 0.186,
                         "Human.acc": 0.833, "Human.cov": 0.907, "Human.hallu": 0.833},
    "where": "Table 4",
}
HUMAN_EVALUATION = {"raters": 2, "rater_background": "linguistic experts",
                    "criteria": ("accuracy", "coverage", "hallucination"), "scale": None,
                    "hallucination_direction": "higher is better", "where": "Section 5.3.1; Table 4"}
#: Section 5.3.1: relative gains stated in the text (against the base Qwen2.5-14B).
GAINS_STATED = {
    "Gold": {"BERTScore": 0.169, "ROUGE-1": 1.72, "BLEU": 1.49,
             "Human.acc": 0.429, "Human.cov": 0.580, "Human.hallu": 0.268},
    "Silver": {"BERTScore": 0.215, "ROUGE-1": 1.72, "BLEU": 2.18,
               "Human.acc": 0.334, "Human.cov": 0.371, "Human.hallu": 0.155},
    "where": "Section 5.3.1",
}
#: Table 5: user-level classification (stated to be on CNSD Test, Section 5.3).
TABLE5 = {
    "Qwen2.5-14B": {"accuracy": 0.889, "recall": 0.944, "precision": 0.850, "F1": 0.894},
    "Qwen2.5-14B (FT, Silver)": {"accuracy": 0.944, "recall": 0.889, "precision": 1.000, "F1": 0.941},
    "Qwen2.5-14B (FT, Gold)": {"accuracy": 0.861, "recall": 0.889, "precision": 0.842, "F1": 0.864},
    "GPT-4o": {"accuracy": 0.917, "recall": 1.000, "precision": 0.857, "F1": 0.923},
    "GPT-4o-mini": {"accuracy": 0.667, "recall": 1.000, "precision": 0.600, "F1": 0.750},
    "DeepSeek-R1-671B": {"accuracy": 0.861, "recall": 0.944, "precision": 0.801, "F1": 0.872},
    "DeepSeek-R1-Distill-14B": {"accuracy": 0.889, "recall": 1.000, "precision": 0.818, "F1": 0.900},
    "where": "Table 5; Section 5.3.2",
}
#: Table 6: structured summarisation (Section 5.4 says 233 users; the experiment list says Gold).
TABLE6 = {
    "Llama3-8B": {"BERTScore": 0.654, "ROUGE-1": 0.194, "BLEU": 0.122},
    "GLM4-9B-Chat": {"BERTScore": 0.694, "ROUGE-1": 0.208, "BLEU": 0.140},
    "Qwen2.5-7B": {"BERTScore": 0.680, "ROUGE-1": 0.208, "BLEU": 0.093},
    "DeepSeek-R1-671B": {"BERTScore": 0.698, "ROUGE-1": 0.454, "BLEU": 0.125},
    "GPT-4o-mini": {"BERTScore": 0.696, "ROUGE-1": 0.166, "BLEU": 0.126},
    "GPT-4o": {"BERTScore": 0.710, "ROUGE-1": 0.346, "BLEU": 0.152},
    "where": "Table 6; Section 5.4",
}
#: Table 7 (Appendix A.6): accuracy / F1 on each test dataset.
_T7 = (
    ("RoBERTa Chinese (trained on SWDD)", (0.89, 0.90, 0.76, 0.80, 0.88, 0.87)),
    ("RoBERTa Chinese (trained on WU3D)", (0.88, 0.87, 0.90, 0.91, 0.82, 0.78)),
    ("BERT-base-Chinese (trained on SWDD)", (0.89, 0.90, 0.76, 0.80, 0.85, 0.82)),
    ("BERT-base-Chinese (trained on WU3D)", (0.88, 0.87, 0.90, 0.91, 0.83, 0.80)),
    ("StructBERT-mental (trained on SWDD)", (0.81, 0.84, 0.69, 0.76, 0.85, 0.86)),
    ("StructBERT-mental (trained on WU3D)", (0.85, 0.85, 0.92, 0.92, 0.83, 0.80)),
    ("Llama3-8b", (0.86, 0.86, 0.79, 0.79, 0.60, 0.63)),
    ("Glm4-9b-chat", (0.76, 0.81, 0.77, 0.81, 0.79, 0.82)),
    ("Qwen2.5 7b", (0.88, 0.89, 0.84, 0.85, 0.94, 0.94)),
    ("GPT-4o-Mini", (0.65, 0.74, 0.65, 0.74, 0.53, 0.68)),
    ("GPT-4o", (0.92, 0.92, 0.91, 0.92, 0.83, 0.86)),
    ("DeepSeek-R1 671b", (0.86, 0.87, 0.89, 0.90, 0.81, 0.84)),
)
TABLE7_DATASETS = ("SWDD", "WU3D", "CNSD (Gold)")
TABLE7 = {name: {f"{ds} {m}": v for (ds, m), v in zip(
    [(d, m) for d in TABLE7_DATASETS for m in ("Acc", "F1")], cells, strict=True)} for name, cells in _T7}
TABLE7_WHERE = "Table 7 (Appendix A.6); sampling: Section 5.5"
TASK_III_SAMPLING = {"positive": 200, "negative": 200, "where": "Section 5.5"}


# ---------------------------------------------------------------------------------------------
# Internal consistency, recomputed (study_values.yaml: internal_consistency_checks)
# ---------------------------------------------------------------------------------------------

def smallest_denominator(value: float, *, max_den: int = 60, tol: float = 0.0005) -> int | None:
    """The smallest n <= max_den such that ``value`` is k/n rounded to three decimals."""
    for n in range(1, max_den + 1):
        k = round(value * n)
        if abs(k / n - value) <= tol:
            return n
    return None


def table5_denominators() -> list[dict[str, object]]:
    """For each Table 5 row: accuracy as k/36, recall as k/18, and whether they fit 33 / 16 users.

    A 33-user Test split (16 positive) allows accuracies k/33 and recalls k/16 only.
    """
    n_test = SPLITS["test"]["positive"] + SPLITS["test"]["negative"]
    n_pos = SPLITS["test"]["positive"]
    rows = []
    for model, cells in ((k, v) for k, v in TABLE5.items() if k != "where"):
        acc, rec = cells["accuracy"], cells["recall"]
        rows.append({
            "model": model,
            "accuracy": acc, "accuracy as k/36": f"{round(acc * 36)}/36",
            "fits k/33": any(abs(k / n_test - acc) <= 0.0005 for k in range(n_test + 1)),
            "recall": rec, "recall as k/18": f"{round(rec * 18)}/18",
            "fits k/16": any(abs(k / n_pos - rec) <= 0.0005 for k in range(n_pos + 1)),
        })
    return rows


def deepseek_precision_check() -> dict[str, float]:
    """DeepSeek-R1-671B: precision implied by its accuracy and recall on 36 users / 18 positives."""
    cells = TABLE5["DeepSeek-R1-671B"]
    correct = round(cells["accuracy"] * 36)
    tp = round(cells["recall"] * 18)
    tn = correct - tp
    fp = 18 - tn
    implied = tp / (tp + fp)
    f1_printed = 2 * cells["precision"] * cells["recall"] / (cells["precision"] + cells["recall"])
    f1_implied = 2 * implied * cells["recall"] / (implied + cells["recall"])
    return {"TP": tp, "FP": fp, "printed precision": cells["precision"],
            "implied precision": round(implied, 3), "F1 printed": cells["F1"],
            "F1 from printed precision": round(f1_printed, 3),
            "F1 from implied precision": round(f1_implied, 3)}


def gains_check() -> list[dict[str, object]]:
    """Relative gains over the base model: stated in Section 5.3.1 vs what Table 4 allows.

    Table 4 prints three decimals, so each cell stands for an interval of ±0.0005; the gain it
    implies lies between (fine-tuned − 0.0005)/(base + 0.0005) − 1 and
    (fine-tuned + 0.0005)/(base − 0.0005) − 1.  A stated gain is consistent when its own
    rounding interval (±0.05 points when stated to one decimal, ±0.5 for whole percents)
    overlaps that range.
    """
    base = TABLE4["Qwen2.5-14B"]
    rows = []
    for variant in ("Gold", "Silver"):
        cells = TABLE4[f"Qwen2.5-14B {variant}"]
        for metric, stated in GAINS_STATED[variant].items():
            b, f = base[metric], cells[metric]
            lo, hi = (f - 0.0005) / (b + 0.0005) - 1, (f + 0.0005) / (b - 0.0005) - 1
            half = 0.005 if round(stated * 100, 6) == round(stated * 100) else 0.0005
            rows.append({"model": f"Qwen2.5-14B {variant}", "metric": metric, "base": b, "fine-tuned": f,
                         "stated gain": f"{stated:+.1%}", "gain from Table 4": f"{f / b - 1:+.1%}",
                         "range allowed by rounding": f"{lo:+.1%} to {hi:+.1%}",
                         "consistent": stated + half >= lo and stated - half <= hi})
    return rows


def task3_sampling_check() -> dict[str, object]:
    """Section 5.5 draws 200 + 200 users per dataset; CNSD has 116 / 117 (Gold 100 / 100)."""
    pos, neg = TABLE1["positive"]["users"], TABLE1["negative"]["users"]
    want = TASK_III_SAMPLING
    return {"CNSD positive users": pos, "CNSD negative users": neg,
            "sampled positive": want["positive"], "sampled negative": want["negative"],
            "possible": pos >= want["positive"] and neg >= want["negative"]}


def table_sums() -> dict[str, object]:
    """Table 1 and Table 2 totals against the abstract."""
    texts = TABLE1["positive"]["texts"] + TABLE1["negative"]["texts"]
    users = TABLE1["positive"]["users"] + TABLE1["negative"]["users"]
    dims = [f"Dim{i}" for i in range(1, 7)]
    pos = sum(TABLE2[d]["positive"] for d in dims)
    neg = sum(TABLE2[d]["negative"] for d in dims)
    return {"users": users, "users (abstract)": ABSTRACT["users"], "texts": texts,
            "texts (abstract)": ABSTRACT["posts"], "spans positive": pos,
            "spans positive (Table 2 total)": TABLE2["Total"]["positive"], "spans negative": neg,
            "spans negative (Table 2 total)": TABLE2["Total"]["negative"],
            "spans all": pos + neg, "spans (abstract)": ABSTRACT["annotated_segments"]}


def span_shares(column: str = "positive") -> dict[str, float]:
    """Share of each dimension among the Table 2 spans of one user group."""
    dims = [f"Dim{i}" for i in range(1, 7)]
    total = sum(TABLE2[d][column] for d in dims)
    return {d: TABLE2[d][column] / total for d in dims}


def spans_per_text(column: str = "positive") -> float:
    """Annotated spans per text (Table 2 total / Table 1 texts) for one user group."""
    return TABLE2["Total"][column] / TABLE1[column]["texts"]


def per_user(column: str = "positive") -> dict[str, float]:
    """Table 1 per user: texts and tokens, and tokens per text."""
    t = TABLE1[column]
    return {"texts per user": t["texts"] / t["users"], "tokens per user": t["tokens"] / t["users"],
            "tokens per text": t["tokens"] / t["texts"]}


def as_fraction(value: float, denominator: int) -> Fraction:
    """``value`` as k/denominator (for showing Table 5's arithmetic)."""
    return Fraction(round(value * denominator), denominator)
