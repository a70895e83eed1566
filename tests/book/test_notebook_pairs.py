"""Each notebooks/NN_*.py has an in-sync, output-free .ipynb twin."""

from __future__ import annotations

import shutil

import jupytext
import nbformat

from helpers.book.notebook_pairs import check_all, check_pair
from helpers.book.run_folder import STEPS


def test_every_step_has_a_notebook_pair(project_root):
    for step in STEPS:
        assert (project_root / "notebooks" / f"{step}.py").exists(), step
        assert (project_root / "notebooks" / f"{step}.ipynb").exists(), step


def test_repository_pairs_are_in_sync(project_root):
    problems = check_all(project_root / "notebooks")
    assert problems == [], "\n".join(map(str, problems))


def _write_pair(tmp_path, source: str):
    py = tmp_path / "01_demo.py"
    py.write_text(source)
    nbformat.write(jupytext.read(py), tmp_path / "01_demo.ipynb")
    return py


SOURCE = '# %% tags=["parameters"]\nx = 1\n\n# %%\nprint(x)\n'


def test_in_sync_pair_passes(tmp_path):
    assert check_pair(_write_pair(tmp_path, SOURCE)) == []


def test_edited_py_is_reported(tmp_path):
    py = _write_pair(tmp_path, SOURCE)
    py.write_text(SOURCE.replace("print(x)", "print(x + 1)"))
    problems = check_pair(py)
    assert len(problems) == 1 and "cells differ" in problems[0].problem


def test_missing_ipynb_is_reported(tmp_path):
    py = _write_pair(tmp_path, SOURCE)
    (tmp_path / "01_demo.ipynb").unlink()
    assert "no paired" in check_pair(py)[0].problem


def test_outputs_in_ipynb_are_reported(tmp_path):
    py = _write_pair(tmp_path, SOURCE)
    nb = nbformat.read(tmp_path / "01_demo.ipynb", as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, tmp_path / "01_demo.ipynb")
    assert any("outputs" in p.problem for p in check_pair(py))


def test_missing_parameters_cell_is_reported(tmp_path):
    py = _write_pair(tmp_path, "# %%\nx = 1\n")
    assert any("parameters" in p.problem for p in check_pair(py))


def test_copy_of_repository_notebook_detects_drift(project_root, tmp_path):
    src = project_root / "notebooks" / "01_data_cleaning.py"
    shutil.copy(src, tmp_path / src.name)
    shutil.copy(src.with_suffix(".ipynb"), tmp_path / src.with_suffix(".ipynb").name)
    assert check_pair(tmp_path / src.name) == []
    (tmp_path / src.name).write_text(src.read_text() + "\n# %%\nextra = 1\n")
    assert check_pair(tmp_path / src.name) != []
