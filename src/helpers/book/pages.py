"""Book pages generated at build time from a run's numbers: results and sweeps.

Why generated rather than written by hand: the results chapter states what *this
build* found, and the numbers change with the data, the scale and the seed.  A
hand-written page would go stale (or, worse, be tuned to look right); reading the
run's ``results/*.json`` when the book is staged keeps every number traceable to
the notebook that produced it.  The results are read through their typed schema
(:mod:`helpers.book.results_schema`), so the page uses exactly the fields the chapters
declare; when a chapter did not report a number, the page says so instead of guessing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from helpers.book.results_schema import (
    ENGAGEMENT_OUTCOMES,
    SCHEMAS,
    CNSDResults,
    EngagementResults,
    ResultsSchemaError,
    SemanticNetworkResults,
    SentimentResults,
    StepResults,
)
from helpers.book.run_folder import STEPS, RunLayout
from helpers.book.sweep import flatten
from helpers.markdown import fmt, md_table

# --------------------------------------------------------------------------- helpers


@dataclass
class RunResults:
    """A run's typed results: one schema object per chapter that wrote a valid file.

    ``invalid`` maps a step to why its file could not be read as its schema (the page says
    so); ``unknown`` maps a step to the keys it wrote that no schema declares yet.
    """

    steps: dict[str, StepResults] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, list[str]] = field(default_factory=dict)

    def get(self, cls: type[S]) -> S | None:
        obj = self.steps.get(cls.STEP)
        return obj if isinstance(obj, cls) else None


S = TypeVar("S", bound=StepResults)


def load_results(layout: RunLayout) -> RunResults:
    """Every ``results/<step>.json`` of a run, read through its schema."""
    out = RunResults()
    folder = layout.root / "results"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        step = path.stem
        if step not in SCHEMAS:
            out.invalid[step] = "no schema declares this step"
            continue
        try:
            obj = layout.read_step(step)
        except (json.JSONDecodeError, ResultsSchemaError) as exc:
            out.invalid[step] = str(exc)
            continue
        out.steps[step] = obj
        if obj.unknown_keys():
            out.unknown[step] = obj.unknown_keys()
    return out


def flat(results: Mapping[str, Any]) -> dict[str, Any]:
    return dict(flatten(results))


# --------------------------------------------------------------------------- results page


@dataclass(frozen=True)
class Effect:
    """A post-sentiment coefficient as a chapter reported it."""

    estimate: float | None
    low: float | None = None
    high: float | None = None
    p: float | None = None
    scaling: str = ""

    @property
    def found(self) -> bool:
        return self.estimate is not None

    @property
    def significant(self) -> bool | None:
        if self.p is not None:
            return self.p < 0.05
        if self.low is not None and self.high is not None:
            return not (self.low <= 0 <= self.high)
        return None

    def describe(self) -> str:
        if not self.found:
            return "not reported by this build"
        parts = [f"β = {fmt(self.estimate)}" + (f" ({self.scaling})" if self.scaling else "")]
        if self.low is not None and self.high is not None:
            parts.append(f"95 % CI [{fmt(self.low)}, {fmt(self.high)}]")
        if self.p is not None:
            parts.append(f"p = {fmt(self.p, 4)}")
        return ", ".join(parts)


def find_effect(results03: EngagementResults | None, outcome: str) -> Effect:
    """The post-sentiment effect on one outcome (a key of ``ENGAGEMENT_OUTCOMES``).

    Shown on the scale chapter 03 declares (``coefficient_scale``, fixed once in
    :mod:`helpers.study.du_gu`), with the 95 % CI chapter 03 computed.
    """
    if outcome not in ENGAGEMENT_OUTCOMES:
        raise KeyError(f"unknown outcome {outcome!r}; chapter 03 reports {ENGAGEMENT_OUTCOMES}")
    if results03 is None:
        return Effect(None)
    estimate = results03.post_sentiment_raw.get(outcome)

    def _cell(table: str) -> float | None:
        value = results03.comparison[table].get(outcome, {}).get("post_sentiment")  # type: ignore[literal-required]
        return None if value is None else float(value)

    return Effect(None if estimate is None else float(estimate), p=results03.post_sentiment_p.get(outcome),
                  low=_cell("ci_low"), high=_cell("ci_high"), scaling=results03.coefficient_scale)


def _verdict(ok: bool | None) -> str:
    """Verdict on a real export: the study's claim against this build's numbers."""
    return {True: "✅ consistent with the study", False: "❌ differs from the study", None: "– cannot tell"}[ok]


def _recovery_verdict(results03: EngagementResults, outcomes: Sequence[str]) -> str:
    """Verdict on a synthetic run: did the 95 % CIs cover what the generator planted?

    The generator planted the study's values, so agreement is recovery, not confirmation.
    """
    recovery = results03.recovery_estimated if results03.sentiment_source == "estimated" else results03.recovery
    covered = [((recovery or {}).get("covered") or {}).get(o, {}).get("post_sentiment") for o in outcomes]
    if not recovery or any(c is None for c in covered):
        return "– cannot tell (no interval for the planted value)"
    if all(covered):
        return "✅ recovered the planted value (the generator planted the study's value)"
    return "❌ did not recover the planted value (the generator planted the study's value)"


@dataclass(frozen=True)
class ClaimFinding:
    claim: str
    study: str
    found: str
    verdict: str


def _checks(results03: EngagementResults | None, outcomes: Sequence[str]) -> str:
    """Robustness and recovery notes for some outcomes (empty when not reported)."""
    if results03 is None:
        return ""
    notes = []
    nb = results03.negbin_agreement
    got = [f"{o} {fmt(nb[o])}" for o in outcomes if o in nb]
    if got:
        notes.append("negative-binomial model agrees in sign and significance: " + ", ".join(got))
    for label, recovery in (("planted sentiment", results03.recovery),
                            ("estimated sentiment", results03.recovery_estimated)):
        covered = (recovery or {}).get("covered") or {}
        got = [f"{o} {fmt(covered[o]['post_sentiment'])}" for o in outcomes
               if "post_sentiment" in covered.get(o, {})]
        if got:
            notes.append(f"planted effect inside the 95 % CI ({label}): " + ", ".join(got))
    return ("; " + "; ".join(notes)) if notes else ""


def engagement_findings(results03: EngagementResults | None) -> list[ClaimFinding]:
    """The three engagement claims, judged on this build's chapter-03 numbers."""
    eff = {name: find_effect(results03, name) for name in ENGAGEMENT_OUTCOMES}
    out = []
    size = f" ({fmt(results03.n_posts)} posts)" if results03 is not None else ""
    pair = [eff["likes"], eff["comments"]]
    verdict = _verdict(None)
    if all(e.found for e in pair):
        negative = all(e.estimate < 0 for e in pair)  # type: ignore[operator]
        significant = all(e.significant is not False for e in pair)
        if negative and not significant:
            verdict = "– same direction as the study, but not significant at this sample size"
        else:
            verdict = _verdict(negative and significant)
    out.append(ClaimFinding(
        "Negative post sentiment → more likes and comments",
        "Post sentiment had significant negative effects on likes (β = −0.36) and comments: "
        "the more negative the post, the more likes and comments it drew.",
        f"likes: {eff['likes'].describe()}; comments: {eff['comments'].describe()}{size}"
        + _checks(results03, ["likes", "comments"]),
        verdict,
    ))
    pair = [eff["favorites"], eff["shares"]]
    sig = [e.significant for e in pair]
    ok = None if not all(e.found for e in pair) or None in sig else not any(sig)
    out.append(ClaimFinding(
        "No effect on favorites and shares",
        "Post sentiment had no significant effect on favorites (collects) or shares.",
        f"favorites: {eff['favorites'].describe()}; shares: {eff['shares'].describe()}"
        + _checks(results03, ["favorites", "shares"]),
        _verdict(ok),
    ))
    e = eff["comment_sentiment"]
    ok = None if not e.found or e.significant is None else bool(e.estimate > 0 and e.significant)  # type: ignore[operator]
    verdict = _verdict(ok)
    if ok is False and e.estimate > 0:  # type: ignore[operator]
        verdict = "– same direction as the study, but not significant at this sample size"
    out.append(ClaimFinding(
        "Small positive effect on comment sentiment",
        "More positive posts drew slightly more positive comments (a small, significant "
        "positive coefficient in the crossed-random-effects model).",
        f"comment sentiment: {e.describe()}" + _checks(results03, ["comment_sentiment"]),
        verdict,
    ))
    if results03 is not None and results03.synthetic:
        groups = (["likes", "comments"], ["favorites", "shares"], ["comment_sentiment"])
        out = [ClaimFinding(f.claim, f.study, f.found, _recovery_verdict(results03, g))
               for f, g in zip(out, groups, strict=True)]
    return out


#: Columns of chapter 04's consistency rows that are similarities between two maps.
CONSISTENCY_MEASURES = ("ari", "nmi", "mean_best_jaccard")


#: The study's three category maps (chapter 04 builds one per post-sentiment category).
MAP_CATEGORIES: tuple[str, ...] = ("positive", "neutral", "negative")


def category_map_warnings(results02: SentimentResults | None,
                          results04: SemanticNetworkResults | None) -> list[str]:
    """Sentences for the results page: every category map not built (and why), small maps,
    and chapter 02's empty or tiny categories, so a missing map is never only a line in a JSON file."""
    out: list[str] = []
    if results04 is not None:
        not_built = {**dict(results04.skipped_categories or {}), **dict(results04.maps_not_built or {})}
        for c in MAP_CATEGORIES:
            if c in not_built:
                out.append(f"The **{c}** map was not built: {not_built[c]}.")
            elif c not in (results04.maps or {}):
                out.append(f"The **{c}** map is missing from chapter 04's results (no reason recorded).")
        small = results04.small_categories or {}
        if isinstance(small, Mapping):
            out += [f"The **{c}** map rests on few comments: {note}." for c, note in small.items()]
    if results02 is not None:
        out += [f"Sentiment chapter: {w}." for w in results02.category_warnings]
    return out


def theme_finding(results04: SemanticNetworkResults | None) -> ClaimFinding:
    """The 'same three themes in every category' claim, from chapter 04's numbers.

    Synthetic runs have planted themes: the verdict asks whether, in every category map, the
    planted themes fall in separate clusters (a recovery verdict, not a confirmation of the
    study).  Real data have none: it asks the category maps to agree with each other (mean
    ARI ≥ 0.5).
    """
    parts: list[str] = []
    ok: bool | None = None
    if results04 is not None:
        missing = [c for c in MAP_CATEGORIES if c not in (results04.maps or {})]
        if missing:
            parts.append(f"{len(missing)} of the {len(MAP_CATEGORIES)} category maps not built "
                         f"({', '.join(missing)}; see the warning above), so the claim is judged on "
                         f"{len(MAP_CATEGORIES) - len(missing)} map(s) at most")
        if results04.maps:
            parts.append("clusters per map: " + ", ".join(f"{c} {fmt(m['clusters'])}"
                                                          for c, m in results04.maps.items()))
        rows = results04.consistency
        if rows:
            means = {}
            for measure in CONSISTENCY_MEASURES:
                values = [float(r[measure]) for r in rows if isinstance(r.get(measure), int | float)
                          and not math.isnan(float(r[measure]))]
                if values:
                    means[measure] = sum(values) / len(values)
            if means:
                parts.append(f"similarity of the category maps ({len(rows)} pairs): "
                             + ", ".join(f"mean {k} {fmt(v)}" for k, v in means.items()))
            if "ari" in means and not results04.theme_recovery:
                ok = means["ari"] >= 0.5
        recovery = results04.theme_recovery
        if recovery:
            parts.append("agreement with the planted themes: "
                         + ", ".join(f"{c} ARI {fmt(r['ari'])}" for c, r in recovery.items()))
            # The claim is about the category maps: the pooled map ("all comments") cannot
            # carry it, and fewer than two category maps cannot show "the same" themes.
            # Judged per category map by whether the planted themes land in separate clusters
            # (the all-terms ARI is low by design: most mapped words belong to no theme).
            separated = [bool(r["themes_separated"]) for c, r in recovery.items()
                         if c in results04.maps and "themes_separated" in r]
            ok = all(separated) if len(separated) >= 2 else None
            if len(separated) < 2:
                parts.append(f"only {len(separated)} category map(s) in this build, so the claim cannot be judged")
            over_seeds = results04.theme_recovery_over_seeds
            if over_seeds.get("seeds"):
                parts.append(f"themes recovered in {over_seeds['recovered']} of {over_seeds['seeds']} regenerated "
                             f"corpora (95 % interval {fmt(over_seeds['rate_low'])}–{fmt(over_seeds['rate_high'])})")
        if ok is not None:
            parts.append("verdict rule: " + ("in every category map the planted themes fall in separate clusters"
                                              if recovery else "mean ARI between the category maps ≥ 0.5"))
    return ClaimFinding(
        "The same three themes across sentiment categories",
        "Comment networks of positive, neutral and negative posts each showed the same three "
        "themes: coping and resilience, emotional struggle, and health and treatment.",
        "; ".join(parts) if parts else "not reported by this build",
        (_verdict(ok) if not (results04 is not None and results04.theme_recovery) else
         {True: "✅ recovered the planted themes (the generator planted the study's three themes)",
          False: "❌ did not recover the planted themes (the generator planted the study's three themes)",
          None: "– cannot tell"}[ok]),
    )


def cnsd_rows(results05: CNSDResults | None) -> list[tuple[str, str, Any]]:
    """(method, metric, value) rows of chapter 05's classification and generation scores."""
    if results05 is None:
        return []
    rows: list[tuple[str, str, Any]] = []
    for method, scores in results05.classification_test.items():
        rows += [(method, metric, value) for metric, value in scores.items()]
    for method, scores in results05.generation_test.items():
        rows += [(method, metric, value) for metric, value in scores.items()]
    return rows


def render_results_page(layout: RunLayout) -> str:
    """Markdown for the results chapter: each claim, the study's finding, ours."""
    results = load_results(layout)
    log_path = layout.root / "run_log.json"
    run_info = json.loads(log_path.read_text()) if log_path.exists() else {}
    scale, seed = run_info.get("scale"), run_info.get("seed")
    lines = [
        "# Results: the study's claims, checked on this build",
        "",
        "This page is generated when the book is built, from the headline numbers each chapter "
        "wrote to `results/<chapter>.json` in the run folder; nothing on it is typed in by hand.",
    ]
    if scale is not None:
        lines.append(f"This build ran at `--scale {scale}` with `--seed {seed}`.")
    lines += [
        "",
        ":::{important}",
        "By default the chapters run on the **embedded synthetic corpus**, whose generator *plants* "
        "the study's reported effects and themes. Agreement below therefore shows that the "
        "method recovers what was put in (and how precisely, at this scale), not that the study's "
        "findings hold for real users. Run the chapters on a real export to test the claims "
        "themselves.",
        ":::",
        "",
    ]
    for step, why in results.invalid.items():
        lines += [f"**`results/{step}.json` could not be read:** {why}", ""]
    engagement = results.get(EngagementResults)
    if engagement is not None:
        source = engagement.sentiment_source
        lines += [{"estimated": "The engagement models used the post and comment sentiment scored by the "
                                "fine-tuned encoder of the sentiment chapter.",
                   "latent": "The engagement models used the *planted* latent sentiment of the synthetic "
                             "corpus, not the encoder's scores."}.get(source, f"Sentiment source: {source}."),
                  ""]
    map_warnings = category_map_warnings(results.get(SentimentResults), results.get(SemanticNetworkResults))
    if map_warnings:
        lines += [":::{warning}", "**Not every sentiment category and map is there in this build.**", "",
                  *[f"* {w}" for w in map_warnings], "",
                  "A verdict that needs a missing map is judged on the maps that were built, or "
                  "reported as *cannot tell*.", ":::", ""]
    findings = engagement_findings(engagement)
    findings.append(theme_finding(results.get(SemanticNetworkResults)))
    for f in findings:
        lines += [f"## {f.claim}", "", f"**The study:** {f.study}", "",
                  f"**This build:** {f.found}.", "", f"**Verdict:** {f.verdict}", ""]
    rows = cnsd_rows(results.get(CNSDResults))
    lines += ["## CNSocialDepress benchmarks", ""]
    if rows:
        lines += ["Headline classification and generation scores of this build (see the CNSD "
                  "chapter for the paper's numbers beside them):", "",
                  md_table(rows, ["method", "metric", "value"]), ""]
    else:
        lines += ["Not reported by this build.", ""]
    lines += ["## Every headline number of this build", "",
              "What each chapter reported, flattened (chapters not run are absent).", ""]
    for step in [s for s in STEPS if s in results.steps]:
        rows2 = list(flat(results.steps[step].as_dict()).items())
        lines += [f"### {step}", "", md_table(rows2[:200], ["name", "value"]), ""]
        if len(rows2) > 200:
            lines += [f"({len(rows2) - 200} more in `results/{step}.json`.)", ""]
        if step in results.unknown:
            lines += [f"Not yet declared in the results schema (shown above, read by no page): "
                      f"{', '.join(f'`{k}`' for k in results.unknown[step])}.", ""]
    if not results.steps:
        lines += ["No chapter results were found in this run folder.", ""]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- sweeps page


def _plotly_block(fig: Any, first: bool) -> str:
    html = fig.to_html(full_html=False, include_plotlyjs=bool(first), config={"responsive": True})
    return "```{raw} html\n" + html + "\n```\n"


def sweep_figures(table: Any, metrics: Sequence[str] | None = None, limit: int = 6) -> list[Any]:
    """One plotly figure per metric: value against the swept parameter, a line per seed."""
    import plotly.express as px

    numeric = table[table["value"].notna()]
    params = [c for c in table.columns if c.startswith("param.") and table[c].nunique(dropna=True) > 1]
    if metrics is None:
        varying = numeric.groupby(["step", "metric"])["value"].nunique()
        metrics = [f"{s}:{m}" for (s, m), n in varying.items() if n > 1][:limit]
    figures = []
    for full in metrics:
        step, metric = full.split(":", 1) if ":" in full else (None, full)
        sel = numeric[(numeric["metric"] == metric) & ((numeric["step"] == step) if step else True)]
        if sel.empty:
            continue
        x = params[0] if params else "seed"
        color = params[1] if len(params) > 1 else ("seed" if x != "seed" else None)
        frame = sel.sort_values([c for c in (color, x) if c]).copy()
        orders = {}
        if color:
            orders[color] = [str(v) for v in sorted(frame[color].unique(), key=_sort_key)]
            frame[color] = frame[color].astype(str)
        fig = px.line(frame, x=x, y="value", color=color, markers=True, category_orders=orders,
                      title=f"{metric} ({step})" if step else metric,
                      labels={"value": metric, x: x.removeprefix("param.")})
        fig.update_layout(height=360, margin={"l": 40, "r": 10, "t": 50, "b": 40})
        figures.append(fig)
    return figures


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


#: The sweeps behind chapters 03 and 06, each at the size the book runs or bundles and at full scale.
BOOK_SWEEPS_SECTION = [
    "## The sweeps behind the book's pages", "",
    "| page | what | bundled or run by `helpers book` | full scale (documented command) |",
    "|---|---|---|---|",
    "| chapter 03 | coverage of the 20 planted coefficients | `data/sweeps/planted_coverage.yml` "
    "(20 seeds, scale 0.2; table in `data/sweeps/planted_coverage/`) | `planted_coverage_full.yml` |",
    "| chapter 03 | coverage of the planted sentiment slope by naive, RC and SIMEX intervals | "
    "`data/sweeps/measurement_error_coverage.yml` (20 seeds, scale 0.2; table in "
    "`data/sweeps/measurement_error_coverage/`) | `measurement_error_coverage_full.yml` |",
    "| chapter 06 | simulated power | `data/sweeps/power_small.yml` (scale 0.05, run by `helpers book` "
    "before the chapters, resumed when unchanged) | `power.yml` |",
    "| chapter 06 | specification curve | `data/sweeps/specification_curve_small.yml` (scale 0.05, run by "
    "`helpers book`) | `specification_curve.yml` |",
    "",
    "`python -m helpers book` runs chapter 06's two small sweeps into `_build/sweeps/` (first, or beside "
    "chapters 01-05 when chapters run side by side) and passes their folders to the chapter (`--no-sweeps` skips them; the chapter then computes its own small "
    "grids). Each sweep folder holds `sweep.json` (spec, scales, seeds, dates, machine), which the page "
    "cites under its figure. At full scale:",
    "",
    "```bash",
    ".venv/bin/python -m helpers sweep data/sweeps/power.yml --dask",
    ".venv/bin/python -m helpers sweep data/sweeps/specification_curve.yml --dask",
    ".venv/bin/python -m helpers book -p 06.power_sweep _build/sweeps/power "
    "-p 06.curve_sweep _build/sweeps/specification_curve",
    ".venv/bin/python -m helpers sweep data/sweeps/planted_coverage_full.yml --workers 4",
    ".venv/bin/python -m helpers sweep data/sweeps/measurement_error_coverage_full.yml --workers 4",
    ".venv/bin/python -m helpers run --only 03 -p 03.coverage_results _build/sweeps/planted_coverage_full/results.csv "
    "-p 03.correction_coverage_results _build/sweeps/measurement_error_coverage_full/results.csv",
    "```",
    "",
]


def render_sweeps_page(results_csv: Path, runs_csv: Path | None = None, spec_path: Path | None = None,
                       metrics: Sequence[str] | None = None, provenance: str = "",
                       spec_label: str | None = None) -> str:
    """Markdown (with live plotly figures) for the bundled example sweep."""
    import pandas as pd

    lines = ["# Parameter sweeps", ""]
    lines += [
        "`python -m helpers sweep SPEC.yml` runs a grid of notebook parameters. Each grid point is "
        "its own run folder, named by a hash of the notebook sources and the parameters, so a "
        "stopped sweep resumes where it was and an edited notebook never reuses stale results. "
        "Failed runs are listed with their error while the sweep goes on, and every run's "
        "`results/*.json` is collected into one tidy table (`results.parquet` and `results.csv`: "
        "one row per run, chapter and number, with the parameters as columns).",
        "",
        "```bash",
        ".venv/bin/python -m helpers sweep data/sweeps/engagement_seeds.yml            # runs at a time = cores",
        ".venv/bin/python -m helpers sweep data/sweeps/engagement_seeds.yml --dask     # on a local Dask cluster",
        ".venv/bin/python -m helpers sweep data/sweeps/engagement_seeds.yml --scheduler tcp://host:8786",
        "```",
        "",
        "With `--scheduler`, the runs are submitted as tasks to a running Dask cluster (started "
        "with `dask scheduler` on one machine and `dask worker tcp://host:8786` on each of the "
        "others, or any dask-jobqueue/Kubernetes deployment). Every worker needs this project "
        "installed at the same path (`make setup`) and the sweep folder on a shared file system. "
        "Large corpora are scored the same way: `helpers.book.dask_scale.score_parquet` scores a "
        "partitioned parquet corpus with one model load per worker.",
        "",
    ]
    lines += BOOK_SWEEPS_SECTION
    if spec_path and spec_path.exists():
        lines += ["## The example sweep", "", f"Spec (`{spec_label or spec_path.name}`):", "", "```yaml",
                  spec_path.read_text(encoding="utf-8").strip(), "```", ""]
    if provenance:
        lines += [provenance, ""]
    if not results_csv.exists():
        lines += [f"No sweep results were found at `{results_csv.as_posix()}`.", ""]
        return "\n".join(lines)
    table = pd.read_csv(results_csv)
    if runs_csv and runs_csv.exists():
        runs = pd.read_csv(runs_csv)
        n_ok = int((runs["status"] != "failed").sum())
        lines += [f"{len(runs)} runs, {n_ok} finished, {len(runs) - n_ok} failed.", ""]
        show = runs[["run", "status", "seed", "parameters", "seconds", "error"]].fillna("")
        lines += [md_table(show.values.tolist(), list(show.columns)), ""]
    lines += ["## How the headline numbers move", ""]
    figures = sweep_figures(table, metrics)
    if not figures:
        lines += ["No number varied across the runs.", ""]
    for i, fig in enumerate(figures):
        lines.append(_plotly_block(fig, first=(i == 0)))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- staging hook

SWEEP_EXAMPLE = Path("data/sweeps/example")


def example_sweep_provenance(folder: Path, shown: Path = SWEEP_EXAMPLE) -> str:
    """Where the bundled sweep table came from (it is not re-run at build time)."""
    meta = folder / "provenance.json"
    if not meta.exists():
        return ""
    info = json.loads(meta.read_text())
    return (
        f"The figures below are read from `{shown.as_posix()}/results.csv`, the table of a real "
        f"sweep run with `python -m helpers sweep` on {info.get('date', '?')} ({info.get('machine', '?')}; "
        f"{info.get('wall_seconds', '?')} s wall time). The book does not re-run the sweep when it is "
        "built, since that would multiply the build time; re-run the command above to refresh it."
    )


def write_generated_pages(layout: RunLayout, stage: Path, root: Path,
                          metrics: Sequence[str] | None = None,
                          log: Callable[[str], None] = print) -> list[Path]:
    """Write the generated pages into a staged book (called by ``book_build.stage_book``)."""
    written = []
    book = stage / "book"
    book.mkdir(parents=True, exist_ok=True)
    (book / "results.md").write_text(render_results_page(layout), encoding="utf-8")
    written.append(book / "results.md")
    folder = root / SWEEP_EXAMPLE
    meta = json.loads((folder / "provenance.json").read_text()) if (folder / "provenance.json").exists() else {}
    spec = root / meta["spec"] if meta.get("spec") else None
    page = render_sweeps_page(folder / "results.csv", folder / "runs.csv", spec,
                              metrics=metrics or meta.get("metrics"),
                              provenance=example_sweep_provenance(folder), spec_label=meta.get("spec"))
    (book / "sweeps.md").write_text(page, encoding="utf-8")
    written.append(book / "sweeps.md")
    return written
