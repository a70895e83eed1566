"""Sweeps: spec checking, run keys, skipping finished runs, failures recorded, tidy table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.book.sweep import (
    SweepError,
    flatten,
    main,
    parse_spec,
    plan_runs,
    read_provenance,
    run_key,
    run_sweep,
)

FIRST = '''# %% tags=["parameters"]
run_dir = "x"
scale = 1.0
seed = 0
alpha = 0.5

# %%
import json, pathlib
out = pathlib.Path(run_dir, "results")
out.mkdir(parents=True, exist_ok=True)
pathlib.Path(run_dir, "first.txt").write_text(str(alpha * seed))
out.joinpath("01_first.json").write_text(json.dumps({"alpha_times_seed": alpha * seed, "scale": scale}))
'''

SECOND = '''# %% tags=["parameters"]
run_dir = "x"
seed = 0
threshold = 0.3
mode = "a"

# %%
import json, pathlib
if threshold < 0:
    raise ValueError("negative threshold planted failure")
base = float(pathlib.Path(run_dir, "first.txt").read_text())
pathlib.Path(run_dir, "results").mkdir(exist_ok=True)
pathlib.Path(run_dir, "results", "02_second.json").write_text(json.dumps(
    {"effect": {"likes": base + threshold, "comments": threshold}, "mode": mode, "n": [1, 2]}))
'''


@pytest.fixture
def nb_dir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_first.py").write_text(FIRST)
    (folder / "02_second.py").write_text(SECOND)
    return folder


def test_parse_spec_expands_the_grid(nb_dir):
    spec = parse_spec({"notebooks": ["01", "02_second"], "scale": 0.1, "seeds": [1, 2],
                       "parameters": {"mode": "b"}, "grid": {"02.threshold": [0.1, 0.2, 0.3]}},
                      notebooks_dir=nb_dir)
    assert spec.steps == ("01_first", "02_second")
    assert len(spec) == 6
    assert {r["seed"] for r in spec.runs} == {1, 2}
    assert all(r["parameters"]["mode"] == "b" and r["scale"] == 0.1 for r in spec.runs)


@pytest.mark.parametrize("bad, message", [
    ({"grid": {"alpha": [1]}}, "needs 'notebooks'"),
    ({"notebooks": ["09"], "grid": {}}, "not found"),
    ({"notebooks": ["01"], "grid": {"alpah": [1]}}, "declared by none"),
    ({"notebooks": ["01"], "grid": {"02.threshold": [1]}}, "no selected notebook"),
    ({"notebooks": ["01"], "seeds": [1.5]}, "not an integer"),
    ({"notebooks": ["01"], "grid": {"alpha": []}}, "empty list"),
    ({"notebooks": ["01"], "parameters": {"alpha": 1}, "grid": {"alpha": [2]}}, "both fixed"),
    ({"notebooks": ["01"], "grids": {}}, "unknown key"),
])
def test_parse_spec_rejects_bad_specs(nb_dir, bad, message):
    with pytest.raises(SweepError, match=message):
        parse_spec(bad, notebooks_dir=nb_dir)


def test_run_key_depends_on_sources_and_parameters():
    base = run_key({"a": "x"}, 1.0, 1, {"p": 1})
    assert base == run_key({"a": "x"}, 1, 1, {"p": 1})
    assert len({base, run_key({"a": "y"}, 1.0, 1, {"p": 1}), run_key({"a": "x"}, 0.5, 1, {"p": 1}),
                run_key({"a": "x"}, 1.0, 2, {"p": 1}), run_key({"a": "x"}, 1.0, 1, {"p": 2})}) == 5


def test_flatten_nested_results():
    assert dict(flatten({"a": {"b": 1, "c": [2, {"d": 3}]}, "e": "x"})) == {
        "a.b": 1, "a.c[0]": 2, "a.c[1].d": 3, "e": "x"}


def test_sweep_runs_skips_done_records_failures_and_tabulates(nb_dir, tmp_path):
    spec = {"notebooks": ["01", "02"], "scale": 0.5, "seeds": [2, 3],
            "grid": {"02.threshold": [0.25, -1.0]}}
    out = tmp_path / "sweep"
    records, root = run_sweep(spec, out, notebooks_dir=nb_dir, workers=2, log=lambda _: None)
    assert len(records) == 4
    by_status = {(r.seed, r.parameters["02.threshold"]): r.status for r in records}
    assert by_status == {(2, 0.25): "ok", (3, 0.25): "ok", (2, -1.0): "failed", (3, -1.0): "failed"}
    failed = [r for r in records if r.status == "failed"]
    assert all("planted failure" in r.error and r.failed_step == "02_second" for r in failed)

    runs = pd.read_csv(root / "runs.csv")
    assert sorted(runs["status"]) == ["failed", "failed", "ok", "ok"]
    assert runs.loc[runs.status == "failed", "error"].str.contains("planted failure").all()

    table = pd.read_parquet(root / "results.parquet")
    assert table.equals(pd.read_csv(root / "results.csv").pipe(lambda t: t.astype(table.dtypes.to_dict())))
    likes = table[table.metric == "effect.likes"].set_index("seed")["value"]
    assert likes.to_dict() == {2: pytest.approx(1.25), 3: pytest.approx(1.75)}
    assert set(table["param.02.threshold"]) == {0.25}  # failed runs contribute no rows
    assert table.loc[table.metric == "mode", "value_text"].tolist() == ["a", "a"]
    assert {"01_first", "02_second"} == set(table["step"])
    provenance = read_provenance(root)  # what a page cites under a figure drawn from the sweep
    assert provenance["runs"] == 4 and provenance["ok"] == 2 and provenance["failed"] == 2
    assert provenance["scales"] == [0.5] and provenance["seeds"] == [2, 3]
    assert provenance["started"].endswith("UTC") and provenance["steps"] == ["01_first", "02_second"]

    # Second call: finished runs are skipped, failed ones are tried again.
    messages: list[str] = []
    records2, _ = run_sweep(spec, out, notebooks_dir=nb_dir, workers=1, log=messages.append)
    assert "2 already done, 2 to run" in messages[0]
    assert sorted(r.status for r in records2) == ["failed", "failed", "skipped", "skipped"]
    assert len(pd.read_parquet(root / "results.parquet")) == len(table)

    # Editing a notebook changes every run key: nothing stale is reused.
    (nb_dir / "02_second.py").write_text(SECOND.replace('mode = "a"', 'mode = "z"'))
    fresh = plan_runs(parse_spec(spec, notebooks_dir=nb_dir), out, notebooks_dir=nb_dir)
    assert not {p.key for p in fresh} & {r.key for r in records}


def test_cli_returns_nonzero_on_failed_runs_and_two_on_bad_spec(nb_dir, tmp_path, monkeypatch, capsys):
    import helpers.book.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "project_root", lambda: tmp_path)
    spec_path = tmp_path / "s.yml"
    spec_path.write_text("notebooks: [01]\nscale: 0.2\ngrid:\n  alpha: [1, 2]\n")
    assert main([str(spec_path), "--out", str(tmp_path / "o"), "--workers", "1"]) == 0
    table = pd.read_csv(tmp_path / "o" / "results.csv")
    assert sorted(table.loc[table.metric == "alpha_times_seed", "value"]) == [20241111, 40482222]
    spec_path.write_text("notebooks: [01]\ngrid:\n  beta: [1]\n")
    assert main([str(spec_path)]) == 2
    assert "beta" in capsys.readouterr().err
    spec_path.write_text(json.dumps({"notebooks": ["01"], "seed": 1, "grid": {"alpha": [None]}}))
    assert main([str(spec_path), "--out", str(tmp_path / "o2"), "--workers", "1"]) == 1


def test_base_run_seeds_each_run_and_enters_the_key(nb_dir, tmp_path):
    base = tmp_path / "base"
    (base / "results").mkdir(parents=True)
    (base / "first.txt").write_text("10")
    (base / "results" / "01_first.json").write_text('{"from_base": 1}')
    spec = {"notebooks": ["02"], "seed": 1, "base_run": str(base), "grid": {"threshold": [1, 2]}}
    records, root = run_sweep(spec, tmp_path / "sw", notebooks_dir=nb_dir, workers=1, log=lambda _: None)
    assert [r.status for r in records] == ["ok", "ok"]
    table = pd.read_csv(root / "results.csv")
    assert sorted(table.loc[table.metric == "effect.likes", "value"]) == [11, 12]
    assert "01_first" not in set(table["step"]), "the base run's own results are not re-reported"
    keys = {p.key for p in plan_runs(parse_spec(spec, notebooks_dir=nb_dir), root, notebooks_dir=nb_dir)}
    assert keys == {r.key for r in records}
    (base / "results" / "01_first.json").write_text('{"from_base": 2}')
    changed = {p.key for p in plan_runs(parse_spec(spec, notebooks_dir=nb_dir), root, notebooks_dir=nb_dir)}
    assert not changed & keys
    with pytest.raises(SweepError, match="not a run folder"):
        parse_spec({**spec, "base_run": str(tmp_path / "missing")}, notebooks_dir=nb_dir)


def test_a_notebook_edited_after_planning_fails_its_run(nb_dir, tmp_path):
    from helpers.book.sweep import execute_run

    spec = parse_spec({"notebooks": ["01"], "seed": 1, "grid": {"alpha": [1]}}, notebooks_dir=nb_dir)
    (plan,) = plan_runs(spec, tmp_path / "sw", notebooks_dir=nb_dir)
    (nb_dir / "01_first.py").write_text(FIRST.replace("alpha = 0.5", "alpha = 0.7"))
    record = execute_run(plan)
    assert record.status == "failed" and "source changed after the sweep was planned" in record.error
    assert not (tmp_path / "sw" / "runs" / plan.key / "results").exists()


def test_remove_cell_cells_do_not_enter_the_run_key(tmp_path):
    from helpers.book.sweep import notebook_sources

    body = '# %% tags=["parameters"]\nalpha = 1\n\n# %%\nprint(alpha)\n'
    colab = '# %% tags=["remove-cell"]\nimport sys\nprint("colab set-up", {n})\n\n'
    for name, text in (("a", colab.format(n=1) + body), ("b", colab.format(n=2) + body),
                       ("c", body), ("d", colab.format(n=1) + body.replace("print(alpha)", "print(2 * alpha)"))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "01_x.py").write_text(text)
    keys = {name: run_key(notebook_sources(tmp_path / name, ["01_x"]), 1.0, 1, {}) for name in "abcd"}
    assert keys["a"] == keys["b"] == keys["c"], "editing or dropping a remove-cell cell keeps the key"
    assert keys["d"] != keys["a"], "editing a real cell changes it"


def test_the_book_runs_chapter_06s_sweeps_unless_told_otherwise(monkeypatch, tmp_path):
    import helpers.book.sweep as sweep_module
    from helpers.book.build import BOOK_SWEEPS, run_book_sweeps

    ran = []

    def fake_run_sweep(spec, *args, **kwargs):
        ran.append(spec.name)
        return [], tmp_path / spec.stem

    monkeypatch.setattr(sweep_module, "run_sweep", fake_run_sweep)
    added = run_book_sweeps([])
    assert ran == ["power_small.yml", "specification_curve_small.yml"]
    assert added == [("06.power_sweep", str(tmp_path / "power_small")),
                     ("06.curve_sweep", str(tmp_path / "specification_curve_small"))]
    assert {name for name, _ in BOOK_SWEEPS} == {"power_sweep", "curve_sweep"}
    ran.clear()
    # a sweep folder the user gave wins, for either spelling; a run without chapter 06 runs none
    assert run_book_sweeps([("06.power_sweep", "mine")]) == [("06.curve_sweep",
                                                               str(tmp_path / "specification_curve_small"))]
    assert run_book_sweeps([("power_sweep", "mine"), ("curve_sweep", "theirs")]) == []
    assert run_book_sweeps([], steps=["01_data_cleaning", "03_engagement_models"]) == []
    assert ran == ["specification_curve_small.yml"]
    for _, spec in BOOK_SWEEPS:  # the specs exist and name chapter 06 parameters that exist
        parse_spec(spec if spec.startswith("/") else sweep_module.project_root() / spec)


def test_make_book_runs_the_sweeps_beside_chapters_01_to_05(monkeypatch, tmp_path):
    """jobs > 1: sweeps in the background, 06 after them; each call gets only its chapters' -p."""
    import threading
    import time

    import helpers.book.build as build
    import helpers.book.runner as runner
    from helpers.book.runner import NotebookRun, RunnerError

    sweeps_done = threading.Event()
    calls = []

    def fake_sweeps(parameters, steps, **kwargs):
        time.sleep(0.5)
        sweeps_done.set()
        return [("06.power_sweep", "P"), ("06.curve_sweep", "C")]

    def fake_run(run_dir, *, steps, parameters, **kwargs):
        calls.append({"steps": list(steps), "parameters": list(parameters), "sweeps_done": sweeps_done.is_set(),
                      "jobs": kwargs["jobs"]})
        return [NotebookRun(s, "failed" if s == fail_step else "ok") for s in steps]

    monkeypatch.setattr(build, "run_book_sweeps", fake_sweeps)
    monkeypatch.setattr(runner, "run_notebooks", fake_run)
    fail_step = None
    params = [("02.epochs", 1), ("power_sims", 10), ("seed", 3)]
    records = build.run_book_chapters(tmp_path / "run", parameters=params, jobs=2, log=lambda *_: None)
    assert [r.step for r in records] == list(build_steps()) and all(r.status == "ok" for r in records)
    first, last = calls
    assert first["steps"] == [s for s in build_steps() if s != build.INFERENCE_STEP]
    assert not first["sweeps_done"], "chapters 01-05 should not wait for the sweeps"
    assert ("02_sentiment.epochs", 1) in first["parameters"] and not any("power_sims" in n for n, _ in first["parameters"])
    assert last["steps"] == [build.INFERENCE_STEP] and last["sweeps_done"]
    assert ("06_inference_robustness.power_sims", 10) in last["parameters"]
    assert ("06.power_sweep", "P") in last["parameters"] and ("06_inference_robustness.seed", 3) in last["parameters"]

    calls.clear()
    sweeps_done.clear()
    fail_step = "03_engagement_models"
    records = build.run_book_chapters(tmp_path / "run", jobs=2, log=lambda *_: None)
    assert {r.step: r.status for r in records}[build.INFERENCE_STEP] == "not run" and len(calls) == 1

    calls.clear()
    sweeps_done.clear()
    fail_step = None
    build.run_book_chapters(tmp_path / "run", jobs=1, log=lambda *_: None)
    assert len(calls) == 1 and calls[0]["sweeps_done"] and calls[0]["jobs"] == 1  # sweeps first, one call
    with pytest.raises(RunnerError, match="declared by none"):
        build.run_book_chapters(tmp_path / "run", parameters=[("no_such_setting", 1)], jobs=2, log=lambda *_: None)


def build_steps():
    from helpers.book.run_folder import STEPS

    return STEPS
