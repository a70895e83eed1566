"""Keep each ``notebooks/NN_*.py`` (what people edit) and its ``.ipynb`` twin in step.

Colab's launch button and papermill both need a real ``.ipynb``; the percent-format
``.py`` is what reviewers diff.  The pair must hold the same cells, with the
``.ipynb`` stripped of outputs so the repository stays small and the book shows
only what papermill executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat


@dataclass(frozen=True)
class PairProblem:
    """One way a notebook pair disagrees."""

    notebook: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.notebook}: {self.problem}"


def _cells_signature(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    signature = []
    for cell in nb.cells:
        tags = tuple(sorted(cell.get("metadata", {}).get("tags", [])))
        signature.append((cell.cell_type, cell.source.strip(), tags))
    return signature


def check_pair(py_path: Path) -> list[PairProblem]:
    """Return the problems of one ``.py``/``.ipynb`` pair (empty when in sync)."""
    py_path = Path(py_path)
    ipynb_path = py_path.with_suffix(".ipynb")
    if not ipynb_path.exists():
        return [PairProblem(py_path, f"no paired {ipynb_path.name}; run `jupytext --sync {py_path}`")]
    from_py = jupytext.read(py_path)
    from_ipynb = nbformat.read(ipynb_path, as_version=4)
    problems = []
    if _cells_signature(from_py) != _cells_signature(from_ipynb):
        problems.append(
            PairProblem(ipynb_path, f"cells differ from {py_path.name}; run `jupytext --sync {py_path}`")
        )
    for index, cell in enumerate(from_ipynb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(PairProblem(ipynb_path, f"cell {index} has outputs; strip them"))
            break
    tagged = [c for c in from_py.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        problems.append(PairProblem(py_path, f"expected one cell tagged 'parameters', found {len(tagged)}"))
    return problems


def check_all(notebooks_dir: Path) -> list[PairProblem]:
    """Check every numbered notebook pair in a folder."""
    problems: list[PairProblem] = []
    for py_path in sorted(Path(notebooks_dir).glob("[0-9]*.py")):
        problems.extend(check_pair(py_path))
    return problems
