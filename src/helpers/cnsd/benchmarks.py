"""User-level classification benchmarks for CNSD (Tables 5 and 7): scikit-learn throughout.

Why user level: CNSD labels users, not posts, and a user's posts are not independent; every
split is by user, intervals resample users.  Two protocols:

* **Gold → Test** (the paper's Table 5 protocol): fit on the Gold split, score the Test split.
* **cross-validation on Gold** (``cross_val_predict``, stratified K-fold): out-of-fold
  predictions for every Gold user, the CNSD (Gold) column of Table 7.

Classifiers (all see only posts; none sees annotations):

* TF-IDF over character 1–2-grams of a user's timeline + logistic regression;
* the lexicon tagger's evidence share with an F1-optimal cut-off (:class:`ThresholdClassifier`);
* a frozen-encoder probe (mean-pooled post embeddings averaged per user + logistic regression)
  and, on a GPU, a fully fine-tuned encoder (:class:`FineTunedEncoderClassifier`).

Metrics: ``accuracy_score`` and ``precision_recall_fscore_support`` for the at-risk class.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from helpers.torch_device import choose_device

METRICS = ("accuracy", "precision", "recall", "F1")


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of the at-risk class (0 where undefined)."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    y, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if y.shape != p.shape or y.size == 0:
        raise ValueError("y_true and y_pred must be non-empty and the same length")
    prec, rec, f1, _ = precision_recall_fscore_support(y, p, average="binary", pos_label=1, zero_division=0)
    return {"accuracy": float(accuracy_score(y, p)), "precision": float(prec), "recall": float(rec),
            "F1": float(f1)}


def _metrics_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """The four metrics from confusion counts, 0 where undefined (sklearn's ``zero_division=0``)."""
    tn = n - tp - fp - fn
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    return {"accuracy": (tp + tn) / n, "precision": precision, "recall": recall, "F1": f1}


def bootstrap_ci(y_true: Sequence[int], y_pred: Sequence[int], *, n_boot: int = 1000,
                 level: float = 0.95, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for each metric, resampling users.

    Own resampling rather than ``scipy.stats.bootstrap``: that resamples for one statistic at a
    time, while here the four metrics share each resample of users (so their intervals agree).
    The metrics of all resamples come from their confusion counts at once (the definitions of
    :func:`classification_metrics`; a test checks them against scikit-learn per resample), since
    calling scikit-learn's validated metric functions per resample dominated chapter 05's time.
    """
    y, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if y.shape != p.shape or y.size == 0:
        raise ValueError("y_true and y_pred must be non-empty and the same length")
    rng = np.random.default_rng(seed)
    idx = rng.integers(len(y), size=(n_boot, len(y)))
    yb, pb = y[idx] == 1, p[idx] == 1
    tp = (yb & pb).sum(axis=1)
    fp = (~yb & pb).sum(axis=1)
    fn = (yb & ~pb).sum(axis=1)
    draws = _metrics_from_counts(tp, fp, fn, len(y))
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {m: (float(np.percentile(draws[m], lo)), float(np.percentile(draws[m], hi))) for m in METRICS}


def results_row(name: str, y_true: Sequence[int], y_pred: Sequence[int], *, seed: int = 0,
                n_boot: int = 1000) -> dict[str, object]:
    """Metrics and their bootstrap interval bounds as numbers (``<metric> low`` / ``<metric> high``)."""
    point = classification_metrics(y_true, y_pred)
    ci = bootstrap_ci(y_true, y_pred, n_boot=n_boot, seed=seed)
    row: dict[str, object] = {"method": name, "users": len(y_true)}
    for m in METRICS:
        row[m] = point[m]
        row[f"{m} low"], row[f"{m} high"] = ci[m]
    return row


def tfidf_lr(seed: int = 0):
    """Character 1-2-gram TF-IDF over each user's timeline + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                         max_features=50000),
                         LogisticRegression(C=10.0, max_iter=3000, random_state=seed))


def char_counts(docs: Sequence[str], ngram_range: tuple[int, int] = (1, 2)):
    """Character n-gram counts of ``docs`` over their joint vocabulary (sorted, float64).

    Counted once for all users, then :class:`CountedTfidf` refits the vocabulary rules on each
    training split's rows, so the timelines are split into n-grams once instead of once per fold.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer="char", ngram_range=ngram_range, dtype=np.float64).fit_transform(list(docs))


class CountedTfidf(TransformerMixin, BaseEstimator):
    """``TfidfVectorizer(min_df, max_features, sublinear_tf)`` fitted on rows of a count matrix.

    ``X`` holds rows of :func:`char_counts` (all users' counts over the joint vocabulary).
    Fitting keeps what a vectorizer fitted on the training rows' texts would keep: terms
    present in them (in the same sorted order), then ``min_df`` and ``max_features`` applied
    exactly as scikit-learn's ``CountVectorizer`` does (the most frequent terms among those
    with enough documents); ``TfidfTransformer`` then weights and normalises.  Terms seen only
    in other rows (e.g. the Test users) never reach the model.  ``tests/cnsd`` checks that
    predictions equal those of :func:`tfidf_lr` on the texts.
    """

    def __init__(self, min_df: int = 2, max_features: int | None = 50000, sublinear_tf: bool = True) -> None:
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def fit(self, X, y=None):
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfTransformer

        X = sp.csr_matrix(X)
        present = np.flatnonzero(X.getnnz(axis=0) > 0)  # the vocabulary of these rows' texts
        sub = X[:, present]
        dfs = sub.getnnz(axis=0)
        mask = (dfs >= self.min_df) & (dfs <= X.shape[0])
        if self.max_features is not None and mask.sum() > self.max_features:
            tfs = np.asarray(sub.sum(axis=0)).ravel()
            keep = (-tfs[mask]).argsort()[: self.max_features]
            limited = np.zeros(len(dfs), dtype=bool)
            limited[np.where(mask)[0][keep]] = True
            mask = limited
        if not mask.any():
            raise ValueError("After pruning, no terms remain. Try a lower min_df.")
        self.columns_ = present[mask]
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(X[:, self.columns_])
        return self

    def transform(self, X):
        import scipy.sparse as sp

        return self.tfidf_.transform(sp.csr_matrix(X)[:, self.columns_])


def counted_tfidf_lr(seed: int = 0):
    """:func:`tfidf_lr` on a precomputed :func:`char_counts` matrix (same model, same predictions)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(CountedTfidf(min_df=2, max_features=50000, sublinear_tf=True),
                         LogisticRegression(C=10.0, max_iter=3000, random_state=seed))


def embedding_lr(seed: int = 0):
    """Standardised features + logistic regression (the probe on frozen encoder embeddings)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=3000, random_state=seed))


class ThresholdClassifier(ClassifierMixin, BaseEstimator):
    """One score per user (column 0 of X) with the F1-optimal cut-off fitted on the training users."""

    def fit(self, X, y):
        from helpers.cnsd.dimension_tagger import fit_threshold

        x = np.asarray(X, dtype=float).reshape(len(y), -1)[:, 0]
        self.threshold_ = fit_threshold(x, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        x = np.asarray(X, dtype=float).reshape(-1, 1)[:, 0] if np.ndim(X) == 1 else np.asarray(X, float)[:, 0]
        return (x >= self.threshold_).astype(int)


def cross_validated(estimator, X, y: Sequence[int], *, n_splits: int = 5, seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions (``cross_val_predict`` over a stratified, shuffled K-fold)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.asarray(y, dtype=int)
    n_splits = min(n_splits, int(np.bincount(y, minlength=2).min()))
    if n_splits < 2:
        raise ValueError("need at least two users of each class for cross-validation")
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    return cross_val_predict(estimator, X, y, cv=cv)


def gold_to_test(estimator, X_gold, y_gold: Sequence[int], X_test) -> np.ndarray:
    """Fit on the Gold split, predict the Test split (Table 5's protocol)."""
    return np.asarray(estimator.fit(X_gold, np.asarray(y_gold, dtype=int)).predict(X_test), dtype=int)


def encode_users(model_path: str | Path, timelines: Sequence[Sequence[str]], *, max_posts: int = 16,
                 max_length: int = 64, batch_size: int = 32, prefix: str = "query: ",
                 seed: int = 0, device: str | None = None, engine: str = "auto") -> np.ndarray:
    """One vector per user: mean of masked-mean-pooled embeddings of up to ``max_posts`` posts.

    Posts are sampled at random (seeded) rather than taken from the start, so
    the probe does not depend on timeline order.  ``prefix`` follows the E5
    convention; use ``""`` for BERT-style encoders.  The posts go through the
    frozen-encoder loop of chapter 02 (:func:`helpers.sentiment.frozen_ridge.encode_pooled`:
    batches sorted by token count, fp32, ONNX Runtime on the CPU for enough posts).
    """
    from transformers import AutoModel, AutoTokenizer

    from helpers.sentiment.frozen_ridge import encode_pooled

    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    model = AutoModel.from_pretrained(str(model_path)).eval()
    rng = np.random.default_rng(seed)
    flat: list[str] = []
    owner: list[int] = []
    for u, posts in enumerate(timelines):
        if not posts:
            raise ValueError(f"user {u} has no posts to encode")
        chosen = rng.choice(len(posts), size=min(max_posts, len(posts)), replace=False)
        flat += [prefix + posts[i] for i in sorted(chosen)]
        owner += [u] * len(chosen)
    post_vecs = encode_pooled(model, tokenizer, flat, pooling="mean", batch_size=batch_size, max_length=max_length,
                              device=device, cpu_bf16=False, engine=engine)
    owner_arr = np.asarray(owner)
    return np.vstack([post_vecs[owner_arr == u].mean(axis=0) for u in range(len(timelines))])


def user_texts(timelines: Sequence[Sequence[str]], *, max_posts: int = 64, seed: int = 0) -> list[str]:
    """One string per user: up to ``max_posts`` randomly chosen posts (kept in timeline order)."""
    rng = np.random.default_rng(seed)
    out = []
    for posts in timelines:
        chosen = sorted(rng.choice(len(posts), size=min(max_posts, len(posts)), replace=False))
        out.append("。".join(posts[i] for i in chosen))
    return out


class FineTunedEncoderClassifier(ClassifierMixin, BaseEstimator):
    """Full fine-tuning of an encoder with a classification head (the GPU path of Table 7).

    The paper fine-tunes BERT-style encoders (Appendix A.5; hyper-parameters not reported).
    X is a sequence of user texts.  ``losses_`` keeps the training losses for inspection.
    """

    def __init__(self, model_path: str = "", epochs: int = 3, learning_rate: float = 2e-5,
                 max_length: int = 512, batch_size: int = 8, seed: int = 0,
                 device: str | None = None) -> None:
        self.model_path = model_path
        self.device = device  # None: the GPU when present; "cpu" forces the CPU
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.max_length = max_length
        self.batch_size = batch_size
        self.seed = seed

    def _batch(self, texts):
        enc = self.tokenizer_(list(texts), padding=True, truncation=True, max_length=self.max_length,
                              return_tensors="pt")
        return {k: v.to(self.device_) for k, v in enc.items()}

    def fit(self, X, y):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(self.seed)
        texts, y = list(X), np.asarray(y, dtype=int)
        self.device_ = choose_device(self.device)
        self.tokenizer_ = AutoTokenizer.from_pretrained(str(self.model_path))
        model = AutoModelForSequenceClassification.from_pretrained(str(self.model_path), num_labels=2)
        self.model_ = model.to(self.device_)
        optimizer = torch.optim.AdamW(self.model_.parameters(), lr=self.learning_rate)
        rng = np.random.default_rng(self.seed)
        self.losses_: list[float] = []
        self.model_.train()
        for _ in range(self.epochs):
            order = rng.permutation(len(texts))
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                out = self.model_(**self._batch([texts[i] for i in idx]),
                                  labels=torch.tensor(y[idx], device=self.device_))
                out.loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                self.losses_.append(float(out.loss.detach().cpu()))
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        import torch

        texts = list(X)
        self.model_.eval()
        preds = []
        with torch.no_grad():
            for start in range(0, len(texts), self.batch_size):
                logits = self.model_(**self._batch(texts[start:start + self.batch_size])).logits
                preds.append(logits.argmax(-1).cpu().numpy())
        return np.concatenate(preds)
