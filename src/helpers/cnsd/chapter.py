"""The steps of chapter 05, as functions the notebook calls and the tests run on fixtures.

Each function is one step of the paper's protocol (Sections 3-5) and works the same on the
embedded synthetic corpus and on any file in the release's ``CNSD_dataset.json`` format, so
a real download (or the Weibo fixture in ``tests/cnsd``) runs through the whole chapter by
pointing ``cnsd_path`` at it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cnsd import benchmarks as bench
from helpers.cnsd.dataset_io import (
    DIMENSION_KEYS,
    CNSDUser,
    evidence_matrix,
    format_output,
    gold_evidence_frame,
    load_cnsd_json,
)
from helpers.cnsd.text_metrics import BertScorer, generation_metrics_by_system
from helpers.jsonio import json_default


@dataclass
class Corpus:
    users: list[CNSDUser]
    truth: pd.DataFrame | None  # planted post-level truth (synthetic corpus only)
    synthetic: bool
    path: Path


def load_corpus(cnsd_path: str | Path | None, *, scale: float, seed: int, folder: Path) -> Corpus:
    """The supplied release-format file, or the embedded synthetic corpus written to ``folder``."""
    if cnsd_path:
        path = Path(cnsd_path)
        return Corpus(load_cnsd_json(path), None, False, path)
    from helpers.synth.cnsd_corpus import generate_corpus, write_corpus

    corpus = generate_corpus(scale=scale, seed=seed)
    paths = write_corpus(corpus, folder)
    users = load_cnsd_json(paths["dataset"])
    return Corpus(users, corpus.truth, True, paths["dataset"])


def post_truth(posts: pd.DataFrame, corpus: Corpus) -> tuple[np.ndarray, str]:
    """Post-level dimension truth and where it comes from.

    Synthetic: the planted spans (complete).  A file: the posts cited per dimension in the
    users' analyses (``text_N[note]``), which is all the release records; where annotators
    cited only some evidence posts, precision measured against it is a lower bound.
    """
    if corpus.truth is not None:
        truth = corpus.truth.set_index(["user_key", "post_index"])
        dims = truth.loc[list(zip(posts["user_key"], posts["post_index"], strict=True)), "dims"].fillna("")
        out = np.zeros((len(posts), len(DIMENSION_KEYS)), dtype=bool)
        for i, ds in enumerate(dims):
            for d in filter(None, ds.split("|")):
                out[i, DIMENSION_KEYS.index(d)] = True
        return out, "planted spans (synthetic corpus)"
    return evidence_matrix(posts, gold_evidence_frame(corpus.users)), "posts cited in the analyses (text_N[note])"


def span_table(corpus: Corpus) -> tuple[pd.DataFrame, str]:
    """One row per span (label, dimension) for Table 2, and its source."""
    from helpers.cnsd.tables import span_counts_from_truth

    if corpus.truth is not None:
        return span_counts_from_truth(corpus.truth), "planted spans"
    ev = gold_evidence_frame(corpus.users)
    return ev[["user_key", "label", "dimension"]], "cited text_N[note] items"


def subset_posts(posts: pd.DataFrame, users: Sequence[CNSDUser]) -> np.ndarray:
    """Boolean mask of the rows of ``posts`` that belong to ``users``."""
    return posts["user_key"].isin({u.user_key for u in users}).to_numpy()


def template_floor(users: Sequence[CNSDUser]) -> list[str]:
    """A fixed answer that says 'nothing observed' for every dimension: the floor to beat."""
    return [format_output(0, {}) for _ in users]


def generation_rows(candidates: Mapping[str, Sequence[str]], references: Sequence[str],
                    scorer: BertScorer | None, *, max_bertscore: int = 0) -> dict[str, dict[str, float]]:
    """BLEU, character ROUGE-1 and BERTScore (on the first ``max_bertscore`` pairs; 0 = all)."""
    out = generation_metrics_by_system(candidates, references)
    if scorer is not None:
        # One BERTScore call for all systems: bert-score embeds each distinct sentence of a call
        # once, so the shared references are encoded once instead of once per system (the
        # per-pair scores do not depend on what else is in the call).
        n = max_bertscore or len(references)
        refs = list(references)[:n]
        names = list(candidates)
        pooled_cands = [c for name in names for c in list(candidates[name])[:n]]
        f1 = scorer.score(pooled_cands, refs * len(names))["f1"]
        for k, name in enumerate(names):
            out[name]["BERTScore"] = float(np.mean(f1[k * len(refs):(k + 1) * len(refs)]))
    return out


def bertscore_coverage(max_users: int, n_users: int, split: str) -> str:
    """One sentence saying how many of a split's users BERTScore covered in this run."""
    n = min(max_users, n_users) if max_users else n_users
    if n == n_users:
        return f"BERTScore covers all {n_users} {split} users, like BLEU and ROUGE-1."
    return (f"BERTScore covers the first **{n} of {n_users}** {split} users (`bertscore_max_users={max_users}`, "
            f"sized for a CPU build); the other {n_users - n} get BLEU and ROUGE-1 only. "
            "`bertscore_max_users=0` scores all of them.")


def encoder_probe_coverage(max_posts: int, users: Sequence[CNSDUser]) -> str:
    """One sentence saying how much of each timeline the encoder probe saw in this run."""
    used = sum(min(max_posts, u.n_posts) for u in users)
    total = sum(u.n_posts for u in users)
    return (f"The encoder probe embedded **{used:,} of {total:,}** posts ({max_posts} random "
            f"post{'s' if max_posts != 1 else ''} per user, `encoder_max_posts={max_posts}`); the rest of each "
            "timeline is unseen by it. Raise `encoder_max_posts` (on a GPU) for a probe of whole timelines.")


def user_docs(users: Sequence[CNSDUser]) -> list[str]:
    return ["\n".join(u.posts) for u in users]


def classification_rows(gold: Sequence[CNSDUser], test: Sequence[CNSDUser], *, seed: int, n_boot: int,
                        encoder_path: str | Path | None = None, encoder_max_posts: int = 4,
                        encoder_prefix: str = "query: ", extra_test: Mapping[str, Sequence[int]] | None = None,
                        finetune_epochs: int = 0) -> tuple[dict[str, dict], dict[str, dict]]:
    """Table 5 rows (Gold → Test) and Table 7 CNSD (Gold) cells (cross-validated on Gold).

    ``extra_test``: predictions for the Test users made elsewhere (e.g. Module II's 答案).
    ``finetune_epochs`` > 0 also fine-tunes the whole encoder (Appendix A.5's BERT route; a GPU job).
    """
    from helpers.cnsd.dimension_tagger import user_evidence_rate

    y_gold = np.array([u.label for u in gold])
    y_test = np.array([u.label for u in test])
    rates_gold = np.array([[user_evidence_rate(u.posts)] for u in gold])
    rates_test = np.array([[user_evidence_rate(u.posts)] for u in test])
    counts = bench.char_counts(user_docs(gold) + user_docs(test))  # split into n-grams once, for all folds
    methods = {
        "TF-IDF + logistic regression": (bench.counted_tfidf_lr(seed), counts[: len(gold)], counts[len(gold):]),
        "lexicon tagger share (baseline)": (bench.ThresholdClassifier(), rates_gold, rates_test),
    }
    if encoder_path:
        feats = bench.encode_users(encoder_path, [u.posts for u in list(gold) + list(test)],
                                   max_posts=encoder_max_posts, prefix=encoder_prefix, seed=seed)
        methods["encoder probe"] = (bench.embedding_lr(seed), feats[: len(gold)], feats[len(gold):])
        if finetune_epochs:
            texts = bench.user_texts([u.posts for u in list(gold) + list(test)], seed=seed)
            methods["fine-tuned encoder"] = (
                bench.FineTunedEncoderClassifier(str(encoder_path), epochs=finetune_epochs, seed=seed),
                texts[: len(gold)], texts[len(gold):])
    t5: dict[str, dict] = {}
    t7: dict[str, dict] = {}
    for name, (est, xg, xt) in methods.items():
        pred = bench.gold_to_test(est, xg, y_gold, xt)
        t5[name] = bench.results_row(name, y_test, pred, seed=seed, n_boot=n_boot)
        oof = bench.cross_validated(est, xg, y_gold, seed=seed)
        m = bench.classification_metrics(y_gold, oof)
        t7[name] = {"CNSD (Gold) Acc": m["accuracy"], "CNSD (Gold) F1": m["F1"]}
    for name, pred in (extra_test or {}).items():
        t5[name] = bench.results_row(name, y_test, np.asarray(pred), seed=seed, n_boot=n_boot)
    return t5, t7


def cross_dataset_rows(train_sets: Mapping[str, Sequence[CNSDUser]], gold: Sequence[CNSDUser], *,
                       seed: int) -> dict[str, dict]:
    """Table 7 for TF-IDF + LR trained on another dataset (SWDD, WU3D): own CV and CNSD (Gold)."""
    rows: dict[str, dict] = {}
    y_gold = np.array([u.label for u in gold])
    for name, users in train_sets.items():
        y = np.array([u.label for u in users])
        oof = bench.cross_validated(bench.tfidf_lr(seed), user_docs(users), y, seed=seed)
        own = bench.classification_metrics(y, oof)
        pred = bench.gold_to_test(bench.tfidf_lr(seed), user_docs(users), y, user_docs(gold))
        cn = bench.classification_metrics(y_gold, pred)
        rows[f"TF-IDF + logistic regression (trained on {name})"] = {
            f"{name} Acc": own["accuracy"], f"{name} F1": own["F1"],
            "CNSD (Gold) Acc": cn["accuracy"], "CNSD (Gold) F1": cn["F1"]}
    return rows


def verification_effect(scores: pd.DataFrame) -> dict[str, float]:
    """Micro precision / recall before and after verification, from a stage-stacked score table."""
    micro = scores[scores["dimension"] == "all (micro)"].set_index("stage")
    before, after = micro.iloc[0], micro.iloc[1]
    return {"precision before": float(before["precision"]), "precision after": float(after["precision"]),
            "recall before": float(before["recall"]), "recall after": float(after["recall"]),
            "labels before": int(before["labelled"]), "labels after": int(after["labelled"])}


def verified_share(users: Sequence[CNSDUser], verified: pd.DataFrame) -> np.ndarray:
    """Per user: share of posts with at least one verified label (the pipeline's rule-3 statistic)."""
    ok = verified[verified["verified"]] if len(verified) else verified
    n = ok.drop_duplicates(["user_key", "post_index"]).groupby("user_key").size() if len(ok) else pd.Series(dtype=int)
    return np.array([n.get(u.user_key, 0) / u.n_posts for u in users])


def verification_sentence(effect: Mapping[str, float]) -> str:
    """The verification verdict in words; "cannot tell" when a stage has no labels to score."""
    before, after = effect["labels before"], effect["labels after"]
    counts = f"({before} labels before, {after} after)"
    if before == 0 or after == 0:
        return f"cannot tell whether verification raises precision: no labels to score at one stage {counts}."
    pb, pa = effect["precision before"], effect["precision after"]
    verdict = "raised" if pa > pb else "did not raise"
    return (f"verification {verdict} micro precision ({pb:.3f} → {pa:.3f}); recall {effect['recall before']:.3f} "
            f"→ {effect['recall after']:.3f} {counts}.")


def results_summary(values: Mapping[str, object]) -> dict[str, object]:
    """JSON-safe copy (numpy scalars to Python) for results/05_cnsd_pipeline.json."""
    return json.loads(json.dumps(values, default=json_default))
