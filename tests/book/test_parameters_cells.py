"""Every chapter's parameters cell is readable by papermill (``papermill --help-notebook``).

papermill's inspector drops, with only a log line, an assignment whose comment it cannot parse
(a ``;`` followed by ``=`` is enough): the parameter then vanishes from ``--help-notebook``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest
from papermill.translators import PythonTranslator

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_parameter(path):
    notebook = jupytext.read(path)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assigned = [t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    seen = [p.name for p in PythonTranslator.inspect(cell)]
    assert assigned and seen == assigned, f"papermill cannot read {sorted(set(assigned) - set(seen))} in {path.name}"
