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
