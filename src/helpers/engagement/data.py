"""Assemble the model frames for the engagement models (chapter 03) from a run folder.

The study fits five linear mixed models:

* Models 1–4: ln(Y+1) of likes, favorites (collects), shares and comments of a post on the
  post's average sentiment, with post length, time since posting and follower count as
  covariates and a random intercept per creator;
* Model 5: the sentiment of each comment on its post's sentiment and the same post-level
  covariates, with crossed random intercepts for creators, posts and audience members.

Everything the study fixed (which outcomes, which covariates, ln transforms, the grouping
factors, z-scoring) is a field of :class:`ModelSpec` so a sweep can vary it.  Transforms are
set per variable; the defaults are the paper's (:data:`helpers.study.du_gu.TRANSFORMS`):
ln(x+1) for time since posting and followers, post length left unlogged (the paper exempts
lengths) and expressed in units of :data:`~helpers.study.du_gu.POST_LENGTH_UNIT` characters,
the unit the book assumes for the paper's length coefficient.  Problems in the
data are either fixed in a *documented* way (a covariate that is all missing or constant is
left out and a note says so) or stop with a message that names the fix; nothing silently
changes the method.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.study import du_gu

#: Outcome name -> raw count column in clean/posts.parquet.
OUTCOME_COLUMNS: dict[str, str] = {
    "likes": "liked_count",
    "favorites": "collected_count",
    "shares": "share_count",
    "comments": "comment_count",
}
#: Covariate name -> raw column in clean/posts.parquet.
COVARIATE_COLUMNS: dict[str, str] = {
    "post_length": "post_length",
    "days_since_post": "days_since_post",
    "fans": "fans",
}
DEFAULT_COVARIATES: tuple[str, ...] = ("post_length", "days_since_post", "fans")
PREDICTOR = "post_sentiment"
COMMENT_OUTCOME = "comment_sentiment"
TRANSFORMS = ("ln1p", "none")
#: The paper's transform of each covariate (ln(x+1) except lengths).
DEFAULT_TRANSFORMS: tuple[tuple[str, str], ...] = tuple((c, du_gu.TRANSFORMS[c]) for c in COVARIATE_COLUMNS)
#: Divisor applied to an *untransformed* covariate (post length in hundreds of characters).
DEFAULT_UNITS: tuple[tuple[str, float], ...] = (("post_length", float(du_gu.POST_LENGTH_UNIT)),)


def parse_transforms(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"post_length:none,fans:ln1p"`` (a notebook parameter) -> a dict; unknown names are errors."""
    if text is None or text == "":
        return {}
    if isinstance(text, Mapping):
        pairs = dict(text)
    else:
        pairs = {}
        for item in str(text).split(","):
            if not item.strip():
                continue
            if ":" not in item:
                raise EngagementDataError(f"transform {item.strip()!r} must look like NAME:ln1p or NAME:none")
            name, how = (x.strip() for x in item.split(":", 1))
            pairs[name] = how
    unknown = sorted(set(pairs) - set(COVARIATE_COLUMNS))
    if unknown:
        raise EngagementDataError(f"transform for unknown covariate(s) {unknown}; choose from {sorted(COVARIATE_COLUMNS)}")
    bad = sorted(h for h in pairs.values() if h not in TRANSFORMS)
    if bad:
        raise EngagementDataError(f"unknown transform {bad[0]!r}; use one of {TRANSFORMS}")
    return pairs


class EngagementDataError(ValueError):
    """The data cannot support the requested model; the message says what to change."""


@dataclass(frozen=True)
class ModelSpec:
    """One engagement model, as data rather than as a formula string.

    ``outcome`` is a key of :data:`OUTCOME_COLUMNS` (post level) or ``"comment_sentiment"``
    (comment level).  ``slopes`` lists grouping factors that get a random slope for the
    predictor (filled in by the slope selection).
    """

    name: str
    outcome: str
    predictor: str = PREDICTOR
    covariates: tuple[str, ...] = DEFAULT_COVARIATES
    outcome_transform: str = "ln1p"
    transforms: tuple[tuple[str, str], ...] = DEFAULT_TRANSFORMS
    units: tuple[tuple[str, float], ...] = DEFAULT_UNITS
    groups: tuple[str, ...] = ("creator_id",)
    slopes: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        return "comment" if self.outcome == COMMENT_OUTCOME else "post"

    @property
    def response(self) -> str:
        """Column name of the (transformed) response in the model frame."""
        if self.level == "comment":
            return COMMENT_OUTCOME
        return f"ln_{self.outcome}" if self.outcome_transform == "ln1p" else self.outcome

    def transform_of(self, name: str) -> str:
        return dict(self.transforms).get(name, "ln1p")

    def unit_of(self, name: str) -> float:
        """Divisor of an untransformed covariate (1 when none is set or the covariate is logged)."""
        return float(dict(self.units).get(name, 1.0)) if self.transform_of(name) == "none" else 1.0

    def covariate_term(self, name: str) -> str:
        return f"ln_{name}" if self.transform_of(name) == "ln1p" else name

    def describe_terms(self) -> dict[str, str]:
        """term -> how it enters the model (for tables and the page)."""
        out = {self.predictor: "raw score (−1..1)"}
        for c in self.covariates:
            unit = self.unit_of(c)
            out[self.covariate_term(c)] = ("ln(x+1)" if self.transform_of(c) == "ln1p" else
                                           "unlogged" + (f", per {unit:g}" if unit != 1 else ""))
        return out

    @property
    def fixed_terms(self) -> list[str]:
        return [self.predictor] + [self.covariate_term(c) for c in self.covariates]

    def formula(self) -> str:
        """lme4 formula: fixed effects + one random term per grouping factor."""
        random = []
        for group in self.groups:
            if group in self.slopes:
                random.append(f"(1 + {self.predictor} | {group})")
            else:
                random.append(f"(1 | {group})")
        return f"{self.response} ~ {' + '.join(self.fixed_terms)} + {' + '.join(random)}"

    def with_slopes(self, slopes: Iterable[str]) -> ModelSpec:
        return replace(self, slopes=tuple(slopes))


def study_model_specs(
    outcomes: Sequence[str] = ("likes", "favorites", "shares", "comments"),
    covariates: Sequence[str] = DEFAULT_COVARIATES,
    outcome_transform: str = "ln1p",
    covariate_transform: str | None = None,
    post_groups: Sequence[str] = ("creator_id",),
    comment_groups: Sequence[str] = ("creator_id", "note_id", "audience_id"),
    include_comment_model: bool = True,
    transforms: str | Mapping[str, str] | None = None,
    units: Mapping[str, float] | None = None,
) -> list[ModelSpec]:
    """The study's Models 1–5 (or a variation of them, for sweeps).

    ``transforms`` sets covariates one by one (``{"post_length": "ln1p"}`` or the notebook form
    ``"post_length:ln1p"``) on top of the paper's defaults; ``covariate_transform`` sets all
    covariates at once (applied first).  ``units`` overrides the divisor of untransformed
    covariates (default: post length per 100 characters).
    """
    for t in (outcome_transform, covariate_transform or "ln1p"):
        if t not in TRANSFORMS:
            raise EngagementDataError(f"unknown transform {t!r}; use one of {TRANSFORMS}")
    chosen = dict(DEFAULT_TRANSFORMS)
    if covariate_transform is not None:
        chosen = dict.fromkeys(chosen, covariate_transform)
    chosen.update(parse_transforms(transforms))
    per_var = tuple((c, chosen[c]) for c in COVARIATE_COLUMNS)
    unit_map = dict(DEFAULT_UNITS) if units is None else {k: float(v) for k, v in units.items()}
    unit_pairs = tuple(sorted(unit_map.items()))
    unknown = [o for o in outcomes if o not in OUTCOME_COLUMNS]
    if unknown:
        raise EngagementDataError(f"unknown outcome(s) {unknown}; choose from {sorted(OUTCOME_COLUMNS)}")
    unknown = [c for c in covariates if c not in COVARIATE_COLUMNS]
    if unknown:
        raise EngagementDataError(f"unknown covariate(s) {unknown}; choose from {sorted(COVARIATE_COLUMNS)}")
    specs = [
        ModelSpec(f"Model {i}", o, covariates=tuple(covariates), outcome_transform=outcome_transform,
                  transforms=per_var, units=unit_pairs, groups=tuple(post_groups))
        for i, o in enumerate(outcomes, start=1)
    ]
    if include_comment_model:
        specs.append(ModelSpec(f"Model {len(specs) + 1}", COMMENT_OUTCOME, covariates=tuple(covariates),
                               transforms=per_var, units=unit_pairs, groups=tuple(comment_groups)))
    return specs


@dataclass
class ModelFrame:
    """The rows and columns one model is fitted on, plus what was changed on the way."""

    spec: ModelSpec
    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)  # column -> (mean, sd)

    @property
    def n_groups(self) -> dict[str, int]:
        return {g: int(self.data[g].nunique()) for g in self.spec.groups}


def _transform(values: pd.Series, how: str) -> pd.Series:
    values = pd.to_numeric(values, errors="coerce").astype(float)
    if how == "none":
        return values
    if (values < 0).any():
        raise EngagementDataError(f"ln(x+1) needs non-negative values; {values.name} has negatives")
    return np.log1p(values)


def load_posts(run_dir: str | Path, sentiment: str = "estimated") -> pd.DataFrame:
    """Posts with their sentiment: the scored file (``estimated``) or the planted truth (``latent``).

    ``latent`` exists only for the synthetic corpus; it lets the recovery check separate model
    error from the measurement error of the sentiment classifier.
    """
    root = Path(run_dir)
    scored = root / "sentiment" / "posts_scored.parquet"
    clean = root / "clean" / "posts.parquet"
    if sentiment == "estimated":
        if not scored.exists():
            raise FileNotFoundError(f"{scored} is missing: run chapter 02 (python -m helpers run --only 02)")
        posts = pd.read_parquet(scored)
        return posts.rename(columns={"sentiment": PREDICTOR})
    if sentiment == "latent":
        return _with_latent(clean, root / "raw" / "truth_posts.parquet", "note_id", PREDICTOR)
    raise EngagementDataError(f"sentiment must be 'estimated' or 'latent', not {sentiment!r}")


def _with_latent(clean: Path, truth: Path, key: str, name: str) -> pd.DataFrame:
    """Cleaned rows joined to the planted sentiment of the synthetic corpus, as column ``name``."""
    for path in (clean, truth):
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `python -m helpers synth` and chapter 01")
    latent = pd.read_parquet(truth, columns=[key, "latent_sentiment"])
    return pd.read_parquet(clean).merge(latent, on=key, how="inner").rename(columns={"latent_sentiment": name})


def load_comments(run_dir: str | Path, sentiment: str = "estimated") -> pd.DataFrame:
    """Comments with their own sentiment (``comment_sentiment``) and their note id."""
    root = Path(run_dir)
    if sentiment == "estimated":
        path = root / "sentiment" / "comments_scored.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run chapter 02 (python -m helpers run --only 02)")
        comments = pd.read_parquet(path)
        return comments.drop(columns=["post_sentiment"], errors="ignore").rename(
            columns={"sentiment": COMMENT_OUTCOME})
    if sentiment == "latent":
        return _with_latent(root / "clean" / "comments.parquet", root / "raw" / "truth_comments.parquet",
                            "comment_id", COMMENT_OUTCOME)
    raise EngagementDataError(f"sentiment must be 'estimated' or 'latent', not {sentiment!r}")


def build_frame(
    spec: ModelSpec,
    posts: pd.DataFrame,
    comments: pd.DataFrame | None = None,
    *,
    standardise: bool = False,
    min_groups: int = 5,
) -> ModelFrame:
    """Model-ready rows for ``spec``: transformed columns, checked, optionally z-scored.

    * a covariate whose values are all missing (e.g. an export without follower counts) or
      constant is dropped from the spec with a note — the rest of the model is unchanged;
    * rows with a partly missing covariate are dropped with a note that counts them;
    * a constant or missing outcome/predictor, or fewer than ``min_groups`` levels of a
      grouping factor, or a grouping factor with one row per level, is an error.
    """
    notes: list[str] = []
    need = {"note_id", "creator_id", PREDICTOR}
    missing = need - set(posts.columns)
    if missing:
        raise EngagementDataError(f"posts table lacks column(s) {sorted(missing)} (see CONTRIBUTING.md)")
    post_cols: dict[str, pd.Series] = {
        "note_id": posts["note_id"].astype(str),
        "creator_id": posts["creator_id"].astype(str),
        PREDICTOR: pd.to_numeric(posts[PREDICTOR], errors="coerce").astype(float),
    }
    kept_covariates: list[str] = []
    for cov in spec.covariates:
        raw = COVARIATE_COLUMNS[cov]
        if raw not in posts.columns or posts[raw].isna().all():
            notes.append(
                f"{cov}: no values in the data (column {raw!r} missing or empty); "
                f"{spec.name} is fitted without this covariate. Supply follower counts to `clean` "
                "(creators table or a user_id,fans CSV) to include it." if cov == "fans" else
                f"{cov}: no values in the data; {spec.name} is fitted without this covariate."
            )
            continue
        post_cols[spec.covariate_term(cov)] = (_transform(posts[raw].rename(cov), spec.transform_of(cov))
                                               / spec.unit_of(cov))
        kept_covariates.append(cov)
    if spec.level == "post":
        raw = OUTCOME_COLUMNS[spec.outcome]
        if raw not in posts.columns:
            raise EngagementDataError(f"posts table lacks {raw!r} needed for outcome {spec.outcome!r}")
        post_cols[spec.response] = _transform(posts[raw].rename(spec.outcome), spec.outcome_transform)
        post_cols[OUTCOME_COLUMNS[spec.outcome]] = pd.to_numeric(posts[raw], errors="coerce")
    frame = pd.DataFrame(post_cols)

    if spec.level == "comment":
        if comments is None:
            raise EngagementDataError(f"{spec.name} models comments: pass the comments table")
        for col in ("note_id", "audience_id", COMMENT_OUTCOME):
            if col not in comments.columns:
                raise EngagementDataError(f"comments table lacks column {col!r}")
        c = pd.DataFrame({
            "comment_id": comments["comment_id"].astype(str) if "comment_id" in comments else np.arange(len(comments)).astype(str),
            "note_id": comments["note_id"].astype(str),
            "audience_id": comments["audience_id"].astype(str),
            COMMENT_OUTCOME: pd.to_numeric(comments[COMMENT_OUTCOME], errors="coerce").astype(float),
        })
        n_before = len(c)
        frame = c.merge(frame, on="note_id", how="inner")
        if len(frame) < n_before:
            notes.append(f"{n_before - len(frame)} comments belong to posts not in the post table and are left out.")

    terms = [spec.predictor] + [spec.covariate_term(c) for c in kept_covariates]
    used = [spec.response, *terms, *spec.groups]
    incomplete = frame[used].isna().any(axis=1)
    if incomplete.all():
        raise EngagementDataError(f"{spec.name}: every row has a missing value in {used}")
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(frame)} rows have a missing value in {used} and are left out.")
        frame = frame.loc[~incomplete].reset_index(drop=True)

    for col in (spec.response, spec.predictor):
        if frame[col].nunique() <= 1:
            raise EngagementDataError(
                f"{spec.name}: {col!r} is constant over all {len(frame)} rows, so its effect cannot be estimated; "
                "check the sentiment scores / counts (or use a larger corpus)."
            )
    for cov in list(kept_covariates):
        col = spec.covariate_term(cov)
        if frame[col].nunique() <= 1:
            notes.append(f"{cov}: constant in the data; {spec.name} is fitted without this covariate.")
            kept_covariates.remove(cov)
    spec = replace(spec, covariates=tuple(kept_covariates))

    for group in spec.groups:
        levels = frame[group].nunique()
        if levels < min_groups:
            raise EngagementDataError(
                f"{spec.name}: {group} has {levels} level(s); a random intercept needs at least {min_groups}. "
                "Use a larger corpus (--scale) or drop this grouping factor from the model's groups."
            )
        if levels >= len(frame):
            raise EngagementDataError(
                f"{spec.name}: every row has its own {group} ({levels} levels, {len(frame)} rows), so its variance "
                "cannot be told apart from the residual; use a larger corpus or drop this grouping factor."
            )

    scales: dict[str, tuple[float, float]] = {}
    for col in [spec.response, *spec.fixed_terms]:
        scales[col] = (float(frame[col].mean()), float(frame[col].std(ddof=1)))
    if standardise:
        for col, (mean, sd) in scales.items():
            frame[col] = (frame[col] - mean) / sd
        notes.append("outcome and predictors z-scored (coefficients are standardised β).")
    return ModelFrame(spec, frame.reset_index(drop=True), notes, scales)
