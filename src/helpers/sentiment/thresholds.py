"""How the category cuts are chosen, and a loud warning when a category comes out empty or tiny.

Du & Gu cut post sentiment at fixed values (positive > 0.3, neutral −0.15..0.15,
negative < −0.79) and justify them as data-driven: the cuts follow density
clusters of their score distribution, at "approximately the 75th and 25th
percentiles" (Method, semantic network analysis; ``study_values.yaml``:
``semantic_network.thresholds.rationale``).  Fixed numbers only carry over to
another model if its scores are on the same scale; a model whose predictions
are shrunk towards the middle leaves the outer categories empty.  Two rules are
therefore offered (:data:`RULES`):

* ``fixed``: the study's numbers (or the chapter's ``thresholds`` parameter),
  applied to the *calibrated* scores (:mod:`helpers.sentiment.calibration`);
* ``percentile``: the study's stated rationale applied to this run's own post
  scores: negative below the 25th percentile, positive above the 75th, and a
  neutral band centred on the median holding the study's share of neutral posts
  (22.4 %, Results, semantic network; ``semantic_network.post_counts``).
  Percentiles depend only on the order of the scores, so a monotone
  calibration does not change them; they are taken on the raw scores, where no
  calibration ties can pile texts onto one cut;
* ``density``: the study's other stated reason, "density clusters": a Gaussian
  kernel density estimate of this run's calibrated post scores
  (``scipy.stats.gaussian_kde``, Scott's bandwidth unless given), each cut
  placed at the density minimum between two modes that lies nearest the
  study's cut-off.  A cut with no such minimum within
  :data:`DENSITY_MAX_SHIFT` of the study's value (a unimodal density has none)
  falls back to the percentile rule's value, and the reason is returned so the
  page can state it.

The study's own numbers do not quite match its wording: its 0.3 cut sits near
the 82nd percentile of its posts and −0.79 near the 21st (``study_values.yaml``:
``internal_inconsistencies.percentile_claim``); ``STUDY_EMPIRICAL_PERCENTILES``
holds those, for a run that wants the shares the study actually had.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.sentiment.categories import CATEGORIES, Thresholds, categorize

RULES: tuple[str, ...] = ("fixed", "percentile", "density")
#: Density rule: a minimum further than this from the study's cut-off does not stand for it.
DENSITY_MAX_SHIFT = 0.3
#: Density rule: a minimum must be at most this share of the lower of its two neighbouring modes
#: (a dip of a few per cent in a flat density is sampling noise, not a gap between clusters).
DENSITY_MAX_DIP = 0.9
#: Share of posts in the neutral band in the study (Results, semantic network: 120 of 535 posts, 22.4 %).
STUDY_NEUTRAL_SHARE = 22.4
#: The study's stated rationale: cuts at about the 25th and 75th percentiles; neutral centred on the median.
STUDY_STATED_PERCENTILES: dict[str, float] = {
    "negative": 25.0,
    "neutral_low": 50.0 - STUDY_NEUTRAL_SHARE / 2,
    "neutral_high": 50.0 + STUDY_NEUTRAL_SHARE / 2,
    "positive": 75.0,
}
#: Where the study's fixed cuts actually fell in its posts (share below −0.79 21.3 %, above 0.3 18.1 %).
STUDY_EMPIRICAL_PERCENTILES: dict[str, float] = {
    "negative": 21.3,
    "neutral_low": 50.0 - STUDY_NEUTRAL_SHARE / 2,
    "neutral_high": 50.0 + STUDY_NEUTRAL_SHARE / 2,
    "positive": 81.9,
}
#: A category holding fewer texts than this share (or count) is reported as tiny.
TINY_SHARE = 0.02
TINY_COUNT = 10


def percentile_thresholds(scores, percentiles: Mapping[str, float] | None = None) -> Thresholds:
    """Cuts at the given percentiles (0..100) of ``scores`` (NaN ignored)."""
    pct = {**STUDY_STATED_PERCENTILES, **dict(percentiles or {})}
    unknown = set(pct) - set(Thresholds.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown percentile key(s) {sorted(unknown)}; expected {sorted(STUDY_STATED_PERCENTILES)}")
    if not (0 <= pct["negative"] <= pct["neutral_low"] <= pct["neutral_high"] <= pct["positive"] <= 100):
        raise ValueError(f"percentiles must satisfy 0 <= negative <= neutral_low <= neutral_high <= positive <= 100; "
                         f"got {pct}")
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    if len(s) == 0:
        raise ValueError("no scores to take percentiles of")
    return Thresholds(**{k: float(np.percentile(s, v)) for k, v in pct.items()})


def density_minima(scores, *, bw_method: float | str | None = None, grid_size: int = 801,
                   max_dip: float = DENSITY_MAX_DIP) -> pd.DataFrame:
    """Minima of a Gaussian KDE of ``scores`` that separate two modes (one row each).

    Columns: ``value`` (where the density is lowest between the modes), ``density``,
    ``left_mode``/``right_mode`` (the neighbouring maxima) and ``dip`` (density at the
    minimum over the lower neighbouring mode; kept only when ≤ ``max_dip``).
    """
    from scipy.stats import gaussian_kde

    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    columns = ["value", "density", "left_mode", "right_mode", "dip"]
    if len(s) < 3 or np.ptp(s) == 0:
        return pd.DataFrame(columns=columns)
    kde = gaussian_kde(s, bw_method=bw_method)
    grid = np.linspace(s.min(), s.max(), grid_size)
    f = kde(grid)
    d = np.diff(f)
    peaks = [i for i in range(1, len(f) - 1) if d[i - 1] > 0 >= d[i]]
    if f[0] > f[1]:
        peaks.insert(0, 0)
    if f[-1] > f[-2]:
        peaks.append(len(f) - 1)
    rows = []
    for a, b in zip(peaks[:-1], peaks[1:], strict=True):
        i = a + int(np.argmin(f[a:b + 1]))
        dip = float(f[i] / min(f[a], f[b]))
        if dip <= max_dip:
            rows.append({"value": float(grid[i]), "density": float(f[i]), "left_mode": float(grid[a]),
                         "right_mode": float(grid[b]), "dip": dip})
    return pd.DataFrame(rows, columns=columns)


def density_thresholds(scores, *, reference: Mapping[str, float] | None = None,
                       bw_method: float | str | None = None, max_shift: float = DENSITY_MAX_SHIFT,
                       percentiles: Mapping[str, float] | None = None) -> tuple[Thresholds, list[str]]:
    """Cuts at the KDE's minima between modes nearest the study's cut-offs, and the reasons for fallbacks.

    Each cut of ``reference`` (the study's by default) takes the nearest unused
    minimum of :func:`density_minima` within ``max_shift``; a cut without one
    takes the percentile rule's value (``percentiles``).  If the cuts so found
    are out of order, all four fall back to the percentile rule.
    """
    ref = vars(Thresholds.from_mapping(reference))
    minima = density_minima(scores, bw_method=bw_method)
    fallback = vars(percentile_thresholds(scores, percentiles))
    values = minima["value"].to_numpy(dtype=float)
    used: set[int] = set()
    out, notes = {}, []
    if len(values) == 0:
        notes.append("the density of the post scores has no minimum between two modes (it is unimodal "
                     "at this bandwidth): every cut falls back to the percentile rule")
    for key in ("negative", "neutral_low", "neutral_high", "positive"):
        order = np.argsort(np.abs(values - ref[key])) if len(values) else []
        pick = next((int(i) for i in order if int(i) not in used and abs(values[i] - ref[key]) <= max_shift), None)
        if pick is None:
            out[key] = fallback[key]
            if len(values):
                notes.append(f"{key}: no density minimum between modes within {max_shift:g} of the study's "
                             f"{ref[key]:+.2f}; the percentile rule's {fallback[key]:+.3f} is used")
        else:
            used.add(pick)
            out[key] = float(values[pick])
    keys = ("negative", "neutral_low", "neutral_high", "positive")
    if any(out[a] > out[b] for a, b in zip(keys[:-1], keys[1:], strict=False)):
        notes.append(f"the density minima give cuts out of order ({out}); all four fall back to the percentile rule")
        out = dict(fallback)
    return Thresholds(**out), notes


def choose_thresholds(rule: str, post_scores, *, fixed: Mapping[str, float] | None = None,
                      percentiles: Mapping[str, float] | None = None, notes: list[str] | None = None,
                      bw_method: float | str | None = None) -> Thresholds:
    """The category cuts for ``rule`` (see :data:`RULES`); ``post_scores`` are the scores they apply to.

    ``notes``, when given, receives the density rule's reasons for any fallback.
    ``fixed`` is also the density rule's reference (the study's cut-offs by default).
    """
    if rule == "fixed":
        return Thresholds.from_mapping(fixed)
    if rule == "percentile":
        return percentile_thresholds(post_scores, percentiles)
    if rule == "density":
        cuts, why = density_thresholds(post_scores, reference=fixed, bw_method=bw_method, percentiles=percentiles)
        if notes is not None:
            notes.extend(why)
        return cuts
    raise ValueError(f"threshold rule must be one of {RULES}, not {rule!r}")


def category_basis(rule: str, raw, calibrated) -> np.ndarray:
    """The scores the cuts are applied to: calibrated for fixed and density cuts, raw for percentile cuts.

    Density minima move with the scale of the scores, and the study's cut-offs they are
    matched to are on the label scale, so the density rule works on calibrated scores.
    """
    if rule not in RULES:
        raise ValueError(f"threshold rule must be one of {RULES}, not {rule!r}")
    return np.asarray(raw if rule == "percentile" else calibrated, dtype=float)


def categorised(frame: pd.DataFrame, raw, calibrated, basis, thresholds: Thresholds) -> pd.DataFrame:
    """``frame`` + ``sentiment`` (raw model score), ``sentiment_calibrated`` and ``sentiment_category``.

    ``sentiment`` stays the model's own score (what the engagement models use,
    as in the study); the category is cut from ``basis``.
    """
    out = frame.copy()
    out["sentiment"] = np.asarray(raw, dtype=float)
    out["sentiment_calibrated"] = np.asarray(calibrated, dtype=float)
    out["sentiment_category"] = categorize(np.asarray(basis, dtype=float), thresholds).to_numpy()
    return out


def with_post_category(comments: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Each comment gets its post's scores and category (``post_sentiment*``); orphans are an error."""
    post = posts.set_index("note_id")
    missing = ~comments["note_id"].isin(post.index)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} comments belong to posts that are not in posts.parquet "
                         f"(e.g. note_id {comments.loc[missing, 'note_id'].iloc[0]!r})")
    out = comments.copy()
    out["post_sentiment"] = out["note_id"].map(post["sentiment"]).astype(float)
    out["post_sentiment_calibrated"] = out["note_id"].map(post["sentiment_calibrated"]).astype(float)
    out["post_sentiment_category"] = out["note_id"].map(post["sentiment_category"]).astype(str)
    return out


def category_warnings(groups: Mapping[str, pd.Series], *, tiny_share: float = TINY_SHARE,
                      tiny_count: int = TINY_COUNT,
                      categories: tuple[str, ...] = tuple(c for c in CATEGORIES if c != "uncategorized"),
                      ) -> list[str]:
    """One sentence per empty or tiny category, for the page and the results file.

    ``groups`` maps a description (e.g. ``"posts"``, ``"comments by post category"``)
    to category labels.  Tiny = fewer than ``tiny_count`` texts or under
    ``tiny_share`` of the group.
    """
    messages = []
    for name, labels in groups.items():
        counts = pd.Series(labels).astype(str).value_counts()
        total = int(counts.sum())
        for cat in categories:
            n = int(counts.get(cat, 0))
            if n == 0:
                messages.append(f"{name}: the {cat} category is EMPTY (0 of {total:,}); "
                                f"any map or comparison of {cat} {name} cannot be made")
            elif n < tiny_count or n < tiny_share * total:
                messages.append(f"{name}: the {cat} category is tiny ({n:,} of {total:,}, "
                                f"{100 * n / total:.1f} %); results for it rest on very few texts")
    return messages


def threshold_table(rule: str, cuts: Thresholds, basis_scores,
                    percentiles: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Each cut: its value, where it falls in the post scores (percentile), and the study's value."""
    study = Thresholds()
    s = np.asarray(basis_scores, dtype=float)
    s = s[~np.isnan(s)]
    pct = {**STUDY_STATED_PERCENTILES, **dict(percentiles or {})}
    rows = []
    for key in ("negative", "neutral_low", "neutral_high", "positive"):
        value = getattr(cuts, key)
        rows.append({"cut": key, "value": value,
                     "percentile_in_posts": 100 * float(np.mean(s < value)) if len(s) else np.nan,
                     "target_percentile": pct[key] if rule == "percentile" else np.nan,
                     "study_value": getattr(study, key)})
    return pd.DataFrame(rows)
