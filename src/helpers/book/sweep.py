"""Parameter sweeps: run a grid of notebook parameters, one run folder per combination.

``python -m helpers sweep SPEC.yml`` reads a YAML spec::

    name: thresholds                    # sweep folder name (default: the spec's file name)
    notebooks: [01_data_cleaning, 03_engagement_models]   # run in this order in every run
    scale: 0.05                         # shared --scale (may also be a grid key)
    seeds: [1, 2]                       # one run per seed (or put ``seed`` in the grid)
    parameters:                         # fixed notebook parameters (NAME or STEP.NAME)
      03.n_boot: 0
    grid:                               # every combination becomes one run
      03.negative_threshold: [-0.79, -0.5]
    base_run: _build/run                # optional: start every run from a copy of this run
                                        # folder's outputs (e.g. cleaned + scored data), so a
                                        # sweep of later chapters does not redo earlier ones

Why one run folder per combination, keyed by a hash of the notebook sources and
the parameters: a sweep that stops half way (or is extended with more values)
can be started again and only the missing runs execute, while an edited notebook
changes the key so stale results are never reused.  A failing run is recorded
with its error in ``runs.csv`` and the sweep goes on; the headline numbers of
every finished run (its ``results/*.json``) are flattened into one tidy table,
``results.parquet`` + ``results.csv``, one row per (run, step, metric) with the
run's parameters as columns, ready for plotting.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.book.run_folder import match_steps
from helpers.book.runner import (
    RunnerError,
    declared_parameters,
    load_notebook,
    project_root,
    split_parameters,
)

RECORD_NAME = "sweep_run.json"
SPECIAL_KEYS = ("seed", "scale")


class SweepError(ValueError):
    """The sweep spec is malformed or names parameters no notebook declares."""


@dataclass(frozen=True)
class RunSpec:
    """One point of the grid: what to run and where."""

    key: str
    run_dir: str
    steps: tuple[str, ...]
    scale: float
    seed: int
    parameters: tuple[tuple[str, Any], ...]
    notebooks_dir: str
    kernel: str | None = None
    threads: int | None = None
    base_run: str | None = None
    sources_digest: str = ""

    def parameter_dict(self) -> dict[str, Any]:
        return dict(self.parameters)


@dataclass
class RunRecord:
    """Outcome of one run of the sweep (what ``runs.csv`` lists)."""

    key: str
    run_dir: str
    status: str  # "ok" | "failed" | "skipped" (already done)
    seed: int
    scale: float
    parameters: dict[str, Any]
    seconds: float = 0.0
    error: str | None = None
    failed_step: str | None = None
    steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, validated sweep spec."""

    name: str
    steps: tuple[str, ...]
    runs: tuple[dict[str, Any], ...]  # each: {"seed":…, "scale":…, "parameters": {…}}
    base_run: str | None = None
    source: str | None = None  # the YAML file, relative to the project when inside it
    description: str = ""

    def __len__(self) -> int:
        return len(self.runs)


def _as_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, list):
        if not value:
            raise SweepError(f"{what}: empty list")
        return value
    return [value]


def parse_spec(
    spec: Mapping[str, Any] | str | Path,
    *,
    notebooks_dir: Path | None = None,
    default_name: str = "sweep",
) -> SweepSpec:
    """Read and check a sweep spec (a mapping or a YAML file).

    Parameter names are checked against each notebook's ``parameters`` cell before
    anything runs, so a typo fails in a second instead of after an hour of runs
    that silently used the default.
    """
    source = None
    if isinstance(spec, str | Path):
        path = Path(spec)
        if not path.exists():
            raise SweepError(f"sweep spec {path} does not exist")
        default_name = path.stem
        try:
            source = str(path.resolve().relative_to(Path(project_root()).resolve()))
        except ValueError:
            source = path.name
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(spec, Mapping):
        raise SweepError("a sweep spec must be a YAML mapping with 'notebooks' and 'grid'")
    known = {"name", "notebooks", "scale", "seed", "seeds", "parameters", "grid", "description",
             "base_run"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise SweepError(f"unknown key(s) in sweep spec: {unknown}; allowed: {sorted(known)}")
    nb_dir = Path(notebooks_dir) if notebooks_dir else project_root() / "notebooks"
    steps = []
    for name in _as_list(spec.get("notebooks"), "notebooks") if spec.get("notebooks") else []:
        matches = (match_steps(name, sorted(p.stem for p in nb_dir.glob("[0-9]*.py")))
                   or match_steps(name, sorted(p.stem for p in nb_dir.glob("[0-9]*.ipynb"))))
        if not matches:
            raise SweepError(f"notebook {name!r} not found in {nb_dir}")
        steps.append(matches[0])
    if not steps:
        raise SweepError("sweep spec needs 'notebooks': the steps each run executes, in order")

    grid = dict(spec.get("grid") or {})
    fixed = dict(spec.get("parameters") or {})
    if "seeds" in spec and "seed" in spec:
        raise SweepError("give either 'seed' or 'seeds', not both")
    seeds = _as_list(spec.get("seeds", spec.get("seed", 20241111)), "seeds")
    if "seed" in grid:
        if "seeds" in spec or "seed" in spec:
            raise SweepError("seed is both a grid key and a top-level key")
        seeds = _as_list(grid.pop("seed"), "grid.seed")
    scales = _as_list(grid.pop("scale", spec.get("scale", 1.0)), "scale")
    for value in seeds:
        if not isinstance(value, int) or isinstance(value, bool):
            raise SweepError(f"seed {value!r} is not an integer")
    for value in scales:
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise SweepError(f"scale {value!r} is not a positive number")
    overlap = sorted(set(grid) & set(fixed))
    if overlap:
        raise SweepError(f"parameter(s) {overlap} are both fixed and in the grid")

    declared = {step: declared_parameters(load_notebook(nb_dir, step)) for step in steps}
    names = list(grid) + list(fixed)
    try:
        split_parameters([(n, None) for n in names], steps, declared)
    except RunnerError as exc:
        raise SweepError(str(exc)) from exc

    grid_values = [_as_list(grid[name], f"grid.{name}") for name in grid]
    runs = []
    for scale, seed, combo in itertools.product(scales, seeds, itertools.product(*grid_values)):
        params = dict(fixed)
        params.update(zip(grid, combo, strict=True))
        runs.append({"scale": float(scale), "seed": int(seed), "parameters": params})
    base_run = spec.get("base_run")
    if base_run is not None:
        base = Path(str(base_run))
        if not base.is_absolute():
            base = project_root() / base
        if not base.is_dir():
            raise SweepError(f"base_run {base} is not a run folder: run those chapters first "
                             f"(python -m helpers run --run-dir {base_run} --only ...)")
        base_run = str(base.resolve())
    return SweepSpec(str(spec.get("name") or default_name), tuple(steps), tuple(runs), base_run, source,
                     str(spec.get("description") or ""))


BASE_SKIP = {"notebooks", "results", "run_log.json", RECORD_NAME}


def base_fingerprint(base_run: str | None) -> str | None:
    """Identity of a base run's outputs (its results and run log), part of the run key."""
    if not base_run:
        return None
    base = Path(base_run)
    digest = hashlib.sha256(str(base).encode())
    for path in sorted([*base.glob("results/*.json"), base / "run_log.json"]):
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def seed_from_base(base_run: str, run_dir: Path) -> None:
    """Copy a base run's data folders (not its notebooks or results) into a new run."""
    import shutil

    for item in Path(base_run).iterdir():
        if item.name in BASE_SKIP:
            continue
        target = run_dir / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)


#: Cells with this tag do not enter the run key: the Colab set-up and predecessors cells do
#: nothing off Colab, so editing them must not invalidate every finished sweep run.
KEY_EXCLUDED_TAG = "remove-cell"


def keyed_source(path: Path) -> str:
    """A notebook's source as the run key sees it: every cell except those tagged remove-cell."""
    import jupytext

    notebook = jupytext.read(path)
    notebook.cells = [c for c in notebook.cells
                      if KEY_EXCLUDED_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in notebook.cells:  # outputs and execution counts of an .ipynb are not source
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return "\n\n".join(f"{c.cell_type} {sorted(c.get('metadata', {}).get('tags', []))}\n{c.source}"
                        for c in notebook.cells)


def notebook_sources(notebooks_dir: Path, steps: Iterable[str]) -> dict[str, str]:
    """Source of each step (the ``.py`` when present) without remove-cell cells: part of the run key."""
    sources = {}
    for step in steps:
        py = notebooks_dir / f"{step}.py"
        path = py if py.exists() else notebooks_dir / f"{step}.ipynb"
        sources[step] = keyed_source(path)
    return sources


def sources_digest(sources: Mapping[str, str]) -> str:
    """Hash of the notebook sources alone (to notice an edit while a sweep runs)."""
    return hashlib.sha256(json.dumps(dict(sorted(sources.items())), ensure_ascii=False).encode()).hexdigest()[:16]


def run_key(sources: Mapping[str, str], scale: float, seed: int, parameters: Mapping[str, Any],
            base: str | None = None) -> str:
    """A short stable hash of what determines a run's outputs."""
    payload = json.dumps(
        {"sources": dict(sorted(sources.items())), "scale": float(scale), "seed": int(seed),
         "parameters": dict(sorted(parameters.items())), **({"base": base} if base else {})},
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def plan_runs(
    spec: SweepSpec,
    sweep_dir: Path,
    *,
    notebooks_dir: Path | None = None,
    kernel: str | None = None,
    threads: int | None = None,
) -> list[RunSpec]:
    """Turn the grid into :class:`RunSpec` objects with their run folders."""
    nb_dir = Path(notebooks_dir) if notebooks_dir else project_root() / "notebooks"
    sources = notebook_sources(nb_dir, spec.steps)
    base = base_fingerprint(spec.base_run)
    plans = []
    for run in spec.runs:
        key = run_key(sources, run["scale"], run["seed"], run["parameters"], base)
        plans.append(RunSpec(
            key=key,
            run_dir=str((sweep_dir / "runs" / key).resolve()),
            steps=spec.steps,
            scale=run["scale"],
            seed=run["seed"],
            parameters=tuple(run["parameters"].items()),
            notebooks_dir=str(nb_dir.resolve()),
            kernel=kernel,
            threads=threads,
            base_run=spec.base_run,
            sources_digest=sources_digest(sources),
        ))
    return plans


def finished_record(plan: RunSpec) -> RunRecord | None:
    """The stored record of a run that already completed successfully, else None."""
    path = Path(plan.run_dir) / RECORD_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    if data.get("status") != "ok" or data.get("key") != plan.key:
        return None
    return RunRecord(**{**data, "status": "skipped"})


class _Stop(Exception):
    """Internal: end a run early; its record already says why."""


def execute_run(plan: RunSpec) -> RunRecord:
    """Run one grid point's notebooks into its run folder; never raises.

    Runs in a worker process (local pool or a Dask worker).  ``threads`` caps the
    BLAS/torch threads of the kernels so parallel runs do not oversubscribe the cores.
    """
    from helpers.book.runner import run_notebooks

    if plan.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(plan.threads)
    record = RunRecord(plan.key, plan.run_dir, "ok", plan.seed, plan.scale, plan.parameter_dict(),
                       steps=list(plan.steps))
    started = time.perf_counter()

    def unchanged(when: str) -> bool:
        # A notebook edited after planning would run under a key that does not describe it.
        if not plan.sources_digest:
            return True
        now = sources_digest(notebook_sources(Path(plan.notebooks_dir), plan.steps))
        if now != plan.sources_digest:
            record.status = "failed"
            record.error = f"a notebook's source changed {when}; start the sweep again to re-run it"
            return False
        return True

    try:
        if not unchanged("after the sweep was planned"):
            raise _Stop
        Path(plan.run_dir).mkdir(parents=True, exist_ok=True)
        # Stale results from an earlier failed attempt must not leak into the table.
        results_dir = Path(plan.run_dir) / "results"
        if results_dir.exists():
            for old in results_dir.glob("*.json"):
                old.unlink()
        if plan.base_run:
            seed_from_base(plan.base_run, Path(plan.run_dir))
        records = run_notebooks(
            plan.run_dir,
            steps=plan.steps,
            scale=plan.scale,
            seed=plan.seed,
            parameters=plan.parameters,
            notebooks_dir=plan.notebooks_dir,
            kernel=plan.kernel,
            progress=False,
            log=lambda *_: None,
        )
        failed = [r for r in records if r.status == "failed"]
        if failed:
            record.status = "failed"
            record.failed_step = failed[0].step
            where = f" (cell {failed[0].failed_cell})" if failed[0].failed_cell is not None else ""
            record.error = f"{failed[0].step}{where}: {failed[0].error}"
        else:
            unchanged("while the run executed")
    except _Stop:
        pass
    except Exception as exc:  # a sweep must go on whatever one run does
        record.status = "failed"
        record.error = f"{type(exc).__name__}: {exc}"
    record.seconds = round(time.perf_counter() - started, 3)
    try:
        (Path(plan.run_dir) / RECORD_NAME).write_text(
            json.dumps(asdict(record), indent=2, ensure_ascii=False, default=str)
        )
    except OSError:
        pass
    return record


def _local_map(fn: Callable[[RunSpec], RunRecord], plans: Sequence[RunSpec], workers: int,
               on_done: Callable[[RunRecord], None]) -> list[RunRecord]:
    if workers <= 1 or len(plans) <= 1:
        out = []
        for plan in plans:
            out.append(fn(plan))
            on_done(out[-1])
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    by_key: dict[str, RunRecord] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(fn, plan): plan for plan in plans}
        for future in as_completed(futures):
            plan = futures[future]
            try:
                rec = future.result()
            except Exception as exc:  # worker crashed
                rec = RunRecord(plan.key, plan.run_dir, "failed", plan.seed, plan.scale,
                                plan.parameter_dict(), error=f"worker died: {exc}")
            by_key[plan.key] = rec
            on_done(rec)
    return [by_key[p.key] for p in plans]


def run_sweep(
    spec: SweepSpec | Mapping[str, Any] | str | Path,
    sweep_dir: str | Path | None = None,
    *,
    workers: int | None = None,
    notebooks_dir: str | Path | None = None,
    kernel: str | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    log: Callable[[str], None] = print,
) -> tuple[list[RunRecord], Path]:
    """Run every grid point not already done; write ``runs.csv`` and the results table.

    ``executor="dask"`` submits the runs to Dask distributed (``scheduler`` address,
    or a local cluster of ``workers`` processes); ``"local"`` uses a process pool.
    Returns the run records (in grid order) and the sweep folder.
    """
    nb_dir = Path(notebooks_dir) if notebooks_dir else None
    if not isinstance(spec, SweepSpec):
        spec = parse_spec(spec, notebooks_dir=nb_dir)
    root = Path(sweep_dir) if sweep_dir else project_root() / "_build" / "sweeps" / spec.name
    root.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    n_workers = max(1, workers if workers else cores)
    threads = max(1, cores // n_workers) if n_workers > 1 else None
    plans = plan_runs(spec, root, notebooks_dir=nb_dir, kernel=kernel, threads=threads)
    seen: set[str] = set()
    unique = []
    for plan in plans:  # identical grid points (e.g. a repeated value) run once
        if plan.key not in seen:
            seen.add(plan.key)
            unique.append(plan)
    done: dict[str, RunRecord] = {}
    todo = []
    for plan in unique:
        previous = None if force else finished_record(plan)
        if previous:
            done[plan.key] = previous
        else:
            todo.append(plan)
    log(f"sweep {spec.name}: {len(unique)} runs ({len(done)} already done, {len(todo)} to run) "
        f"over {', '.join(spec.steps)} -> {root}")

    counter = itertools.count(1)
    started = time.time()

    def on_done(rec: RunRecord) -> None:
        n = next(counter)
        detail = f"ok in {rec.seconds:.0f} s" if rec.status == "ok" else f"FAILED: {rec.error}"
        log(f"  [{n}/{len(todo)}] {rec.key} seed={rec.seed} {json.dumps(rec.parameters, default=str)}: {detail}")

    if todo:
        if executor == "dask":
            from helpers.book.dask_scale import map_on_dask

            new = map_on_dask(execute_run, todo, scheduler=scheduler, n_workers=n_workers,
                              on_done=on_done)
        elif executor == "local":
            new = _local_map(execute_run, todo, n_workers, on_done)
        else:
            raise SweepError(f"unknown executor {executor!r} (local or dask)")
        for rec in new:
            done[rec.key] = rec
    records = [done[p.key] for p in unique]
    write_tables(records, root)
    write_provenance(spec, records, root, started)
    failed = [r for r in records if r.status == "failed"]
    log(f"sweep {spec.name}: {sum(r.status != 'failed' for r in records)} ok, {len(failed)} failed; "
        f"table: {root / 'results.csv'}")
    for rec in failed:
        log(f"  failed {rec.key} {json.dumps(rec.parameters, default=str)} seed={rec.seed}: {rec.error}")
    return records, root


def flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Nested dicts/lists of results -> (dotted.name, scalar) pairs."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, value


def collect_results(records: Sequence[RunRecord]):
    """The tidy table: one row per (run, step, metric), parameters as columns.

    Numbers land in ``value`` (float); text and booleans are kept in ``value_text``
    so nothing a notebook reports is lost.
    """
    import pandas as pd

    rows = []
    for rec in records:
        if rec.status == "failed":
            continue
        results_dir = Path(rec.run_dir) / "results"
        for path in sorted(results_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as exc:
                raise SweepError(f"{path} is not valid JSON: {exc}") from exc
            for metric, value in flatten(data):
                number = (float(value) if isinstance(value, int | float) and not isinstance(value, bool)
                          else None)
                rows.append({
                    "run": rec.key, "seed": rec.seed, "scale": rec.scale,
                    **{f"param.{k}": _scalar(v) for k, v in rec.parameters.items()},
                    "step": path.stem, "metric": metric, "value": number,
                    "value_text": None if number is not None else (None if value is None else str(value)),
                })
    columns = ["run", "seed", "scale", "step", "metric", "value", "value_text"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    params = sorted(c for c in frame.columns if c.startswith("param."))
    return frame[["run", "seed", "scale", *params, "step", "metric", "value", "value_text"]]


def _scalar(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else json.dumps(value)


def write_tables(records: Sequence[RunRecord], root: Path) -> dict[str, Path]:
    """Write ``runs.csv`` (every run with status and error) and the results table."""
    import pandas as pd

    runs = pd.DataFrame([
        {"run": r.key, "status": r.status, "seed": r.seed, "scale": r.scale, "seconds": r.seconds,
         "parameters": json.dumps(r.parameters, ensure_ascii=False, default=str),
         "failed_step": r.failed_step, "error": r.error, "run_dir": r.run_dir}
        for r in records
    ])
    paths = {"runs": root / "runs.csv", "csv": root / "results.csv", "parquet": root / "results.parquet"}
    runs.to_csv(paths["runs"], index=False)
    table = collect_results(records)
    table.to_csv(paths["csv"], index=False)
    table.to_parquet(paths["parquet"], index=False)
    return paths


PROVENANCE_NAME = "sweep.json"


def write_provenance(spec: SweepSpec, records: Sequence[RunRecord], root: Path, started: float) -> Path:
    """``sweep.json``: which spec ran, when, on what machine, with which scales and seeds.

    A page drawn from a sweep (chapter 06's power and specification-curve figures) cites it,
    so the reader knows which file, scale, seeds and date a figure came from.
    """
    import platform

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    info = {
        "name": spec.name, "spec": spec.source, "description": spec.description, "steps": list(spec.steps),
        "started": stamp, "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": len(records), "ok": sum(r.status != "failed" for r in records),
        "failed": sum(r.status == "failed" for r in records),
        "scales": sorted({float(r.scale) for r in records}), "seeds": sorted({int(r.seed) for r in records}),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    path = root / PROVENANCE_NAME
    path.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return path


def read_provenance(sweep_dir: str | Path) -> dict[str, Any]:
    """A sweep folder's ``sweep.json`` ({} for a folder written before it existed)."""
    path = Path(sweep_dir) / PROVENANCE_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers sweep",
        description="Run a grid of notebook parameters (see data/sweeps/*.yml) and collect the "
                    "results/*.json of every run into one table.",
    )
    parser.add_argument("spec", help="sweep spec (YAML)")
    parser.add_argument("--out", help="sweep folder (default _build/sweeps/<name>)")
    parser.add_argument("--workers", type=int, default=None,
                        help="runs at a time (default: number of cores)")
    parser.add_argument("--dask", action="store_true",
                        help="run on Dask distributed (a LocalCluster unless --scheduler is given)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--force", action="store_true", help="re-run runs that already finished")
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--dry-run", action="store_true", help="list the runs and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        spec = parse_spec(args.spec)
        if args.dry_run:
            root = Path(args.out) if args.out else project_root() / "_build" / "sweeps" / spec.name
            for plan in plan_runs(spec, root):
                print(plan.key, plan.scale, plan.seed, json.dumps(plan.parameter_dict(), default=str))
            return 0
        records, _ = run_sweep(
            spec, args.out, workers=args.workers, kernel=args.kernel, force=args.force,
            executor="dask" if (args.dask or args.scheduler) else "local", scheduler=args.scheduler,
        )
    except (SweepError, RunnerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if any(r.status == "failed" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
