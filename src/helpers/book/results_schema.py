"""The typed contract between a chapter and the pages that read its ``results/<step>.json``.

Each chapter's closing cell fills one of the classes below; ``RunLayout.write_results``
checks it and writes the JSON; the generated book pages (``helpers.book.pages``) read it back
with :func:`read_step` and use only the fields declared here.  So a chapter that renames or
drops a number fails where it writes (or where CI validates the run folder), instead of the
results page quietly showing "not reported".

Rules, chosen so chapter authors can grow their results without breaking readers:

* a **missing required field** is an error (:class:`ResultsSchemaError`), naming the step,
  the field and this module as the fix;
* a **value of the wrong type** is an error (ints pass for floats, never bools);
* an **unknown extra key** is allowed: it is kept under ``extra`` (and written at the top
  level of the JSON, so sweeps collect it), and *reported* — as a warning when written and in
  a note on the results page — until somebody declares it here;
* optional fields say ``| None`` and default to ``None``: a number a run could not compute is
  ``None`` ("cannot tell"), never a made-up value.

Nested tables use ``TypedDict`` (plain dicts in the JSON): a missing key in a nested table is
an error too, extra nested keys are reported.
"""

from __future__ import annotations

import dataclasses
import types
import typing
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypedDict, Union

# --------------------------------------------------------------------------- machinery


class ResultsSchemaError(ValueError):
    """A results object or file does not satisfy its step's schema."""


@dataclass(kw_only=True)
class StepResults:
    """Base class: the step name, validation, and JSON round trip."""

    STEP: ClassVar[str] = ""
    #: Keys a chapter wrote that this schema does not declare (kept, written, reported).
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems, _ = _check_fields(self)
        if problems:
            raise ResultsSchemaError(_message(self.STEP, problems))

    def as_dict(self) -> dict[str, Any]:
        """The JSON object: declared fields, then the extra keys."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        clash = set(out) & set(self.extra)
        if clash:
            raise ResultsSchemaError(f"{self.STEP}: extra keys {sorted(clash)} repeat declared fields")
        return {**out, **self.extra}

    def unknown_keys(self) -> list[str]:
        """Every key not declared in the schema, dotted for nested tables."""
        return sorted(self.extra) + _check_fields(self)[1]

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> StepResults:
        """Validate a JSON object; unknown keys go to ``extra``; raise on missing or mistyped."""
        names = {f.name for f in dataclasses.fields(cls) if f.name != "extra"}
        required = {f.name for f in dataclasses.fields(cls)
                    if f.name != "extra" and f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING}
        missing = sorted(required - set(values))
        if missing:
            raise ResultsSchemaError(_message(cls.STEP, [f"missing required key {k!r}" for k in missing]))
        known = {k: v for k, v in values.items() if k in names}
        extra = {k: v for k, v in values.items() if k not in names and k != "extra"}
        return cls(**known, extra=extra)


def _message(step: str, problems: list[str]) -> str:
    return (f"results of {step} do not match helpers/book/results_schema.py: " + "; ".join(problems)
            + ". Fill every declared field (None where a number cannot be computed), or declare "
              "the new field in the schema and its reader.")


def _check_fields(obj: StepResults) -> tuple[list[str], list[str]]:
    hints = typing.get_type_hints(type(obj))
    problems: list[str] = []
    unknown: list[str] = []
    for f in dataclasses.fields(obj):
        if f.name == "extra":
            continue
        _check(getattr(obj, f.name), hints[f.name], f.name, problems, unknown)
    return problems, unknown


def _is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__required_keys__")


def _check(value: Any, hint: Any, path: str, problems: list[str], unknown: list[str]) -> None:
    """Append a problem when ``value`` does not fit ``hint``; nested unknown keys to ``unknown``."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        for option in options:
            trial: list[str] = []
            _check(value, option, path, trial, [])
            if not trial:
                _check(value, option, path, [], unknown)
                return
        problems.append(f"{path} = {value!r:.60} is not {_name(hint)}")
        return
    if hint is type(None):
        if value is not None:
            problems.append(f"{path} must be None")
        return
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path} = {value!r:.60} is not a number")
        return
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path} = {value!r:.60} is not an integer")
        return
    if hint in (bool, str):
        if not isinstance(value, hint):
            problems.append(f"{path} = {value!r:.60} is not {hint.__name__}")
        return
    if _is_typeddict(hint):
        if not isinstance(value, Mapping):
            problems.append(f"{path} is not a table")
            return
        nested = typing.get_type_hints(hint)
        for key in sorted(hint.__required_keys__ - set(value)):
            problems.append(f"{path} lacks key {key!r}")
        for key, item in value.items():
            if key in nested:
                _check(item, nested[key], f"{path}.{key}", problems, unknown)
            else:
                unknown.append(f"{path}.{key}")
        return
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        if not isinstance(value, Mapping):
            problems.append(f"{path} is not a table")
            return
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"{path} has a non-text key {key!r}")
            _check(item, value_hint, f"{path}.{key}", problems, unknown)
        return
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        if not isinstance(value, list | tuple):
            problems.append(f"{path} is not a list")
            return
        for i, item in enumerate(value):
            _check(item, item_hint, f"{path}[{i}]", problems, unknown)
        return
    raise TypeError(f"results_schema cannot check {path}: unsupported annotation {hint!r}")


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


# --------------------------------------------------------------------------- 01 data cleaning


@dataclass(kw_only=True)
class DataCleaningResults(StepResults):
    """Chapter 01: how many records the import kept, and who is in the data (counts only)."""

    STEP: ClassVar[str] = "01_data_cleaning"
    synthetic: bool
    scale: float
    seed: int
    posts_raw: int
    posts_final: int
    comments_raw: int
    comments_final: int
    cohen_kappa: float | None  # manual self-disclosure coding agreement; None without two coders
    fans_available: bool
    n_creators: int
    n_audience: int
    n_import_problems: int
    expected_posts: float | None = None  # synthetic runs: what the generator expects to survive
    expected_comments: float | None = None
    posts_vs_study_percent: float | None = None  # synthetic runs: kept posts against the study's, scaled
    comments_vs_study_percent: float | None = None
    kappa_planned: float | None = None  # synthetic runs: the coders' planned agreement
    # the import report (helpers.data.pipeline): what the importer detected or assumed
    n_files_read: int | None = None
    user_schema: str | None = None  # "user_id", "creator_hash", "mixed" or "none"
    titles_autofilled: int | None = None  # untitled notes whose title MediaCrawler filled from desc
    fans_matched: int | None = None  # creators matched in the follower source
    comment_likes_missing: int | None = None  # analysed comments without a like count (old exports)


# --------------------------------------------------------------------------- 02 sentiment


class TransferScores(TypedDict):
    """Fine-tuned model on a public labelled set (sign of the score against the label)."""

    auc: float | None
    accuracy: float | None


@dataclass(kw_only=True)
class SentimentResults(StepResults):
    """Chapter 02: the fine-tuned encoder, its test metrics and the scored corpus."""

    STEP: ClassVar[str] = "02_sentiment"
    model_name: str
    device: str
    scale: float
    seed: int
    n_labelled: int
    cohen_kappa: float | None
    weighted_kappa: float | None
    test_mse: float | None
    test_mae: float | None
    test_r2: float | None
    test_pearson_r: float | None
    epochs: float
    learning_rate: float
    train_steps: int
    steps_per_second: float | None
    posts_mean: float | None
    posts_sd: float | None
    comments_mean: float | None
    comments_sd: float | None
    #: "posts"/"comments" -> sentiment category (positive, neutral, negative, uncategorized) -> n
    category_counts: dict[str, dict[str, int]]
    #: "posts"/"comments" -> R² of the scores against the planted sentiment (synthetic runs)
    truth_r2: dict[str, float | None] = field(default_factory=dict)
    #: public set key -> scores; sets unavailable on the machine are absent
    transfer: dict[str, TransferScores] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    schedule: str | None = None  # named training schedule (helpers.sentiment.schedules)
    method: str | None = None  # "finetune" or "frozen_ridge"
    #: the real-text check: set, sizes, test metrics, calibration, schedules compared, second domain
    real_text: dict[str, Any] = field(default_factory=dict)
    synthetic_vs_real_r2_gap: float | None = None
    synthetic_real_within_0_15: bool | None = None  # None: cannot tell
    #: frozen ridge: the synthetic model's head refitted at the real model's training size
    #: (n_train, test_r2, test_mae, alpha); the gap above uses it when present
    synthetic_r2_at_real_size: dict[str, float] | None = None
    calibration: dict[str, Any] = field(default_factory=dict)  # method, description, slopes before/after
    threshold_rule: str | None = None  # "fixed", "percentile" or "density"
    thresholds_used: dict[str, float] = field(default_factory=dict)
    category_warnings: list[str] = field(default_factory=list)  # empty or tiny categories
    threshold_notes: list[str] = field(default_factory=list)  # density rule: why a cut fell back
    #: frozen encoder depth: depth, total_layers, tolerance, n_texts, and the CV R² table (None:
    #: all layers, or a fine-tuned schedule)
    encoder_depth: dict[str, Any] | None = None


# --------------------------------------------------------------------------- 03 engagement

#: The outcome keys chapter 03 uses in every per-outcome table below.
ENGAGEMENT_OUTCOMES = ("likes", "favorites", "shares", "comments", "comment_sentiment")


#: outcome -> term -> value, for the 20 coefficient rows (Models 1-5 x 4 terms)
CoefficientTable = dict[str, dict[str, Any]]


class CoefficientComparison(TypedDict):
    """Ours beside the paper's, per outcome and term (helpers.engagement.paper_comparison)."""

    estimate: CoefficientTable
    se: CoefficientTable
    p: CoefficientTable
    ci_low: CoefficientTable
    ci_high: CoefficientTable
    verdict: CoefficientTable  # "recovered the planted value ...", "consistent with ...", "cannot tell"


class _RecoveryRequired(TypedDict):
    covered: CoefficientTable  # planted value inside our 95 % CI (None: no CI)
    estimate: CoefficientTable
    planted: CoefficientTable


class Recovery(_RecoveryRequired, total=False):
    n_compared: int
    n_covered: int


class _CorrectedSlopeRequired(TypedDict):
    estimate: float | None  # raw post-sentiment slope (per unit of the true sentiment)
    conf_low: float | None  # 95 % interval (bootstrap for the corrections)
    conf_high: float | None


class CorrectedSlope(_CorrectedSlopeRequired, total=False):
    """One method's sentiment slope (helpers.engagement.corrections); planted values on synthetic runs."""

    planted: float
    covered: bool | None


class CalibrationSummary(TypedDict):
    """Where the labelled pairs came from and what they say about the prediction error."""

    source: str  # "chapter 02 test split" or "simulated (stated error model)"
    n_pairs: int
    r2: float
    rc_slope_b: float
    classical_slope_d: float
    error_variance: float


@dataclass(kw_only=True)
class EngagementResults(StepResults):
    """Chapter 03: all 20 coefficients beside the paper's, and the checks on them.

    Per-outcome tables are keyed by :data:`ENGAGEMENT_OUTCOMES`; a model that could not be
    fitted has ``None``.  Coefficients are on ``coefficient_scale`` (declared once, in
    :mod:`helpers.study.du_gu`).
    """

    STEP: ClassVar[str] = "03_engagement_models"
    scale: float
    seed: int
    synthetic: bool
    sentiment_source: str  # "estimated" (chapter 02's scores) or "latent" (planted)
    n_posts: int
    n_comments: int
    coefficient_scale: str
    transforms: dict[str, str]
    fit_seconds_all_models: float
    models_fitted: int
    models_singular: int
    random_slopes_kept: dict[str, list[str]]
    post_sentiment_raw: dict[str, float | None]
    post_sentiment_p: dict[str, float | None]
    comparison: CoefficientComparison
    verdict_counts: dict[str, int]
    negbin_agreement: dict[str, bool]
    mixedlm_max_abs_diff: float | None
    recovery: Recovery | None = None  # synthetic runs, on the planted sentiment
    recovery_estimated: Recovery | None = None  # synthetic runs, on chapter 02's scores
    coverage_over_seeds: dict[str, float | int] | None = None  # from the planted-coverage sweep
    #: outcome -> "naive" | "rc" | "simex" -> slope and interval; empty where no correction applies
    measurement_error: dict[str, dict[str, CorrectedSlope]] = field(default_factory=dict)
    measurement_error_calibration: CalibrationSummary | None = None
    measurement_error_note: str | None = None  # why no correction was made, when none was
    #: "naive" | "rc" | "simex" -> runs compared, covered, rate, Clopper–Pearson low/high (the coverage sweep)
    correction_coverage_over_seeds: dict[str, dict[str, float | int | None]] | None = None


# --------------------------------------------------------------------------- 04 networks


class _MapTotalsRequired(TypedDict):
    comments: int
    terms: int
    clusters: int
    links: int
    total_link_strength: float
    study_links: int | None
    study_total_link_strength: float | None
    seconds: float


class MapTotals(_MapTotalsRequired, total=False):
    """One category's co-occurrence map; TLS under the other counting method when computed."""

    total_link_strength_full: float
    total_link_strength_fractional: float


class PooledMap(TypedDict):
    comments: int
    terms: int
    clusters: int
    links: int
    total_link_strength: float


class _ThemeRecoveryRequired(TypedDict):
    n_terms: int
    ari: float  # over all mapped terms, unplanted words in an "other" class
    nmi: float


class ThemeRecovery(_ThemeRecoveryRequired, total=False):
    """Clusters of one map against the planted themes (synthetic runs)."""

    ari_theme_terms: float  # over the planted theme words only
    nmi_theme_terms: float
    n_theme_terms: int
    share_theme_terms: float
    themes_separated: bool


@dataclass(kw_only=True)
class SemanticNetworkResults(StepResults):
    """Chapter 04: the VOSviewer-style maps per post-sentiment category."""

    STEP: ClassVar[str] = "04_semantic_networks"
    scale: float
    seed: int
    top_n: int
    counting: str
    resolution: float
    tokenize_seconds: float
    maps: dict[str, MapTotals]
    pooled_map: PooledMap | None
    skipped_categories: dict[str, str]
    #: one row per pair of maps: "map A", "map B", shared_terms, ari, nmi, mean_best_jaccard
    consistency: list[dict[str, Any]]
    theme_recovery: dict[str, ThemeRecovery]  # empty on real data (no planted themes)
    glossary_coverage: float | None
    maps_not_built: dict[str, str] = field(default_factory=dict)  # category -> why (shown on the page)
    small_categories: Any = None  # categories with few comments (warned about on the page)
    distinct_terms: int | None = None  # distinct terms after tokenisation, all clean comments
    map_rules: dict[str, Any] = field(default_factory=dict)  # merge rule, repulsion, orientation
    study_keywords_in_top30: dict[str, int] = field(default_factory=dict)
    #: theme recovery over regenerated corpora: rate and its 95 % interval (synthetic runs)
    theme_recovery_over_seeds: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- 05 CNSD

# Functional form: "ROUGE-1" is not an identifier.
GenerationScores = TypedDict("GenerationScores", {
    "BLEU": float | None, "ROUGE-1": float | None, "BERTScore": float | None})


class ClassificationScores(TypedDict):
    accuracy: float | None
    precision: float | None
    recall: float | None
    F1: float | None


@dataclass(kw_only=True)
class CNSDResults(StepResults):
    """Chapter 05: selection, Module I/II, and the generation and classification benchmarks."""

    STEP: ClassVar[str] = "05_cnsd_pipeline"
    scale: float
    seed: int
    synthetic: bool
    tokenizer: str  # which tokenizer counted the selection rule's tokens
    users_loaded: int
    users_selected: int  # users meeting the paper's selection rules (>= 60 posts, >= 3,000 tokens)
    posts: int
    gold_users: int
    test_users: int
    n_min: int
    module1_examples: int
    lora_ran: bool
    lora_final_loss: float | None
    module2_backend: str
    module2_counts: dict[str, int]  # labels proposed / verified, unparseable answers, summaries
    temperature: float
    verification: dict[str, float | int | None]  # see helpers.cnsd.chapter.verification_effect
    generation_test: dict[str, GenerationScores]  # method -> scores on the Test split (Table 4)
    generation_gold: dict[str, GenerationScores]  # method -> scores on Gold (Table 6)
    classification_test: dict[str, ClassificationScores]  # method -> Table 5 (Gold -> Test)
    classification_gold_cv: dict[str, dict[str, float | None]]  # method -> Table 7 cells
    timings_s: dict[str, float]


# --------------------------------------------------------------------------- 06 inference


@dataclass(kw_only=True)
class InferenceResults(StepResults):
    """Chapter 06: measurement-error corrections, their coverage, power and the specification curve.

    Keys of the per-method tables are ``"<outcome>.<method>"`` with method ``naive``, ``rc``
    (regression calibration), ``simex`` or ``latent``; a section that did not run leaves its
    table empty.
    """

    STEP: ClassVar[str] = "06_inference_robustness"
    scale: float
    seed: int
    synthetic: bool
    sections: list[str]  # the sections this run computed
    chapter_seconds: float
    calibration: dict[str, float] = field(default_factory=dict)  # labelled pairs, R², calibration slope
    post_sentiment_std: dict[str, float] = field(default_factory=dict)
    covers_planted: dict[str, bool] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)  # over coverage_seeds simulated corpora
    coverage_seeds: int | None = None
    #: "<outcome>.n<posts>.c<comments per post>.r2_<sentiment R²>" -> P(p < 0.05)
    power_post_sentiment: dict[str, float] = field(default_factory=dict)
    power_designs: int | None = None
    map_share_same_sign_as_study: dict[str, float | None] = field(default_factory=dict)
    curve_share_matching_paper: dict[str, float | None] = field(default_factory=dict)
    curve_specifications: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- registry

SCHEMAS: dict[str, type[StepResults]] = {
    cls.STEP: cls for cls in (DataCleaningResults, SentimentResults, EngagementResults,
                              SemanticNetworkResults, CNSDResults, InferenceResults)
}


def schema_for(step: str) -> type[StepResults]:
    """The schema class of a step (``KeyError`` naming the known steps otherwise)."""
    try:
        return SCHEMAS[step]
    except KeyError:
        raise KeyError(f"no results schema for step {step!r}; known: {sorted(SCHEMAS)}") from None


def validate(step: str, values: StepResults | Mapping[str, Any], warn: bool = True) -> StepResults:
    """``values`` as a checked schema object; unknown keys are reported as a warning."""
    cls = schema_for(step)
    if isinstance(values, StepResults):
        if not isinstance(values, cls):
            raise ResultsSchemaError(f"{step} takes {cls.__name__}, not {type(values).__name__}")
        obj = values
    else:
        obj = cls.from_dict(values)
    unknown = obj.unknown_keys()
    if warn and unknown:
        warnings.warn(f"{step}: keys not declared in helpers/book/results_schema.py (kept, but no "
                      f"page reads them until declared): {unknown}", UserWarning, stacklevel=3)
    return obj
