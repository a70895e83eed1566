"""Scale ladder: how the cost of each step of the book grows with the size of the crawl.

At each scale the script runs the book's methods through the library functions
the chapters call (not the notebooks, so papermill and rendering are not
timed): ``synth`` (the synthetic MediaCrawler export, chapter 01), ``clean``
(the cleaning pipeline, chapter 01), ``score`` (chapter 02's CPU default: the
frozen-encoder ridge trained on the labelled subset, then every cleaned post
and comment scored, calibrated and categorised), ``models`` (chapter 03:
random-slope selection and the REML fits of Models 1-5, Model 5 timed
separately) and ``maps`` (chapter 04: segmentation, the three category maps
and the pooled map).

Each step runs in its own Python process, so its wall time includes the
imports and start-up a chapter pays too, and its peak memory is that process's
maximum resident set size (``ru_maxrss`` from ``wait4``, R's memory included:
rpy2 runs R inside the process).  The step's own sub-timings (training against
scoring, slope selection against fitting) come from inside it.  Between one
scale and the next the growth exponent ``log(t2/t1) / log(s2/s1)`` says how
time grows with the data: 1 is linear, 2 quadratic.

Resumable: a (scale, step) whose record exists in the work folder is not run
again (``--force`` reruns), so a long ladder can be stopped and restarted, and
``--steps`` runs part of it.  A step whose inputs are missing (``models``
without ``score``) fails with the command that makes them.  After every step
the table of all recorded scales is rewritten to ``--results-dir``
(``scale_ladder.txt`` and ``scale_ladder.csv``); ``benchmarks/render_page.py
--render-only`` puts it on the book's benchmarks page.

    nice .venv/bin/python benchmarks/scale_ladder.py --scales 0.25,1,4,10
    nice .venv/bin/python benchmarks/scale_ladder.py --scales 10 --steps models   # one step at one scale
    .venv/bin/python benchmarks/scale_ladder.py --scales 0.05,0.1 --work-dir _build/ladder_ci \\
        --results-dir _build/ladder_ci/results                                    # CI: the machinery only
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("synth", "clean", "score", "models", "maps")
SEED = 20241111
#: Sub-timings each step reports, in the order the table shows them.
DETAIL_KEYS = {
    "score": ("train_s", "scoring_s"),
    "models": ("models_1_4_s", "model5_selection_s", "model5_fit_s", "model5_with_selection_s",
               "model5_with_selection_cpu_s"),
    "maps": ("tokenise_s", "maps_s"),
}


# ------------------------------------------------------------------ the steps (run in a child process)

def step_synth(run_dir: Path, scale: float) -> dict:
    from helpers.synth.xhs_corpus import generate, write

    corpus = generate(scale=scale, seed=SEED)
    write(corpus, run_dir / "raw")
    sizes = corpus.truth["sizes"]
    return {"raw_notes": int(sizes["raw_notes"]), "raw_comments": int(sizes["raw_comments"])}


def step_clean(run_dir: Path, scale: float) -> dict:
    from helpers.data.pipeline import CleaningConfig, clean_export

    raw = _needs(run_dir / "raw" / "self_disclosure_coding.csv", "synth", run_dir, scale)
    config = CleaningConfig(min_post_length=100, min_comment_length=30, coding_file=raw,
                            salt=f"synthetic-{SEED}")
    result = clean_export(run_dir / "raw", config)
    result.write(run_dir / "clean")
    return {"posts": int(len(result.posts)), "comments": int(len(result.comments))}


def step_score(run_dir: Path, scale: float) -> dict:
    import pandas as pd

    from helpers.sentiment.calibration import fit_calibrator
    from helpers.sentiment.labels import read_sentiment_labels
    from helpers.sentiment.regressor import OFFLINE_MODEL
    from helpers.sentiment.schedules import CPU_DEFAULT, train_at_chosen_depth
    from helpers.sentiment.scoring import resolve_engine, score_texts
    from helpers.sentiment.thresholds import (
        categorised,
        category_basis,
        choose_thresholds,
        with_post_category,
    )

    labels_path = _needs(run_dir / "raw" / "sentiment_labels.csv", "synth", run_dir, scale)
    posts = pd.read_parquet(_needs(run_dir / "clean" / "posts.parquet", "clean", run_dir, scale))
    comments = pd.read_parquet(run_dir / "clean" / "comments.parquet")
    labels = read_sentiment_labels(labels_path)
    started = time.perf_counter()
    ft, depth = train_at_chosen_depth(CPU_DEFAULT, labels.data["text"], labels.data["score"],
                                      model_name=OFFLINE_MODEL, device="cpu", out_dir=run_dir / "sentiment" / "fine_tune")
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    length = ft.config.max_length  # as chapter 02 scores: at the length the head was trained on
    post_scores = score_texts(ft.model, ft.tokenizer, posts["text"].tolist(), max_length=length, device="cpu",
                              progress=False)
    comment_scores = score_texts(ft.model, ft.tokenizer, comments["text"].tolist(), max_length=length,
                                 device="cpu", progress=False)
    scoring_s = time.perf_counter() - started
    # the chapter's defaults: linear calibration on the validation split, the study's fixed cuts
    import torch

    engine, _ = resolve_engine("auto", torch.device("cpu"), None, len(comments))
    calibrator = fit_calibrator(ft.validation["score"], ft.validation["prediction"], "linear")
    post_cal, comment_cal = calibrator(post_scores), calibrator(comment_scores)
    cuts = choose_thresholds("fixed", category_basis("fixed", post_scores, post_cal),
                             fixed={"positive": 0.3, "neutral_low": -0.15, "neutral_high": 0.15, "negative": -0.79})
    posts_scored = categorised(posts, post_scores, post_cal, category_basis("fixed", post_scores, post_cal), cuts)
    comments_scored = with_post_category(
        categorised(comments, comment_scores, comment_cal, category_basis("fixed", comment_scores, comment_cal),
                    cuts), posts_scored)
    out = run_dir / "sentiment"
    posts_scored.to_parquet(out / "posts_scored.parquet", index=False)
    comments_scored.to_parquet(out / "comments_scored.parquet", index=False)
    return {"labelled_texts": int(len(labels.data)), "scored_texts": int(len(posts) + len(comments)),
            "distinct_comment_texts": int(comments["text"].nunique()), "engine": engine,
            "encoder_layers": depth.depth if depth else None,
            "train_s": round(train_s, 2), "scoring_s": round(scoring_s, 2)}


def step_models(run_dir: Path, scale: float) -> dict:
    from helpers.engagement.data import load_comments, load_posts, study_model_specs
    from helpers.engagement.lmer import fit_models, require_r
    from helpers.engagement.random_slopes import select_slopes_for_models

    sentiment = os.environ.get("XHS_LADDER_MODEL_SENTIMENT", "estimated")
    if sentiment == "estimated":
        _needs(run_dir / "sentiment" / "comments_scored.parquet", "score", run_dir, scale)
    require_r(("lme4", "lmerTest"))
    posts, comments = load_posts(run_dir, sentiment), load_comments(run_dir, sentiment)
    specs = study_model_specs()  # the chapter's defaults: Models 1-4 on posts, Model 5 on comments
    post_specs = [s for s in specs if s.level != "comment"]
    comment_specs = [s for s in specs if s.level == "comment"]
    timings: dict[str, float] = {}

    def timed(name, fn):
        wall, cpu = time.perf_counter(), time.process_time()  # R runs in this process: its CPU counts
        value = fn()
        timings[f"{name}_s"] = time.perf_counter() - wall
        timings[f"{name}_cpu_s"] = time.process_time() - cpu
        return value

    fitted = timed("models_1_4", lambda: fit_models(
        select_slopes_for_models(post_specs, posts, None, min_groups=5).specs, posts, None, min_groups=5))
    chosen5 = timed("model5_selection", lambda: select_slopes_for_models(comment_specs, posts, comments,
                                                                           min_groups=5))
    fitted5 = timed("model5_fit", lambda: fit_models(chosen5.specs, posts, comments, min_groups=5,
                                                     starts=chosen5.fits))
    for suffix in ("_s", "_cpu_s"):
        timings[f"model5_with_selection{suffix}"] = timings[f"model5_selection{suffix}"] + timings[f"model5_fit{suffix}"]
    table = chosen5.table
    slopes = [str(s) for spec in chosen5.specs for s in spec.slopes]
    errors = [r.error for r in fitted + fitted5 if r.error]
    engine5 = ",".join(r.fit.engine for r in fitted5 if r.fit is not None)
    screened = (int(table["screened_rows"].max()) if not table.empty and "screened_rows" in table
                and table["screened_rows"].notna().any() else 0)
    return {"comments": int(len(comments)), "sentiment": sentiment, "model5_fits_tried": int(table["formula"].astype(bool).sum())
            if not table.empty else 0, "model5_slopes": ",".join(slopes) or "none",
            "model5_engine": engine5, "model5_screened_rows": screened,
            "errors": "; ".join(errors), **{k: round(v, 2) for k, v in timings.items()}}


def step_maps(run_dir: Path, scale: float) -> dict:
    from helpers.book.run_folder import RunLayout
    from helpers.networks.inputs import CATEGORIES, load_scored_comments
    from helpers.networks.segmenter import ChineseTokenizer
    from helpers.networks.semantic_map import build_category_maps, build_semantic_map

    _needs(run_dir / "sentiment" / "comments_scored.parquet", "score", run_dir, scale)
    comments = load_scored_comments(RunLayout.at(run_dir))
    tokenizer = ChineseTokenizer(keep=["现在", "一个"])
    started = time.perf_counter()
    comments["terms"] = tokenizer.tokenize_many(comments["text"].tolist())
    tokenise_s = time.perf_counter() - started
    options = dict(top_n=100, min_occurrences=3, counting="full", resolution=1.0, min_cluster_size=5,
                   n_layout_starts=5, seed=SEED, repulsion=1, merge_rule="reference", orientation="reference")
    started = time.perf_counter()
    docs = {c: comments.loc[comments["post_sentiment_category"] == c, "terms"].tolist() for c in CATEGORIES}
    built = build_category_maps(docs, min_comments=50, **options)
    build_semantic_map(comments["terms"].tolist(), **options)
    maps_s = time.perf_counter() - started
    return {"comments": int(len(comments)), "maps_built": len(built.maps), "tokenise_s": round(tokenise_s, 2),
            "maps_s": round(maps_s, 2)}


STEP_FUNCTIONS = {"synth": step_synth, "clean": step_clean, "score": step_score, "models": step_models,
                  "maps": step_maps}


class MissingInput(RuntimeError):
    """A step's input is missing: the message names the step that makes it."""


def _needs(path: Path, step: str, run_dir: Path, scale: float) -> Path:
    if not path.exists():
        raise MissingInput(f"{path} is missing: run the '{step}' step first "
                           f"(benchmarks/scale_ladder.py --scales {scale:g} --steps {step})")
    return path


def _child(step: str, run_dir: Path, scale: float, detail_path: Path) -> int:
    """Run one step in this process and write its details (the parent measures time and memory)."""
    import torch

    torch.set_num_threads(min(torch.get_num_threads(), os.cpu_count() or 1))
    details = STEP_FUNCTIONS[step](run_dir, scale)
    detail_path.write_text(json.dumps(details, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


# ------------------------------------------------------------------ the parent: run, measure, tabulate

def scale_dir(work_dir: Path, scale: float) -> Path:
    return work_dir / f"scale_{scale:g}"


def record_path(work_dir: Path, scale: float, step: str) -> Path:
    return scale_dir(work_dir, scale) / "ladder" / f"{step}.json"


def run_step(work_dir: Path, scale: float, step: str, timeout: float | None = None) -> dict:
    """Run ``step`` at ``scale`` in a child process; wall, CPU and peak memory from ``wait4``."""
    run_dir = scale_dir(work_dir, scale)
    (run_dir / "ladder").mkdir(parents=True, exist_ok=True)
    detail_path = run_dir / "ladder" / f"{step}.details.json"
    detail_path.unlink(missing_ok=True)
    log_path = run_dir / "ladder" / f"{step}.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
           "TQDM_DISABLE": "1"}
    command = [sys.executable, str(Path(__file__).resolve()), "--_child", step, "--_run-dir", str(run_dir),
               "--scales", f"{scale:g}", "--_details", str(detail_path)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.2)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    record = {"scale": scale, "step": step, "status": "ok" if child.returncode == 0 else f"exit {child.returncode}",
              "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
              "peak_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports kilobytes
              "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if child.returncode == 0 and detail_path.exists():
        record["details"] = json.loads(detail_path.read_text(encoding="utf-8"))
    else:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        record["error"] = " | ".join(tail)
    if child.returncode == 0:
        record_path(work_dir, scale, step).write_text(json.dumps(record, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
    return record


def read_records(work_dir: Path) -> list[dict]:
    """Every recorded (scale, step), sorted by scale then step order."""
    records = []
    for path in work_dir.glob("scale_*/ladder/*.json"):
        if path.name.endswith(".details.json"):
            continue
        records.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(records, key=lambda r: (r["scale"], STEPS.index(r["step"])))


def growth_exponent(s1: float, t1: float, s2: float, t2: float) -> float:
    """``log(t2/t1) / log(s2/s1)``: 1 when time grows like the data, 2 when like its square."""
    if s1 <= 0 or s2 <= 0 or s1 == s2 or t1 <= 0 or t2 <= 0:
        return float("nan")
    return math.log(t2 / t1) / math.log(s2 / s1)


def _measures(record: dict) -> dict[str, float]:
    """The times a record carries: the step's wall time and its sub-timings."""
    out = {"wall_s": float(record["wall_s"]), "cpu_s": float(record["cpu_s"])}
    for key in DETAIL_KEYS.get(record["step"], ()):
        value = record.get("details", {}).get(key)
        if isinstance(value, (int, float)):
            out[key] = float(value)
    return out


def exponent_rows(records: list[dict]) -> list[dict]:
    """For each step and measure, the growth exponent between consecutive recorded scales."""
    rows = []
    for step in STEPS:
        mine = sorted((r for r in records if r["step"] == step), key=lambda r: r["scale"])
        for a, b in zip(mine, mine[1:], strict=False):
            ma, mb = _measures(a), _measures(b)
            for key in ma:
                if key in mb:
                    rows.append({"step": step, "measure": key, "from_scale": a["scale"], "to_scale": b["scale"],
                                 "t1": ma[key], "t2": mb[key],
                                 "exponent": growth_exponent(a["scale"], ma[key], b["scale"], mb[key])})
    return rows


def render(records: list[dict], machine: str) -> str:
    """The text table of the page: time and peak memory per step and scale, then the exponents."""
    lines = [f"# machine: {machine}; load average now {os.getloadavg()[0]:.1f}",
             "each step in its own process (start-up and imports included); peak memory = that process's "
             "maximum resident set size",
             f"{'scale':>6} {'step':<7} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'load':>5}  {'date':<20} details"]
    for r in records:
        details = ", ".join(f"{k}={v}" for k, v in r.get("details", {}).items() if v not in ("", None))
        lines.append(f"{r['scale']:>6g} {r['step']:<7} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['peak_mb']:>8.0f} "
                     f"{r.get('load_after', float('nan')):>5.1f}  {r['date']:<20} {details}")
    rows = exponent_rows(records)
    if rows:
        lines.append("growth exponents log(t2/t1)/log(s2/s1) between consecutive scales (1 = linear):")
        for e in rows:
            lines.append(f"  {e['step']:<7} {e['measure']:<24} {e['from_scale']:>5g} -> {e['to_scale']:<5g}: "
                         f"{e['t1']:8.1f} s -> {e['t2']:8.1f} s, exponent {e['exponent']:5.2f}")
    model5 = [r for r in records if r["step"] == "models" and "model5_with_selection_s" in r.get("details", {})]
    if model5:
        top = max(model5, key=lambda r: r["scale"])
        seconds = top["details"]["model5_with_selection_s"]
        if top["scale"] >= 10:
            verdict = "meets the 5 min target" if seconds < 300 else "MISSES the 5 min target"
        else:  # a verdict on scale 10 from a smaller scale would be a guess
            verdict = "the 5 min target is set at scale 10, not measured yet: cannot tell"
        lines.append(f"Model 5 with slope selection at scale {top['scale']:g} (largest recorded): {seconds:.1f} s "
                     f"({verdict})")
    largest = max((r["scale"] for r in records), default=None)
    if largest is not None:
        done = {r["step"] for r in records if r["scale"] == largest and r["status"] == "ok"}
        missing = [step for step in STEPS if step not in done]
        lines.append(f"scale {largest:g} (largest run): " + ("every step finished" if not missing else
                     f"steps not finished or not run: {', '.join(missing)}"))
    return "\n".join(lines) + "\n"


def write_results(work_dir: Path, results_dir: Path) -> Path:
    """``scale_ladder.txt`` (for the page) and ``scale_ladder.csv`` from every recorded step."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("render_page", HERE / "render_page.py")
    render_page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_page)  # the page's machine line, written once there
    machine = render_page.machine

    records = read_records(work_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    header = (f"# scale_ladder: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"{len(records)} steps recorded in {work_dir.name}\n")
    note = work_dir / "note.txt"  # how the ladder was run (--note), kept with the records
    if note.exists():
        header += "".join(f"# note: {line}\n" for line in note.read_text(encoding="utf-8").splitlines() if line)
    (results_dir / "scale_ladder.txt").write_text(header + render(records, machine()), encoding="utf-8")
    keys = sorted({k for r in records for k in r.get("details", {})})
    with (results_dir / "scale_ladder.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scale", "step", "status", "wall_s", "cpu_s", "peak_mb", "load_before", "load_after",
                         "date", *keys])
        for r in records:
            writer.writerow([r["scale"], r["step"], r["status"], r["wall_s"], r["cpu_s"], r["peak_mb"],
                             r["load_before"], r["load_after"], r["date"],
                             *[r.get("details", {}).get(k, "") for k in keys]])
    return results_dir / "scale_ladder.txt"


def parse_list(text: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if allowed is not None:
        unknown = [x for x in items if x not in allowed]
        if unknown:
            raise SystemExit(f"unknown step(s) {unknown}; choose from {','.join(allowed)}")
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="0.25,1,4,10", help="comma-separated scales, run in this order")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--work-dir", default=str(ROOT / "_build" / "scale_ladder"), help="run folders, one per scale")
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--force", action="store_true", help="rerun steps that are already recorded")
    parser.add_argument("--timeout", type=float, default=None, help="seconds a step may take (default: no limit)")
    parser.add_argument("--model-sentiment", default="estimated", choices=("estimated", "latent"),
                        help="models step: chapter 02's scores (default) or the planted sentiment, which needs "
                             "no score step (to time the models alone at a large scale)")
    parser.add_argument("--note", default=None, help="a line on how this ladder ran (load, options), kept in the "
                                                     "work folder and printed at the top of the table")
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    parser.add_argument("--_run-dir", help=argparse.SUPPRESS)
    parser.add_argument("--_details", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        return _child(args._child, Path(args._run_dir), float(args.scales), Path(args._details))

    os.environ["XHS_LADDER_MODEL_SENTIMENT"] = args.model_sentiment  # read by the models step's child
    scales = [float(s) for s in parse_list(args.scales)]
    steps = parse_list(args.steps, STEPS)
    work_dir, results_dir = Path(args.work_dir), Path(args.results_dir)
    if args.note:
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "note.txt").write_text(args.note.strip() + "\n", encoding="utf-8")
    status = 0
    for scale in scales:
        for step in steps:
            if record_path(work_dir, scale, step).exists() and not args.force:
                print(f"scale {scale:g} {step}: recorded already (--force reruns it)", flush=True)
                continue
            print(f"scale {scale:g} {step}: running ...", flush=True)
            record = run_step(work_dir, scale, step, args.timeout)
            print(f"scale {scale:g} {step}: {record['status']}, {record['wall_s']:.1f} s, "
                  f"peak {record['peak_mb']:.0f} MB {record.get('details', record.get('error', ''))}", flush=True)
            if record["status"] != "ok":
                status = 1
                break  # later steps of this scale need this one's output
            write_results(work_dir, results_dir)
    print(write_results(work_dir, results_dir).read_text(encoding="utf-8"))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
