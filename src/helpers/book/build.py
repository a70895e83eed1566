"""Assemble the Jupyter Book from the executed notebooks of a run and build it.

The book never executes code itself (``execute_notebooks: off``): papermill
already ran each chapter into the run folder.  We stage a copy of the book
sources with the executed notebooks in place of the stripped ones, add the
status page generated from ``run_log.json``, and call Jupyter Book 1.x, which
builds offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.book.run_folder import RunLayout
from helpers.book.runner import project_root

BOOK_FILES = ("_config.yml", "_toc.yml")


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
        source = executed if executed.exists() else stripped
        shutil.copy2(source, stage / "notebooks" / stripped.name)
    (stage / "book" / "status.md").write_text(render_status_page(layout), encoding="utf-8")
    from helpers.book.pages import write_generated_pages  # results + sweeps pages (issue 8)

    write_generated_pages(layout, stage, root)
    return stage


def _table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


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
        err = (record.get("error") or "").replace("|", "\\|").replace("\n", " ")[:160]
        rows.append([record["step"], status, f"{record.get('seconds', 0):.1f}", err])
    parts.append(_table(rows, ["notebook", "status", "seconds", "error"]))
    env = log.get("environment", {})
    device = env.get("device", {})
    parts += ["", "## Device", "", _table([[k, v] for k, v in device.items()], ["", "value"])]
    py = env.get("python", {})
    parts += ["", "## Python packages", "", _table([[k, v or "not installed"] for k, v in py.items()], ["package", "version"])]
    rv = env.get("r", {})
    if rv:
        parts += ["", "## R and R packages", "", _table([[k, v or "not installed"] for k, v in rv.items()], ["package", "version"])]
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
