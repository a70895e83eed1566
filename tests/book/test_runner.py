"""The papermill runner: parameter routing and injection, failure reporting, run log."""

from __future__ import annotations

import json

import nbformat
import pytest

from helpers.__main__ import main as cli_main
from helpers.book.runner import (
    RunnerError,
    coerce_value,
    declared_parameters,
    run_notebooks,
    split_parameters,
    summarise,
)

GOOD = '''# %% tags=["parameters"]
run_dir = "x"
scale = 1.0
seed = 0
alpha = 0.5

# %%
import json, pathlib
pathlib.Path(run_dir, "results").mkdir(parents=True, exist_ok=True)
pathlib.Path(run_dir, "results", "01_good.json").write_text(json.dumps({"alpha": alpha, "scale": scale, "seed": seed}))
'''

BAD = '''# %% tags=["parameters"]
run_dir = "x"

# %%
a = 1

# %%
raise ValueError("planted failure")
'''

LATER = '''# %% tags=["parameters"]
run_dir = "x"
beta = "b"

# %%
import pathlib
pathlib.Path(run_dir, "later.txt").write_text(beta)
'''


@pytest.fixture
def nb_dir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_good.py").write_text(GOOD)
    (folder / "02_bad.py").write_text(BAD)
    (folder / "03_later.py").write_text(LATER)
    return folder


def test_declared_parameters_reads_the_tagged_cell():
    import jupytext

    nb = jupytext.reads(GOOD, fmt="py:percent")
    assert declared_parameters(nb) == {"run_dir": '"x"', "scale": "1.0", "seed": "0", "alpha": "0.5"}


def test_split_parameters_routes_by_name_and_prefix():
    declared = {"01_good": {"alpha": "", "seed": ""}, "03_later": {"beta": "", "seed": ""}}
    routed = split_parameters([("alpha", 1), ("03.beta", "z"), ("seed", 3)], ["01_good", "03_later"], declared)
    assert routed == {"01_good": {"alpha": 1, "seed": 3}, "03_later": {"beta": "z", "seed": 3}}


def test_split_parameters_rejects_unknown_names():
    declared = {"01_good": {"alpha": ""}}
    with pytest.raises(RunnerError, match="declared by none"):
        split_parameters([("alpah", 1)], ["01_good"], declared)
    with pytest.raises(RunnerError, match="declares no"):
        split_parameters([("01.beta", 1)], ["01_good"], declared)
    with pytest.raises(RunnerError, match="no selected notebook"):
        split_parameters([("09.alpha", 1)], ["01_good"], declared)


def test_coerce_value_uses_yaml_scalars():
    assert coerce_value("3") == 3
    assert coerce_value("0.25") == 0.25
    assert coerce_value("true") is True
    assert coerce_value("bert-base-chinese") == "bert-base-chinese"


def test_parameters_are_injected_and_results_written(nb_dir, tmp_path):
    run_dir = tmp_path / "run"
    records = run_notebooks(run_dir, steps=["01_good"], scale=0.3, seed=7,
                            parameters=[("alpha", 2.5)], notebooks_dir=nb_dir,
                            kernel="python3", progress=False, log=lambda *_: None)
    assert [r.status for r in records] == ["ok"]
    result = json.loads((run_dir / "results" / "01_good.json").read_text())
    assert result == {"alpha": 2.5, "scale": 0.3, "seed": 7}
    executed = nbformat.read(run_dir / "notebooks" / "01_good.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    log = json.loads((run_dir / "run_log.json").read_text())
    assert log["notebooks"][0]["step"] == "01_good" and log["notebooks"][0]["status"] == "ok"
    assert "python" in log["environment"]


def test_failure_names_notebook_and_cell_and_stops(nb_dir, tmp_path):
    run_dir = tmp_path / "run"
    records = run_notebooks(run_dir, steps=["01_good", "02_bad", "03_later"], notebooks_dir=nb_dir,
                            kernel="python3", progress=False, log=lambda *_: None)
    assert [r.status for r in records] == ["ok", "failed", "not run"]
    bad = records[1]
    assert bad.error == "ValueError: planted failure"
    assert bad.failed_cell is not None
    text = summarise(records)
    assert "02_bad: FAILED at cell" in text and "planted failure" in text
    assert "1 ok, 1 failed, 1 not run" in text
    assert (run_dir / "notebooks" / "02_bad.ipynb").exists()  # kept for inspection
    assert not (run_dir / "later.txt").exists()


def test_keep_going_runs_later_notebooks(nb_dir, tmp_path):
    run_dir = tmp_path / "run"
    records = run_notebooks(run_dir, steps=["02_bad", "03_later"], parameters=[("beta", "seen")],
                            notebooks_dir=nb_dir, kernel="python3", keep_going=True,
                            progress=False, log=lambda *_: None)
    assert [r.status for r in records] == ["failed", "ok"]
    assert (run_dir / "later.txt").read_text() == "seen"


def test_unknown_step_is_a_clear_error(nb_dir, tmp_path):
    with pytest.raises(RunnerError, match="unknown notebook"):
        run_notebooks(tmp_path / "run", steps=["09_missing"], notebooks_dir=nb_dir,
                      kernel="python3", progress=False, log=lambda *_: None)


def test_cli_reports_bad_parameter(capsys):
    code = cli_main(["run", "--only", "01", "-p", "no_such_parameter", "1", "--run-dir", "/tmp/unused-run"])
    assert code == 2
    assert "no_such_parameter" in capsys.readouterr().err


TIMED = '''# %% tags=["parameters"]
run_dir = "x"
name = "step"
pause = 0.0
fail = False

# %%
import json, pathlib, time
started = time.time()
time.sleep(pause)
if fail:
    raise RuntimeError("planted failure in " + name)
pathlib.Path(run_dir, name + ".json").write_text(json.dumps({"start": started, "end": time.time()}))
'''


@pytest.fixture
def dag_dir(tmp_path):
    """Four steps: a -> c, b independent, d after c (as 01 -> 02, 05 alone, 06 after 03)."""
    folder = tmp_path / "dag"
    folder.mkdir()
    for stem in ("01_a", "02_c", "03_b", "04_d"):
        (folder / f"{stem}.py").write_text(TIMED)
    return folder


DAG = {"01_a": (), "02_c": ("01_a",), "03_b": (), "04_d": ("02_c",)}


def _times(run_dir, stem):
    return json.loads((run_dir / f"{stem}.json").read_text())


def test_prerequisites_follow_the_book_and_fall_back_to_run_order():
    from helpers.book.run_folder import STEPS, prerequisites

    assert prerequisites("05_cnsd_pipeline", STEPS) == []
    assert prerequisites("04_semantic_networks", STEPS) == ["01_data_cleaning", "02_sentiment"]
    assert prerequisites("06_inference_robustness", STEPS) == ["01_data_cleaning", "02_sentiment",
                                                                "03_engagement_models"]
    assert prerequisites("06_inference_robustness", ["03_engagement_models", "06_inference_robustness"]) == [
        "03_engagement_models"]
    # a notebook of your own waits for everything before it, and so does every step after it
    assert prerequisites("07_mine", [*STEPS, "07_mine"]) == list(STEPS)
    assert prerequisites("05_cnsd_pipeline", ["07_mine", "05_cnsd_pipeline"]) == ["07_mine"]


def test_side_by_side_runs_independent_steps_together_and_waits_for_inputs(dag_dir, tmp_path):
    run_dir = tmp_path / "run"
    params = [("01_a.pause", 3.0), ("03_b.pause", 3.0)] + [(f"{s}.name", s) for s in DAG]
    lines = []
    records = run_notebooks(run_dir, steps=list(DAG), parameters=params, notebooks_dir=dag_dir, kernel="python3",
                            jobs=2, depends=DAG, progress=False, log=lines.append)
    assert [r.step for r in records] == list(DAG) and all(r.status == "ok" for r in records)
    a, b, c, d = (_times(run_dir, s) for s in ("01_a", "03_b", "02_c", "04_d"))
    assert b["start"] < a["end"] and a["start"] < b["end"]  # 01_a and 03_b overlapped
    assert c["start"] >= a["end"] and d["start"] >= c["end"]  # each waited for its input
    assert any("side by side" in line for line in lines)
    log = json.loads((run_dir / "run_log.json").read_text())
    assert [n["step"] for n in log["notebooks"]] == list(DAG)


def test_side_by_side_failure_stops_dependents_not_running_steps(dag_dir, tmp_path):
    run_dir = tmp_path / "run"
    params = [("01_a.fail", True), ("03_b.pause", 3.0)] + [(f"{s}.name", s) for s in DAG]
    records = run_notebooks(run_dir, steps=list(DAG), parameters=params, notebooks_dir=dag_dir, kernel="python3",
                            jobs=2, depends=DAG, progress=False, log=lambda *_: None)
    status = {r.step: r.status for r in records}
    assert status == {"01_a": "failed", "02_c": "not run", "03_b": "ok", "04_d": "not run"}
    assert "planted failure in 01_a" in records[0].error and records[0].failed_cell is not None
    assert (run_dir / "03_b.json").exists()  # the step already running was allowed to finish


def test_side_by_side_gives_the_same_outputs_as_one_at_a_time(nb_dir, tmp_path):
    outputs = {}
    for jobs in (1, 2):
        run_dir = tmp_path / f"run{jobs}"
        records = run_notebooks(run_dir, steps=["01_good", "03_later"], parameters=[("alpha", 1.5)],
                                notebooks_dir=nb_dir, kernel="python3", jobs=jobs, progress=False,
                                log=lambda *_: None)
        assert [r.status for r in records] == ["ok", "ok"]
        outputs[jobs] = ((run_dir / "results" / "01_good.json").read_text(), (run_dir / "later.txt").read_text())
    assert outputs[1] == outputs[2]


CONNECTION = '''# %% tags=["parameters"]
run_dir = "x"

# %%
import pathlib
pathlib.Path(run_dir, "connection.json").write_text(open(get_ipython().config["IPKernelApp"]["connection_file"]).read())
'''


@pytest.mark.skipif(__import__("os").name != "posix", reason="Unix sockets")
def test_kernels_talk_over_unix_sockets_so_parallel_starts_cannot_collide(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "01_conn.py").write_text(CONNECTION)
    run_dir = tmp_path / "run"
    records = run_notebooks(run_dir, steps=["01_conn"], notebooks_dir=folder, kernel="python3",
                            progress=False, log=lambda *_: None)
    assert records[0].status == "ok"
    info = json.loads((run_dir / "connection.json").read_text())
    assert info["transport"] == "ipc" and len(info["ip"]) < 100
    assert not __import__("pathlib").Path(info["ip"]).parent.exists()  # its socket folder is removed afterwards
