"""Read a sentiment annotation file and turn two coders' scores into one label.

The study had two coders score a subset of texts on −1..1 and reports Cohen's
kappa before fine-tuning.  Kappa needs categories, so the continuous scores are
binned first (the bins are a parameter; the default is five equal-width bands).
The two scores are then averaged, or, in ``adjudicate`` mode, averaged only
where the coders agree within a tolerance and taken from an ``adjudicated``
column where they do not.

Accepted layouts (UTF-8 CSV, header row):

* ``text,score``: one consolidated score per text;
* ``text,coder_1,coder_2`` (optionally ``adjudicated``): two coders.

Problems (missing columns, empty texts, scores outside [−1, 1], unparsable
numbers) raise :class:`LabelFileError` naming the rows, so nothing is dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_BINS: tuple[float, ...] = (-1.0, -0.6, -0.2, 0.2, 0.6, 1.0)


class LabelFileError(ValueError):
    """The annotation file cannot be used as it is; the message says why and where."""


@dataclass
class LabelSet:
    """Texts with one score each, plus how the score was reached."""

    data: pd.DataFrame  # columns: text, score (+ coder_1, coder_2 when present)
    source: str
    kappa: float | None = None
    weighted_kappa: float | None = None
    agreement: float | None = None
    resolution: str = "single"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "n": len(self.data), "source": self.source, "resolution": self.resolution,
            "cohen_kappa": self.kappa, "weighted_kappa": self.weighted_kappa,
            "exact_bin_agreement": self.agreement,
            "score_mean": float(self.data["score"].mean()), "score_sd": float(self.data["score"].std()),
        }


def _rows(mask: pd.Series) -> str:
    idx = [int(i) + 2 for i in np.flatnonzero(mask.to_numpy())]  # +2: header + 1-based
    shown = ", ".join(map(str, idx[:10]))
    return shown + (f" … ({len(idx)} rows)" if len(idx) > 10 else "")


def _numeric(df: pd.DataFrame, column: str, source: str) -> pd.Series:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna()
    if bad.any():
        raise LabelFileError(f"{source}: column {column!r} has missing or non-numeric values in rows {_rows(bad)}")
    outside = (values < -1) | (values > 1)
    if outside.any():
        raise LabelFileError(
            f"{source}: column {column!r} has scores outside [-1, 1] in rows {_rows(outside)} "
            f"(e.g. {values[outside].iloc[0]!r}); rescale the annotations to -1..1"
        )
    return values.astype(float)


def bin_scores(scores: pd.Series | np.ndarray, bins: tuple[float, ...] = DEFAULT_BINS) -> np.ndarray:
    """Bin index of each score (edges inclusive at both ends of the range)."""
    edges = np.asarray(bins, dtype=float)
    return np.clip(np.digitize(np.asarray(scores, dtype=float), edges[1:-1], right=False), 0, len(edges) - 2)


def read_sentiment_labels(
    path: str | Path,
    *,
    resolution: str = "average",
    tolerance: float = 0.4,
    bins: tuple[float, ...] = DEFAULT_BINS,
) -> LabelSet:
    """Read and validate an annotation file; see the module docstring for layouts."""
    from sklearn.metrics import cohen_kappa_score

    path = Path(path)
    source = path.name
    if not path.exists():
        raise LabelFileError(f"annotation file {path} does not exist")
    if resolution not in {"average", "adjudicate"}:
        raise LabelFileError(f"resolution must be 'average' or 'adjudicate', not {resolution!r}")
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype={"text": str}, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise LabelFileError(f"{source}: not a UTF-8 CSV file ({exc})") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    if "text" not in df.columns:
        raise LabelFileError(f"{source}: no 'text' column (columns found: {list(df.columns)})")
    texts = df["text"].astype(str).str.strip()
    empty = texts.eq("")
    if empty.any():
        raise LabelFileError(f"{source}: empty text in rows {_rows(empty)}")
    if len(df) == 0:
        raise LabelFileError(f"{source}: no rows")

    no_han = ~texts.str.contains(r"[\u3400-\u4dbf\u4e00-\u9fff]")
    base_notes = []
    if no_han.any():
        base_notes.append(f"{int(no_han.sum())} labelled texts contain no Chinese character (rows {_rows(no_han)}); "
                          "they are kept, but the encoder was chosen for Chinese")

    if {"coder_1", "coder_2"} <= set(df.columns):
        c1, c2 = _numeric(df, "coder_1", source), _numeric(df, "coder_2", source)
        b1, b2 = bin_scores(c1, bins), bin_scores(c2, bins)
        kappa = float(cohen_kappa_score(b1, b2))
        wkappa = float(cohen_kappa_score(b1, b2, weights="quadratic"))
        agreement = float(np.mean(b1 == b2))
        score = (c1 + c2) / 2
        notes = list(base_notes)
        if resolution == "adjudicate":
            disagree = (c1 - c2).abs() > tolerance
            if disagree.any():
                if "adjudicated" not in df.columns:
                    raise LabelFileError(
                        f"{source}: the coders differ by more than {tolerance} in rows {_rows(disagree)}; "
                        "add an 'adjudicated' column with the agreed score for those rows, "
                        "or use resolution='average'"
                    )
                adj = pd.to_numeric(df["adjudicated"].where(disagree), errors="coerce")
                missing = disagree & adj.isna()
                if missing.any():
                    raise LabelFileError(f"{source}: 'adjudicated' is empty in disagreeing rows {_rows(missing)}")
                if ((adj < -1) | (adj > 1)).any():
                    raise LabelFileError(f"{source}: 'adjudicated' has scores outside [-1, 1]")
                score = score.where(~disagree, adj)
                notes.append(f"{int(disagree.sum())} disagreements resolved from the 'adjudicated' column")
        data = pd.DataFrame({"text": texts, "score": score.astype(float), "coder_1": c1, "coder_2": c2})
        return LabelSet(data, source, kappa, wkappa, agreement, resolution, notes)

    if "score" in df.columns:
        data = pd.DataFrame({"text": texts, "score": _numeric(df, "score", source)})
        return LabelSet(data, source, notes=base_notes)
    raise LabelFileError(
        f"{source}: need either a 'score' column or 'coder_1' and 'coder_2' columns "
        f"(columns found: {list(df.columns)})"
    )
