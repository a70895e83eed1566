"""Colab: the set-up every chapter runs first, and the predecessors a chapter opened alone needs.

Two remove-cell cells open every notebook, and their text is defined *here* (one place to
change them; :func:`sync_colab_cells` writes them into the notebooks and a test fails when a
notebook's copy drifts):

* :data:`SETUP_CELL`, before the parameters: on Colab it clones the repository (the library is
  not importable before that, so these few lines cannot live in the library), then calls
  :func:`setup_colab`, which installs the project with ``scripts/colab_setup.sh`` once per
  runtime and enters the clone on every run (a restarted runtime starts in ``/content``);
* the predecessors cell (:func:`upstream_cell`), after the parameters, so papermill's values
  reach it: :func:`prepare_chapter` runs the earlier chapters whose results are missing.

Chapters pass data through the run folder: the models chapter reads what the sentiment chapter
wrote, which reads what the cleaning chapter wrote.  Someone who opens chapter 03 on a fresh
Colab runtime has none of that, so the earlier chapters are run (with papermill, exactly as
``python -m helpers run`` would) when their results are missing, and left alone when present.
Off Colab both calls do nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from helpers.book.run_folder import STEPS, RunLayout
from helpers.book.runner import RunnerError, run_notebooks

COLAB_REPO = "/content/xhs-depression-book"
SETUP_STAMP = ".colab-setup-done"

SETUP_CELL = '''# %% tags=["remove-cell"]
# On Google Colab only: fetch the project and install it (R's lme4 stack included) with
# helpers.book.colab.setup_colab. Elsewhere this cell does nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    REPO = "/content/xhs-depression-book"
    subprocess.run(f"test -d {REPO} || git clone -q https://github.com/xhs-depression-book/xhs-depression-book {REPO}",
                   shell=True, check=True)
    sys.path.insert(0, f"{REPO}/src")
    from helpers.book.colab import setup_colab

    setup_colab(REPO)
'''

_UPSTREAM_CELL = '''# %% tags=["remove-cell"]
# Opened on its own on Colab, a chapter first runs the earlier chapters it reads from.
from helpers.book.colab import prepare_chapter

prepare_chapter("{step}", run_dir, scale=scale, seed=seed)
'''


def on_colab() -> bool:
    return "google.colab" in sys.modules


def setup_colab(repo: str | Path = COLAB_REPO, log: Callable[[str], None] = print) -> bool:
    """On Colab: install the project once per runtime, enter the clone; elsewhere nothing.

    Returns True when the set-up script ran in this call.
    """
    if not on_colab():
        return False
    repo = Path(repo)
    stamp = repo / SETUP_STAMP
    ran = False
    if not stamp.exists():
        log(f"installing the project from {repo} (scripts/colab_setup.sh; a few minutes, once per runtime)")
        subprocess.run(["bash", str(repo / "scripts" / "colab_setup.sh")], check=True)
        stamp.write_text("ok\n")
        ran = True
    os.chdir(repo)
    return ran


def missing_upstream(step: str, run_dir: str | Path, steps: tuple[str, ...] = STEPS) -> list[str]:
    """Earlier chapters whose ``results/<step>.json`` is not in the run folder.

    The CNSD chapter (05) stands alone: it needs none of the Xiaohongshu chapters.
    """
    if step not in steps:
        raise RunnerError(f"unknown step {step!r}; steps: {', '.join(steps)}")
    if step.startswith("05"):
        return []
    results = RunLayout.at(run_dir).root / "results"
    earlier = [s for s in steps[: steps.index(step)] if not s.startswith("05")]
    return [s for s in earlier if not (results / f"{s}.json").exists()]


def ensure_upstream(step: str, run_dir: str | Path = "_build/run", scale: float = 1.0,
                    seed: int = 20241111, notebooks_dir: str | Path | None = None,
                    log: Callable[[str], None] = print) -> list[str]:
    """Run the missing earlier chapters into ``run_dir``; return the steps that ran."""
    todo = missing_upstream(step, run_dir)
    if not todo:
        return []
    log(f"{step} needs {', '.join(todo)} first: running them into {run_dir} (scale {scale})")
    records = run_notebooks(run_dir, steps=todo, scale=scale, seed=seed, notebooks_dir=notebooks_dir,
                            log=log)
    failed = [r for r in records if r.status != "ok"]
    if failed:
        raise RunnerError("could not prepare the inputs: " + "; ".join(r.describe() for r in failed))
    return todo


def prepare_chapter(step: str, run_dir: str | Path, scale: float = 1.0, seed: int = 20241111,
                    log: Callable[[str], None] = print) -> list[str]:
    """The predecessors cell: on Colab run the missing earlier chapters; elsewhere nothing.

    Off Colab the runner (``python -m helpers run``) orders the chapters itself, and a chapter
    run alone with missing inputs fails with a message naming the chapter to run first.
    """
    if step not in STEPS:
        raise RunnerError(f"unknown step {step!r}; steps: {', '.join(STEPS)}")
    if not on_colab():
        return []
    return ensure_upstream(step, run_dir, scale=scale, seed=seed, log=log)


# --------------------------------------------------------------------------- the cells themselves


def upstream_cell(step: str) -> str:
    """The predecessors cell of one chapter (chapters 01 and 05 have none)."""
    return _UPSTREAM_CELL.format(step=step)


def needs_upstream(step: str) -> bool:
    return bool([s for s in STEPS[: STEPS.index(step)] if not s.startswith("05")]) and not step.startswith("05")


_CELL = re.compile(r"(?m)^(?=# %%)")


def _cells(text: str) -> list[str]:
    return _CELL.split(text)


def _is_setup(cell: str) -> bool:
    return cell.startswith('# %% tags=["remove-cell"]') and "google.colab" in cell and "git clone" in cell


def _is_upstream(cell: str) -> bool:
    return cell.startswith('# %% tags=["remove-cell"]') and ("ensure_upstream" in cell or "prepare_chapter" in cell)


def colab_cell_problems(path: Path) -> list[str]:
    """How a notebook's Colab cells differ from the ones defined here (empty: in sync)."""
    step = path.stem
    cells = _cells(path.read_text(encoding="utf-8"))
    problems = []
    setup = [c for c in cells if _is_setup(c)]
    if [c.rstrip() for c in setup] != [SETUP_CELL.rstrip()]:
        problems.append(f"{path.name}: the Colab set-up cell is not helpers.book.colab.SETUP_CELL")
    upstream = [c for c in cells if _is_upstream(c)]
    want = [upstream_cell(step).rstrip()] if needs_upstream(step) else []
    if [c.rstrip() for c in upstream] != want:
        problems.append(f"{path.name}: the predecessors cell is not helpers.book.colab.upstream_cell({step!r})")
    if setup and upstream:
        params = next((i for i, c in enumerate(cells) if c.startswith('# %% tags=["parameters"]')), None)
        if params is None or not cells.index(setup[0]) < params < cells.index(upstream[0]):
            problems.append(f"{path.name}: set-up cell before the parameters, predecessors cell after them")
    return problems


def sync_colab_cells(path: Path) -> bool:
    """Rewrite a jupytext ``.py`` notebook's Colab cells from this module; True if changed.

    The set-up cell replaces the old one in place; the predecessors cell goes right after the
    ``parameters`` cell.  Run ``jupytext --sync`` on the file afterwards.
    """
    text = path.read_text(encoding="utf-8")
    cells = _cells(text)
    out = []
    for cell in cells:
        if _is_setup(cell):
            out.append(SETUP_CELL + "\n")
        elif _is_upstream(cell):
            continue
        else:
            out.append(cell)
        if cell.startswith('# %% tags=["parameters"]') and needs_upstream(path.stem):
            out.append(upstream_cell(path.stem) + "\n")
    new = "".join(out)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
