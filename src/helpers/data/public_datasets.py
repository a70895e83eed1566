"""Public Chinese sentiment sets for transfer evaluation: fetch with a checksum, or read a mirror.

Chapter 02 checks how the fine-tuned model does on real Chinese text beyond the
embedded corpus: ChnSentiCorp (hotel reviews, binary) and the SMP2020-EWECT
Weibo emotion sets (six emotions, mapped to a sign).  These are third-party
files without a licence for redistribution, so the repository does not ship
them.  :func:`fetch` looks, in order, in

1. a mirror folder (``$XHS_DATA_MIRROR``; else ``../shared/data`` beside the
   repository when that exists), laid out as ``<set>/<file>``;
2. the download cache (``$XHS_CACHE/datasets``);
3. the file's public GitHub repository, when the machine is online;

and accepts a file only when its SHA-256 matches the pinned value, so every
reader of the book evaluates on exactly the same bytes.  When none of these
works it raises :class:`DatasetUnavailable` with a message the chapter prints
instead of the numbers.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import config


class DatasetUnavailable(RuntimeError):
    """Neither the mirror, the cache nor the network gave a file with the pinned checksum."""


@dataclass(frozen=True)
class DataFile:
    """One pinned file: where it sits in a mirror, where it is published, and its SHA-256."""

    relpath: str
    url: str
    sha256: str


_CHNSENTI = "https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/master/datasets"
_SMP = "https://raw.githubusercontent.com/BrownSweater/BERT_SMP2020-EWECT/main/data/raw"

FILES: dict[str, DataFile] = {
    "chnsenticorp_hotel": DataFile(
        "chnsenticorp/ChnSentiCorp_htl_all.csv", f"{_CHNSENTI}/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv",
        "1d414b9c65caf3a836abdb4efded621968502ad3338e1a9d885ae131c86083f0"),
    "waimai_10k": DataFile(
        "chnsenticorp/waimai_10k.csv", f"{_CHNSENTI}/waimai_10k/waimai_10k.csv",
        "b8b5c11c00b51578d35937fca56e03a126b45381f1ea4b22893237cb377a26fe"),
    "smp2020_usual_eval": DataFile(
        "smp2020_ewect/usual_eval_labeled.json", f"{_SMP}/usual_eval_labeled.txt",
        "ec4264647d679f3c6b0cb3d5a4438554234d0c606631aab7456a0824c0ff5a69"),
    "smp2020_usual_test": DataFile(
        "smp2020_ewect/usual_test_labeled.json", f"{_SMP}/usual_test_labeled.txt",
        "bfaec6756200d660ed683de1de42dfd61e5fb97e93167838b9a24f2a526c822e"),
    "smp2020_virus_eval": DataFile(
        "smp2020_ewect/virus_eval_labeled.json", f"{_SMP}/virus_eval_labeled.txt",
        "a60dd95652fb939db762735f5083d66120fbf494d4c1267f24065256c40f3476"),
    "smp2020_virus_test": DataFile(
        "smp2020_ewect/virus_test_labeled.json", f"{_SMP}/virus_test_labeled.txt",
        "39baab996f18c62c6b6e81191dc9c3b75b334547cf28124ccd55a199be24bc70"),
    "smp2020_virus_train": DataFile(
        "smp2020_ewect/virus_train.json", f"{_SMP}/virus_train.txt",
        "1962fac5476da80a344c0b96bf091b92d5cd265c4989f84a4cc872ec9e8df9cf"),
}

#: SMP2020-EWECT emotions -> sentiment sign.  Neutral and surprise carry no clear
#: valence and are left out of the sign metrics (kept in the frame, sign NaN).
EMOTION_SIGN: dict[str, float] = {
    "happy": 1.0, "angry": -1.0, "sad": -1.0, "fear": -1.0, "neutral": np.nan, "surprise": np.nan,
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mirror_dir() -> Path | None:
    """``$XHS_DATA_MIRROR`` if set, else ``../shared/data`` beside the repository if it exists."""
    return config.data_mirror()


def _download_cache() -> Path:
    return config.cache_root() / "datasets"


def fetch(name: str, *, online: bool = True, timeout: float = 20.0) -> Path:
    """Local path of pinned file ``name`` (see :data:`FILES`), verified by SHA-256."""
    if name not in FILES:
        raise KeyError(f"unknown dataset file {name!r}; known: {sorted(FILES)}")
    spec = FILES[name]
    tried: list[str] = []
    mirror = mirror_dir()
    candidates = ([mirror / spec.relpath] if mirror else []) + [_download_cache() / spec.relpath]
    for path in candidates:
        if path.exists():
            if sha256_of(path) == spec.sha256:
                return path
            tried.append(f"{path} has a different checksum")
        else:
            tried.append(f"not in {path.parent}")
    if online:
        target = _download_cache() / spec.relpath
        try:
            with urllib.request.urlopen(spec.url, timeout=timeout) as response:
                data = response.read()
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            tried.append(f"download from {spec.url} failed ({exc})")
        else:
            if hashlib.sha256(data).hexdigest() == spec.sha256:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(target.suffix + ".part")
                tmp.write_bytes(data)
                tmp.replace(target)
                return target
            tried.append(f"{spec.url} served a file with a different checksum (the upstream copy changed)")
    else:
        tried.append("offline: no download attempted")
    raise DatasetUnavailable(
        f"{name} ({spec.relpath}) is unavailable: " + "; ".join(tried)
        + ". Set XHS_DATA_MIRROR to a folder holding it, or run online."
    )


def load_chnsenticorp(name: str = "chnsenticorp_hotel", **kw) -> pd.DataFrame:
    """ChnSentiCorp-style CSV (``label,review``) as ``text, label, sign`` (sign ±1)."""
    df = pd.read_csv(fetch(name, **kw), encoding="utf-8")
    if not {"label", "review"} <= set(df.columns):
        raise ValueError(f"{name}: expected columns label,review; found {list(df.columns)}")
    df = df.dropna(subset=["review"])
    return pd.DataFrame({"text": df["review"].astype(str), "label": df["label"].astype(int),
                         "sign": np.where(df["label"].astype(int) == 1, 1.0, -1.0), "dataset": name})


def load_smp2020(name: str = "smp2020_usual_test", **kw) -> pd.DataFrame:
    """SMP2020-EWECT JSON as ``text, emotion, sign`` (sign NaN for neutral/surprise)."""
    records = json.loads(fetch(name, **kw).read_text(encoding="utf-8"))
    df = pd.DataFrame(records)
    if not {"content", "label"} <= set(df.columns):
        raise ValueError(f"{name}: expected keys content,label; found {list(df.columns)}")
    unknown = set(df["label"]) - set(EMOTION_SIGN)
    if unknown:
        raise ValueError(f"{name}: unexpected emotion labels {sorted(unknown)}")
    return pd.DataFrame({"text": df["content"].astype(str), "emotion": df["label"],
                         "sign": df["label"].map(EMOTION_SIGN).astype(float), "dataset": name})


#: Transfer sets: key -> what the chapter calls it.
TRANSFER_LABELS = {
    "chnsenticorp_hotel": "ChnSentiCorp hotel reviews",
    "smp2020_usual": "SMP2020-EWECT Weibo (usual, test)",
    "smp2020_virus": "SMP2020-EWECT Weibo (COVID-19, test)",
}


def transfer_sets(sample: int | None = 500, seed: int = 0, **kw) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The transfer-evaluation sets that are available, each sampled to at most ``sample`` signed texts.

    Returns ``(sets, unavailable)``: frames by key (see :data:`TRANSFER_LABELS`),
    and for each set that could not be read the reason, for the chapter to print.
    """
    loaders = {
        "chnsenticorp_hotel": lambda: load_chnsenticorp("chnsenticorp_hotel", **kw),
        "smp2020_usual": lambda: load_smp2020("smp2020_usual_test", **kw),
        "smp2020_virus": lambda: load_smp2020("smp2020_virus_test", **kw),
    }
    sets, unavailable = {}, {}
    for label, load in loaders.items():
        try:
            df = load()
        except DatasetUnavailable as exc:
            unavailable[label] = str(exc)
            continue
        df = df[df["sign"].notna() & df["text"].str.strip().ne("")]
        if sample and len(df) > sample:
            # stratified by sign so that AUC has both classes in proportion
            df = df.groupby("sign", group_keys=False).sample(frac=sample / len(df), random_state=seed)
        sets[label] = df.reset_index(drop=True)
    return sets, unavailable


def transfer_metrics(scores, signs) -> dict[str, float]:
    """How well a continuous score separates positive from negative texts.

    AUC of the score for the positive class, accuracy of ``sign(score)``, and
    the point-biserial (Pearson) correlation between score and sign.
    """
    from sklearn.metrics import roc_auc_score

    s, y = np.asarray(scores, float), np.asarray(signs, float)
    ok = ~np.isnan(s) & ~np.isnan(y)
    s, y = s[ok], y[ok]
    if len(np.unique(y)) < 2:
        raise ValueError("transfer metrics need texts of both signs")
    return {
        "n": int(len(y)), "share_positive": float(np.mean(y > 0)),
        "auc": float(roc_auc_score(y > 0, s)),
        "accuracy": float(np.mean(np.where(s > 0, 1.0, -1.0) == y)),
        "correlation": float(np.corrcoef(s, y)[0, 1]),
        "mean_score_positive": float(s[y > 0].mean()), "mean_score_negative": float(s[y < 0].mean()),
    }


# --------------------------------------------------------------------------- real labelled text on the −1..1 scale

#: SMP2020-EWECT emotion -> score on the study's −1..1 sentiment scale, and why.
#: The emotions carry a valence, not an intensity, so every valenced emotion is
#: scored at the end of the scale; surprise can go either way and is scored 0
#: with neutral (it is kept, not dropped, so the set is not made easier).
EMOTION_SCORE: dict[str, tuple[float, str]] = {
    "happy": (1.0, "positive valence"),
    "neutral": (0.0, "no valence"),
    "surprise": (0.0, "valence ambiguous (pleasant or unpleasant surprise); scored as neutral"),
    "angry": (-1.0, "negative valence"),
    "sad": (-1.0, "negative valence"),
    "fear": (-1.0, "negative valence"),
}
#: ChnSentiCorp polarity -> score: the reviews are labelled only positive (1) or negative (0).
POLARITY_SCORE: dict[int, tuple[float, str]] = {
    1: (1.0, "positive review"),
    0: (-1.0, "negative review"),
}

#: Real-text sets for training and testing the sentiment model: key -> (label, files).
REAL_TEXT_SETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "smp2020_usual": ("SMP2020-EWECT Weibo, general domain (evaluation + test files pooled)",
                      ("smp2020_usual_eval", "smp2020_usual_test")),
    "smp2020_virus": ("SMP2020-EWECT Weibo, COVID-19 domain (train file)", ("smp2020_virus_train",)),
    "chnsenticorp_hotel": ("ChnSentiCorp hotel reviews", ("chnsenticorp_hotel",)),
}


def label_score_table() -> pd.DataFrame:
    """The label -> score mapping of every real-text set, for the chapter to print."""
    rows = [{"dataset": "SMP2020-EWECT (Weibo)", "label": k, "score": v, "why": why}
            for k, (v, why) in EMOTION_SCORE.items()]
    rows += [{"dataset": "ChnSentiCorp (hotel reviews)", "label": f"{k} ({'positive' if k else 'negative'})",
              "score": v, "why": why} for k, (v, why) in POLARITY_SCORE.items()]
    return pd.DataFrame(rows)


def real_labelled_set(key: str = "smp2020_usual", *, sample: int | None = None, seed: int = 0,
                      **kw) -> pd.DataFrame:
    """A real, human-labelled set as ``text, score, label, dataset`` with the label mapped to −1..1.

    ``sample`` draws at most that many texts, stratified by label so that the
    label mix (and with it the label variance R² is measured against) is that
    of the full set.  Empty texts are dropped and duplicates kept once (the
    first label), because a text in both the training and the test split would
    flatter the test score.  Raises :class:`DatasetUnavailable` when a file
    cannot be read.
    """
    if key not in REAL_TEXT_SETS:
        raise KeyError(f"unknown real-text set {key!r}; known: {sorted(REAL_TEXT_SETS)}")
    frames = []
    for name in REAL_TEXT_SETS[key][1]:
        if name.startswith("smp2020"):
            df = load_smp2020(name, **kw)
            unknown = set(df["emotion"]) - set(EMOTION_SCORE)
            if unknown:
                raise ValueError(f"{name}: emotions without a score: {sorted(unknown)}")
            frames.append(pd.DataFrame({"text": df["text"], "label": df["emotion"],
                                        "score": df["emotion"].map(lambda e: EMOTION_SCORE[e][0])}))
        else:
            df = load_chnsenticorp(name, **kw)
            frames.append(pd.DataFrame({"text": df["text"], "label": df["label"].astype(str),
                                        "score": df["label"].map(lambda v: POLARITY_SCORE[int(v)][0])}))
    out = pd.concat(frames, ignore_index=True)
    out["text"] = out["text"].astype(str).str.strip()
    out = out[out["text"].ne("")].drop_duplicates("text").reset_index(drop=True)
    if sample and len(out) > sample:
        out = (out.groupby("label", group_keys=False).sample(frac=sample / len(out), random_state=seed)
                  .sample(frac=1.0, random_state=seed).reset_index(drop=True))
    out["score"] = out["score"].astype(float)
    out["dataset"] = key
    return out
