"""Staging the book: the executed notebooks keep their outputs, not the build machine's paths."""

from __future__ import annotations

import nbformat

from helpers.book.build import hide_local_paths


def _executed(run_dir: str, source: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('run_dir = "_build/run"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f'# Parameters\nrun_dir = "{run_dir}"\nscale = 0.05\nsource = "{source}"\n',
                                  metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell('print("/home/someone/unrelated")'),
    ]
    nb.metadata["papermill"] = {"parameters": {"run_dir": run_dir, "scale": 0.05, "source": source},
                                "input_path": f"{run_dir}/notebooks/01.input.ipynb",
                                "output_path": f"{run_dir}/notebooks/01.ipynb"}
    return nb


def test_injected_parameters_show_no_absolute_paths(tmp_path):
    project = tmp_path / "repo"
    inside = project / "_build" / "run"
    nb = _executed(str(inside), "/home/someone/export")
    assert hide_local_paths(nb, inside, project) == 4
    injected = nb.cells[1].source
    assert 'run_dir = "_build/run"' in injected and 'source = "<local path>"' in injected
    assert "scale = 0.05" in injected and str(tmp_path) not in injected
    assert nb.metadata["papermill"]["parameters"]["run_dir"] == "_build/run"
    assert nb.metadata["papermill"]["output_path"] == "01.ipynb"
    assert nb.cells[0].source == 'run_dir = "_build/run"' and "/home/someone" in nb.cells[2].source


def test_a_run_folder_outside_the_project_is_named_not_shown(tmp_path):
    nb = _executed(str(tmp_path / "runs" / "a"), "data/export.csv")
    hide_local_paths(nb, tmp_path / "runs" / "a", tmp_path / "repo")
    assert 'run_dir = "<run folder>"' in nb.cells[1].source
    assert "source = \"data/export.csv\"" in nb.cells[1].source  # relative paths stay as given
