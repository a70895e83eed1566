"""Paths and environment variables, read in one place.

Every setting the book takes from the environment is named here, with its default, so a
reader finds them all in one file (and README's table of them cannot drift far):

=====================  ==================================================================
``XHS_DATA_MIRROR``    folder holding the public data sets (ChnSentiCorp, SMP2020-EWECT);
                       default ``../shared/data`` beside the repository when it exists
``XHS_CACHE``          download/conversion cache; default ``~/.cache/xhs-depression-book``
``XHS_SALT``           salt for pseudonymising user IDs of a *real* export (chapter 01)
``XHS_CHROMIUM``       the Chromium binary for the browser check; default ``chromium`` on PATH
``XHS_REQUIRE_R``      ``1`` makes tests that need R fail instead of skipping (CI, make test)
``XHS_BOOK_HTML``      a built book to check in the browser test (default: none, test skips)
``XHS_R_BLAS_THREADS`` threads of R's own BLAS (lme4, glmmTMB); default 1, 0 leaves it alone
``XHS_BOOK_JOBS``      chapters run side by side by ``make book``; default 2 on a machine with
                       2 or more cores, else 1
=====================  ==================================================================

Functions, not constants: tests and notebooks change the environment after import.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEFAULT_RUN_DIR = "_build/run"
DEFAULT_CACHE = Path("~/.cache/xhs-depression-book")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class ConfigError(RuntimeError):
    """The project root cannot be found, or a setting has a value that cannot be used."""


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_flag(name: str) -> bool:
    """True when ``name`` is set to 1/true/yes/on (any case)."""
    return (_env(name) or "").lower() in TRUE_WORDS


def project_root() -> Path:
    """The repository root (holds ``pyproject.toml`` and ``notebooks/``), from this file or the cwd.

    From an installed wheel the file's own parents hold no repository, so the working
    directory is tried second (Colab enters the clone before importing).
    """
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "pyproject.toml").exists() and (candidate / "notebooks").is_dir():
                return candidate
    raise ConfigError("cannot find the project root (a folder with pyproject.toml and notebooks/)")


def default_run_dir() -> Path:
    """Where ``python -m helpers run``/``book`` write when no ``--run-dir`` is given."""
    return project_root() / DEFAULT_RUN_DIR


def data_mirror() -> Path | None:
    """``$XHS_DATA_MIRROR`` if set, else ``../shared/data`` beside the repository if it exists."""
    env = _env("XHS_DATA_MIRROR")
    if env:
        return Path(env).expanduser()
    try:
        candidate = project_root().parent / "shared" / "data"
    except ConfigError:
        return None
    return candidate if candidate.is_dir() else None


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir``, else ``$XHS_CACHE``, else ``~/.cache/xhs-depression-book``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = _env("XHS_CACHE")
    return Path(env).expanduser() if env else DEFAULT_CACHE.expanduser()


def salt() -> str | None:
    """``$XHS_SALT``: the pseudonymisation salt for a real export (None: a random one per run)."""
    return _env("XHS_SALT")


def chromium() -> str | None:
    """The Chromium binary: ``$XHS_CHROMIUM`` if it resolves, else the usual names on PATH."""
    for name in (_env("XHS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def chromedriver() -> str | None:
    """Debian's ``chromium-driver`` binary (``chromedriver`` on PATH), or ``$XHS_CHROMEDRIVER``."""
    for name in (_env("XHS_CHROMEDRIVER"), "chromedriver", "/usr/lib/chromium/chromedriver"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def r_blas_threads() -> int:
    """``$XHS_R_BLAS_THREADS``: threads for R's BLAS (default 1; 0 leaves R's default)."""
    return _int_setting("XHS_R_BLAS_THREADS", 1)


def book_jobs() -> int:
    """``$XHS_BOOK_JOBS``: chapters the book build runs side by side (default 2 with 2+ cores)."""
    return max(1, _int_setting("XHS_BOOK_JOBS", 2 if (os.cpu_count() or 1) >= 2 else 1))


def _int_setting(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"${name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"${name} must be 0 or more, not {number}")
    return number


def require_r() -> bool:
    """``$XHS_REQUIRE_R``: R must be present, so R tests fail rather than skip."""
    return env_flag("XHS_REQUIRE_R")


def book_html() -> Path | None:
    """``$XHS_BOOK_HTML``: a built book (``_build/html``) for the browser check."""
    env = _env("XHS_BOOK_HTML")
    return Path(env).expanduser() if env else None
