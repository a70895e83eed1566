"""Specification curve (Simonsohn, Simmons & Nelson 2020) for the post-sentiment effect.

The study made, or left open, many analytic choices between the crawl and its β: how post
sentiment is coded (continuous, or the bands −0.79 / −0.15..0.15 / 0.3 of its maps), which
variables are logged, whether random slopes are kept, how short a text may be, whether the
sentiment scores are used as they come out of the model, and whether the counts are modelled
as ln(Y+1) or as negative-binomial counts.  A specification curve fits the effect under every
reasonable combination and shows all of them at once: the sorted estimates (top panel) above
a dot matrix of the choices behind each (bottom panel), and the share of specifications that
agree with the published sign and significance.

Choices and their values (:data:`CHOICES`):

* ``sentiment_source`` — ``estimated`` (chapter 02's scores), ``corrected`` (regression-
  calibrated with the labelled test split: E[X | W] for the post predictor; a predicted
  outcome is put back on the label scale, (W − c) / d), ``latent`` (the planted sentiment;
  synthetic runs only);
* ``sentiment_coding`` — ``continuous``; ``study_bands`` (negative/neutral/positive as −1/0/1
  with the study's thresholds, texts in the gaps left out as in its maps); ``terciles``;
  ``median_split`` (0/1);
* ``outcome_transform`` — ``ln1p`` or ``none`` (Models 1–4);
* ``covariate_transform`` — ``ln1p`` (all three), ``study`` (post length raw, as the paper's
  method section says; days and followers logged), ``none``;
* ``random_slopes`` — ``none`` or ``all`` (a sentiment slope for every grouping factor within
  which sentiment varies: creators; in Model 5 also audience members);
* ``min_post_length`` / ``min_comment_length`` — stricter length filters than chapter 01's
  (looser ones need chapter 01 re-run: that is what the sweep ``specification_curve.yml`` does);
* ``family`` — ``lmm`` (the study's log-linear mixed model), ``nb_mixed`` (glmmTMB NB2 with
  the same random intercepts), ``nb_fixed`` (statsmodels NB2, creator-clustered SEs).

Not every combination is meaningful: NB families model the raw counts (so the outcome
transform does not apply, and slopes are not tried), Model 5 has no count outcome.  When the
full product is too large for the run, a reproducible random sample is fitted — the
reference (the study's own) specification always among them — as Simonsohn et al. suggest.

Estimates are shown per SD of the sentiment predictor, divided by the outcome's SD for the
linear models (standardised β); NB coefficients are log-count per SD and so not on the same
scale — only sign and significance are compared across families.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.engagement.data import (
    COMMENT_OUTCOME,
    DEFAULT_TRANSFORMS,
    PREDICTOR,
    ModelSpec,
    build_frame,
)

POST_OUTCOMES: tuple[str, ...] = ("likes", "favorites", "shares", "comments")
CHOICES: dict[str, tuple[Any, ...]] = {
    "sentiment_source": ("estimated", "corrected", "latent"),
    "sentiment_coding": ("continuous", "study_bands", "terciles", "median_split"),
    "outcome_transform": ("ln1p", "none"),
    "covariate_transform": ("ln1p", "study", "none"),
    "random_slopes": ("none", "all"),
    "min_post_length": (100, 150, 200),
    "min_comment_length": (30, 50),
    "family": ("lmm", "nb_mixed", "nb_fixed"),
}
#: The specification the study describes (slopes: none reported as kept).
REFERENCE: dict[str, Any] = {
    "sentiment_source": "estimated", "sentiment_coding": "continuous", "outcome_transform": "ln1p",
    "covariate_transform": "study", "random_slopes": "none", "min_post_length": 100,
    "min_comment_length": 30, "family": "lmm",
}
NOT_APPLICABLE = "n/a"
COVARIATES = ("post_length", "days_since_post", "fans")


class SpecificationError(ValueError):
    """A choice value is unknown or cannot be used on these data."""


@dataclass(frozen=True)
class Specification:
    """One combination of choices for one outcome."""

    outcome: str
    sentiment_source: str
    sentiment_coding: str
    outcome_transform: str
    covariate_transform: str
    random_slopes: str
    min_post_length: int
    min_comment_length: Any
    family: str

    @property
    def model(self) -> str:
        return "Model 5" if self.outcome == COMMENT_OUTCOME else f"Model {POST_OUTCOMES.index(self.outcome) + 1}"

    def choices(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "outcome"}

    def is_reference(self) -> bool:
        ref = normalise(Specification(self.outcome, **REFERENCE))
        return self == ref


def normalise(spec: Specification) -> Specification:
    """Collapse choices that do not apply to this outcome/family to ``n/a`` (so duplicates merge)."""
    if spec.outcome == COMMENT_OUTCOME:
        spec = replace(spec, outcome_transform=NOT_APPLICABLE, family="lmm")
    else:
        spec = replace(spec, min_comment_length=NOT_APPLICABLE)
    if spec.family != "lmm":
        spec = replace(spec, outcome_transform=NOT_APPLICABLE, random_slopes="none")
    return spec


def enumerate_specifications(outcomes: Sequence[str], options: Mapping[str, Sequence[Any]] | None = None,
                             *, synthetic: bool = True) -> list[Specification]:
    """Every meaningful combination of ``options`` (default :data:`CHOICES`) for each outcome."""
    options = {k: tuple(v) for k, v in {**CHOICES, **(options or {})}.items()}
    unknown = set(options) - set(CHOICES)
    if unknown:
        raise SpecificationError(f"unknown choice(s) {sorted(unknown)}; choose from {sorted(CHOICES)}")
    for key, values in options.items():
        if key in ("min_post_length", "min_comment_length"):
            continue
        bad = [v for v in values if v not in CHOICES[key]]
        if bad:
            raise SpecificationError(f"{key}: unknown value(s) {bad}; choose from {CHOICES[key]}")
        if not values:
            raise SpecificationError(f"{key}: no values given")
    if not synthetic:
        options["sentiment_source"] = tuple(v for v in options["sentiment_source"] if v != "latent")
    for outcome in outcomes:
        if outcome not in (*POST_OUTCOMES, COMMENT_OUTCOME):
            raise SpecificationError(f"unknown outcome {outcome!r}")
    keys = list(CHOICES)
    seen: dict[Specification, None] = {}
    for outcome in outcomes:
        for combo in itertools.product(*(options[k] for k in keys)):
            seen.setdefault(normalise(Specification(outcome, *combo)), None)
    return list(seen)


def sample_specifications(specs: Sequence[Specification], max_per_outcome: int | Mapping[str, int] | None,
                          seed: int = 0) -> list[Specification]:
    """At most ``max_per_outcome`` per outcome, drawn at random; the reference always kept.

    ``max_per_outcome`` is one number for every outcome or a mapping outcome → number (an
    outcome missing from it is not sampled down); None or 0 keeps every specification.
    """
    if not max_per_outcome:
        return list(specs)
    rng = np.random.default_rng(seed)
    out = []
    for outcome in dict.fromkeys(s.outcome for s in specs):
        group = [s for s in specs if s.outcome == outcome]
        limit = max_per_outcome.get(outcome) if isinstance(max_per_outcome, Mapping) else max_per_outcome
        if not limit:
            out.extend(group)
            continue
        ref = [s for s in group if s.is_reference()]
        rest = [s for s in group if not s.is_reference()]
        take = max(limit - len(ref), 0)
        idx = sorted(rng.choice(len(rest), size=min(take, len(rest)), replace=False)) if rest else []
        out.extend(ref + [rest[i] for i in idx])
    return out


#: Specifications per outcome that chapter 06 fits by default at scale ≥ 0.5: a few per post-level
#: model (quick fits on a few hundred posts) and only the study's own for Model 5, whose lme4 fit
#: on all comments is slow (slower still with random slopes) and which chapter 03 has already fitted.
#: The full curve is ``curve_max_specs = 40`` (or ``-1``) and the specification-curve sweep.
DEFAULT_FULL_SCALE_SPECS: dict[str, int] = {**dict.fromkeys(POST_OUTCOMES, 4), COMMENT_OUTCOME: 1}


def default_sample_sizes(scale: float, outcomes: Sequence[str]) -> dict[str, int]:
    """Chapter 06's default specifications per outcome: 8 each below scale 0.5, else
    :data:`DEFAULT_FULL_SCALE_SPECS`."""
    if scale < 0.5:
        return dict.fromkeys(outcomes, 8)
    return {o: DEFAULT_FULL_SCALE_SPECS.get(o, 4) for o in outcomes}


# ------------------------------------------------------------------------------ data per source

@dataclass
class SpecData:
    """Posts and comments for each sentiment source, and chapter 01's length filters."""

    posts: dict[str, pd.DataFrame]
    comments: dict[str, pd.DataFrame]
    cleaned_min_post_length: int = 100
    cleaned_min_comment_length: int = 30


def corrected_sources(posts: pd.DataFrame, comments: pd.DataFrame | None, calibration: Any
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The ``corrected`` source: E[X | W] for post sentiment, (W − c) / d for comment sentiment."""
    p = posts.copy()
    p[PREDICTOR] = calibration.calibrate(p[PREDICTOR])
    c = None
    if comments is not None:
        c = comments.copy()
        c[COMMENT_OUTCOME] = (c[COMMENT_OUTCOME] - calibration.cl_intercept) / calibration.cl_slope
    return p, c


def _code_sentiment(values: pd.Series, coding: str) -> pd.Series:
    from helpers.sentiment.categories import Thresholds, categorize

    s = pd.to_numeric(values, errors="coerce")
    if coding == "continuous":
        return s
    if coding == "study_bands":
        cats = categorize(s.to_numpy(), Thresholds()).astype(str)
        return pd.Series(cats.map({"negative": -1.0, "neutral": 0.0, "positive": 1.0}).to_numpy(), index=s.index)
    if coding == "terciles":
        return pd.Series(pd.qcut(s.rank(method="first"), 3, labels=[-1.0, 0.0, 1.0]).astype(float), index=s.index)
    if coding == "median_split":
        return (s > s.median()).astype(float)
    raise SpecificationError(f"unknown sentiment coding {coding!r}")


def covariate_transforms(how: str) -> tuple[tuple[str, str], ...]:
    """Per-covariate transforms of a ``covariate_transform`` choice, as :class:`ModelSpec` takes them.

    ``study`` is the paper's (:data:`helpers.engagement.data.DEFAULT_TRANSFORMS`: post length
    unlogged, days and followers ln(x+1)); ``ln1p`` and ``none`` apply to all three.
    """
    if how == "study":
        return DEFAULT_TRANSFORMS
    if how in ("ln1p", "none"):
        return tuple((c, how) for c in COVARIATES)
    raise SpecificationError(f"unknown covariate transform {how!r}; choose from {CHOICES['covariate_transform']}")


# ------------------------------------------------------------------------------ fitting

_R: dict[str, Any] = {}


def _lean_lmer(frame: Any) -> tuple[dict[str, float], list[str], bool]:
    """lmerTest REML fit of ``frame``: the sentiment row of its Satterthwaite table only.

    The numbers are those of :func:`helpers.engagement.lmer.fit_lmer` with ``engine="lmerTest"``
    (a test checks it); this route reads one row of the Satterthwaite table instead of the
    whole fit.  Returns (row, messages, singular).
    """
    from helpers.engagement.r_bridge import (
        copy_vector,
        named_list,
        r_function,
        require_r,
        to_r_frame,
    )

    if "fit" not in _R:
        require_r(("lme4", "lmerTest"), pymer4=False)
        _R["fit"] = r_function(
            """
            function(formula, data, term) {
              out <- xhs_capture(lmerTest::lmer(stats::as.formula(formula), data = data, REML = TRUE))
              m <- out$value
              s <- summary(m)$coefficients
              list(row = as.numeric(s[term, ]), columns = colnames(s), singular = lme4::isSingular(m),
                   messages = c(out$messages, as.character(m@optinfo$conv$lme4$messages),
                                as.character(unlist(m@optinfo$warnings))))
            }
            """)
    out = named_list(_R["fit"](frame.spec.formula(), to_r_frame(frame.data), PREDICTOR))
    values = dict(zip([str(c) for c in out["columns"]], copy_vector(out["row"]), strict=True))
    row = {"estimate": values["Estimate"], "std_error": values["Std. Error"], "df": values["df"],
           "p_value": values["Pr(>|t|)"]}
    messages = list(dict.fromkeys(str(m).strip() for m in out["messages"] if str(m).strip()))
    return row, messages, bool(out["singular"][0])


def chapter03_fits(run_dir: str | Path, *, n_posts: int, n_comments: int) -> dict[str, dict[str, float]]:
    """lme4 formula → chapter 03's sentiment slope (estimate, SE, df, p, rows), to reuse in the curve.

    Chapter 03 fits the study's own specification of every model on chapter 02's estimated
    sentiment; the curve fits it again unless it can read that fit.  Empty (nothing reused)
    unless chapter 03 ran on the estimated sentiment and on as many posts and comments as the
    caller loaded, and its ``coefficients_raw.csv`` carries the formula and rows of each fit.
    """
    root = Path(run_dir)
    info_path, table_path = root / "results" / "03_engagement_models.json", root / "models" / "coefficients_raw.csv"
    if not info_path.exists() or not table_path.exists():
        return {}
    info = json.loads(info_path.read_text())
    if (info.get("sentiment_source") != "estimated" or int(info.get("n_posts", -1)) != int(n_posts)
            or int(info.get("n_comments", -1)) != int(n_comments)):
        return {}
    table = pd.read_csv(table_path)
    if not {"formula", "n_obs"} <= set(table.columns):
        return {}
    rows = table.loc[table["term"] == PREDICTOR]
    return {str(r.formula): {"estimate": float(r.estimate), "std_error": float(r.std_error), "df": float(r.df),
                             "p_value": float(r.p_value), "n_obs": int(r.n_obs)} for r in rows.itertuples()}


def fit_specification(spec: Specification, data: SpecData, *, min_groups: int = 5, alpha: float = 0.05,
                      reuse: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Any]:
    """Fit one specification; the row says what happened (a failure is a row, not an exception).

    ``reuse`` (from :func:`chapter03_fits`) lets a linear mixed model on the estimated,
    continuous sentiment with chapter 01's own length filters — the data chapter 03 fits — take
    chapter 03's fit of the same formula instead of fitting it again, when the rows agree.
    """
    from helpers.engagement.negbin import fit_fixed_nb2, fit_mixed_nb

    row: dict[str, Any] = {"outcome": spec.outcome, "model": spec.model, **spec.choices(),
                           "reference": spec.is_reference()}
    started = time.perf_counter()
    try:
        if spec.sentiment_source not in data.posts:
            raise SpecificationError(f"sentiment source {spec.sentiment_source!r} is not available in this run")
        if spec.min_post_length < data.cleaned_min_post_length:
            raise SpecificationError(f"min_post_length {spec.min_post_length} is looser than chapter 01's "
                                     f"{data.cleaned_min_post_length}: re-run chapter 01 (see the sweep)")
        posts = data.posts[spec.sentiment_source]
        posts = posts.loc[pd.to_numeric(posts["post_length"], errors="coerce") >= spec.min_post_length].copy()
        posts[PREDICTOR] = _code_sentiment(posts[PREDICTOR], spec.sentiment_coding)
        posts = posts.loc[posts[PREDICTOR].notna()]
        comments = None
        if spec.outcome == COMMENT_OUTCOME:
            comments = data.comments.get(spec.sentiment_source)
            if comments is None:
                raise SpecificationError("no comments for this sentiment source")
            if spec.min_comment_length < data.cleaned_min_comment_length:
                raise SpecificationError(f"min_comment_length {spec.min_comment_length} is looser than chapter "
                                         f"01's {data.cleaned_min_comment_length}")
            if "comment_length" in comments:
                comments = comments.loc[pd.to_numeric(comments["comment_length"], errors="coerce")
                                        >= spec.min_comment_length]
            elif spec.min_comment_length != data.cleaned_min_comment_length:
                raise SpecificationError("comments carry no comment_length column")
            model = ModelSpec("Model 5", COMMENT_OUTCOME, covariates=COVARIATES,
                              transforms=covariate_transforms(spec.covariate_transform),
                              groups=("creator_id", "note_id", "audience_id"))
        else:
            model = ModelSpec(spec.model, spec.outcome, covariates=COVARIATES,
                              outcome_transform=spec.outcome_transform if spec.family == "lmm" else "ln1p",
                              transforms=covariate_transforms(spec.covariate_transform))
        frame = build_frame(model, posts, comments, min_groups=min_groups)
        if spec.random_slopes == "all":
            slopes = ["creator_id"] + (["audience_id"] if spec.outcome == COMMENT_OUTCOME else [])
            frame.spec = frame.spec.with_slopes([g for g in slopes if g in frame.spec.groups])
        sd_x = frame.scales[PREDICTOR][1]
        sd_y = frame.scales[frame.spec.response][1]
        same_data = (spec.sentiment_source == "estimated" and spec.sentiment_coding == "continuous"
                     and spec.min_post_length == data.cleaned_min_post_length
                     and (spec.outcome != COMMENT_OUTCOME or spec.min_comment_length == data.cleaned_min_comment_length))
        known = (reuse or {}).get(frame.spec.formula()) if spec.family == "lmm" and same_data else None
        if known is not None and int(known["n_obs"]) == len(frame.data):
            est, se, p, df = known["estimate"], known["std_error"], known["p_value"], known["df"]
            scale, messages = sd_x / sd_y, ["chapter 03's fit of this specification, reused"]
        elif spec.family == "lmm":
            c, fit_messages, singular = _lean_lmer(frame)
            est, se, p, df = c["estimate"], c["std_error"], c["p_value"], c["df"]
            scale, messages = sd_x / sd_y, fit_messages + (["singular fit"] if singular else [])
        else:
            nb = fit_mixed_nb(frame, "glmmTMB") if spec.family == "nb_mixed" else fit_fixed_nb2(frame, "creator_id")
            c = nb.coef(PREDICTOR)
            est, se, p, df = float(c["estimate"]), float(c["std_error"]), float(c["p_value"]), float("inf")
            scale, messages = sd_x, nb.messages
        from scipy import stats

        q = stats.t.ppf(0.5 + (1 - alpha) / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / 2)
        row.update(estimate=est, std_error=se, p_value=p, std_estimate=est * scale,
                   std_conf_low=(est - q * se) * scale, std_conf_high=(est + q * se) * scale,
                   n_obs=len(frame.data), status="ok", messages="; ".join(messages))
    except Exception as exc:  # noqa: BLE001 - every failure is reported in the table
        row.update(estimate=np.nan, std_error=np.nan, p_value=np.nan, std_estimate=np.nan, std_conf_low=np.nan,
                   std_conf_high=np.nan, n_obs=0, status=f"failed: {exc}", messages="")
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


def _quiet_fit(spec: Specification, data: SpecData, min_groups: int, alpha: float,
               reuse: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Any]:
    """One fit with numerical warnings silenced: what matters is recorded in the row's status."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_specification(spec, data, min_groups=min_groups, alpha=alpha, reuse=reuse)


def run_curve(specs: Sequence[Specification], data: SpecData, *, min_groups: int = 5, alpha: float = 0.05,
              reuse: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Fit every specification; one row each (``reuse``: see :func:`fit_specification`)."""
    table = pd.DataFrame([_quiet_fit(s, data, min_groups, alpha, reuse) for s in specs])
    if not table.empty:
        table["significant"] = table["p_value"] < alpha
    return table


# ------------------------------------------------------------------------------ the paper's claims

def paper_claims() -> dict[str, dict[str, Any]]:
    """Outcome -> {sign, significant} of the post-sentiment effect the study reports.

    Read from :mod:`helpers.study.du_gu`; the sign comes from β where given, else from the
    stated direction; an outcome without a stated significance is left out (cannot tell).
    """
    from helpers.study.du_gu import reported_table

    table = reported_table()
    claims = {}
    for row in table.loc[table["term"] == PREDICTOR].itertuples():
        beta = getattr(row, "beta", None)
        direction = getattr(row, "direction", None)
        sign = (np.sign(beta) if beta is not None and pd.notna(beta)
                else {"negative": -1.0, "positive": 1.0, "none": 0.0}.get(direction, np.nan))
        significant = getattr(row, "significant", None)
        if significant is None or (isinstance(significant, float) and np.isnan(significant)):
            p = getattr(row, "p", None)
            significant = None if p is None or pd.isna(p) else bool(p < 0.05)
        if significant is None:
            continue
        claims[row.outcome] = {"sign": float(sign), "significant": bool(significant)}
    return claims


def matches_paper(row: Mapping[str, Any], claim: Mapping[str, Any] | None, alpha: float = 0.05) -> bool | None:
    """Same sign and significance as the paper (a non-significant claim: not significant here)."""
    if claim is None or row.get("status") != "ok" or not np.isfinite(row.get("p_value", np.nan)):
        return None
    significant = row["p_value"] < alpha
    if not claim["significant"]:
        return not significant
    return bool(significant and np.sign(row["estimate"]) == claim["sign"])


def summarise(table: pd.DataFrame, claims: Mapping[str, Mapping[str, Any]] | None = None,
              alpha: float = 0.05) -> pd.DataFrame:
    """Per outcome: specifications fitted, share significant, share matching the paper."""
    claims = paper_claims() if claims is None else claims
    rows = []
    for outcome, group in table.groupby("outcome", sort=False):
        ok = group.loc[group["status"] == "ok"]
        claim = claims.get(outcome)
        match = ok.apply(lambda r, c=claim: matches_paper(r, c, alpha), axis=1) if len(ok) else pd.Series(dtype=object)
        ref = ok.loc[ok["reference"]]
        rows.append({
            "model": group["model"].iloc[0], "outcome": outcome, "specifications": len(group), "fitted": len(ok),
            "failed": int((group["status"] != "ok").sum()),
            "share_negative": float((ok["estimate"] < 0).mean()) if len(ok) else np.nan,
            "share_significant": float((ok["p_value"] < alpha).mean()) if len(ok) else np.nan,
            "paper_claim": ("not reported" if claim is None else
                            ("n.s." if not claim["significant"] else
                             ("significant negative" if claim["sign"] < 0 else "significant positive"))),
            "share_matching_paper": (float(match.astype(float).mean()) if claim is not None and len(ok) else np.nan),
            "median_std_estimate": float(ok["std_estimate"].median()) if len(ok) else np.nan,
            "reference_std_estimate": float(ref["std_estimate"].iloc[0]) if len(ref) else np.nan,
            "reference_p": float(ref["p_value"].iloc[0]) if len(ref) else np.nan,
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ figure

def curve_figure(table: pd.DataFrame, outcome: str, *, alpha: float = 0.05,
                 choices: Sequence[str] | None = None, title: str | None = None) -> Any:
    """The standard two-panel specification-curve figure for one outcome.

    Top: every fitted estimate (per SD of sentiment) sorted, with its 95 % interval, coloured by
    sign and significance; the reference specification ringed.  Bottom: one row per choice
    value, a dot where a specification uses it.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    data = table.loc[(table["outcome"] == outcome) & (table["status"] == "ok")].sort_values("std_estimate")
    data = data.reset_index(drop=True)
    x = np.arange(len(data))
    choices = [c for c in (choices or CHOICES) if c in data and data[c].astype(str).nunique() > 1]
    labels = [(c, v) for c in choices for v in sorted(data[c].astype(str).unique())]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.5, 0.5], vertical_spacing=0.03)
    sig = data["p_value"] < alpha
    colour = np.where(~sig, "#9e9e9e", np.where(data["std_estimate"] < 0, "#d62728", "#1f77b4"))
    fig.add_trace(go.Scatter(
        x=x, y=data["std_estimate"], mode="markers", marker={"color": colour, "size": 6},
        error_y={"type": "data", "symmetric": False, "array": data["std_conf_high"] - data["std_estimate"],
                 "arrayminus": data["std_estimate"] - data["std_conf_low"], "thickness": 1, "color": "#cccccc"},
        text=[", ".join(f"{c}={r[c]}" for c in choices) + f"; p={r['p_value']:.3g}" for _, r in data.iterrows()],
        hovertemplate="%{y:.3f}<br>%{text}<extra></extra>", showlegend=False), row=1, col=1)
    ref = data.loc[data["reference"]]
    if len(ref):
        fig.add_trace(go.Scatter(x=ref.index, y=ref["std_estimate"], mode="markers", name="the study's specification",
                                 marker={"symbol": "circle-open", "size": 14, "color": "black"}), row=1, col=1)
    fig.add_hline(y=0, line_color="black", line_width=1, row=1, col=1)
    for i, (c, v) in enumerate(labels):
        used = data[c].astype(str) == v
        fig.add_trace(go.Scatter(x=x[used], y=[i] * int(used.sum()), mode="markers",
                                 marker={"color": colour[used], "size": 5, "symbol": "square"},
                                 showlegend=False, hoverinfo="skip"), row=2, col=1)
    fig.update_yaxes(tickvals=list(range(len(labels))), ticktext=[f"{c}: {v}" for c, v in labels],
                     autorange="reversed", row=2, col=1)
    fig.update_yaxes(title_text="effect per SD of sentiment", row=1, col=1)
    fig.update_xaxes(title_text="specifications, sorted by estimate", row=2, col=1)
    fig.update_layout(height=380 + 16 * len(labels), width=900, margin={"l": 260},
                      title=title or f"{data['model'].iloc[0] if len(data) else ''} ({outcome}): "
                                     f"{len(data)} specifications; red/blue significant negative/positive, grey n.s.")
    return fig


def load_curve_sweep(sweep_dir: str | Path, filename: str = "specification_curve.csv") -> pd.DataFrame:
    """Every finished run's curve table, with the run's swept parameters as columns."""
    root = Path(sweep_dir)
    runs_csv = root / "runs.csv"
    if not runs_csv.exists():
        raise FileNotFoundError(f"{runs_csv} is missing: run the sweep first "
                                "(python -m helpers sweep data/sweeps/specification_curve.yml)")
    tables = []
    for row in pd.read_csv(runs_csv).itertuples():
        path = Path(str(row.run_dir)) / "models" / filename
        if row.status in ("ok", "skipped") and path.exists():
            params = json.loads(row.parameters) if isinstance(row.parameters, str) else {}
            t = pd.read_csv(path).assign(sweep_run=row.run, seed=row.seed)
            for key, value in params.items():
                t[f"param.{key}"] = value
            tables.append(t)
    if not tables:
        raise FileNotFoundError(f"no finished run of {root} wrote models/{filename}")
    return pd.concat(tables, ignore_index=True)


# ------------------------------------------------------------------------------ maps

#: Choices behind the semantic maps (chapter 04) that the study did not report.
MAP_CHOICES: dict[str, tuple[Any, ...]] = {
    "counting": ("full", "fractional"),
    "top_n": (50, 100, 150),
    "min_occurrences": (2, 3, 5),
    "post_categories": ("study_bands", "terciles"),
}
#: The study's map totals (Results / Semantic network analysis): negative-post and positive-post maps.
STUDY_MAP_TOTALS = {"negative": {"tls": 17795, "comments": 7543}, "positive": {"tls": 3969, "comments": 1601}}


def map_statistics_claimed() -> dict[str, float]:
    """Signs of the two map contrasts in the study's numbers (negative-post map vs positive-post map).

    ``log_tls_ratio``: log(TLS_neg / TLS_pos) — the negative map is far denser (positive);
    ``log_tls_per_comment_ratio``: the same per comment mapped — nearly equal, slightly negative.
    """
    neg, pos = STUDY_MAP_TOTALS["negative"], STUDY_MAP_TOTALS["positive"]
    return {"log_tls_ratio": float(np.log(neg["tls"] / pos["tls"])),
            "log_tls_per_comment_ratio": float(np.log((neg["tls"] / neg["comments"]) / (pos["tls"] / pos["comments"])))}


def _map_groups(post_sentiment: pd.Series, how: str) -> pd.Series:
    """negative / positive label of each comment's post (others NaN), by the study's bands or terciles."""
    coded = _code_sentiment(post_sentiment, "study_bands" if how == "study_bands" else "terciles")
    return coded.map({-1.0: "negative", 1.0: "positive"})


def map_curve(terms: Sequence[Sequence[str]], post_sentiment: Sequence[float],
              options: Mapping[str, Sequence[Any]] | None = None, source: str = "estimated") -> pd.DataFrame:
    """Map totals of the negative- and positive-post maps under every combination of map choices.

    ``terms`` are the segmented comments (chapter 04's tokenizer), ``post_sentiment`` the score
    of each comment's post.  Each row gives links and total link strength of both maps and the
    two contrasts of :func:`map_statistics_claimed`.  No test exists for these contrasts, so
    only their sign is compared with the study's.
    """
    from helpers.networks.cooccurrence import (
        cooccurrence_matrix,
        document_term_matrix,
        map_totals,
        top_terms,
    )

    options = {k: tuple(v) for k, v in {**MAP_CHOICES, **(options or {})}.items()}
    unknown = set(options) - set(MAP_CHOICES)
    if unknown:
        raise SpecificationError(f"unknown map choice(s) {sorted(unknown)}; choose from {sorted(MAP_CHOICES)}")
    terms = list(terms)
    sentiment = pd.Series(np.asarray(post_sentiment, dtype=float))
    if len(terms) != len(sentiment):
        raise SpecificationError(f"{len(terms)} token lists but {len(sentiment)} post scores")
    rows = []
    for how in options["post_categories"]:
        groups = _map_groups(sentiment, how)
        dts = {g: document_term_matrix([terms[i] for i in np.flatnonzero(groups.to_numpy() == g)])
               for g in ("negative", "positive")}
        for counting, top_n, min_occ in itertools.product(options["counting"], options["top_n"],
                                                          options["min_occurrences"]):
            row: dict[str, Any] = {"sentiment_source": source, "post_categories": how, "counting": counting,
                                   "top_n": int(top_n), "min_occurrences": int(min_occ)}
            for g, dt in dts.items():
                n_docs = dt.matrix.shape[0]
                vocab = top_terms(dt, int(top_n), int(min_occ)) if n_docs else np.array([], dtype=object)
                if len(vocab) < 2:
                    row.update({f"{g}_comments": n_docs, f"{g}_links": np.nan, f"{g}_tls": np.nan})
                    continue
                cols = pd.Index(dt.terms).get_indexer(vocab)
                totals = map_totals(cooccurrence_matrix(dt.matrix[:, cols], counting=counting))
                row.update({f"{g}_comments": n_docs, f"{g}_links": totals.links,
                            f"{g}_tls": totals.total_link_strength})
            row["log_tls_ratio"] = _log_ratio(row["negative_tls"], row["positive_tls"])
            row["log_tls_per_comment_ratio"] = _log_ratio(
                _log_ratio(row["negative_tls"], row["negative_comments"], log=False),
                _log_ratio(row["positive_tls"], row["positive_comments"], log=False))
            rows.append(row)
    return pd.DataFrame(rows)


def _log_ratio(a: float, b: float, log: bool = True) -> float:
    """log(a / b) (or a / b), NaN when either side is missing or not positive (an empty map)."""
    a, b = float(a), float(b)
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b <= 0:
        return float("nan")
    return float(np.log(a / b)) if log else a / b


def summarise_maps(table: pd.DataFrame) -> pd.DataFrame:
    """Share of map specifications whose contrasts have the study's sign."""
    claimed = map_statistics_claimed()
    rows = []
    for stat, value in claimed.items():
        finite = table[stat].replace([np.inf, -np.inf], np.nan).dropna()
        rows.append({"statistic": stat, "study_value": value, "specifications": len(table), "finite": len(finite),
                     "share_same_sign_as_study": float((np.sign(finite) == np.sign(value)).mean()) if len(finite)
                     else np.nan, "median": float(finite.median()) if len(finite) else np.nan})
    return pd.DataFrame(rows)


def map_curve_figure(table: pd.DataFrame, statistic: str = "log_tls_ratio") -> Any:
    """Sorted map contrasts (top) over the dot matrix of map choices (bottom); the study's value dashed."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    data = table.replace([np.inf, -np.inf], np.nan).dropna(subset=[statistic]).sort_values(statistic)
    data = data.reset_index(drop=True)
    x = np.arange(len(data))
    choices = [c for c in ("sentiment_source", *MAP_CHOICES) if c in data and data[c].astype(str).nunique() > 1]
    labels = [(c, v) for c in choices for v in sorted(data[c].astype(str).unique())]
    colour = np.where(data[statistic] < 0, "#d62728", "#1f77b4")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.5, 0.5], vertical_spacing=0.03)
    fig.add_trace(go.Scatter(x=x, y=data[statistic], mode="markers", marker={"color": colour, "size": 6},
                             showlegend=False), row=1, col=1)
    fig.add_hline(y=map_statistics_claimed()[statistic], line_dash="dash", annotation_text="the study",
                  row=1, col=1)
    fig.add_hline(y=0, line_color="black", line_width=1, row=1, col=1)
    for i, (c, v) in enumerate(labels):
        used = data[c].astype(str) == v
        fig.add_trace(go.Scatter(x=x[used], y=[i] * int(used.sum()), mode="markers", showlegend=False,
                                 marker={"color": colour[used], "size": 5, "symbol": "square"}), row=2, col=1)
    fig.update_yaxes(tickvals=list(range(len(labels))), ticktext=[f"{c}: {v}" for c, v in labels],
                     autorange="reversed", row=2, col=1)
    fig.update_yaxes(title_text=statistic, row=1, col=1)
    fig.update_layout(height=360 + 16 * len(labels), width=860, margin={"l": 220},
                      title=f"Maps: {statistic} (negative-post map vs positive-post map) over {len(data)} specifications")
    return fig
