"""User-level benchmarks for CNSD: classifiers, metrics with bootstrap CIs, and paper-side columns.

Why user level: CNSD labels users, not posts, and a user's posts are not
independent; every split here is by user (stratified K-fold), every
prediction is out-of-fold, and confidence intervals resample *users*.

Classifiers compared (all see only the posts; none sees planted truth):

* **TF-IDF + logistic regression**: character 1–2-grams over a user's
  concatenated timeline (Chinese needs no word segmentation for this).
* **Lexicon tagger**: share of posts with rule evidence, cut-off fitted on the
  training folds (:mod:`helpers.cnsd.dimension_tagger`).
* **Encoder**: a Chinese-capable transformer encoder, mean-pooled post
  embeddings averaged per user, then logistic regression (a linear probe on a
  frozen encoder: cheap on CPU; full fine-tuning is the GPU path).

Paper numbers: :data:`PAPER_REPORTED` holds only values found in public
sources about arXiv:2510.11233, with the source named; anything else is shown
as "not reported" and never filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from helpers.torch_device import choose_device, mean_pool

METRICS = ("accuracy", "precision", "recall", "F1")
NOT_REPORTED = "not reported"

#: Values about the study found in public sources (see the chapter for context).
PAPER_SOURCE_ABSTRACT = "arXiv:2510.11233 abstract"
PAPER_SOURCE_SUMMARY = ("opentrain.ai summary page of arXiv:2510.11233 (secondary source; "
                        "the table each value comes from is not stated there)")
PAPER_REPORTED: dict[str, dict[str, object]] = {
    "users": {"value": 233, "source": PAPER_SOURCE_ABSTRACT},
    "users_positive": {"value": 116, "source": "project design notes (release file)"},
    "users_negative": {"value": 117, "source": "project design notes (release file)"},
    "texts": {"value": 44178, "source": PAPER_SOURCE_ABSTRACT},
    "annotated_segments": {"value": 10306, "source": PAPER_SOURCE_ABSTRACT},
    "n_min": {"value": 442, "source": "issue brief (study's Module I balancing)"},
    "Qwen2.5-14B recall": {"value": 0.944, "source": PAPER_SOURCE_SUMMARY},
    "Qwen2.5-14B (FT, Gold) recall": {"value": 0.889, "source": PAPER_SOURCE_SUMMARY},
    "Qwen2.5-14B Silver BLEU": {"value": 0.237, "source": PAPER_SOURCE_SUMMARY},
    "Qwen2.5-14B Gold ROUGE-1": {"value": 0.217, "source": PAPER_SOURCE_SUMMARY},
    "Llama3-8B ROUGE-1": {"value": 0.194, "source": PAPER_SOURCE_SUMMARY},
    "GLM4-9B-Chat ROUGE-1": {"value": 0.208, "source": PAPER_SOURCE_SUMMARY},
}


def paper_value(key: str) -> object:
    """The reported value, or ``"not reported"`` (never a guess)."""
    entry = PAPER_REPORTED.get(key)
    return entry["value"] if entry else NOT_REPORTED


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, float]:
    """Accuracy, precision, recall and F1 for the at-risk class (precision 0 when nothing is flagged)."""
    y, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if y.shape != p.shape or y.size == 0:
        raise ValueError("y_true and y_pred must be non-empty and the same length")
    tp = int(((p == 1) & (y == 1)).sum())
    fp = int(((p == 1) & (y == 0)).sum())
    fn = int(((p == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": float((y == p).mean()), "precision": precision, "recall": recall, "F1": f1}


def bootstrap_ci(y_true: Sequence[int], y_pred: Sequence[int], *, n_boot: int = 1000,
                 level: float = 0.95, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for each metric, resampling users."""
    y, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    rng = np.random.default_rng(seed)
    draws = {m: [] for m in METRICS}
    for _ in range(n_boot):
        idx = rng.integers(len(y), size=len(y))
        for m, v in classification_metrics(y[idx], p[idx]).items():
            draws[m].append(v)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {m: (float(np.percentile(v, lo)), float(np.percentile(v, hi))) for m, v in draws.items()}


Method = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (train_idx, test_idx) -> predictions for test


def cross_validated_predictions(labels: Sequence[int], method: Method, *, n_splits: int = 5,
                                seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions from a stratified K-fold over users."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=int)
    n_splits = min(n_splits, int(np.bincount(y).min()))
    if n_splits < 2:
        raise ValueError("need at least two users of each class for cross-validation")
    pred = np.full(len(y), -1)
    for train, test in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        pred[test] = method(train, test)
    return pred


def tfidf_lr_method(docs: Sequence[str], labels: Sequence[int], seed: int = 0) -> Method:
    """Character 1-2-gram TF-IDF over each user's timeline + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    docs = list(docs)
    y = np.asarray(labels, dtype=int)

    def method(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                              max_features=50000)
        x_train = vec.fit_transform([docs[i] for i in train])
        clf = LogisticRegression(C=10.0, max_iter=3000, random_state=seed).fit(x_train, y[train])
        return clf.predict(vec.transform([docs[i] for i in test]))

    return method


def threshold_method(scores: Sequence[float], labels: Sequence[int]) -> Method:
    """A one-number score with an F1-optimal cut-off fitted on the training users."""
    from helpers.cnsd.dimension_tagger import fit_threshold

    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)

    def method(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        t = fit_threshold(s[train], y[train])
        return (s[test] >= t).astype(int)

    return method


def embedding_lr_method(features: np.ndarray, labels: Sequence[int], seed: int = 0) -> Method:
    """Standardised features + logistic regression (the linear probe on encoder embeddings)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=int)

    def method(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=3000, random_state=seed))
        return clf.fit(x[train], y[train]).predict(x[test])

    return method


def encode_users(model_path: str | Path, timelines: Sequence[Sequence[str]], *, max_posts: int = 16,
                 max_length: int = 64, batch_size: int = 32, prefix: str = "query: ",
                 seed: int = 0, device: str | None = None) -> np.ndarray:
    """One vector per user: mean of masked-mean-pooled embeddings of up to ``max_posts`` posts.

    Posts are sampled at random (seeded) rather than taken from the start, so
    the probe does not depend on timeline order.  ``prefix`` follows the E5
    convention; use ``""`` for BERT-style encoders.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    dev = choose_device(device)
    model = AutoModel.from_pretrained(str(model_path)).eval().to(dev)
    rng = np.random.default_rng(seed)
    flat: list[str] = []
    owner: list[int] = []
    for u, posts in enumerate(timelines):
        if not posts:
            raise ValueError(f"user {u} has no posts to encode")
        chosen = rng.choice(len(posts), size=min(max_posts, len(posts)), replace=False)
        flat += [prefix + posts[i] for i in sorted(chosen)]
        owner += [u] * len(chosen)
    # Encode in order of length so batches carry little padding (CPU time is per token).
    order = sorted(range(len(flat)), key=lambda i: len(flat[i]))
    vectors = []
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            enc = tokenizer([flat[i] for i in idx], padding=True, truncation=True,
                            max_length=max_length, return_tensors="pt")
            enc = {k: v.to(dev) for k, v in enc.items()}
            hidden = model(**enc).last_hidden_state
            vectors.append(mean_pool(hidden, enc["attention_mask"]).float().cpu().numpy())
    post_vecs = np.empty((len(flat), vectors[0].shape[1]), dtype=np.float32)
    post_vecs[order] = np.vstack(vectors)
    owner_arr = np.asarray(owner)
    return np.vstack([post_vecs[owner_arr == u].mean(axis=0) for u in range(len(timelines))])


def results_row(name: str, y_true: Sequence[int], y_pred: Sequence[int], *, seed: int = 0,
                n_boot: int = 1000) -> dict[str, object]:
    """Metrics and their bootstrap intervals as one table row."""
    point = classification_metrics(y_true, y_pred)
    ci = bootstrap_ci(y_true, y_pred, n_boot=n_boot, seed=seed)
    row: dict[str, object] = {"method": name}
    for m in METRICS:
        row[m] = round(point[m], 3)
        row[f"{m} 95% CI"] = f"[{ci[m][0]:.3f}, {ci[m][1]:.3f}]"
    return row


def paper_column_for(metric: str, model_key: str | None) -> object:
    """Paper value for one metric of one of the study's models (or ``not reported``)."""
    if model_key is None:
        return NOT_REPORTED
    return paper_value(f"{model_key} {metric}")


def user_texts(timelines: Sequence[Sequence[str]], *, max_posts: int = 64, seed: int = 0) -> list[str]:
    """One string per user: up to ``max_posts`` randomly chosen posts (kept in timeline order)."""
    rng = np.random.default_rng(seed)
    out = []
    for posts in timelines:
        chosen = sorted(rng.choice(len(posts), size=min(max_posts, len(posts)), replace=False))
        out.append("。".join(posts[i] for i in chosen))
    return out


class FineTunedEncoderMethod:
    """Full fine-tuning of an encoder with a classification head, once per fold (the GPU path).

    The study fine-tunes ``bert-base-chinese`` on user text; here each user is
    one sequence of sampled posts truncated to ``max_length`` tokens.  On the
    book's CPU this is too slow at study size, so the chapter runs it only when
    ``encoder_finetune=True`` (e.g. on Colab); the training loop is unit-tested
    on a tiny randomly initialised BERT.  ``losses`` keeps every fold's
    training losses for inspection.
    """

    def __init__(self, model_path: str | Path, texts: Sequence[str], labels: Sequence[int], *,
                 epochs: int = 3, learning_rate: float = 2e-5, max_length: int = 512,
                 batch_size: int = 8, seed: int = 0, device: str | None = None) -> None:
        self.model_path = str(model_path)
        self.device = device  # None: the GPU when present; "cpu" forces the CPU
        self.texts = list(texts)
        self.y = np.asarray(labels, dtype=int)
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.max_length = max_length
        self.batch_size = batch_size
        self.seed = seed
        self.losses: list[list[float]] = []

    def __call__(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(self.seed)
        device = choose_device(self.device)
        tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        model = AutoModelForSequenceClassification.from_pretrained(self.model_path, num_labels=2).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=self.learning_rate)
        rng = np.random.default_rng(self.seed)
        fold_losses: list[float] = []

        def batch(idx):
            enc = tokenizer([self.texts[i] for i in idx], padding=True, truncation=True,
                            max_length=self.max_length, return_tensors="pt")
            return {k: v.to(device) for k, v in enc.items()}

        model.train()
        for _ in range(self.epochs):
            order = rng.permutation(train)
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                out = model(**batch(idx), labels=torch.tensor(self.y[idx], device=device))
                out.loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                fold_losses.append(float(out.loss.detach().cpu()))
        self.losses.append(fold_losses)
        model.eval()
        preds = []
        with torch.no_grad():
            for start in range(0, len(test), self.batch_size):
                logits = model(**batch(test[start:start + self.batch_size])).logits
                preds.append(logits.argmax(-1).cpu().numpy())
        return np.concatenate(preds)
