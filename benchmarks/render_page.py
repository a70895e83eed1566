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
SLOW = {"book_time"}
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
    target.write_text(header + output.rstrip() + "\n", encoding="utf-8")
    return target


def render() -> str:
    lines = [
        "# Benchmarks",
        "",
        "Speed figures of the project's fast paths, each timed against the naive way on the "
        "same machine in the same run, and the time of the whole book. The scripts live in "
        "`benchmarks/`; `benchmarks/render_page.py` runs them and rewrites this page, so every "
        "block below is the verbatim output of its script, headed by the date and the machine "
        "it ran on.",
        "",
    ]
    outputs = sorted(RESULTS.glob("*.txt")) if RESULTS.exists() else []
    if not outputs:
        lines.append("No benchmark has been run yet.")
    for path in outputs:
        lines += [f"## `{path.stem}`", "", "```text", path.read_text(encoding="utf-8").rstrip(), "```", ""]
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
