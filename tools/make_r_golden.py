"""Write R's reference results for the engagement models (run where R + lme4 are installed).

The way statsmodels tests against R: R's numbers for a fixed small data set are stored as
JSON beside the tests, so they are checked on every machine — against lme4 itself where R
is present (our rpy2 route must reproduce them), against statsmodels MixedLM where it is not
(a second implementation of the same REML criterion must land on the same optimum).

    PYTHONPATH=src python tools/make_r_golden.py            # rewrite tests/engagement/golden/

The models are chapter 03's defaults (``study_model_specs()``), so the golden numbers follow
the paper's transforms; rerun this script whenever those defaults change.

The fixture (``posts_fixture.csv``) is written once from the test simulator and then kept:
the golden numbers belong to *that file*, not to a seed, so a numpy change cannot move them.
Pass ``--new-fixture`` to draw it again (then review and commit both files together).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "engagement" / "golden"
FIXTURE = GOLDEN / "posts_fixture.csv"
RESULT = GOLDEN / "lme4_post_models.json"


def write_fixture(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.engagement.engagement_fixtures import simulate

    posts, _ = simulate(n_posts=160, n_creators=40, comments_per_post=1, n_audience=50, seed=20240607)
    posts = posts.rename(columns={"sentiment": "post_sentiment"})
    keep = ["note_id", "creator_id", "post_sentiment", "post_length", "days_since_post", "fans",
            "liked_count", "collected_count", "share_count", "comment_count"]
    posts[keep].to_csv(path, index=False, float_format="%.10g")


def golden_record(fit) -> dict:
    """What the golden file keeps of one lme4 fit (REML, Satterthwaite df)."""
    coefs = fit.coefs[["term", "estimate", "std_error", "df", "t_stat", "p_value"]]
    vc = fit.variance_components
    spec = fit.spec
    return {
        "formula": fit.formula,
        # how each covariate enters (the formula alone does not show post length's unit)
        "transforms": dict(spec.transforms),
        "units": {name: spec.unit_of(name) for name in spec.covariates if spec.unit_of(name) != 1.0},
        "reml": fit.reml,
        "n_obs": fit.n_obs,
        "n_groups": fit.n_groups,
        "coefficients": coefs.to_dict(orient="records"),
        "variance_components": vc[["group", "term", "variance"]].to_dict(orient="records"),
        "sigma": fit.sigma,
        "loglik_reml": fit.loglik,
        "singular": fit.singular,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-fixture", action="store_true", help="draw the fixture data again")
    args = parser.parse_args(argv)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    if args.new_fixture or not FIXTURE.exists():
        write_fixture(FIXTURE)
    from helpers.engagement.data import build_frame, study_model_specs
    from helpers.engagement.lmer import fit_lmer
    from helpers.engagement.r_bridge import start_r

    ro = start_r()
    posts = pd.read_csv(FIXTURE)
    models = {}
    for spec in study_model_specs(include_comment_model=False):
        fit = fit_lmer(build_frame(spec, posts), engine="lmerTest")
        models[spec.name] = golden_record(fit)
    versions = {p: str(ro.r(f'as.character(packageVersion("{p}"))')[0]) for p in ("lme4", "lmerTest")}
    payload = {
        "what": ("lme4::lmer via lmerTest (REML, Satterthwaite) on posts_fixture.csv, Models 1-4, "
                 "covariates transformed as the paper does (helpers.study.du_gu.TRANSFORMS: post length "
                 "unlogged, per POST_LENGTH_UNIT characters; days since posting and followers ln(x+1))"),
        "written_by": "tools/make_r_golden.py",
        "r_version": str(ro.r("R.version.string")[0]),
        "r_packages": versions,
        "models": models,
    }
    RESULT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULT.relative_to(ROOT)} ({len(models)} models)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
