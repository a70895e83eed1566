"""Counts and timestamps as MediaCrawler writes them.

Xiaohongshu shows engagement counts the way its app displays them, and the
crawler stores that display text: ``"1.2万"`` (12,000), ``"10万+"``,
``"1千+"``, ``"3,456"`` or an empty string for zero/hidden.  ``"10万+"`` is a
*lower bound* (the app stops counting), so it is parsed as 100,000 and flagged
(:func:`censored_counts`); a count that was never recorded (an export older
than the field) is missing, never 0.  Timestamps are
milliseconds since the epoch in most versions, seconds in some tables and ISO
text after a round trip through a spreadsheet.  Models need integers and UTC
datetimes, so both are normalised here, vectorised over whole columns (the
comments table has >100k rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_UNITS = {"": 1, "千": 1_000, "k": 1_000, "K": 1_000, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}
_COUNT_RE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[千kK万wW亿]?)\s*\+?\s*$")


class CountParseError(ValueError):
    """A count cell that is neither a number nor a display string like '1.2万'.

    ``index`` is the row label of the first bad cell when a whole column was parsed.
    """

    def __init__(self, message: str, index: object = None):
        super().__init__(message)
        self.index = index


class TimestampParseError(ValueError):
    """A timestamp cell that is neither epoch ms/s nor date text; ``index`` as above."""

    def __init__(self, message: str, index: object = None):
        super().__init__(message)
        self.index = index


#: Cells that mean "no value was recorded" (not zero): JSON null written as text by
#: MediaCrawler's ORM store (``str(None)``), spreadsheet round trips, pandas.
MISSING_TEXT = frozenset({"none", "null", "nan", "<na>", "nat"})


def parse_count(value: object) -> int | None:
    """One display count -> int, or None when no value was recorded.

    ``"1.2万"`` -> 12000; ``"10万+"`` -> 100000 (a lower bound: see :func:`is_censored`);
    ``""`` -> 0 (the app shows an empty label for zero); ``None``/NaN/``"None"`` -> None
    (the field was absent: MediaCrawler's ORM store writes ``str(None)``).
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        raise CountParseError(f"cannot read {value!r} as a count")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(round(float(value)))
    text = str(value).replace(",", "").replace("，", "").strip()
    if text.lower() in MISSING_TEXT:
        return None
    if text == "":
        return 0
    match = _COUNT_RE.match(text)
    if not match:
        raise CountParseError(f"cannot read {value!r} as a count")
    return int(round(float(match.group("num")) * _UNITS[match.group("unit")]))


def is_censored(value: object) -> bool:
    """True for a display count that is only a lower bound (``"10万+"``, ``"1千+"``)."""
    return isinstance(value, str) and value.strip().endswith("+")


def parse_counts(values: pd.Series) -> pd.Series:
    """Column version of :func:`parse_count` (nullable ``Int64``; missing stays missing).

    Raises :class:`CountParseError` naming the first bad row.  Count columns
    hold few distinct display strings (many rows say ``"0"`` or ``"1.2万"``), so
    each distinct value is parsed once and mapped back.
    """
    objects = values.astype(object)
    parsed: dict[object, int | None] = {}
    for value in pd.unique(objects):
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            continue
        try:
            parsed[value] = parse_count(value)
        except CountParseError:
            index = values.index[objects.eq(value).to_numpy()][0]
            raise CountParseError(f"row {index}: cannot read {value!r} as a count", index) from None
    mapped = objects.map(parsed)  # a missing cell is no key: it maps to NaN
    mapped = mapped.astype(object).where(mapped.notna(), None)
    return pd.Series(pd.array(mapped.to_numpy(), dtype="Int64"), index=values.index)


def censored_counts(values: pd.Series) -> pd.Series:
    """Boolean column: which cells are lower bounds (display text ending in ``+``)."""
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return text.str.endswith("+")


def format_count(n: int) -> str:
    """How the app displays a count (the inverse quirk, used by the synthetic export).

    Below 10,000 the number itself; from 10,000 one decimal of 万 (``12345`` ->
    ``"1.2万"``); 100,000 and more as ``"10万+"``; zero sometimes as ``""``.
    """
    if n >= 100_000:
        return "10万+"
    if n >= 10_000:
        return f"{n / 10_000:.1f}万".replace(".0万", "万")
    return str(int(n))


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Epoch ms, epoch s or ISO text -> tz-aware UTC datetimes (NaT where empty).

    Numbers above 1e11 are taken as milliseconds (1e11 s is the year 5138), the
    rest as seconds; anything non-numeric is parsed as date text.
    """
    raw = values.astype("string").str.strip()
    numeric = pd.to_numeric(raw, errors="coerce")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    ms = numeric.notna() & (numeric.abs() > 1e11)
    sec = numeric.notna() & ~ms
    if ms.any():
        out[ms] = pd.to_datetime(numeric[ms].astype("int64"), unit="ms", utc=True)
    if sec.any():
        out[sec] = pd.to_datetime(numeric[sec].astype("float64"), unit="s", utc=True)
    text = numeric.isna() & raw.notna() & (raw != "")
    if text.any():
        parsed = pd.to_datetime(raw[text], utc=True, errors="coerce", format="mixed")
        if parsed.isna().any():
            index = parsed[parsed.isna()].index[0]
            raise TimestampParseError(f"row {index}: cannot read {values.loc[index]!r} as a timestamp", index)
        out[text] = parsed
    return out
