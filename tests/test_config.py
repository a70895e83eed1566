"""helpers.config: every environment variable and path default in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import config


def test_project_root_holds_the_notebooks():
    root = config.project_root()
    assert (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir()
    assert config.default_run_dir() == root / "_build" / "run"


def test_environment_overrides_and_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("XHS_DATA_MIRROR", str(tmp_path / "m"))
    monkeypatch.setenv("XHS_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("XHS_SALT", "pepper")
    assert config.data_mirror() == tmp_path / "m"
    assert config.cache_root() == tmp_path / "c"
    assert config.cache_root(tmp_path / "explicit") == tmp_path / "explicit"
    assert config.salt() == "pepper"
    for name in ("XHS_CACHE", "XHS_SALT"):
        monkeypatch.setenv(name, "  ")  # blank counts as unset
    assert config.cache_root() == Path("~/.cache/xhs-depression-book").expanduser()
    assert config.salt() is None


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("TRUE", True), ("yes", True),
                                                 ("0", False), ("", False), ("no", False)])
def test_require_r_flag(monkeypatch, value, expected):
    monkeypatch.setenv("XHS_REQUIRE_R", value)
    assert config.require_r() is expected


def test_modules_read_their_settings_through_config(monkeypatch, tmp_path):
    from helpers.book.runner import project_root
    from helpers.data.privacy import choose_salt
    from helpers.data.public_datasets import mirror_dir
    from helpers.sentiment.offline_encoder import cache_root

    monkeypatch.setenv("XHS_DATA_MIRROR", str(tmp_path))
    monkeypatch.setenv("XHS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XHS_SALT", "from-env")
    assert mirror_dir() == tmp_path
    assert cache_root() == tmp_path / "cache"
    assert choose_salt() == "from-env" and choose_salt("given") == "given"
    monkeypatch.delenv("XHS_SALT")
    assert choose_salt() != choose_salt()  # random per run without a salt
    assert project_root() == config.project_root()


def test_whole_number_settings(monkeypatch):
    monkeypatch.delenv("XHS_R_BLAS_THREADS", raising=False)
    assert config.r_blas_threads() == 1
    monkeypatch.setenv("XHS_R_BLAS_THREADS", "0")
    assert config.r_blas_threads() == 0
    monkeypatch.setenv("XHS_BOOK_JOBS", "3")
    assert config.book_jobs() == 3
    monkeypatch.setenv("XHS_BOOK_JOBS", "0")
    assert config.book_jobs() == 1  # at least one chapter at a time
    monkeypatch.setenv("XHS_BOOK_JOBS", "two")
    with pytest.raises(config.ConfigError, match=r"XHS_BOOK_JOBS must be a whole number, not 'two'"):
        config.book_jobs()
    monkeypatch.setenv("XHS_R_BLAS_THREADS", "-1")
    with pytest.raises(config.ConfigError, match="0 or more"):
        config.r_blas_threads()
