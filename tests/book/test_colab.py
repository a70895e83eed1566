"""Colab helper: a chapter opened alone runs its missing predecessors, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.book.colab import ensure_upstream, missing_upstream, on_colab
from helpers.book.runner import RunnerError

STEPS = ("01_a", "02_b", "03_c", "05_cnsd")

NB = '''# %% tags=["parameters"]
run_dir = "x"
seed = 0

# %%
import pathlib
pathlib.Path(run_dir, "results").mkdir(parents=True, exist_ok=True)
pathlib.Path(run_dir, "results", "{step}.json").write_text("{{}}")
'''


def test_missing_upstream(tmp_path):
    import helpers.book.colab as colab

    assert missing_upstream("03_c", tmp_path, STEPS) == ["01_a", "02_b"]
    (tmp_path / "results").mkdir(exist_ok=True)
    (tmp_path / "results" / "01_a.json").write_text("{}")
    assert missing_upstream("03_c", tmp_path, STEPS) == ["02_b"]
    assert missing_upstream("05_cnsd", tmp_path, STEPS) == []
    with pytest.raises(RunnerError, match="unknown step"):
        missing_upstream("09_x", tmp_path, STEPS)
    assert colab.missing_upstream("01_data_cleaning", tmp_path) == []


def test_ensure_upstream_runs_only_what_is_missing(tmp_path, monkeypatch):
    import helpers.book.colab as colab

    nb_dir = tmp_path / "nb"
    nb_dir.mkdir()
    for step in STEPS:
        (nb_dir / f"{step}.py").write_text(NB.format(step=step))
    monkeypatch.setattr(colab.missing_upstream, "__defaults__", (STEPS,))
    run = tmp_path / "run"
    assert ensure_upstream("03_c", run, notebooks_dir=nb_dir, log=lambda *_: None) == ["01_a", "02_b"]
    assert sorted(p.name for p in (run / "results").iterdir()) == ["01_a.json", "02_b.json"]
    assert ensure_upstream("03_c", run, notebooks_dir=nb_dir, log=lambda *_: None) == []
    assert on_colab() is False


def test_every_notebook_carries_the_colab_cells_defined_in_the_library(project_root):
    from helpers.book.colab import colab_cell_problems
    from helpers.book.run_folder import STEPS as BOOK_STEPS

    notebooks = sorted((project_root / "notebooks").glob("[0-9][0-9]_*.py"))
    assert [nb.stem for nb in notebooks] == list(BOOK_STEPS)  # every chapter, none forgotten
    problems = [p for nb in notebooks for p in colab_cell_problems(nb)]
    assert not problems, "\n".join(problems) + "\nfix: python -c 'from helpers.book.colab import sync_colab_cells; ...'"


def test_sync_colab_cells_rewrites_a_drifted_notebook(tmp_path):
    from helpers.book.colab import SETUP_CELL, colab_cell_problems, sync_colab_cells, upstream_cell

    path = tmp_path / "03_engagement_models.py"
    path.write_text('# %% tags=["remove-cell"]\n# old set-up: google.colab, git clone\n\n'
                    '# %% tags=["parameters"]\nrun_dir = "x"\nscale = 1.0\nseed = 1\n\n# %%\nprint(run_dir)\n')
    assert len(colab_cell_problems(path)) == 2
    assert sync_colab_cells(path) is True and colab_cell_problems(path) == []
    text = path.read_text()
    assert text.index(SETUP_CELL) < text.index("tags=[\"parameters\"]") < text.index(upstream_cell(path.stem))
    assert sync_colab_cells(path) is False


def test_colab_calls_do_nothing_off_colab(tmp_path):
    from helpers.book.colab import prepare_chapter, setup_colab

    assert setup_colab(tmp_path / "nowhere") is False
    assert prepare_chapter("03_engagement_models", tmp_path) == []
    with pytest.raises(RunnerError, match="unknown step"):
        prepare_chapter("09_nothing", tmp_path)


def test_setup_colab_installs_once_and_enters_the_clone(tmp_path, monkeypatch):
    import sys
    import types

    from helpers.book.colab import SETUP_STAMP, setup_colab

    repo = tmp_path / "clone"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "colab_setup.sh").write_text(f'echo ran >> "{tmp_path}/installs"\n')
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.chdir(tmp_path)
    assert setup_colab(repo, log=lambda *_: None) is True
    assert (repo / SETUP_STAMP).exists() and Path.cwd() == repo
    monkeypatch.chdir(tmp_path)  # a restarted runtime starts elsewhere
    assert setup_colab(repo, log=lambda *_: None) is False
    assert Path.cwd() == repo
    assert (tmp_path / "installs").read_text() == "ran\n"
