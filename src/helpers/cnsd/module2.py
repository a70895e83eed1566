"""Module II (Section 4.2): label every post, collect, verify case by case, summarise few-shot.

The four steps, in the paper's order, each a function here and all four in
:func:`run_module2`:

1. **Label** every post of every user with the Module I labeller (the fine-tuned model; offline,
   :class:`NgramLabeller` trained on the Module I file).  Each label carries its evidence.
2. **Collect** the posts assigned to at least one dimension.
3. **Verify** each (post, dimension, evidence) with the verifier backend (DeepSeek-R1-671B in
   the paper; any :mod:`helpers.cnsd.llm_backend` backend here), one call per label.
4. **Summarise** only the verified posts with a few-shot prompt: a psychology-expert role,
   the detailed requirements, and gold-standard analyses of Gold users as examples, in the
   Gold structure (``答案：… 总结和分析: …`` with ``text_N[note]`` citations).

The prompt wording is this project's (the paper's Figure 4 prompt is an image).  Replies are
parsed with the release's own parser, so a malformed reply is counted and kept, not scored
as if it were right.  Generation temperature defaults to the paper's 0.7 (Section 5.2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    DIMENSION_ZH,
    CNSDFormatError,
    CNSDUser,
    parse_output,
)
from helpers.cnsd.llm_backend import ChatBackend
from helpers.study import cnsd as study

DEFAULT_TEMPERATURE = study.SETUP["temperature"]
VERIFY_SYSTEM = ("你是一名严谨的心理学研究助手，负责复核自动标注。你的判断只用于科研数据整理，"
                 "不构成任何医学诊断。")
EXPERT_SYSTEM = ("你是一名熟悉抑郁量表（PHQ-9）和DSM-5标准的心理学专家，为科研数据集撰写用户层面的结构化分析。"
                 "分析只用于研究，不构成诊断。")

_YES_NO = re.compile(r"^\W*(是|否)")
_CLAUSE = re.compile(r"[^，。！？；,.!?;\n…]+")
_QUOTED = re.compile(r"[“\"「]([^”\"」]+)[”\"」]")


# ---------------------------------------------------------------------------------------------
# Step 1: labellers
# ---------------------------------------------------------------------------------------------

class DimensionModel:
    """One dimension's TF-IDF + logistic regression on the labeller's shared n-gram counts.

    Equivalent to ``make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3),
    sublinear_tf=True), LogisticRegression(...))`` fitted on the same texts: the vocabulary
    is the n-grams of this dimension's training texts (``columns`` of the shared count
    matrix, in the vectorizer's sorted order), and ``TfidfTransformer`` applies the same
    sublinear tf, smoothed idf and l2 norm.  Sharing the counts means a post is split into
    n-grams once for all six dimensions instead of six times.
    """

    def __init__(self, counter, columns: np.ndarray, tfidf, classifier) -> None:
        self.counter = counter
        self.columns = columns
        self.tfidf = tfidf
        self.classifier = classifier

    def features(self, counts):
        """TF-IDF rows of this dimension from rows of the shared count matrix."""
        return self.tfidf.transform(counts[:, self.columns])

    def predict_proba_counts(self, counts) -> np.ndarray:
        return self.classifier.predict_proba(self.features(counts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba_counts(self.counter.transform(list(texts)))


class NgramLabeller:
    """Offline Module I labeller: one character n-gram logistic regression per dimension.

    Trained on the Module I examples: for dimension *k*, the positives of *k* against the
    negatives and the other dimensions' positives.  The evidence of a label is the clause of
    the post the dimension's model scores highest.  Posts and clauses are counted into
    n-grams once and scored by all six models in batches (one sparse matrix per call rather
    than one scikit-learn call per post and dimension); ``tests/cnsd`` checks the labels and
    evidence against six separate ``TfidfVectorizer`` pipelines.
    """

    def __init__(self, seed: int = 0, threshold: float = 0.5) -> None:
        self.seed = seed
        self.threshold = threshold
        self.models: dict[str, DimensionModel] = {}
        self.counter = None

    def fit(self, examples: pd.DataFrame) -> NgramLabeller:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        examples = examples.reset_index(drop=True)
        self.counter = CountVectorizer(analyzer="char", ngram_range=(1, 3), dtype=np.float64)
        counts = self.counter.fit_transform(examples["text"].tolist())
        for d in DIMENSION_KEYS:
            is_pos = ((examples["dimension"] == d) & (examples["polarity"] == 1)).to_numpy()
            pos_texts = set(examples.loc[is_pos, "text"])
            is_neg = ((examples["polarity"] == 0)
                      | ((examples["dimension"] != d) & ~examples["text"].isin(pos_texts))).to_numpy()
            if not is_pos.any() or not is_neg.any():
                raise ValueError(f"Module I examples for {DIMENSION_ZH[d]} lack one of the two classes")
            rows = np.r_[np.flatnonzero(is_pos), np.flatnonzero(is_neg)]
            sub = counts[rows]
            columns = np.flatnonzero(sub.getnnz(axis=0) > 0)
            x_counts = sub[:, columns]
            tfidf = TfidfTransformer(sublinear_tf=True).fit(x_counts)
            y = np.r_[np.ones(int(is_pos.sum()), int), np.zeros(int(is_neg.sum()), int)]
            clf = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced", random_state=self.seed)
            self.models[d] = DimensionModel(self.counter, columns, tfidf,
                                            clf.fit(tfidf.transform(x_counts), y))
        return self

    def _check_fitted(self) -> None:
        if not self.models:
            raise RuntimeError("fit the labeller first")

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Texts × six matrix of each dimension model's probability."""
        self._check_fitted()
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(DIMENSION_KEYS)))
        counts = self.counter.transform(texts)
        return np.column_stack([self.models[d].predict_proba_counts(counts)[:, 1] for d in DIMENSION_KEYS])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Boolean matrix texts × six dimensions."""
        return self.probabilities(texts) >= self.threshold

    @staticmethod
    def clauses(text: str) -> list[str]:
        """The clauses a label's evidence is chosen from (the whole text when it has none)."""
        return [c.strip() for c in _CLAUSE.findall(text) if c.strip()] or [text]

    def evidence(self, text: str, dim: str) -> str:
        """The clause of ``text`` the dimension's model scores highest."""
        self._check_fitted()
        return self.evidence_many([(text, dim)])[0]

    def evidence_many(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """:meth:`evidence` for many (text, dimension) pairs, scoring all clauses in one batch."""
        self._check_fitted()
        if not pairs:
            return []
        split = [self.clauses(t) for t, _ in pairs]
        flat = [c for cl in split for c in cl]
        bounds = np.cumsum([0] + [len(cl) for cl in split])
        counts = self.counter.transform(flat)
        scores = np.empty(len(flat))
        dims = np.array([d for _, d in pairs])
        for d in DIMENSION_KEYS:
            which = np.flatnonzero(dims == d)
            if not len(which):
                continue
            rows = np.concatenate([np.arange(bounds[k], bounds[k + 1]) for k in which])
            scores[rows] = self.models[d].predict_proba_counts(counts[rows])[:, 1]
        return [cl[int(np.argmax(scores[bounds[k]:bounds[k + 1]]))] for k, cl in enumerate(split)]

    def label(self, texts: Sequence[str]) -> list[list[tuple[str, str]]]:
        """Per text, the (dimension, evidence) pairs assigned."""
        texts = list(texts)
        pred = self.predict(texts)
        where = np.argwhere(pred)  # row-major: by text, then dimension order
        ev = self.evidence_many([(texts[i], DIMENSION_KEYS[j]) for i, j in where])
        out: list[list[tuple[str, str]]] = [[] for _ in texts]
        for (i, j), e in zip(where, ev, strict=True):
            out[i].append((DIMENSION_KEYS[j], e))
        return out


def parse_label_reply(reply: str) -> list[tuple[str, str]]:
    """(dimension, evidence) pairs from a Module I model's answer (empty for 'no dimension')."""
    quoted = [q for q in _QUOTED.findall(reply) if q not in DIMENSION_ZH.values()]
    dims = [d for d in DIMENSION_KEYS if DIMENSION_ZH[d] in reply]
    if not dims or re.search(r"不属于任何|不涉及|无关|没有体现", reply):
        return []
    return [(d, quoted[0] if quoted else "") for d in dims]


class ChatLabeller:
    """Module I through a chat backend (the fine-tuned LoRA model behind any backend)."""

    def __init__(self, backend: ChatBackend, supp_id: int = 0) -> None:
        self.backend = backend
        self.supp_id = supp_id

    def label(self, texts: Sequence[str]) -> list[list[tuple[str, str]]]:
        from helpers.cnsd.module1 import SYSTEM_PROMPT, instruction

        out = []
        for t in texts:
            reply = self.backend.chat([{"role": "system", "content": SYSTEM_PROMPT},
                                       {"role": "user", "content": f"{instruction(self.supp_id)}\n{t}"}])
            out.append(parse_label_reply(reply))
        return out


def label_posts(labeller, users: Sequence[CNSDUser]) -> pd.DataFrame:
    """Steps 1-2: label every post, keep the (post, dimension, evidence) rows of labelled posts."""
    texts = [p for u in users for p in u.posts]
    keys = [(u.user_key, i) for u in users for i in range(1, u.n_posts + 1)]
    rows = []
    for (key, index), text, labels in zip(keys, texts, labeller.label(texts), strict=True):
        for dim, ev in labels:
            rows.append({"user_key": key, "post_index": index, "text": text, "dimension": dim, "evidence": ev})
    return pd.DataFrame(rows, columns=["user_key", "post_index", "text", "dimension", "evidence"])


# ---------------------------------------------------------------------------------------------
# Step 3: verification
# ---------------------------------------------------------------------------------------------

def verification_messages(post: str, dimension: str, evidence: str = "") -> list[dict[str, str]]:
    """Ask whether one post really shows one dimension, given the labeller's evidence."""
    dim = DIMENSION_ZH[dimension]
    user = (
        "【任务：核实】\n"
        f"【维度：{dim}】\n"
        f"【标注依据】{evidence or '（未给出）'}\n"
        "自动标注认为下面的帖子体现了该维度。请复核：只有帖子文字本身确实表达了该维度时回答“是”；"
        "一时的抱怨、玩笑、转述他人或与该维度无关时回答“否”。第一个字必须是“是”或“否”，随后用一句话说明。\n"
        f"【帖子】{post}"
    )
    return [{"role": "system", "content": VERIFY_SYSTEM}, {"role": "user", "content": user}]


def parse_yes_no(reply: str) -> int | None:
    """1 for 是, 0 for 否, None when the reply starts with neither."""
    m = _YES_NO.match(reply)
    return None if not m else int(m.group(1) == "是")


def verify_labels(backend: ChatBackend, labelled: pd.DataFrame) -> pd.DataFrame:
    """Step 3: one verification call per label; adds ``reply``, ``parse_ok`` and ``verified``.

    An unparseable reply counts as not verified and is flagged in ``parse_ok``.
    """
    if labelled.empty:
        return labelled.assign(reply=pd.Series(dtype=str), parse_ok=pd.Series(dtype=bool),
                               verified=pd.Series(dtype=bool))
    replies = [backend.chat(verification_messages(t, d, e)) for t, d, e in
               zip(labelled["text"], labelled["dimension"], labelled["evidence"], strict=True)]
    parsed = [parse_yes_no(r) for r in replies]
    out = labelled.copy()
    out["reply"] = replies
    out["parse_ok"] = [p is not None for p in parsed]
    out["verified"] = [bool(p) for p in parsed]
    return out


# ---------------------------------------------------------------------------------------------
# Step 4: few-shot structured summary
# ---------------------------------------------------------------------------------------------

REQUIREMENTS = (
    "1. 第一行写 答案：\"是\" 或 答案：\"否\"，表示该用户是否存在抑郁风险；随后写“。总结和分析: ”。\n"
    "2. 按顺序写六个维度，每个维度一行，以“序号. 维度名：”开头。\n"
    "3. 每个维度先给出整体评估，再列出支持它的帖子编号和简短说明，写成 text_编号[说明]；"
    "说明不超过二十字，不要抄录整条帖子。\n"
    "4. 只使用下方列出的、已经复核的帖子；没有证据的维度写“未见相关表达。”\n"
    "5. 最后一行以“综合：”开头，概括各维度是否相互印证。不得编造帖子中没有的内容，不得给出诊断或治疗建议。"
)


def few_shot_examples(gold_users: Sequence[CNSDUser], k: int = 2, *, seed: int = 0) -> list[CNSDUser]:
    """``k`` Gold users with an analysis, one per class first (positive, then negative)."""
    rng = np.random.default_rng(seed)
    with_output = [u for u in gold_users if u.output]
    out: list[CNSDUser] = []
    for label in (1, 0):
        group = [u for u in with_output if u.label == label]
        if group:
            out.append(group[int(rng.integers(len(group)))])
    rest = [u for u in with_output if u not in out]
    for i in rng.permutation(len(rest))[: max(0, k - len(out))]:
        out.append(rest[int(i)])
    return out[:k]


def summary_messages(user: CNSDUser, items: pd.DataFrame | None, examples: Sequence[CNSDUser]
                     ) -> list[dict[str, str]]:
    """Few-shot prompt: expert role, requirements, gold examples, then this user's posts.

    ``items`` are the verified (post, dimension, evidence) rows of this user.  ``None``
    means the plain few-shot strategy (Table 3's FS rows): all posts, without Module I labels.
    """
    shots = "\n\n".join(f"【示例{i}】\n{ex.output}" for i, ex in enumerate(examples, 1)) or "（无）"
    if items is None:
        lines = "\n".join(f"text_{i}：{p}" for i, p in enumerate(user.posts, 1))
        body = f"【该用户的全部帖子】\n{lines}"
    else:
        grouped = items.groupby("post_index", sort=True)
        lines = []
        for i, g in grouped:
            labels = "、".join(f"{DIMENSION_ZH[d]}；{e}" for d, e in zip(g["dimension"], g["evidence"], strict=True))
            lines.append(f"text_{int(i)}（{labels}）：{g['text'].iat[0]}")
        lines = "\n".join(lines)
        body = f"【已复核的帖子（共{len(grouped)}条）】\n{lines or '（无）'}"
    user_msg = (f"【任务：总结】\n【帖子总数】{user.n_posts}\n【要求】\n{REQUIREMENTS}\n"
                f"【金标准示例】\n{shots}\n\n{body}")
    return [{"role": "system", "content": EXPERT_SYSTEM}, {"role": "user", "content": user_msg}]


@dataclass
class UserSummary:
    user_key: str
    reply: str
    answer: int | None
    sections: dict[str, str]
    parse_error: str | None = None


def summarise_users(backend: ChatBackend, users: Sequence[CNSDUser], verified: pd.DataFrame | None,
                    examples: Sequence[CNSDUser]) -> list[UserSummary]:
    """Step 4 for each user; ``verified=None`` runs the plain few-shot strategy instead."""
    results = []
    for u in users:
        items = None
        if verified is not None:
            items = verified[(verified["user_key"] == u.user_key) & verified["verified"]]
        reply = backend.chat(summary_messages(u, items, examples))
        try:
            answer, _, sections = parse_output(reply.strip(), entry=u.user_key)
            results.append(UserSummary(u.user_key, reply, answer, sections))
        except CNSDFormatError as exc:
            results.append(UserSummary(u.user_key, reply, None, {}, parse_error=str(exc)))
    return results


@dataclass
class Module2Result:
    labelled: pd.DataFrame  # steps 1-2
    verified: pd.DataFrame  # step 3
    summaries: list[UserSummary]  # step 4
    examples: list[str] = field(default_factory=list)  # keys of the Gold users used as shots

    def counts(self) -> dict[str, int]:
        return {"posts labelled (>= 1 dimension)": int(self.labelled[["user_key", "post_index"]]
                                                        .drop_duplicates().shape[0]),
                "labels proposed": len(self.labelled), "labels verified": int(self.verified["verified"].sum()),
                "unparseable verifications": int((~self.verified["parse_ok"]).sum()),
                "summaries": len(self.summaries),
                "unparseable summaries": sum(s.answer is None for s in self.summaries)}


def run_module2(users: Sequence[CNSDUser], labeller, verifier: ChatBackend, summariser: ChatBackend,
                gold_users: Sequence[CNSDUser], *, n_examples: int = 2, seed: int = 0) -> Module2Result:
    """Steps 1-4 for ``users``; few-shot examples come from ``gold_users`` only."""
    examples = few_shot_examples(gold_users, n_examples, seed=seed)
    labelled = label_posts(labeller, users)
    verified = verify_labels(verifier, labelled)
    summaries = summarise_users(summariser, users, verified, examples)
    return Module2Result(labelled, verified, summaries, [e.user_key for e in examples])


def label_matrix(rows: pd.DataFrame, posts: pd.DataFrame, *, only_verified: bool = False) -> np.ndarray:
    """Posts × six boolean matrix of the labels in ``rows`` (aligned with ``posts``)."""
    out = np.zeros((len(posts), len(DIMENSION_KEYS)), dtype=bool)
    where = {(k, int(i)): r for r, (k, i) in enumerate(zip(posts["user_key"], posts["post_index"], strict=True))}
    sel = rows[rows["verified"]] if only_verified else rows
    for k, i, d in zip(sel["user_key"], sel["post_index"], sel["dimension"], strict=True):
        r = where.get((k, int(i)))
        if r is not None:
            out[r, DIMENSION_KEYS.index(d)] = True
    return out


def post_level_scores(pred: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """Per-dimension precision/recall/F1 of post labels (scikit-learn), plus micro average."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, support = precision_recall_fscore_support(truth, pred, average=None, zero_division=np.nan)
    rows = [{"dimension": DIMENSION_ZH[d], "labelled": int(pred[:, j].sum()), "true": int(support[j]),
             "precision": p[j], "recall": r[j], "F1": f[j]} for j, d in enumerate(DIMENSION_KEYS)]
    mp, mr, mf, _ = precision_recall_fscore_support(truth, pred, average="micro", zero_division=np.nan)
    rows.append({"dimension": "all (micro)", "labelled": int(pred.sum()), "true": int(truth.sum()),
                 "precision": mp, "recall": mr, "F1": mf})
    return pd.DataFrame(rows)
