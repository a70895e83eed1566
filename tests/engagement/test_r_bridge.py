"""The R bridge: the library-path repair, condition capture, and the R requirement switch."""

from __future__ import annotations

import os

import pytest

from helpers.engagement import r_bridge
from tests.conftest import require_r_or_skip


def test_library_path_is_restored_whatever_the_block_writes(monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/mine")
    with r_bridge.preserved_library_path():
        os.environ["LD_LIBRARY_PATH"] = "/usr/lib/R/lib:/usr/lib/x86_64-linux-gnu"
    assert os.environ["LD_LIBRARY_PATH"] == "/opt/mine"
    monkeypatch.delenv("LD_LIBRARY_PATH")
    with r_bridge.preserved_library_path():
        os.environ["LD_LIBRARY_PATH"] = "/usr/lib/R/lib"
    assert "LD_LIBRARY_PATH" not in os.environ


def test_missing_r_fails_when_r_is_required(monkeypatch):
    monkeypatch.setattr(r_bridge, "r_available", lambda packages: "rpy2/R is not usable here (test)")
    monkeypatch.setenv("XHS_REQUIRE_R", "1")
    with pytest.raises(pytest.fail.Exception, match="XHS_REQUIRE_R"):
        require_r_or_skip()
    monkeypatch.setenv("XHS_REQUIRE_R", "0")
    with pytest.raises(pytest.skip.Exception, match="not usable"):
        require_r_or_skip()


@pytest.mark.r
def test_r_warnings_and_messages_are_captured_not_printed(capfd):
    require_r_or_skip(("lme4",))
    f = r_bridge.r_function(
        'function() { out <- xhs_capture({ message("hello"); warning("careful"); 41 + 1 }); out }')
    out = r_bridge.named_list(f())
    assert r_bridge.copy_vector(out["value"])[0] == 42.0
    assert r_bridge.messages(out["messages"]) == ["hello\n", "careful"]
    assert "careful" not in capfd.readouterr().err


@pytest.mark.r
def test_starting_r_leaves_the_library_path_alone():
    before = os.environ.get("LD_LIBRARY_PATH")
    require_r_or_skip(("lme4",))
    assert os.environ.get("LD_LIBRARY_PATH") == before


def test_missing_r_package_names_the_fix():
    require_r_or_skip(("lme4",))
    with pytest.raises(r_bridge.REngineUnavailable, match="make setup"):
        r_bridge.require_r(("surely_not_an_r_package_xyz",))


@pytest.mark.r
def test_r_blas_is_capped_and_numpy_blas_is_not():
    """In a fresh process: R's BLAS gets XHS_R_BLAS_THREADS threads, numpy's keeps its own."""
    import json
    import subprocess
    import sys

    require_r_or_skip(("lme4",))
    probe = (
        "import json, numpy, threadpoolctl\n"
        "before = {i['filepath']: i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}\n"
        "from helpers.engagement.r_bridge import start_r, _STATE\n"
        "start_r(pymer4=False)\n"
        "after = {i['filepath']: i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}\n"
        "from helpers.engagement.r_bridge import set_r_blas_threads\n"
        "set_r_blas_threads(2)\n"
        "two = {i['filepath']: i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}\n"
        "print(json.dumps({'before': before, 'after': after, 'capped': _STATE['blas'], 'two': two}))\n"
    )
    env = {**os.environ, "XHS_R_BLAS_THREADS": "1", "OPENBLAS_NUM_THREADS": "2"}
    out = json.loads(subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1])
    r_libs = set(out["after"]) - set(out["before"])
    assert r_libs, "starting R loaded no BLAS of its own"
    assert {c["filepath"] for c in out["capped"]} == r_libs
    assert all(out["after"][p] == 1 for p in r_libs)
    assert all(out["after"][p] == n for p, n in out["before"].items())  # numpy's BLAS untouched
    assert all(out["two"][p] == 2 for p in r_libs)  # set at run time, e.g. by the benchmark
    assert all(out["two"][p] == n for p, n in out["before"].items())
