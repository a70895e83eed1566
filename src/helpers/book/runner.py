"""Execute the chapter notebooks in order with papermill, into one run folder.

Why a runner rather than ``jupyter-book build`` executing the notebooks: the
chapters pass data to each other through the run folder, a sweep needs to vary
parameters per run, and a failure must say *which* notebook broke, *where*, and
leave the partially executed notebook behind for inspection.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from helpers import config
from helpers.book.run_folder import STEPS, RunLayout, match_steps

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
    log=print,
) -> list[NotebookRun]:
    """Run the selected notebooks in order; return one :class:`NotebookRun` each.

    Stops at the first failure unless ``keep_going``; the report and
    ``run_log.json`` in the run folder say which notebook failed and at which cell.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    layout = RunLayout.at(run_dir)
    nb_dir = Path(notebooks_dir) if notebooks_dir else project_root() / "notebooks"
    selected = list(steps) if steps else [s for s in STEPS if (nb_dir / f"{s}.py").exists() or (nb_dir / f"{s}.ipynb").exists()]
    unknown = [s for s in selected if not ((nb_dir / f"{s}.py").exists() or (nb_dir / f"{s}.ipynb").exists())]
    if unknown:
        raise RunnerError(f"unknown notebook(s) {unknown}; available: {sorted(p.stem for p in nb_dir.glob('[0-9]*.py'))}")
    notebooks = {step: load_notebook(nb_dir, step) for step in selected}
    declared = {step: declared_parameters(nb) for step, nb in notebooks.items()}
    routed = split_parameters(parameters, selected, declared)
    kernel_name = kernel or available_kernel()

    records: list[NotebookRun] = []
    failed = False
    for index, step in enumerate(selected, start=1):
        if failed and not keep_going:
            records.append(NotebookRun(step, "not run"))
            continue
        params: dict[str, Any] = {}
        for name, value in (("run_dir", str(layout.root)), ("scale", scale), ("seed", seed)):
            if name in declared[step]:
                params[name] = value
        params.update(routed[step])
        input_path = layout.notebooks / f"{step}.input.ipynb"
        output_path = layout.notebooks / f"{step}.ipynb"
        nbformat.write(notebooks[step], input_path)
        log(f"[{index}/{len(selected)}] {step} {json.dumps(params, ensure_ascii=False, default=str)}")
        started = time.perf_counter()
        record = NotebookRun(step, "ok", output=str(output_path), parameters=params)
        try:
            pm.execute_notebook(
                str(input_path),
                str(output_path),
                parameters=params,
                kernel_name=kernel_name,
                language="python",
                progress_bar=progress,
                cwd=str(nb_dir.parent),
                log_output=False,
            )
        except PapermillExecutionError as exc:
            record.status = "failed"
            record.failed_cell = exc.cell_index
            record.error = f"{exc.ename}: {exc.evalue}"
            failed = True
        except Exception as exc:  # kernel death, missing kernel, bad notebook
            record.status = "failed"
            record.error = f"{type(exc).__name__}: {exc}"
            failed = True
        finally:
            record.seconds = time.perf_counter() - started
            input_path.unlink(missing_ok=True)
        log("    " + record.describe())
        records.append(record)
    write_run_log(layout, records, scale=scale, seed=seed)
    return records


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

