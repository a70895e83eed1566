"""Time of fitting the study's five engagement models on the embedded corpus.

Target (issue 4): all five models on the full-scale corpus in under a minute on
2 cores.  The corpus is generated and cleaned in a scratch folder (the planted
latent post/comment sentiment stands in for chapter 02's scores, so the timing
is of the models alone), then the five models are fitted with each lme4 route
of ``helpers.engagement.lmer``: the lean lmerTest bridge and ``auto`` (lmerTest, and the
blocked-Cholesky engine for Model 5 above 28,000 rows), printing seconds per model and the ratio.

Then the baseline a user would write in R: plain ``lme4::lmer(formula, data)``
with default settings on the same model frames (data handed to R once, outside
the clock), against the same call with
``control = lmerControl(optimizer = "nloptwrap", calc.derivs = FALSE)``; each
time is the best of ``--repeat`` fits, and the script checks that the fixed
effects (and the variance parameters θ) agree with the default fit to 1e-4.
The library's routes add lmerTest's Satterthwaite degrees of freedom and the
extraction of fitted values, residuals and conditional modes on top of the fit.

Then R's own BLAS (the system OpenBLAS R links, not numpy's) on one thread, the book's default
(``XHS_R_BLAS_THREADS``, :func:`helpers.engagement.r_bridge.limit_r_blas_threads`), against its
own default of one thread per core: the same plain ``lme4::lmer`` fits of the five models, wall
and CPU time of the process, estimates compared to 1e-4 (``--blas-only`` runs just this part).

Last, Model 5 by the blocked-Cholesky engine (:mod:`helpers.engagement.crossed_lmm`, which
``engine="auto"`` picks above 28,000 rows) against that same plain ``lme4::lmer`` REML call
(timed with R's BLAS on one thread per core and on one thread; the faster is the baseline),
best of ``--repeat`` each, with fixed effects and θ compared to 1e-4, at ``--scale`` and then
at each of ``--blocked-scales`` (one fit each there; ``--blocked-only`` runs just this part).

    .venv/bin/python benchmarks/model_fitting.py --scale 1
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.engagement.data import load_comments, load_posts, study_model_specs
from helpers.engagement.lmer import fit_models
from helpers.synth.xhs_corpus import generate, write


def prepare(scale: float, seed: int, folder: Path) -> tuple:
    raw = write(generate(scale=scale, seed=seed), folder / "raw")
    clean_export(raw, CleaningConfig(coding_file=raw / "self_disclosure_coding.csv",
                                     salt=f"synthetic-{seed}")).write(folder / "clean")
    return load_posts(folder, sentiment="latent"), load_comments(folder, sentiment="latent")


def time_engine(engine: str, posts, comments) -> tuple[float, list[tuple[str, float, str]]]:
    started = time.perf_counter()
    results = fit_models(study_model_specs(), posts, comments, engine=engine)
    total = time.perf_counter() - started
    rows = [(r.spec.name + " " + r.spec.outcome, r.fit.seconds if r.fit else float("nan"),
             r.fit.engine if r.fit else f"failed: {r.error}") for r in results]
    return total, rows


def lme4_options(posts, comments, repeat: int) -> None:
    """Plain ``lme4::lmer`` against the nloptwrap / no-derivatives control, per model."""
    from helpers.engagement.data import EngagementDataError, build_frame
    from helpers.engagement.r_bridge import r_function, to_r_frame

    fit = r_function(
        """
        function(formula, data, fast, repeat_n) {
          ctrl <- if (fast) lme4::lmerControl(optimizer = "nloptwrap", calc.derivs = FALSE)
                  else lme4::lmerControl()
          best <- Inf
          for (i in seq_len(repeat_n)) {
            t0 <- proc.time()[["elapsed"]]
            m <- lme4::lmer(stats::as.formula(formula), data = data, control = ctrl)
            best <- min(best, proc.time()[["elapsed"]] - t0)
          }
          list(seconds = best, fixef = as.numeric(lme4::fixef(m)), theta = as.numeric(lme4::getME(m, "theta")),
               sigma = stats::sigma(m))
        }
        """
    )
    about = r_function(
        """
        function() paste0("lme4 ", as.character(utils::packageVersion("lme4")), "; lmer's default optimizer: ",
                          paste(lme4::lmerControl()$optimizer, collapse = ", "),
                          "; derivative check at the optimum by default: ", lme4::lmerControl()$calc.derivs)
        """
    )
    print(str(about()[0]))
    print(f"plain lme4::lmer (defaults) against lmerControl(optimizer = 'nloptwrap', calc.derivs = FALSE), "
          f"best of {repeat}:")
    total = {"default": 0.0, "nloptwrap": 0.0}
    worst = 0.0
    for spec in study_model_specs():
        try:
            frame = build_frame(spec, posts, comments if spec.level == "comment" else None)
        except EngagementDataError as exc:
            print(f"  {spec.name} {spec.outcome}: not fitted ({exc})")
            continue
        data = to_r_frame(frame.data)
        out = {}
        for key, fast in (("default", False), ("nloptwrap", True)):
            res = fit(frame.spec.formula(), data, fast, repeat)
            out[key] = {k: [float(v) for v in res[i]] for i, k in enumerate(("seconds", "fixef", "theta", "sigma"))}
            total[key] += out[key]["seconds"][0]
        d_fix = max(abs(a - b) for a, b in zip(out["default"]["fixef"], out["nloptwrap"]["fixef"], strict=True))
        d_theta = max(abs(a - b) for a, b in zip(out["default"]["theta"], out["nloptwrap"]["theta"], strict=True))
        worst = max(worst, d_fix, d_theta)
        t0, t1 = out["default"]["seconds"][0], out["nloptwrap"]["seconds"][0]
        print(f"  {spec.name + ' ' + spec.outcome:<28} default {t0:7.2f} s | nloptwrap {t1:7.2f} s | "
              f"ratio {t0 / t1 if t1 else float('nan'):5.2f}x | saves {t0 - t1:+6.2f} s | "
              f"max |Δ fixef| {d_fix:.1e}, max |Δ θ| {d_theta:.1e}")
    ratio = total["default"] / total["nloptwrap"] if total["nloptwrap"] else float("nan")
    verdict = "agree to 1e-4" if worst <= 1e-4 else "DO NOT agree to 1e-4"
    print(f"lme4 options: all models default {total['default']:.1f} s, nloptwrap {total['nloptwrap']:.1f} s, "
          f"ratio {ratio:.2f}x, saves {total['default'] - total['nloptwrap']:+.1f} s per build; estimates {verdict} "
          f"(largest difference {worst:.1e})")


def r_blas_threads(posts, comments, repeat: int) -> None:
    """The five plain ``lme4::lmer`` fits with R's BLAS on one thread against one thread per core."""
    from helpers.engagement.data import EngagementDataError, build_frame
    from helpers.engagement.r_bridge import r_function, set_r_blas_threads, to_r_frame

    fit = r_function(
        """
        function(formula, data) {
          m <- lme4::lmer(stats::as.formula(formula), data = data)
          c(as.numeric(lme4::fixef(m)), as.numeric(lme4::getME(m, "theta")))
        }
        """
    )
    frames = []
    for spec in study_model_specs():
        try:
            frame = build_frame(spec, posts, comments if spec.level == "comment" else None)
        except EngagementDataError:
            continue
        frames.append((frame.spec.formula(), to_r_frame(frame.data)))
    cores = os.cpu_count() or 1
    settings = {f"{cores} threads (OpenBLAS's default)": cores, "1 thread (the book's default)": 1}
    timing, estimates = {}, {}
    for label, threads in settings.items():
        capped = set_r_blas_threads(threads)
        best_wall, best_cpu = float("inf"), float("inf")
        for _ in range(repeat):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            estimates[label] = [list(fit(formula, data)) for formula, data in frames]
            best_wall = min(best_wall, time.perf_counter() - wall0)
            best_cpu = min(best_cpu, time.process_time() - cpu0)
        timing[label] = (best_wall, best_cpu)
        print(f"  R's BLAS on {label:<34} five models {best_wall:6.2f} s wall, {best_cpu:6.2f} s CPU "
              f"({len(capped)} BLAS librar{'y' if len(capped) == 1 else 'ies'} of R's set)")
    set_r_blas_threads()  # back to the configured default
    many, one = settings
    worst = max(abs(a - b) for m0, m1 in zip(estimates[many], estimates[one], strict=True)
                for a, b in zip(m0, m1, strict=True))
    (w0, c0), (w1, c1) = timing[many], timing[one]
    print(f"R's BLAS threads: one thread against {cores}: wall ratio {w0 / w1:.2f}x (saves {w0 - w1:+.2f} s), "
          f"CPU ratio {c0 / c1:.2f}x; estimates {'agree' if worst <= 1e-4 else 'DO NOT agree'} to 1e-4 "
          f"(largest difference {worst:.1e}); best of {repeat}")


def blocked_against_lme4(posts, comments, repeat: int) -> None:
    """Model 5: plain ``lme4::lmer`` (REML, defaults) against the blocked engine on the same frame."""
    import numpy as np

    from helpers.engagement.crossed_lmm import build_design, fit_crossed
    from helpers.engagement.data import build_frame
    from helpers.engagement.lmer import fixed_effect_matrix
    from helpers.engagement.r_bridge import r_function, set_r_blas_threads, to_r_frame

    fit = r_function(
        """
        function(formula, data, repeat_n) {
          best <- Inf
          for (i in seq_len(repeat_n)) {
            t0 <- proc.time()[["elapsed"]]
            m <- lme4::lmer(stats::as.formula(formula), data = data)
            best <- min(best, proc.time()[["elapsed"]] - t0)
          }
          th <- lme4::getME(m, "theta")
          list(seconds = best, fixef = as.numeric(lme4::fixef(m)), theta = as.numeric(th),
               theta_names = names(th))
        }
        """
    )
    spec = next(s for s in study_model_specs() if s.level == "comment")
    frame = build_frame(spec, posts, comments)
    data = to_r_frame(frame.data)
    # the baseline is lme4 at its best: with R's BLAS on one thread per core (what R does by
    # default) and on one thread (the book's default), the faster of the two
    cores = os.cpu_count() or 1
    by_threads = {}
    for threads in dict.fromkeys((cores, 1)):
        set_r_blas_threads(threads)
        by_threads[threads] = fit(spec.formula(), data, repeat)
    set_r_blas_threads()
    out = min(by_threads.values(), key=lambda o: float(o[0][0]))
    lme4_s, fixef, theta = float(out[0][0]), np.array(out[1], float), np.array(out[2], float)
    names = [str(n).split(".")[0] for n in out[3]]
    best, ours = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        design = build_design(frame.data, spec.response, fixed_effect_matrix(frame), spec.groups)
        ours = fit_crossed(design, reml=True, satterthwaite=False)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    fit_crossed(design, reml=True, satterthwaite=True, start=ours.theta)
    with_df = time.perf_counter() - t0
    ours_theta = np.array([ours.theta[design.groups.index(n)] for n in names])
    d_fix, d_theta = float(np.max(np.abs(ours.beta - fixef))), float(np.max(np.abs(ours_theta - theta)))
    verdict = "agree to 1e-4" if max(d_fix, d_theta) <= 1e-4 else "DO NOT agree to 1e-4"
    print(f"Model 5 ({len(frame.data):,} comments; {', '.join(f'{g} {len(lv):,}' for g, lv in zip(design.groups, design.levels, strict=True))}), "
          f"REML, best of {repeat}:")
    print("  plain lme4::lmer by R's BLAS threads: " + ", ".join(
        f"{t} thread{'s' if t > 1 else ''} {float(o[0][0]):.1f} s" for t, o in by_threads.items()))
    print(f"  plain lme4::lmer {lme4_s:7.1f} s | blocked engine {best:7.1f} s ({ours.n_evals} deviance evaluations) | "
          f"ratio {lme4_s / best:5.2f}x | saves {lme4_s - best:+7.1f} s")
    print(f"  blocked engine with lmerTest's Satterthwaite df (warm start at the optimum): {with_df:.1f} s more")
    print(f"  estimates {verdict}: max |Δ fixef| {d_fix:.1e}, max |Δ θ| {d_theta:.1e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20241111)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-routes", action="store_true", help="only the plain-lme4 comparison")
    parser.add_argument("--blocked-only", action="store_true", help="only Model 5: blocked engine against lme4")
    parser.add_argument("--blas-only", action="store_true", help="only R's BLAS on one thread against its default")
    parser.add_argument("--blocked-scales", default="4", help="further scales for the Model 5 comparison ('' none)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xhs-models-bench-") as tmp:
        posts, comments = prepare(args.scale, args.seed, Path(tmp))
        print(f"five engagement models at --scale {args.scale}: {len(posts):,} posts, "
              f"{len(comments):,} comments, {os.cpu_count()} cores")
        if args.blocked_only:
            blocked_against_lme4(posts, comments, args.repeat)
            return 0
        if args.blas_only:
            r_blas_threads(posts, comments, args.repeat)
            return 0
        if args.skip_routes:
            lme4_options(posts, comments, args.repeat)
            blocked_against_lme4(posts, comments, args.repeat)
            return 0
        # R, lme4 and pymer4 load on the first fit: time that once, apart from the models.
        started = time.perf_counter()
        for engine in ("lmerTest", "pymer4"):
            fit_models(study_model_specs()[:1], posts, comments, engine=engine)
        print(f"R/lme4/pymer4 start-up (first fits, not counted below): {time.perf_counter() - started:.1f} s")
        totals = {}
        for engine in ("lmerTest", "auto"):
            total, rows = time_engine(engine, posts, comments)
            totals[engine] = total
            print(f"engine={engine}: {total:.1f} s in all")
            for name, seconds, used in rows:
                print(f"  {name:<32} {seconds:6.2f} s  ({used})")
        print(f"ratio auto / lmerTest: {totals['auto'] / totals['lmerTest']:.2f}x; "
              f"fastest route {min(totals.values()):.1f} s against a 60 s target")
        lme4_options(posts, comments, args.repeat)
        r_blas_threads(posts, comments, args.repeat)
        blocked_against_lme4(posts, comments, args.repeat)
    for extra in [float(x) for x in args.blocked_scales.split(",") if x.strip()]:
        with tempfile.TemporaryDirectory(prefix="xhs-models-bench-") as tmp:
            posts, comments = prepare(extra, args.seed, Path(tmp))
            print(f"--scale {extra:g}: {len(posts):,} posts, {len(comments):,} comments")
            blocked_against_lme4(posts, comments, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
