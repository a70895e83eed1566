"""Random-slope selection of Model 5: lme4's default ML fits against ``calc.derivs = FALSE``.

Chapter 03 forward-selects random slopes of post sentiment with maximum-likelihood
fits of plain lme4 (``helpers.engagement.random_slopes``).  After its optimiser
stops, lme4 by default computes a numerical gradient and Hessian at the optimum
to check convergence; with three crossed grouping factors and random slopes
that check costs many extra deviance evaluations, and it changes neither the
estimates nor the likelihood.  This script runs the same selection on the same
comments with each setting of :data:`helpers.engagement.lmer.ML_CONTROLS`, one
after the other (``--repeat`` rounds, best time kept), and checks that every
fit tried has the same log-likelihood, AIC and BIC to 1e-4 and that the same
slopes are chosen.

    .venv/bin/python benchmarks/slope_selection_speed.py --run-dir _build/scale_ladder/scale_1

``--sentiment latent`` uses the planted sentiment (synthetic runs), so the
comparison needs only the cleaned corpus, not chapter 02's scores.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

TOLERANCE = 1e-4


def main(argv: list[str] | None = None) -> int:
    from helpers.engagement.data import load_comments, load_posts, study_model_specs
    from helpers.engagement.lmer import ML_CONTROLS, require_r
    from helpers.engagement.random_slopes import select_slopes_for_models

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="_build/run")
    parser.add_argument("--sentiment", default="estimated", choices=("estimated", "latent"))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    require_r(("lme4",))
    run_dir = Path(args.run_dir)
    posts = load_posts(run_dir, sentiment=args.sentiment)
    comments = load_comments(run_dir, sentiment=args.sentiment)
    specs = [s for s in study_model_specs() if s.level == "comment"]
    print(f"Model 5 on {len(comments):,} comments, {comments['audience_id'].nunique():,} audience members, "
          f"{len(posts):,} posts ({args.sentiment} sentiment); {os.cpu_count()} cores; best of {args.repeat}")
    select_slopes_for_models([s for s in study_model_specs() if s.level != "comment"][:1], posts, None)  # R warm-up
    runs = {}
    for _ in range(args.repeat):
        for name in ML_CONTROLS:
            started = time.perf_counter()
            selection = select_slopes_for_models(specs, posts, comments, min_groups=5, ml_control=name)
            seconds = time.perf_counter() - started
            if name not in runs or seconds < runs[name][1]:
                runs[name] = (selection, seconds)
    base_sel, base_t = runs["default"]
    base = base_sel.table.loc[base_sel.table["formula"].astype(bool)].reset_index(drop=True)
    status = 0
    for name, (selection, seconds) in runs.items():
        table = selection.table.loc[selection.table["formula"].astype(bool)].reset_index(drop=True)
        fits = ", ".join(f"{row.added_slope}: {row.seconds:.1f} s" for row in table.itertuples())
        print(f"{name:<10} ({ML_CONTROLS[name] or 'lme4 defaults'}): {seconds:7.1f} s; slopes chosen: "
              f"{','.join(selection.specs[0].slopes) or 'none'}; fits: {fits}")
        if name == "default":
            continue
        same_rows = list(table["formula"]) == list(base["formula"])
        diff = max(float(np.nanmax(np.abs(table[c].to_numpy(float) - base[c].to_numpy(float))))
                   for c in ("logLik", "AIC", "BIC")) if same_rows else float("inf")
        same_choice = selection.specs[0].slopes == base_sel.specs[0].slopes
        ok = same_rows and same_choice and diff <= TOLERANCE
        status |= not ok
        lost = sorted(set("; ".join(base["warnings"].fillna("")).split("; ")) - set(
            "; ".join(table["warnings"].fillna("")).split("; ")) - {""})
        print(f"  against default: {base_t / seconds:.2f}x, saves {base_t - seconds:.1f} s; largest |difference| "
              f"of logLik/AIC/BIC over the fits tried {diff:.1e} ({'same to 1e-4' if diff <= TOLERANCE else 'DIFFERENT'}); "
              f"same slopes chosen: {same_choice}; warnings the default fits gave and these do not: "
              f"{'; '.join(lost) or 'none'}")
    print(f"slope selection speed-up of no_derivs over the default: {base_t / runs['no_derivs'][1]:.2f}x; "
          f"load average {os.getloadavg()[0]:.1f}")
    return int(status)


if __name__ == "__main__":
    raise SystemExit(main())
