"""Execute the chapter notebooks in order with papermill, into one run folder.

Why a runner rather than ``jupyter-book build`` executing the notebooks: the
chapters pass data to each other through the run folder, a sweep needs to vary
parameters per run, and a failure must say *which* notebook broke, *where*, and
leave the partially executed notebook behind for inspection.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from helpers import config
from helpers.book.run_folder import STEPS, RunLayout, match_steps, prerequisites

DEFAULT_KERNEL = "xhs-depression"
SHARED_PARAMETERS = ("run_dir", "scale", "seed")


class RunnerError(RuntimeError):
    """A notebook could not be run (bad parameters, missing notebook, failure)."""


@dataclass
class NotebookRun:
    """Outcome of one notebook in a run."""

    step: str
    status: str  # "ok" | "failed" | "not run"
    seconds: float = 0.0
    output: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    failed_cell: int | None = None

    def describe(self) -> str:
        if self.status == "ok":
            return f"{self.step}: ok in {self.seconds:.1f} s"
        if self.status == "failed":
            where = f" at cell {self.failed_cell}" if self.failed_cell is not None else ""
            return f"{self.step}: FAILED{where} after {self.seconds:.1f} s: {self.error}\n  executed notebook: {self.output}"
        return f"{self.step}: not run"


def project_root() -> Path:
    """The repository root (see :func:`helpers.config.project_root`)."""
    try:
        return config.project_root()
    except config.ConfigError as exc:
        raise RunnerError(str(exc)) from exc


def declared_parameters(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Names and default source text assigned in the cell tagged ``parameters``."""
    import ast

    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            names: dict[str, str] = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            names[target.id] = ast.get_source_segment(cell.source, node.value) or ""
            return names
    raise RunnerError("notebook has no cell tagged 'parameters'")


def coerce_value(text: str) -> Any:
    """Turn a command-line string into a Python value (YAML rules: 1 -> int, a,b stays str)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def split_parameters(
    pairs: Iterable[tuple[str, Any]], steps: Iterable[str], declared: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, Any]]:
    """Route ``-p name value`` pairs to notebooks.

    ``name`` goes to every selected notebook that declares it; ``NN_step.name`` (or
    ``NN.name``) to that notebook only.  A name no selected notebook declares is an
    error, so a typo in a sweep never runs silently with the default.
    """
    steps = list(steps)
    routed: dict[str, dict[str, Any]] = {step: {} for step in steps}
    for name, value in pairs:
        if "." in name:
            prefix, pname = name.split(".", 1)
            targets = match_steps(prefix, steps)
            if not targets:
                raise RunnerError(f"parameter {name!r}: no selected notebook called {prefix!r} (have {steps})")
            for step in targets:
                if pname not in declared[step]:
                    raise RunnerError(
                        f"parameter {name!r}: {step} declares no {pname!r} (it has {sorted(declared[step])})"
                    )
                routed[step][pname] = value
        else:
            targets = [s for s in steps if name in declared[s]]
            if not targets:
                raise RunnerError(
                    f"parameter {name!r} is declared by none of {steps}; "
                    "check the spelling or the notebook's parameters cell"
                )
            for step in targets:
                routed[step][name] = value
    return routed


def load_notebook(notebooks_dir: Path, step: str) -> nbformat.NotebookNode:
    """Read a chapter from its ``.py`` (the source of truth), falling back to ``.ipynb``."""
    py_path = notebooks_dir / f"{step}.py"
    if py_path.exists():
        return jupytext.read(py_path)
    ipynb_path = notebooks_dir / f"{step}.ipynb"
    if ipynb_path.exists():
        return nbformat.read(ipynb_path, as_version=4)
    raise RunnerError(f"no notebook {step} in {notebooks_dir}")


def available_kernel(preferred: str = DEFAULT_KERNEL) -> str:
    """The project's kernel when registered, else the default ``python3`` kernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    names = KernelSpecManager().find_kernel_specs()
    if preferred in names:
        return preferred
    if "python3" in names:
        return "python3"
    raise RunnerError(
        f"no Jupyter kernel {preferred!r}: run `make setup` (it registers it) or "
        f"`python -m ipykernel install --sys-prefix --name {preferred}`"
    )


def run_notebooks(
    run_dir: str | Path = "_build/run",
    *,
    steps: Iterable[str] | None = None,
    scale: float = 1.0,
    seed: int = 20241111,
    parameters: Iterable[tuple[str, Any]] = (),
    notebooks_dir: str | Path | None = None,
    kernel: str | None = None,
    keep_going: bool = False,
    progress: bool = True,
    jobs: int = 1,
    depends: Mapping[str, Iterable[str]] | None = None,
    log=print,
) -> list[NotebookRun]:
    """Run the selected notebooks; return one :class:`NotebookRun` each, in run order.

    A chapter starts once the chapters it reads from have finished
    (:func:`helpers.book.run_folder.prerequisites`, over ``depends``, default the book's
    :data:`~helpers.book.run_folder.DEPENDS`); with ``jobs`` > 1 up to that many run
    side by side, each in its own worker process and kernel.  The chapters' outputs do not
    depend on ``jobs``: each is seeded, reads only its prerequisites' files and writes its
    own.  Its *timings* do: chapters side by side share the cores.  Stops starting chapters
    at the first failure unless ``keep_going`` (chapters already running finish); the report
    and ``run_log.json`` in the run folder say which notebook failed and at which cell.
    """
    layout = RunLayout.at(run_dir)
    nb_dir = Path(notebooks_dir) if notebooks_dir else project_root() / "notebooks"
    selected = list(steps) if steps else available_steps(nb_dir)
    unknown = [s for s in selected if not _has_notebook(nb_dir, s)]
    if unknown:
        raise RunnerError(f"unknown notebook(s) {unknown}; available: {sorted(p.stem for p in nb_dir.glob('[0-9]*.py'))}")
    jobs = max(1, int(jobs))
    notebooks = {step: load_notebook(nb_dir, step) for step in selected}
    declared = {step: declared_parameters(nb) for step, nb in notebooks.items()}
    routed = split_parameters(parameters, selected, declared)
    kernel_name = kernel or available_kernel()

    tasks: dict[str, _Task] = {}
    for step in selected:
        params: dict[str, Any] = {}
        for name, value in (("run_dir", str(layout.root)), ("scale", scale), ("seed", seed)):
            if name in declared[step]:
                params[name] = value
        params.update(routed[step])
        tasks[step] = _Task(step, str(layout.notebooks / f"{step}.input.ipynb"),
                            str(layout.notebooks / f"{step}.ipynb"), params, kernel_name, str(nb_dir.parent),
                            progress and jobs == 1)
    needs = {step: prerequisites(step, selected, depends) for step in selected}
    if jobs > 1 and len(selected) > 1:
        log(f"running up to {jobs} chapters side by side (each starts when the chapters it reads from are done)")
    records: dict[str, NotebookRun] = {}
    started_count = 0

    def start(step: str) -> _Task:
        nonlocal started_count
        started_count += 1
        task = tasks[step]
        nbformat.write(notebooks[step], task.input_path)
        log(f"[{started_count}/{len(selected)}] {step} {json.dumps(task.parameters, ensure_ascii=False, default=str)}")
        return task

    def finish(record: NotebookRun) -> None:
        log("    " + record.describe())
        records[record.step] = record

    def ready(pending: list[str]) -> list[str]:
        return [s for s in pending if all(n in records for n in needs[s])]

    pending = list(selected)
    failed = False
    if jobs == 1:
        while pending and not (failed and not keep_going):
            step = ready(pending)[0]  # the run order always has one ready
            pending.remove(step)
            record = execute_notebook(start(step))
            finish(record)
            failed = failed or record.status == "failed"
    else:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked kernel-manager state
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_side_by_side_worker) as pool:
            running: dict[Any, str] = {}
            while pending or running:
                if not (failed and not keep_going):
                    for step in ready(pending)[: jobs - len(running)]:
                        pending.remove(step)
                        running[pool.submit(execute_notebook, start(step))] = step
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    step = running.pop(future)
                    try:
                        record = future.result()
                    except Exception as exc:  # the worker process itself died
                        record = NotebookRun(step, "failed", output=tasks[step].output_path,
                                             parameters=tasks[step].parameters,
                                             error=f"worker process failed: {type(exc).__name__}: {exc}")
                    finish(record)
                    failed = failed or record.status == "failed"
    for step in pending:
        records[step] = NotebookRun(step, "not run")
    ordered = [records[s] for s in selected]
    write_run_log(layout, ordered, scale=scale, seed=seed)
    return ordered


def available_steps(notebooks_dir: Path) -> list[str]:
    """The book's steps, in run order, that have a notebook (``.py`` or ``.ipynb``) in ``notebooks_dir``."""
    return [s for s in STEPS if _has_notebook(notebooks_dir, s)]


def _has_notebook(notebooks_dir: Path, step: str) -> bool:
    return (notebooks_dir / f"{step}.py").exists() or (notebooks_dir / f"{step}.ipynb").exists()


@dataclass(frozen=True)
class _Task:
    """One notebook to execute: everything a worker process needs, and nothing unpicklable."""

    step: str
    input_path: str
    output_path: str
    parameters: dict[str, Any]
    kernel_name: str
    cwd: str
    progress: bool


def _side_by_side_worker() -> None:
    """Worker start-up when chapters share the cores: OpenMP threads sleep instead of spinning.

    A spinning OpenMP pool (PyTorch's) burns the core the other chapter's kernel needs;
    results do not change, only how idle threads wait.  An explicit setting is kept.
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def execute_notebook(task: _Task) -> NotebookRun:
    """Execute one prepared notebook with papermill; never raises, the record says what happened."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    record = NotebookRun(task.step, "ok", output=task.output_path, parameters=dict(task.parameters))
    sockets = kernel_socket_config()
    try:
        pm.execute_notebook(
            task.input_path,
            task.output_path,
            parameters=dict(task.parameters),
            kernel_name=task.kernel_name,
            language="python",
            progress_bar=task.progress,
            cwd=task.cwd,
            log_output=False,
            **({"config": sockets[0]} if sockets else {}),
        )
    except PapermillExecutionError as exc:
        record.status = "failed"
        record.failed_cell = exc.cell_index
        record.error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel death, missing kernel, bad notebook
        record.status = "failed"
        record.error = f"{type(exc).__name__}: {exc}"
    finally:
        record.seconds = time.perf_counter() - started
        Path(task.input_path).unlink(missing_ok=True)
        if sockets:
            shutil.rmtree(sockets[1], ignore_errors=True)
    return record


def kernel_socket_config() -> tuple[Any, str] | None:
    """Kernel config for Unix-socket (IPC) transport in a fresh folder, and that folder; None off POSIX.

    Over TCP, jupyter_client picks each kernel's five ports by binding free ones and letting
    them go; the kernel binds them again a moment later.  Two kernels started at the same
    moment (chapters side by side, a sweep's workers) can pick the same port and one of them
    never answers ("Address already in use", then "Kernel didn't respond in 60 seconds").
    Sockets named inside a folder of their own cannot collide, and they are not reachable from
    the network either.
    """
    import os
    import tempfile

    from traitlets.config import Config

    if os.name != "posix":
        return None
    folder = tempfile.mkdtemp(prefix="xhs-kernel-")  # short: a socket path must stay under 108 bytes
    return Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}}), folder


def write_run_log(layout: RunLayout, records: list[NotebookRun], *, scale: float, seed: int) -> Path:
    """Store the execution table and the environment for the status page and sweeps."""
    from helpers.book.environment import environment_record

    path = layout.root / "run_log.json"
    previous: dict[str, Any] = {}
    if path.exists():
        try:
            previous = {r["step"]: r for r in json.loads(path.read_text()).get("notebooks", [])}
        except (json.JSONDecodeError, KeyError, TypeError):
            previous = {}
    for record in records:
        if record.status != "not run" or record.step not in previous:
            previous[record.step] = asdict(record)
    ordered = [previous[s] for s in STEPS if s in previous] + [
        v for k, v in previous.items() if k not in STEPS
    ]
    payload = {
        "scale": scale,
        "seed": seed,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "argv": sys.argv,
        "environment": environment_record(),
        "notebooks": ordered,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    return path


def summarise(records: list[NotebookRun]) -> str:
    lines = [r.describe() for r in records]
    failed = [r for r in records if r.status == "failed"]
    lines.append(
        f"{sum(r.status == 'ok' for r in records)} ok, {len(failed)} failed, "
        f"{sum(r.status == 'not run' for r in records)} not run"
    )
    return "\n".join(lines)

