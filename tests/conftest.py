"""Shared fixtures: paths to the project, the shared data mirror and small tmp run folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("XHS_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"no shared data mirror at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _restore_ld_library_path():
    """Undo rpy2's LD_LIBRARY_PATH change after each test.

    Starting R puts the system library folder on LD_LIBRARY_PATH; child Python processes
    started later in the session (Jupyter kernels, Dask workers) would then load the system
    libpython and fail on ``import ssl``.
    """
    saved = os.environ.get("LD_LIBRARY_PATH")
    yield
    if saved is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = saved
