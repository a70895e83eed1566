"""Assemble the Jupyter Book from the executed notebooks of a run and build it.

The book never executes code itself (``execute_notebooks: off``): papermill
already ran each chapter into the run folder.  We stage a copy of the book
sources with the executed notebooks in place of the stripped ones, add the
status page generated from ``run_log.json``, and call Jupyter Book 1.x, which
builds offline.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat

from helpers.book.run_folder import RunLayout
from helpers.book.runner import project_root
from helpers.markdown import md_table

BOOK_FILES = ("_config.yml", "_toc.yml")
#: Chapter 06's power and specification-curve figures are drawn from these sweeps when the
#: book is built (small: the embedded corpus at CI size); the full-scale specs are
#: data/sweeps/power.yml and specification_curve.yml (book/sweeps.md).
BOOK_SWEEPS: tuple[tuple[str, str], ...] = (
    ("power_sweep", "data/sweeps/power_small.yml"),
    ("curve_sweep", "data/sweeps/specification_curve_small.yml"),
)
INFERENCE_STEP = "06_inference_robustness"


def run_book_sweeps(parameters: list[tuple[str, Any]], steps: list[str] | None = None, *,
                    workers: int | None = None, kernel: str | None = None,
                    sweeps_dir: str | Path | None = None, log: Any = print) -> list[tuple[str, Any]]:
    """Run the book's sweeps and point chapter 06 at them: the parameters to add to the run.

    A sweep resumes: runs already finished with the same notebook sources and parameters are
    reused, so a rebuild costs nothing.  A parameter the user set (``power_sweep`` or
    ``06.power_sweep``) wins and its sweep is not run; so does a run without chapter 06.  A
    sweep with failed runs is reported; chapter 06 draws the runs that finished and says so.
    ``sweeps_dir`` holds one folder per sweep (default ``_build/sweeps``).
    """
    from helpers.book.sweep import run_sweep

    if steps is not None and INFERENCE_STEP not in steps:
        return []
    given = {name.split(".", 1)[-1] for name, _ in parameters
             if "." not in name or name.split(".", 1)[0] in ("06", INFERENCE_STEP)}
    added = []
    for name, spec in BOOK_SWEEPS:
        if name in given:
            continue
        _, folder = run_sweep(project_root() / spec, Path(sweeps_dir) / Path(spec).stem if sweeps_dir else None,
                              workers=workers, kernel=kernel, log=log)
        added.append((f"06.{name}", str(folder)))
    return added


def run_book_chapters(run_dir: str | Path, *, steps: list[str] | None = None, scale: float = 1.0,
                      seed: int = 20241111, parameters: list[tuple[str, Any]] | None = None,
                      kernel: str | None = None, keep_going: bool = False, progress: bool = True,
                      jobs: int = 1, sweeps: bool = True, sweeps_dir: str | Path | None = None,
                      log: Any = print) -> list[Any]:
    """What ``make book`` runs before the HTML build: chapter 06's sweeps and the chapters.

    One chapter at a time (``jobs`` = 1) the sweeps run first, as before.  With ``jobs`` > 1
    they run beside chapters 01 to 05, which do not read them, and chapter 06 starts once both
    the sweeps and chapter 03 are done: the cores a single-threaded chapter leaves idle do
    the sweeps' work.  Returns the chapters' :class:`~helpers.book.runner.NotebookRun`
    records in run order (a chapter not started says ``not run``).
    """
    from concurrent.futures import ThreadPoolExecutor

    from helpers.book.runner import (
        NotebookRun,
        available_steps,
        declared_parameters,
        load_notebook,
        run_notebooks,
        split_parameters,
    )

    parameters = list(parameters or [])
    nb_dir = project_root() / "notebooks"
    selected = list(steps) if steps else available_steps(nb_dir)
    common = dict(scale=scale, seed=seed, kernel=kernel, keep_going=keep_going, progress=progress, jobs=jobs,
                  log=log)
    if not sweeps or jobs <= 1 or INFERENCE_STEP not in selected or len(selected) == 1:
        added = run_book_sweeps(parameters, selected, kernel=kernel, sweeps_dir=sweeps_dir, log=log) if sweeps else []
        return run_notebooks(run_dir, steps=selected, parameters=parameters + added, **common)
    # route every -p once over all chapters (a typo fails here, before anything runs), then
    # hand each of the two calls only its own chapters' settings
    declared = {s: declared_parameters(load_notebook(nb_dir, s)) for s in selected}
    routed = split_parameters(parameters, selected, declared)

    def own(chosen: list[str]) -> list[tuple[str, Any]]:
        return [(f"{s}.{name}", value) for s in chosen for name, value in routed[s].items()]

    first = [s for s in selected if s != INFERENCE_STEP]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(run_book_sweeps, parameters, selected, kernel=kernel, sweeps_dir=sweeps_dir, log=log)
        records = run_notebooks(run_dir, steps=first, parameters=own(first), **common)
        added = pending.result()
    if any(r.status == "failed" for r in records) and not keep_going:
        last = [NotebookRun(INFERENCE_STEP, "not run")]
    else:
        last = run_notebooks(run_dir, steps=[INFERENCE_STEP], parameters=own([INFERENCE_STEP]) + added, **common)
    by_step = {r.step: r for r in records + last}
    return [by_step[s] for s in selected]


def stage_book(run_dir: str | Path, stage_dir: str | Path | None = None) -> Path:
    """Copy book sources and executed notebooks into a staging folder; return it."""
    root = project_root()
    layout = RunLayout.at(run_dir)
    stage = Path(stage_dir) if stage_dir else root / "_build" / "book_src"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(root / name, stage / name)
    shutil.copytree(root / "book", stage / "book")
    (stage / "notebooks").mkdir()
    for stripped in sorted((root / "notebooks").glob("[0-9]*.ipynb")):
        executed = layout.notebooks / stripped.name
        if executed.exists():
            notebook = nbformat.read(executed, as_version=4)
            hide_local_paths(notebook, layout.root, root)
            nbformat.write(notebook, stage / "notebooks" / stripped.name)
        else:
            shutil.copy2(stripped, stage / "notebooks" / stripped.name)
    (stage / "book" / "status.md").write_text(render_status_page(layout), encoding="utf-8")
    from helpers.book.pages import write_generated_pages  # results + sweeps pages (issue 8)

    write_generated_pages(layout, stage, root)
    return stage


def _public_path(value: str, run_root: Path, project: Path) -> str:
    """A path as the page may show it: relative to the project, else a neutral placeholder."""
    path = Path(value)
    if not path.is_absolute():
        return value
    for base, label in ((project, None), (run_root, "<run folder>")):
        try:
            rel = path.resolve().relative_to(base.resolve())
        except ValueError:
            continue
        if label is None:
            return rel.as_posix() or "."
        return label if rel == Path(".") else f"{label}/{rel.as_posix()}"
    return "<local path>"


def hide_local_paths(notebook: nbformat.NotebookNode, run_root: Path, project: Path) -> int:
    """Shorten the build machine's absolute paths in papermill's injected parameters.

    The runner hands papermill absolute paths (the kernel may start anywhere); the page and the
    downloadable notebook show them relative to the project, or as ``<run folder>`` /
    ``<local path>`` when outside it, so no home folder or user name reaches the book.
    Returns the number of values changed.
    """
    changed = 0

    def public(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str) and value.startswith("/"):
            new = _public_path(value, run_root, project)
            changed += new != value
            return new
        return value

    for cell in notebook.cells:
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        lines = []
        for line in cell.source.splitlines():
            match = _ASSIGNED_STRING.match(line)
            if match:
                value = ast.literal_eval(match.group("value"))
                shown = public(value)
                if shown != value:
                    line = f"{match.group('name')} = {json.dumps(shown, ensure_ascii=False)}"
            lines.append(line)
        cell.source = "\n".join(lines)
    meta = notebook.metadata.get("papermill", {})
    if isinstance(meta.get("parameters"), dict):
        meta["parameters"] = {k: public(v) for k, v in meta["parameters"].items()}
    for key in ("input_path", "output_path"):
        if isinstance(meta.get(key), str):
            meta[key] = Path(meta[key]).name
    return changed


_ASSIGNED_STRING = re.compile(r"""^(?P<name>[A-Za-z_]\w*) = (?P<value>(?:"[^"\n]*"|'[^'\n]*'))\s*$""")


def render_status_page(layout: RunLayout) -> str:
    """Markdown for the status page: execution table, versions, device."""
    log_path = layout.root / "run_log.json"
    parts = ["# Build status", ""]
    if not log_path.exists():
        parts.append("No run log was found: the notebooks of this build were not executed by the runner.")
        return "\n".join(parts) + "\n"
    log: dict[str, Any] = json.loads(log_path.read_text())
    parts += [
        f"Built {log.get('finished', '?')} at `--scale {log.get('scale')}` and `--seed {log.get('seed')}`.",
        "Each chapter was executed top to bottom by papermill (`python -m helpers run`); "
        "the pages show those outputs.",
        "",
        "## Notebook execution",
        "",
    ]
    rows = []
    for record in log.get("notebooks", []):
        status = {"ok": "✅ ok", "failed": "❌ failed", "not run": "– not run"}.get(record["status"], record["status"])
        err = (record.get("error") or "")[:160]
        rows.append([record["step"], status, f"{record.get('seconds', 0):.1f}", err])
    parts.append(md_table(rows, ["notebook", "status", "seconds", "error"]))
    env = log.get("environment", {})
    device = env.get("device", {})
    parts += ["", "## Device", "", md_table([[k, v] for k, v in device.items()], ["", "value"])]
    py = env.get("python", {})
    parts += ["", "## Python packages", "", md_table([[k, v or "not installed"] for k, v in py.items()], ["package", "version"])]
    rv = env.get("r", {})
    if rv:
        parts += ["", "## R and R packages", "", md_table([[k, v or "not installed"] for k, v in rv.items()], ["package", "version"])]
    else:
        parts += ["", "R was not found on this machine."]
    return "\n".join(parts) + "\n"


def build_book(stage: Path, html_dir: str | Path | None = None) -> Path:
    """Run ``jupyter-book build`` on the staged sources; return the HTML folder."""
    root = project_root()
    target = Path(html_dir) if html_dir else root / "_build" / "html"
    cmd = [sys.executable, "-m", "jupyter_book", "build", str(stage), "--builder", "html", "--keep-going"]
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    if jb:
        cmd = [jb, "build", str(stage), "--builder", "html", "--keep-going"]
    completed = subprocess.run(cmd, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(
            "jupyter-book build failed:\n" + completed.stdout[-4000:] + completed.stderr[-4000:]
        )
    built = stage / "_build" / "html"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(built, target)
    return target
