"""The scale-ladder benchmark's machinery: child steps measured, records resumable, exponents right.

The ladder's timings are not asserted (they depend on the machine); what is checked is that a
step really runs in its own process with its peak memory read back, that a recorded step is not
run again, that a step without its inputs fails naming the step that makes them, and the
growth-exponent arithmetic.  CI runs the whole ladder at two tiny scales as a separate step.
"""

from __future__ import annotations

import importlib.util
import json
import math

import pytest


@pytest.fixture(scope="module")
def ladder(request):
    from tests.conftest import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("scale_ladder", PROJECT_ROOT / "benchmarks" / "scale_ladder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_growth_exponent(ladder):
    assert ladder.growth_exponent(1, 10, 2, 20) == pytest.approx(1.0)
    assert ladder.growth_exponent(1, 10, 4, 160) == pytest.approx(2.0)
    assert ladder.growth_exponent(0.25, 3, 1, 3) == pytest.approx(0.0)
    assert math.isnan(ladder.growth_exponent(1, 0, 2, 5))
    assert math.isnan(ladder.growth_exponent(1, 1, 1, 5))


def _record(scale, step, wall, **details):
    return {"scale": scale, "step": step, "status": "ok", "wall_s": wall, "cpu_s": wall / 2, "peak_mb": 100.0,
            "load_before": 0.0, "load_after": 0.0, "date": "2026-01-01 00:00 UTC", "details": details}


def test_exponents_and_table_from_records(ladder):
    records = [_record(1, "models", 10.0, model5_with_selection_s=4.0), _record(4, "models", 80.0,
               model5_with_selection_s=64.0), _record(1, "synth", 2.0), _record(4, "synth", 8.0)]
    rows = {(r["step"], r["measure"]): r["exponent"] for r in ladder.exponent_rows(records)}
    assert rows[("synth", "wall_s")] == pytest.approx(1.0)
    assert rows[("models", "wall_s")] == pytest.approx(1.5)
    assert rows[("models", "model5_with_selection_s")] == pytest.approx(2.0)
    text = ladder.render(records, "test machine")
    assert "exponent  2.00" in text and "Model 5 with slope selection at scale 4" in text
    assert "not measured yet: cannot tell" in text and "meets" not in text
    at_ten = ladder.render([*records, _record(10, "models", 900.0, model5_with_selection_s=400.0)], "m")
    assert "MISSES the 5 min target" in at_ten


def test_steps_run_in_children_resume_and_name_missing_inputs(ladder, tmp_path, capsys):
    work, results = tmp_path / "work", tmp_path / "results"
    argv = ["--scales", "0.02", "--steps", "synth,clean", "--work-dir", str(work), "--results-dir", str(results)]
    assert ladder.main(argv) == 0
    synth = json.loads((work / "scale_0.02" / "ladder" / "synth.json").read_text())
    assert synth["status"] == "ok" and synth["details"]["raw_comments"] > 0
    assert synth["peak_mb"] > 50  # a Python process with pandas loaded, read back through wait4
    assert (work / "scale_0.02" / "clean" / "comments.parquet").exists()
    table = (results / "scale_ladder.txt").read_text()
    assert "synth" in table and "clean" in table
    assert (results / "scale_ladder.csv").read_text().startswith("scale,step,status")

    capsys.readouterr()
    assert ladder.main(argv) == 0  # nothing to do: both steps are recorded
    assert capsys.readouterr().out.count("recorded already") == 2

    fresh = ["--scales", "0.02", "--steps", "models", "--work-dir", str(tmp_path / "other"),
             "--results-dir", str(tmp_path / "other_results")]
    assert ladder.main(fresh) == 1
    out = capsys.readouterr().out
    assert "run the 'score' step first" in out
    assert not (tmp_path / "other" / "scale_0.02" / "ladder" / "models.json").exists()


def test_unknown_step_is_refused(ladder, tmp_path):
    with pytest.raises(SystemExit, match="unknown step"):
        ladder.main(["--steps", "synth,train", "--work-dir", str(tmp_path)])
