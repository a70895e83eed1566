"""Run the benchmarks and write ``book/benchmarks.md`` with their latest figures.

Each benchmark prints its own figures and ratios; this script runs the chosen
ones, keeps each one's output in ``benchmarks/results/<name>.txt`` with the
machine it ran on, and renders every stored output into the book page.  A
benchmark that is not re-run keeps its previous output (with its own date and
machine), so the page always says where each number came from.

    .venv/bin/python benchmarks/render_page.py                   # run all quick benchmarks
    .venv/bin/python benchmarks/render_page.py --only model_fitting
    .venv/bin/python benchmarks/render_page.py --render-only     # just rebuild the page
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PAGE = ROOT / "book" / "benchmarks.md"
#: Not run by default: too slow for a routine refresh (run them explicitly with --only).
SLOW = {"book_time", "scale_ladder", "slope_selection_speed", "sentiment_schedules"}
SKIP = {"render_page"}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = "no GPU"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {gpu}, Python {platform.python_version()}, {platform.platform()}"


def run_benchmark(name: str, args: list[str], timeout: float) -> Path:
    script = HERE / f"{name}.py"
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)
        output, status = done.stdout + (done.stderr[-2000:] if done.returncode else ""), done.returncode
    except subprocess.TimeoutExpired as exc:
        output, status = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""), "timeout"
    seconds = time.perf_counter() - started
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{name}.txt"
    header = (f"# {name}: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; exit {status}; "
              f"{seconds:.0f} s\n# machine: {machine()}; load average at the end {os.getloadavg()[0]:.1f}\n")
    target.write_text(header + hide_temporary_paths(output).rstrip() + "\n", encoding="utf-8")
    return target


def hide_temporary_paths(text: str) -> str:
    """Scratch folders of this machine as placeholders: the page shows figures, not local paths."""
    import re
    import tempfile

    tmp = re.escape(tempfile.gettempdir().rstrip("/"))
    text = re.sub(tmp + r"/[^\s\"']*?/run(?=[\s\"'/]|$)", "<run folder>", text)
    text = re.sub(tmp + r"/[^\s\"']*?/html/index\.html", "<build folder>/html/index.html", text)
    return re.sub(tmp + r"/[^\s\"']+", "<temporary folder>", text)


#: What each benchmark compares against (the page says it before the figures).
DESCRIPTIONS = {
    "book_time": "what `make book` does at `--scale 1` (chapter 06's small sweeps, the chapters under papermill "
                 "side by side where one does not read the other, the HTML build) into a scratch folder; the "
                 "CPU time of all of it and the CPU floor (CPU time / cores), the least wall time any running "
                 "order of the same work could take.",
    "cooccurrence_speed": "the library's co-occurrence engines (numba, scipy) against the `XᵀX` a scipy user "
                          "would write, on the same tokens of the raw and the cleaned comments; best of N; "
                          "seconds saved per build beside each ratio; then the VOS layout and clustering of a "
                          "1,000-term map.",
    "data_cleaning_speed": "synthesis and cleaning of the embedded corpus, and two cleaning steps against the "
                           "obvious pandas way.",
    "model_fitting": "the five engagement models through each lme4 route of `helpers.engagement.lmer`, plain "
                     "`lme4::lmer` settings, R's own BLAS on one thread (the book's default) against one per core, and Model 5 by the blocked-Cholesky engine against plain "
                     "`lme4::lmer` (REML) with the estimates compared to 1e-4.",
    "scoring_precision": "ONNX Runtime's dynamic int8 quantisation of the frozen encoder, and PyTorch bf16 on "
                         "CPUs with bf16 units, against the chapter's "
                         "fp32 engine: comments per second, test R² of a ridge head fitted on each precision's own "
                         "features (embedded corpus and real SMP2020 text), and whether a text's score depends on "
                         "the other texts in its batch; then the verdict by the rule it prints.",
    "scale_ladder": "each step of the book (synthesis, cleaning, sentiment training and scoring, the engagement "
                    "models with Model 5's slope selection timed apart, the semantic maps) run through the "
                    "library at growing scales, each step in its own process: wall and CPU time, peak memory "
                    "and the growth exponent from one scale to the next. Run: `nice .venv/bin/python "
                    "benchmarks/scale_ladder.py --scales 0.25,1,4,10` (resumable; `--steps` runs part of it); "
                    "a block measured on a loaded machine says so in its load column.",
    "slope_selection_speed": "Model 5's random-slope selection with lme4's default ML fits against "
                             "`lmerControl(calc.derivs = FALSE)`, on the same comments, with the likelihoods "
                             "of every fit tried compared to 1e-4 and the slopes chosen compared.",
    "sentiment_throughput": "`score_texts` with the chapter's settings (`engine=\"auto\"`) against the plain "
                            "batched loop a user would write (input order, padded to each batch's longest, same "
                            "model and precision, mask-aware mean pooling) and against "
                            "`transformers.pipeline(\"feature-extraction\", batch_size=64)` pooled over each "
                            "text's real tokens, with each engine (PyTorch, ONNX Runtime) and precision timed "
                            "apart; checks every baseline gives the same scores to 1e-3, reports how far bf16 "
                            "moves them, and shows how far a mean over the pipeline's padded output is off.",
    "sentiment_finetune_timing": "fine-tuning steps of the sentiment regressor on the CPU.",
    "sentiment_schedules": "chapter 02's CPU training schedules (frozen encoder + ridge at all layers and at "
                           "the chapter's cross-validated depth, one- and three-epoch fine-tunes) on the same "
                           "split of real SMP2020-EWECT texts: test R², seconds and R² per minute.",
    "tokenisation_speed": "the chapter's jieba tokenizer, plain `jieba.lcut`, parallel jieba and rjieba "
                          "(jieba-rs), all with the project's dictionary and keep-list; speed against plain "
                          "`jieba.lcut` and agreement with jieba on the embedded corpus and on real Weibo text "
                          "(SMP2020-EWECT); rjieba is adopted only at >= 99.5 % of documents and of tokens.",
}

#: Lines of the outputs that carry a decision or a target; repeated at the top of the page.
VERDICT_MARKERS = ("rjieba decision", "default engine", "chapter settings against", "RATIO", "speed-up of",
                   "whole book at", "  total ", "best by R² per minute", "estimates agree", "estimates DO NOT",
                   "in the same precision:", "Model 5 with slope selection at", "(largest run):",
                   "against the 3.5-minute target", "CPU floor on", "no running order", "a better running order",
                   "verdict: int8", "verdict: bf16", "R's BLAS threads: one thread")


def render() -> str:
    outputs = sorted(RESULTS.glob("*.txt")) if RESULTS.exists() else []
    lines = [
        "# Benchmarks",
        "",
        "Speed figures of the project's fast paths, each timed against the baseline a user would pick "
        "(not a straw man) on the same machine in the same run, as the best of several repeats, with the "
        "seconds saved beside each ratio; and the time of the whole book. The scripts live in "
        "`benchmarks/`; run one with `.venv/bin/python benchmarks/<name>.py`, or run them and rewrite this "
        "page with `.venv/bin/python benchmarks/render_page.py [--only NAME ...]`. Every block below is the "
        "verbatim output of its script (kept in `benchmarks/results/<name>.txt`), headed by the date, the "
        "machine (CPU model from `/proc/cpuinfo`, number of cores) and the load average at the end: on a "
        "shared two-core machine the load changes the times, so compare ratios measured in the same run.",
        "",
        "Where a faster path saves nothing a reader would notice in a build (a fraction of a second), the "
        "output says so in seconds saved; the co-occurrence engines are such a case on the embedded corpus, "
        "where numba and scipy's product take about the same time.",
        "",
    ]
    verdicts = []
    for path in outputs:
        for line in path.read_text(encoding="utf-8").splitlines():
            if any(m in line for m in VERDICT_MARKERS):
                verdicts.append(f"- `{path.stem}`: {line.strip()}")
    if verdicts:
        lines += ["## Verdicts of the latest runs", "", "Copied from the outputs below by `render_page.py`.", "",
                  *verdicts, ""]
    if not outputs:
        lines.append("No benchmark has been run yet.")
    for path in outputs:
        lines += [f"## `{path.stem}`", ""]
        if path.stem in DESCRIPTIONS:
            lines += [f"Compares {DESCRIPTIONS[path.stem]} Run: `.venv/bin/python benchmarks/{path.stem}.py`.", ""]
        lines += ["```text", path.read_text(encoding="utf-8").rstrip(), "```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", help="benchmarks to run (script names without .py)")
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    if not args.render_only:
        names = args.only or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in SKIP | SLOW)
        for name in names:
            print(f"running {name} ...", flush=True)
            print(run_benchmark(name, [], args.timeout).read_text())
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
