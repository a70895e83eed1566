"""Make a chapter opened on its own (e.g. from the Colab button) find its inputs.

Chapters pass data through the run folder: the models chapter reads what the
sentiment chapter wrote, which reads what the cleaning chapter wrote.  Someone
who opens chapter 03 on a fresh Colab runtime has none of that, so
:func:`ensure_upstream` runs the earlier chapters (with papermill, exactly as
``python -m helpers run`` would) when their results are missing, and leaves
them alone when they are there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from helpers.book.run_folder import STEPS, RunLayout
from helpers.book.runner import RunnerError, run_notebooks


def on_colab() -> bool:
    return "google.colab" in sys.modules


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
