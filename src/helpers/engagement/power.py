"""Simulation-based power for the five engagement models.

How many posts, and how many comments per post, does a crawl need before the study's effects
can be told from zero, and how much does an imperfect sentiment model cost?  Closed-form power
formulas do not cover crossed random intercepts, a predictor measured with error and a
post-level predictor repeated over comments, so power is estimated by simulation:

1. draw a data set of the given design from the *planted* effects (the synthetic generator's
   ``raw/truth.json``; on real data the study's reported coefficients, see
   :meth:`PlantedEffects.from_study`);
2. replace the true sentiment by a prediction whose squared correlation with it is the
   sentiment model's R² (posts, and comment sentiment in Model 5);
3. fit Models 1–5 and record every coefficient's p value;
4. power = share of data sets with p < α, with its Monte-Carlo standard error.

The simulation is its own, stated model — standard-normal predictors, Gaussian random
intercepts, ln(Y+1) treated as continuous — not a copy of the corpus generator: it asks how
often *the study's analysis* detects effects of the planted size, not whether the generator
is right.  Three fitting engines trade speed for fidelity:

* ``ols_cluster`` (default for large grids): OLS with creator-clustered standard errors for
  every model — a valid test of fixed effects under nesting, slightly less efficient than the
  mixed model and optimistic with very few creators;
* ``mixedlm``: statsmodels ``MixedLM`` with a random intercept per creator for Models 1–4
  (the study's structure); Model 5 stays on clustered OLS, since MixedLM has no fast crossed
  random intercepts;
* ``lme4``: lme4 + lmerTest (Satterthwaite p values) for all five models, crossed intercepts
  for Model 5, exactly as chapter 03 fits them — the slow, faithful engine for full-scale runs.

A grid of designs runs locally or as Dask tasks (:func:`power_grid`), and the same grid can be
spread over a sweep (``data/sweeps/power.yml``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.engagement.data import ModelSpec

POST_OUTCOMES: tuple[str, ...] = ("likes", "favorites", "shares", "comments")
COMMENT_OUTCOME = "comment_sentiment"
TERMS: tuple[str, ...] = ("post_sentiment", "post_length", "days_since_post", "fans")
ENGINES = ("ols_cluster", "mixedlm", "lme4")
PREDICTOR_COLUMN = "post_sentiment"
#: Column names of the simulated frames, as chapter 03's model frames name them under the
#: paper's transforms (``post_length`` unlogged, ``ln_days_since_post``, ``ln_fans``): the lme4
#: engine fits these columns with chapter 03's own formula, so the names must agree with it.
FRAME_TERMS = {"post_sentiment": "post_sentiment",
               **{t: ModelSpec("power", POST_OUTCOMES[0]).covariate_term(t) for t in TERMS[1:]}}
#: Used only where neither a truth file nor the study says anything (stated on the page).
ASSUMED_CREATOR_SHARE = 0.3
ASSUMED_COMMENT_VARIANCES = {"creator": 0.05, "post": 0.10, "audience": 0.15}
ASSUMED_POSTS_PER_CREATOR = 2.5
ASSUMED_AUDIENCE_PER_COMMENT = 0.4


class PowerError(ValueError):
    """The planted effects or the design cannot be simulated; the message says why."""


def model_name(outcome: str, outcomes: Sequence[str] = POST_OUTCOMES) -> str:
    """``Model k`` as numbered in the study (1–4 post outcomes, 5 comment sentiment)."""
    if outcome == COMMENT_OUTCOME:
        return f"Model {len(outcomes) + 1}"
    return f"Model {list(outcomes).index(outcome) + 1}"


#: outcome -> {"outcome": SD of the fitted response, term: SD of that predictor as fitted}.
SDs = dict[str, dict[str, float]]


def _is_raw(info: dict[str, Any]) -> bool:
    """A truth.json model block whose coefficients are on the raw (unstandardised) scale."""
    if info.get("standardised") is True or info.get("scale") == "standardised":
        return False
    return info.get("scale") == "raw" or info.get("standardised") is False


def standardise(raw: dict[str, float], sds: dict[str, float] | None,
                terms: Sequence[str] = TERMS) -> dict[str, float] | None:
    """β_std = β_raw · SD(x) / SD(y) for every term with an SD; None without SD(y) or any SD(x).

    Terms without an SD are left out of the result (the caller says what it does with them).
    """
    if not sds or not sds.get("outcome") or not np.isfinite(sds["outcome"]) or sds["outcome"] <= 0:
        return None
    out = {t: float(raw[t]) * float(sds[t]) / float(sds["outcome"]) for t in terms
           if t in raw and sds.get(t) is not None and np.isfinite(sds[t])}
    return out or None


def observed_sds(frames: Iterable[Any]) -> SDs:
    """The SDs the conversion needs, from chapter 03 model frames (:class:`helpers.engagement.data.ModelFrame`).

    Each frame's ``scales`` hold (mean, SD) of its response and fixed terms as fitted (e.g.
    ``ln_fans``); they are returned under the study's term names.
    """
    out: SDs = {}
    for frame in frames:
        spec = frame.spec
        entry = {"outcome": float(frame.scales[spec.response][1])}
        for term in TERMS:
            column = PREDICTOR_COLUMN if term == PREDICTOR_COLUMN else spec.covariate_term(term)
            if column in frame.scales:
                entry[term] = float(frame.scales[column][1])
        out[spec.outcome] = entry
    return out


def sds_of_data(posts: pd.DataFrame, comments: pd.DataFrame | None = None) -> SDs:
    """:func:`observed_sds` of chapter 03's five model frames built on ``posts`` / ``comments``.

    A model the data cannot support (:class:`~helpers.engagement.data.EngagementDataError`) is
    left out; its coefficients then stay unconverted and are reported as such.
    """
    from helpers.engagement.data import EngagementDataError, build_frame, study_model_specs

    frames = []
    for spec in study_model_specs(include_comment_model=comments is not None):
        try:
            frames.append(build_frame(spec, posts, comments if spec.level == "comment" else None))
        except EngagementDataError:
            continue
    return observed_sds(frames)


@dataclass(frozen=True)
class PlantedEffects:
    """Standardised effects and variance parts that drive the simulation.

    ``coefficients[outcome][term]`` are standardised β of Models 1–4 (ln(Y+1) and predictors in
    SD units); ``creator_share[outcome]`` is the creator-intercept variance on that scale, the
    rest of the unexplained variance is residual.  Model 5 lives on a normal-score scale of
    total variance 1: ``comment_slope`` per SD of post sentiment, ``comment_variances`` of the
    creator, post and audience intercepts.
    """

    coefficients: dict[str, dict[str, float]]
    creator_share: dict[str, float]
    comment_slope: float | None
    comment_variances: dict[str, float]
    posts_per_creator: float
    audience_per_comment: float
    source: str
    notes: tuple[str, ...] = ()

    @classmethod
    def from_truth(cls, truth: dict[str, Any], sds: SDs | None = None) -> PlantedEffects:
        """Effects planted in a synthetic run (``raw/truth.json``).

        The generator plants the study's β on the *raw* scale the book declares
        (:data:`helpers.study.du_gu.COEFFICIENT_SCALE`, each term's scale in ``term_scales``); the
        simulation needs standardised effects.  Raw coefficients are converted with ``sds``, the
        SDs of each model's outcome and predictors in the run's own data (:func:`observed_sds`):
        β_std = β_raw · SD(x) / SD(y).  Without them a raw-scale model is left out with a note.
        Truth files that declare standardised coefficients are used as they are.
        """
        engagement = truth.get("engagement") or {}
        coefs: dict[str, dict[str, float]] = {}
        shares: dict[str, float] = {}
        notes: list[str] = []
        for outcome in POST_OUTCOMES:
            info = engagement.get(outcome)
            if not info or "coefficients" not in info:
                notes.append(f"{outcome}: no planted coefficients in truth.json; not simulated.")
                continue
            raw = {t: float(info["coefficients"].get(t, 0.0)) for t in TERMS}
            if _is_raw(info):
                converted = standardise(raw, (sds or {}).get(outcome))
                if converted is None:
                    notes.append(f"{outcome}: planted on the raw scale and no SDs of this run's data were given to "
                                 "standardise it (pass observed_sds(...)); not simulated.")
                    continue
                missing = [t for t in TERMS if t not in converted]
                if missing:
                    notes.append(f"{outcome}: no SD for {', '.join(missing)} in this run's data; planted as 0.")
                coefs[outcome] = {t: converted.get(t, 0.0) for t in TERMS}
            else:
                coefs[outcome] = raw
            explained = sum(b * b for b in coefs[outcome].values())
            creator_var = (info.get("random_effects") or {}).get("creator_intercept_variance_std")
            if creator_var is None and info.get("creator_share_of_residual_variance") is not None:
                creator_var = float(info["creator_share_of_residual_variance"]) * max(1 - explained, 0.0)
            if creator_var is None:
                creator_var = ASSUMED_CREATOR_SHARE * max(1 - explained, 0.0)
                notes.append(f"{outcome}: creator variance not in truth.json; {ASSUMED_CREATOR_SHARE:.0%} of "
                             "the unexplained variance assumed.")
            shares[outcome] = float(creator_var)
        comment = engagement.get(COMMENT_OUTCOME) or {}
        slope = comment.get("planted_slope_normal_scores")
        variances = dict(ASSUMED_COMMENT_VARIANCES)
        planted_vars = comment.get("random_intercept_variances_normal_scores") or {}
        for key in variances:
            if f"var_{key}" in planted_vars:
                variances[key] = float(planted_vars[f"var_{key}"])
        if slope is None and "coefficients" in comment and _is_raw(comment):
            cs = (sds or {}).get(COMMENT_OUTCOME)
            converted = standardise({"post_sentiment": float(comment["coefficients"].get("post_sentiment", 0.0))}, cs,
                                    terms=("post_sentiment",))
            if converted is not None:
                slope = converted["post_sentiment"]
                parts = comment.get("random_intercept_sds") or {}
                for key in variances:
                    if f"sd_{key}" in parts:
                        variances[key] = (float(parts[f"sd_{key}"]) / cs["outcome"]) ** 2
        if slope is None:
            notes.append("comment_sentiment: no standardised slope could be planted (none in truth.json, or a raw "
                         "one without this run's SDs); Model 5 not simulated.")
        creators = truth.get("creators") or {}
        ppc = float(creators.get("mean_posts_per_kept_creator") or creators.get("mean_posts_per_planned_creator")
                    or ASSUMED_POSTS_PER_CREATOR)
        sizes = truth.get("expected_clean") or {}
        audience = (truth.get("audience") or {}).get("n_audience_kept")
        apc = (float(audience) / float(sizes["comments"]) if audience and sizes.get("comments")
               else ASSUMED_AUDIENCE_PER_COMMENT)
        return cls(coefs, shares, None if slope is None else float(slope), variances, ppc, apc,
                   f"planted truth of the synthetic run (seed {truth.get('seed')}, scale {truth.get('scale')})",
                   tuple(notes))

    @classmethod
    def from_study(cls, sds: SDs | None = None, *, infer: bool = True) -> PlantedEffects:
        """The study's reported β, standardised, where it gives numbers (real-data runs).

        The book reads the paper's β as raw coefficients (:data:`helpers.study.du_gu.COEFFICIENT_SCALE`);
        the simulation plants standardised effects, β_std = β_raw · SD(x) / SD(y).  Each SD comes,
        in this order, from ``sds`` (the user's own data, :func:`observed_sds`), from the study where
        it reports one (post sentiment SD 0.57, comment sentiment SD 0.49, Results), or — with
        ``infer`` — from the paper's standard errors: a covariate's SD from its SE relative to the
        sentiment SE (:func:`helpers.study.du_gu.coefficient_scale_evidence`), an outcome's from
        the residual SD its sentiment SE implies (SE · SD(sentiment) · √n) plus the explained part.
        The notes say which were inferred.  A coefficient with no SD to convert it is left out
        (its power is not computed), never planted on the wrong scale.  Variance parts are not
        reported by the study and are the stated assumptions of this module.
        """
        from helpers.study import du_gu

        table = du_gu.reported_table()
        raw_scale = du_gu.COEFFICIENT_SCALE == "raw"
        implied = du_gu.coefficient_scale_evidence().set_index(["outcome", "term"])["implied_sd_if_raw"]
        sd_post = float(du_gu.SCORE_DISTRIBUTION["posts"]["sd"])
        sd_comment = float(du_gu.SCORE_DISTRIBUTION["comments"]["sd"])
        n_posts = int(du_gu.STUDY_SIZE["posts"])
        coefs: dict[str, dict[str, float]] = {}
        notes = ["variance parts (creator share, Model 5 intercepts) are not reported by the study: assumed"]
        inferred: dict[str, list[str]] = {}
        for outcome in POST_OUTCOMES:
            rows = table.loc[table["outcome"] == outcome].set_index("term")
            raw = {t: float(rows.loc[t, "beta"]) for t in TERMS if t in rows.index and pd.notna(rows.loc[t, "beta"])}
            if not raw:
                continue
            if not raw_scale:
                coefs[outcome] = {t: raw.get(t, 0.0) for t in TERMS}
                continue
            given = dict((sds or {}).get(outcome) or {})
            sd_x: dict[str, float] = {}
            for term in raw:
                if term in given:
                    sd_x[term] = float(given[term])
                elif term == "post_sentiment":
                    sd_x[term] = sd_post
                elif infer and (outcome, term) in implied.index:
                    sd_x[term] = float(implied.loc[(outcome, term)])
                    inferred.setdefault(outcome, []).append(f"SD({term})")
            sd_y = given.get("outcome")
            if sd_y is None and infer and "post_sentiment" in raw and pd.notna(rows.loc["post_sentiment", "se"]):
                resid = float(rows.loc["post_sentiment", "se"]) * sd_post * np.sqrt(n_posts)
                sd_y = float(np.sqrt(resid ** 2 + sum((raw[t] * sd_x[t]) ** 2 for t in sd_x)))
                inferred.setdefault(outcome, []).append("SD(ln(Y+1))")
            converted = standardise(raw, {**sd_x, "outcome": sd_y} if sd_y else None, terms=tuple(raw))
            if converted is None:
                notes.append(f"{outcome}: the study reports raw β but not the SDs to standardise them, and none "
                             "were given; not simulated (pass observed_sds(...) or infer=True).")
                continue
            missing = [t for t in raw if t not in sd_x]
            if missing:
                notes.append(f"{outcome}: no SD for {', '.join(missing)}; planted as 0 (its power is not meaningful).")
            coefs[outcome] = {t: converted.get(t, 0.0) if t in sd_x else 0.0 for t in TERMS}
        for outcome, what in inferred.items():
            notes.append(f"{outcome}: {', '.join(what)} inferred from the paper's standard errors (not reported).")
        m5 = table.loc[(table["outcome"] == COMMENT_OUTCOME) & (table["term"] == "post_sentiment"), "beta"]
        slope = float(m5.iloc[0]) if len(m5) and pd.notna(m5.iloc[0]) else None
        if slope is not None and raw_scale:
            given = dict((sds or {}).get(COMMENT_OUTCOME) or {})
            slope = slope * float(given.get("post_sentiment", sd_post)) / float(given.get("outcome", sd_comment))
        shares = {o: ASSUMED_CREATOR_SHARE * max(1 - sum(b * b for b in c.values()), 0.0) for o, c in coefs.items()}
        return cls(coefs, shares, slope, dict(ASSUMED_COMMENT_VARIANCES), ASSUMED_POSTS_PER_CREATOR,
                   ASSUMED_AUDIENCE_PER_COMMENT, "the study's reported coefficients, standardised", tuple(notes))

    def planted_table(self) -> pd.DataFrame:
        """Model, outcome, term and planted standardised effect (0 where none is planted)."""
        rows = [{"model": model_name(o), "outcome": o, "term": t, "planted": b}
                for o, c in self.coefficients.items() for t, b in c.items()]
        if self.comment_slope is not None:
            rows += [{"model": model_name(COMMENT_OUTCOME), "outcome": COMMENT_OUTCOME, "term": t,
                      "planted": self.comment_slope if t == "post_sentiment" else 0.0} for t in TERMS]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Design:
    """One point of the power grid.

    ``sentiment_r2`` is the squared correlation between the sentiment model's predictions and
    the true scores (what a test split measures); prediction error is drawn independent of
    everything else.  Comments per post follow a gamma-Poisson (negative-binomial) count with
    shape ``comment_dispersion`` — real comment counts are very uneven across posts.
    ``sentiment_slope`` is d in W = dX + U (1: classical error).
    """

    n_posts: int
    comments_per_post: float
    sentiment_r2: float
    posts_per_creator: float = ASSUMED_POSTS_PER_CREATOR
    audience_per_comment: float = ASSUMED_AUDIENCE_PER_COMMENT
    comment_dispersion: float = 1.0
    sentiment_slope: float = 1.0

    def __post_init__(self) -> None:
        if self.n_posts < 8:
            raise PowerError(f"n_posts must be at least 8, got {self.n_posts}")
        if not 0 < self.sentiment_r2 <= 1:
            raise PowerError(f"sentiment_r2 must be in (0, 1], got {self.sentiment_r2}")
        if self.comments_per_post < 0 or self.posts_per_creator < 1:
            raise PowerError("comments_per_post must be ≥ 0 and posts_per_creator ≥ 1")

    @property
    def n_creators(self) -> int:
        return max(int(round(self.n_posts / self.posts_per_creator)), 3)


@dataclass
class SimulatedData:
    """One simulated data set in chapter 03's column names (plus the true sentiment)."""

    posts: pd.DataFrame
    comments: pd.DataFrame


def observed_sentiment(true: np.ndarray, r2: float, rng: np.random.Generator, slope: float = 1.0,
                       sd: float | None = None) -> np.ndarray:
    """A prediction W = slope·X + U with corr²(X, W) = r2 (U independent of everything).

    ``slope`` < 1 mimics a model whose predictions shrink towards the mean; power depends only on
    r2, but the measurement-error corrections see the slope.  ``sd`` is the population SD of X
    (the sample's when not given).
    """
    sd = float(np.std(true)) if sd is None else sd
    if r2 >= 1:
        return slope * true
    return slope * true + rng.normal(0.0, abs(slope) * (sd or 1.0) * np.sqrt((1 - r2) / r2), size=len(true))


def simulate(effects: PlantedEffects, design: Design, rng: np.random.Generator,
             with_comments: bool = True) -> SimulatedData:
    """Draw one data set of ``design`` from ``effects`` (see the module docstring)."""
    n, k = design.n_posts, design.n_creators
    creator = np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)]) if n > k else np.arange(n)
    rng.shuffle(creator)
    z = {"post_sentiment": rng.standard_normal(n), "post_length": rng.standard_normal(n),
         "days_since_post": rng.standard_normal(n), "fans": rng.standard_normal(k)[creator]}
    # integer ids (fast to group); the lme4 engine turns them into factors
    posts = pd.DataFrame({"note_id": np.arange(n), "creator_id": creator})
    posts["true_sentiment"] = z["post_sentiment"]
    posts["post_sentiment"] = observed_sentiment(z["post_sentiment"], design.sentiment_r2, rng,
                                                 design.sentiment_slope, sd=1.0)
    for term in TERMS[1:]:
        posts[FRAME_TERMS[term]] = z[term]
    for outcome, beta in effects.coefficients.items():
        explained = sum(b * b for b in beta.values())
        resid = max(1.0 - explained, 1e-6)
        creator_var = min(effects.creator_share.get(outcome, ASSUMED_CREATOR_SHARE * resid), resid)
        u = rng.normal(0.0, np.sqrt(creator_var), size=k)[creator]
        e = rng.normal(0.0, np.sqrt(resid - creator_var), size=n)
        posts[f"ln_{outcome}"] = sum(beta[t] * z[t] for t in TERMS) + u + e
    comments = pd.DataFrame()
    if with_comments and effects.comment_slope is not None and design.comments_per_post > 0:
        shape = design.comment_dispersion
        per_post = rng.poisson(rng.gamma(shape, design.comments_per_post / shape, size=n))
        post_of = np.repeat(np.arange(n), per_post)
        m = len(post_of)
        if m:
            v = effects.comment_variances
            pool = max(int(round(design.audience_per_comment * m)), 5)
            weights = 1.0 / np.arange(1, pool + 1) ** 0.7  # a few very active commenters
            audience = rng.choice(pool, size=m, p=weights / weights.sum())
            resid = max(1.0 - effects.comment_slope ** 2 - sum(v.values()), 1e-6)
            y = (effects.comment_slope * z["post_sentiment"][post_of]
                 + rng.normal(0, np.sqrt(v["creator"]), size=k)[creator[post_of]]
                 + rng.normal(0, np.sqrt(v["post"]), size=n)[post_of]
                 + rng.normal(0, np.sqrt(v["audience"]), size=pool)[audience]
                 + rng.normal(0, np.sqrt(resid), size=m))
            comments = pd.DataFrame({
                "note_id": posts["note_id"].to_numpy()[post_of],
                "creator_id": posts["creator_id"].to_numpy()[post_of],
                "audience_id": audience,
                "true_comment_sentiment": y,
                "comment_sentiment": observed_sentiment(y, design.sentiment_r2, rng, design.sentiment_slope, sd=1.0),
            })
            for col in ("post_sentiment", *[FRAME_TERMS[t] for t in TERMS[1:]]):
                comments[col] = posts[col].to_numpy()[post_of]
    return SimulatedData(posts, comments)


# ------------------------------------------------------------------------------ fitting

def cluster_ols(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS with cluster-robust standard errors, as statsmodels computes them (a test checks it).

    ``sm.OLS(y, x).fit(cov_type="cluster")``: cov = c·B·(Σ_g s_g s_g')·B with B = (X'X)⁻¹,
    s_g the sum of x_i·e_i over cluster g, c = G/(G − 1)·(n − 1)/(n − p), and normal p values.
    Written out because the power grid runs it thousands of times and statsmodels' bookkeeping
    costs more than the arithmetic.  Returns (estimates, standard errors, p values).
    """
    from scipy import stats

    n, p = x.shape
    codes, uniques = pd.factorize(groups)
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ (x.T @ y)
    scores = np.zeros((len(uniques), p))
    np.add.at(scores, codes, x * (y - x @ beta)[:, None])
    g = len(uniques)
    cov = g / (g - 1) * (n - 1) / (n - p) * (bread @ (scores.T @ scores) @ bread)
    se = np.sqrt(np.diag(cov))
    return beta, se, 2 * stats.norm.sf(np.abs(beta / se))


def _ols_cluster(data: pd.DataFrame, response: str, cluster: str) -> pd.DataFrame:
    terms = [FRAME_TERMS[t] for t in TERMS]
    x = np.column_stack([np.ones(len(data)), data[terms].to_numpy(dtype=float)])
    beta, se, p = cluster_ols(x, data[response].to_numpy(dtype=float), data[cluster].to_numpy())
    return pd.DataFrame({"term": list(TERMS), "estimate": beta[1:], "std_error": se[1:], "p_value": p[1:]})


def _mixedlm(data: pd.DataFrame, response: str, group: str) -> pd.DataFrame:
    import warnings

    import statsmodels.api as sm

    terms = [FRAME_TERMS[t] for t in TERMS]
    x = sm.add_constant(data[terms].to_numpy(dtype=float), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary / convergence warnings: the p value is still used
        fit = sm.MixedLM(data[response].to_numpy(dtype=float), x, groups=pd.factorize(data[group])[0]).fit(reml=True)
    return pd.DataFrame({"term": list(TERMS), "estimate": np.asarray(fit.fe_params)[1:],
                         "std_error": np.asarray(fit.bse_fe)[1:], "p_value": np.asarray(fit.pvalues)[1:len(TERMS) + 1]})


def _lme4(data: pd.DataFrame, outcome: str) -> pd.DataFrame:
    from helpers.engagement.data import ModelFrame
    from helpers.engagement.lmer import fit_lmer

    if outcome == COMMENT_OUTCOME:
        spec = ModelSpec("Model 5", COMMENT_OUTCOME, groups=("creator_id", "note_id", "audience_id"))
    else:
        spec = ModelSpec(model_name(outcome), outcome)
    data = data.astype({g: str for g in spec.groups})
    fit = fit_lmer(ModelFrame(spec, data), engine="lmerTest", full=False)
    table = fit.coefs.set_index("term").loc[[FRAME_TERMS[t] for t in TERMS]]
    return pd.DataFrame({"term": list(TERMS), "estimate": table["estimate"].to_numpy(),
                         "std_error": table["std_error"].to_numpy(), "p_value": table["p_value"].to_numpy()})


def fit_simulated(data: SimulatedData, effects: PlantedEffects, engine: str = "ols_cluster") -> pd.DataFrame:
    """Coefficients and p values of Models 1–5 on one simulated data set (long table)."""
    if engine not in ENGINES:
        raise PowerError(f"engine must be one of {ENGINES}, not {engine!r}")
    tables = []
    for outcome in effects.coefficients:
        if engine == "lme4":
            table = _lme4(data.posts, outcome)
        elif engine == "mixedlm":
            table = _mixedlm(data.posts, f"ln_{outcome}", "creator_id")
        else:
            table = _ols_cluster(data.posts, f"ln_{outcome}", "creator_id")
        tables.append(table.assign(outcome=outcome))
    if not data.comments.empty and data.comments["note_id"].nunique() >= 3:
        table = (_lme4(data.comments, COMMENT_OUTCOME) if engine == "lme4"
                 else _ols_cluster(data.comments, COMMENT_OUTCOME, "creator_id"))
        tables.append(table.assign(outcome=COMMENT_OUTCOME))
    out = pd.concat(tables, ignore_index=True)
    out.insert(0, "model", [model_name(o) for o in out["outcome"]])
    return out


# ------------------------------------------------------------------------------ power

@dataclass(frozen=True)
class PowerTask:
    """One grid cell as a picklable unit of work (a local process or a Dask task)."""

    effects: PlantedEffects
    design: Design
    n_sims: int
    seed: int
    engine: str = "ols_cluster"
    alpha: float = 0.05


def power_cell(task: PowerTask) -> pd.DataFrame:
    """P(p < α) for every coefficient of Models 1–5 at one design, with Monte-Carlo SE."""
    rng = np.random.default_rng(task.seed)
    started = time.perf_counter()
    fits, failures = [], 0
    for sim in range(task.n_sims):
        data = simulate(task.effects, task.design, rng)
        try:
            fits.append(fit_simulated(data, task.effects, task.engine).assign(sim=sim))
        except Exception:  # noqa: BLE001 - a failed fit counts as "not significant", and is counted
            failures += 1
    if not fits:
        raise PowerError(f"every one of {task.n_sims} simulated fits failed at {task.design}")
    table = pd.concat(fits, ignore_index=True)
    table["significant"] = table["p_value"] < task.alpha
    grouped = table.groupby(["model", "outcome", "term"], sort=False)
    out = grouped.agg(n_sims=("sim", "nunique"), power=("significant", "mean"),
                      mean_estimate=("estimate", "mean")).reset_index()
    out["power"] = out["power"] * out["n_sims"] / task.n_sims  # failed fits count as misses
    out["mc_se"] = np.sqrt(out["power"] * (1 - out["power"]) / task.n_sims)
    planted = task.effects.planted_table()[["outcome", "term", "planted"]]
    out = out.merge(planted, on=["outcome", "term"], how="left")
    for key, value in asdict(task.design).items():
        out[key] = value
    out["n_comments_expected"] = task.design.n_posts * task.design.comments_per_post
    out["engine"], out["failed_fits"] = task.engine, failures
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def design_grid(n_posts: Iterable[int], comments_per_post: Iterable[float], sentiment_r2: Iterable[float],
                effects: PlantedEffects | None = None, **fixed: Any) -> list[Design]:
    """Every combination of the three axes; creators and audience per the planted structure."""
    extra = dict(fixed)
    if effects is not None:
        extra.setdefault("posts_per_creator", effects.posts_per_creator)
        extra.setdefault("audience_per_comment", effects.audience_per_comment)
    return [Design(int(n), float(c), float(r), **extra)
            for n, c, r in itertools.product(n_posts, comments_per_post, sentiment_r2)]


def power_grid(effects: PlantedEffects, designs: Sequence[Design], *, n_sims: int = 200, seed: int = 0,
               engine: str = "ols_cluster", alpha: float = 0.05, executor: str = "local",
               scheduler: str | None = None, n_workers: int = 1, client: Any = None,
               on_done: Callable[[Any], None] | None = None) -> pd.DataFrame:
    """Power at every design; ``executor="dask"`` runs each cell as a Dask task.

    Each cell gets its own seed (``seed`` + its index), so a cell's result does not depend on
    which other cells are in the grid or on the executor.
    """
    tasks = [PowerTask(effects, d, n_sims, seed + i, engine, alpha) for i, d in enumerate(designs)]
    if executor == "dask":
        from helpers.book.dask_scale import map_on_dask

        tables = map_on_dask(power_cell, tasks, scheduler=scheduler, n_workers=n_workers,
                             client=client, on_done=on_done)
    elif executor == "local":
        tables = []
        for task in tasks:
            tables.append(power_cell(task))
            if on_done:
                on_done(tables[-1])
    else:
        raise PowerError(f"executor must be 'local' or 'dask', not {executor!r}")
    return pd.concat(tables, ignore_index=True)


def required_posts(table: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Smallest simulated number of posts reaching ``target`` power, per effect and R² / comments.

    NaN where no simulated size reaches it (the grid must then go further), never an
    extrapolation.
    """
    keys = ["model", "outcome", "term", "planted", "comments_per_post", "sentiment_r2"]
    rows = []
    for key, group in table.groupby(keys, sort=False):
        reached = group.loc[group["power"] >= target, "n_posts"]
        rows.append({**dict(zip(keys, key, strict=True)),
                     "posts_needed": float(reached.min()) if len(reached) else float("nan"),
                     "largest_simulated": int(group["n_posts"].max())})
    return pd.DataFrame(rows)


def power_figure(table: pd.DataFrame, *, term: str = "post_sentiment", study_posts: int = 535,
                 study_comments: int = 17301, target: float = 0.8) -> Any:
    """Power against the number of posts, one panel per model; the study's design marked.

    Lines are coloured by the sentiment model's R² and dashed by comments per post (which only
    matters for Model 5).  The vertical line is the study's 535 posts; Model 5's panel title
    gives its 17,301 comments (≈ 32 per post).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    data = table.loc[table["term"] == term].copy()
    models = sorted(data["model"].unique(), key=lambda m: int(str(m).split()[-1]))
    titles = []
    for m in models:
        outcome = data.loc[data["model"] == m, "outcome"].iloc[0]
        planted = data.loc[data["model"] == m, "planted"].iloc[0]
        extra = f"; study: {study_comments:,} comments" if outcome == COMMENT_OUTCOME else ""
        titles.append(f"{m} ({outcome})<br>planted β = {planted:.2f}{extra}")
    fig = make_subplots(rows=1, cols=len(models), subplot_titles=titles, shared_yaxes=True)
    r2_values = sorted(data["sentiment_r2"].unique())
    cpp_values = sorted(data["comments_per_post"].unique())
    palette = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b"]
    dashes = ["solid", "dash", "dot", "dashdot"]
    for col, m in enumerate(models, start=1):
        sub = data.loc[data["model"] == m]
        for i, r2 in enumerate(r2_values):
            for j, cpp in enumerate(cpp_values):
                line = sub.loc[(sub["sentiment_r2"] == r2) & (sub["comments_per_post"] == cpp)].sort_values("n_posts")
                if line.empty:
                    continue
                fig.add_trace(go.Scatter(
                    x=line["n_posts"], y=line["power"], mode="lines+markers",
                    error_y={"type": "data", "array": 1.96 * line["mc_se"], "visible": True, "thickness": 1},
                    line={"color": palette[i % len(palette)], "dash": dashes[j % len(dashes)]},
                    name=f"R² {r2:g}, {cpp:g} comments/post", legendgroup=f"{r2}-{cpp}",
                    showlegend=col == 1), row=1, col=col)
        fig.add_vline(x=study_posts, line_dash="dot", line_color="grey", row=1, col=col)
        fig.add_hline(y=target, line_dash="dot", line_color="lightgrey", row=1, col=col)
    fig.update_yaxes(range=[0, 1.02], title_text=f"P(p < 0.05) for {term}", row=1, col=1)
    fig.update_xaxes(type="log", title_text="posts")
    fig.update_layout(height=420, width=260 * len(models) + 120,
                      title=f"Simulated power; dotted: the study's {study_posts} posts and {target:.0%} power")
    return fig


def load_power_sweep(sweep_dir: Any, filename: str = "power_grid.csv") -> pd.DataFrame:
    """The power tables of every finished run of a power sweep, concatenated.

    A sweep's results table holds only headline numbers; each run of chapter 06 also writes its
    full grid to ``models/power_grid.csv`` in its run folder, found through ``runs.csv``.
    """
    from pathlib import Path

    root = Path(sweep_dir)
    runs_csv = root / "runs.csv"
    if not runs_csv.exists():
        raise FileNotFoundError(f"{runs_csv} is missing: run the sweep first "
                                "(python -m helpers sweep data/sweeps/power.yml)")
    runs = pd.read_csv(runs_csv)
    tables = []
    for row in runs.itertuples():
        path = Path(str(row.run_dir)) / "models" / filename
        if row.status in ("ok", "skipped") and path.exists():
            tables.append(pd.read_csv(path).assign(sweep_run=row.run))
    if not tables:
        raise FileNotFoundError(f"no finished run of {root} wrote models/{filename}")
    return pd.concat(tables, ignore_index=True)


def at_design(table: pd.DataFrame, n_posts: int, comments_per_post: float | None = None,
              sentiment_r2: float | None = None) -> pd.DataFrame:
    """Rows of the grid nearest to a given design (exact where the grid has it).

    Without ``sentiment_r2`` the best simulated sentiment model (largest R²) is taken.
    """
    out = table.copy()
    if sentiment_r2 is None:
        sentiment_r2 = float(out["sentiment_r2"].max())
    out["_d"] = (np.log(out["n_posts"]) - np.log(n_posts)).abs()
    if comments_per_post is not None:
        out["_d"] += (out["comments_per_post"] - comments_per_post).abs() / max(comments_per_post, 1)
    if sentiment_r2 is not None:
        out["_d"] += (out["sentiment_r2"] - sentiment_r2).abs()
    best = out["_d"].min()
    return out.loc[out["_d"] == best].drop(columns="_d").reset_index(drop=True)
