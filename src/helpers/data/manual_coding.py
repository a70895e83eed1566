"""The manual self-disclosure coding file and inter-coder agreement.

The study kept only posts that coders judged to be genuine first-person
self-disclosures of depression.  The coding file is ``note_id,include`` (one
coder or an already resolved decision) or ``note_id,coder_1,coder_2`` (two
coders; optionally with ``include`` holding the decision reached after
discussing disagreements).  With two coders we report Cohen's kappa and list
the disagreements so they can be resolved; without a resolved ``include`` a
post is kept only when both coders said 1 (the conservative rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

_TRUE = {"1", "1.0", "true", "yes", "y", "是", "include", "included"}
_FALSE = {"0", "0.0", "false", "no", "n", "否", "exclude", "excluded"}


class CodingFileError(ValueError):
    """The coding file is missing columns or holds values other than 0/1."""


@dataclass
class Coding:
    """Decision per note plus the agreement statistics when there were two coders."""

    decision: pd.Series  # index note_id -> bool
    rule: str
    n_coded: int
    kappa: float | None = None
    percent_agreement: float | None = None
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict:
        return {
            "rule": self.rule, "n_coded": self.n_coded, "n_included": int(self.decision.sum()),
            "cohen_kappa": self.kappa, "percent_agreement": self.percent_agreement,
            "n_disagreements": int(len(self.disagreements)),
        }


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa for two binary codings, computed by scikit-learn's ``cohen_kappa_score``.

    When both coders used one and the same category throughout, chance
    agreement is 1 and kappa is 0/0 (scikit-learn returns NaN); that case is
    reported as 1.0, perfect agreement, as before.  A hand-written formula is
    kept only in the tests, as a cross-check.
    """
    from sklearn.metrics import cohen_kappa_score

    a = np.asarray(a, dtype=int)
    b = np.asarray(b, dtype=int)
    if len(a) == 0 or len(a) != len(b):
        raise ValueError("kappa needs two codings of the same, non-empty set of items")
    if np.array_equal(a, b) and len(np.unique(a)) == 1:
        return 1.0
    return float(cohen_kappa_score(a, b))


def _binary(column: pd.Series, name: str, path: Path) -> pd.Series:
    text = column.astype(str).str.strip().str.lower()
    ok = text.isin(_TRUE | _FALSE)
    if not ok.all():
        row = int(np.argmax(~ok.to_numpy())) + 2  # header is line 1
        raise CodingFileError(f"{path}, line {row}: column {name!r} holds {column.iloc[row - 2]!r}; "
                              "expected 1/0 (or yes/no)")
    return text.isin(_TRUE)


def read_coding(path: str | Path) -> Coding:
    """Read a coding file and turn it into one include decision per note."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CodingFileError(f"{path}: cannot read coding file ({exc})") from exc
    if "note_id" not in frame.columns:
        raise CodingFileError(f"{path}: coding file needs a note_id column (has {', '.join(frame.columns)})")
    frame = frame.drop_duplicates("note_id", keep="last").set_index("note_id")
    coders = [c for c in ("coder_1", "coder_2") if c in frame.columns]
    if "include" not in frame.columns and not coders:
        raise CodingFileError(f"{path}: coding file needs an include column or coder_1/coder_2 columns")
    kappa = agreement = None
    disagreements = pd.DataFrame(columns=["note_id", "coder_1", "coder_2"])
    if len(coders) == 2:
        c1 = _binary(frame["coder_1"], "coder_1", path)
        c2 = _binary(frame["coder_2"], "coder_2", path)
        kappa = cohen_kappa(c1.to_numpy(), c2.to_numpy())
        agreement = float((c1 == c2).mean())
        differ = c1 != c2
        disagreements = pd.DataFrame({"note_id": frame.index[differ], "coder_1": c1[differ].astype(int).to_numpy(),
                                      "coder_2": c2[differ].astype(int).to_numpy()})
    if "include" in frame.columns:
        decision = _binary(frame["include"], "include", path)
        rule = "include column (resolved decision)"
    elif len(coders) == 2:
        decision = c1 & c2
        rule = "both coders said 1"
    else:
        decision = _binary(frame[coders[0]], coders[0], path)
        rule = f"{coders[0]} (single coder)"
    return Coding(decision=decision, rule=rule, n_coded=len(frame), kappa=kappa,
                  percent_agreement=agreement, disagreements=disagreements)
