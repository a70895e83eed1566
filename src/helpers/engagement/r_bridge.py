"""The one door to R: rpy2 start-up, the ``LD_LIBRARY_PATH`` repair, R condition capture.

Chapter 03 fits its models in R (lme4, lmerTest, glmmTMB).  Everything that has to happen
*around* such a fit lives here, once:

* :func:`require_r` starts R through rpy2 (and imports pymer4), checks the R packages a caller
  needs and raises :class:`REngineUnavailable` with the install command instead of an
  ImportError deep inside rpy2;
* starting R puts R's library folders on ``LD_LIBRARY_PATH``; the variable is put back so
  child processes (Jupyter kernels, Dask workers) keep loading the interpreter's own libpython;
* :func:`r_function` defines an R closure that may call ``xhs_capture(expr)``, which evaluates
  ``expr`` and returns ``list(value = ..., messages = ...)`` with every R warning and message
  muffled and kept, so the chapter prints singular-fit and convergence notes instead of losing
  them to R's console;
* :func:`copy_vector`, :func:`named_list` and :func:`to_r_frame` move data across safely;
* R's own BLAS (the system OpenBLAS R was linked against, not numpy's) runs on
  ``XHS_R_BLAS_THREADS`` threads, 1 by default: lme4's dense pieces are small, and a
  multi-threaded OpenBLAS spends its time waking and parking threads on them (``benchmarks/model_fitting.py``
  times lme4's fits both ways, in one run).

Whether R *must* be present (CI, ``make test``) is a setting read from
:mod:`helpers.config` (``XHS_REQUIRE_R=1``); tests then fail instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

R_FIX = (
    "Install the R side with `make setup` (Debian: apt-get install r-base-core r-cran-lme4 "
    "r-cran-lmertest r-cran-glmmtmb ...; see scripts/setup.sh) and the Python side with "
    "`pip install rpy2==3.5.17 pymer4==0.9.2 polars`; on Colab run scripts/colab_setup.sh."
)

#: R packages the book's own R code calls (lme4::, lmerTest::, glmmTMB::).
R_PACKAGES = ("lme4", "lmerTest", "glmmTMB")
#: R packages pymer4 0.9.2 imports when it loads (`report` is met by scripts/r-report-stub).
PYMER4_R_PACKAGES = ("lme4", "lmerTest", "emmeans", "tibble", "broom", "broom.mixed", "insight",
                     "parameters", "performance", "boot", "report")
#: Everything the R side needs: scripts/r_packages.txt (Debian) and environment.yml (conda-forge)
#: install exactly these; tests/test_dependencies.py keeps the three lists in agreement.
ALL_R_PACKAGES = tuple(dict.fromkeys(R_PACKAGES + PYMER4_R_PACKAGES))

# Defined once per R session; R closures built with r_function() may call it.
_CAPTURE = """
xhs_capture <- function(expr) {
  msgs <- character(0)
  value <- withCallingHandlers(expr,
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") })
  list(value = value, messages = msgs)
}
"""


class REngineUnavailable(RuntimeError):
    """R, an R package, rpy2 or pymer4 is missing; the message names the fix."""


_STATE: dict[str, Any] = {}


@contextmanager
def preserved_library_path() -> Iterator[None]:
    """Restore ``LD_LIBRARY_PATH`` after the block, whatever R wrote into it.

    Starting R through rpy2 puts R's library folders (/usr/lib/x86_64-linux-gnu among them)
    on ``LD_LIBRARY_PATH`` in ``os.environ``.  Every later child process would then load the
    system libpython instead of the interpreter's own and fail on ``import ssl``.  R is
    already loaded in this process when the block ends, so nothing here needs the change.
    """
    saved = os.environ.get("LD_LIBRARY_PATH")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = saved


def start_r(pymer4: bool = True) -> Any:
    """Start R (once) and return ``rpy2.robjects``; with ``pymer4`` also import pymer4."""
    if "ro" in _STATE and (not pymer4 or _STATE.get("pymer4")):
        return _STATE["ro"]
    if "ro" not in _STATE and "blas_before" not in _STATE:
        _STATE["blas_before"] = _blas_paths()
    with preserved_library_path():
        try:
            import rpy2.robjects as ro
        except Exception as exc:  # rpy2 missing, or R itself missing (rpy2 fails to load libR)
            raise REngineUnavailable(f"rpy2/R is not usable here ({exc}). {R_FIX}") from exc
        if pymer4:
            try:
                import pymer4.models  # noqa: F401
            except Exception as exc:
                raise REngineUnavailable(f"pymer4 cannot be imported ({exc}). {R_FIX}") from exc
            _STATE["pymer4"] = True
    if "ro" not in _STATE:
        ro.r(_CAPTURE)
        _STATE["ro"] = ro
        _STATE["blas"] = limit_r_blas_threads(_STATE.get("blas_before", set()))
    return ro


def _blas_paths() -> set[str]:
    from threadpoolctl import threadpool_info

    return {i["filepath"] for i in threadpool_info() if i.get("user_api") == "blas"}


def set_r_blas_threads(threads: int | None = None) -> list[dict[str, Any]]:
    """Start R if needed and give its BLAS ``threads`` threads (default: the configured count)."""
    start_r(pymer4=False)
    return limit_r_blas_threads(_STATE.get("blas_before", set()), threads)


def limit_r_blas_threads(loaded_before: set[str], threads: int | None = None) -> list[dict[str, Any]]:
    """Cap the threads of the BLAS libraries R brought into this process; return what was capped.

    Only libraries that were not loaded before R started are touched (``loaded_before``), so
    numpy's and scipy's own BLAS keep their threads for the dense algebra done in Python (the
    blocked engine of :mod:`helpers.engagement.crossed_lmm`).  ``threads`` defaults to
    :func:`helpers.config.r_blas_threads`; 0 leaves R's BLAS as it is.
    """
    from threadpoolctl import ThreadpoolController

    from helpers import config

    threads = config.r_blas_threads() if threads is None else int(threads)
    if threads <= 0:
        return []
    controller = ThreadpoolController()
    capped = []
    for lib in controller.lib_controllers:
        if lib.user_api == "blas" and lib.filepath not in loaded_before:
            lib.set_num_threads(threads)
            capped.append({"filepath": lib.filepath, "num_threads": threads})
    return capped


def missing_r_packages(packages: tuple[str, ...]) -> list[str]:
    """The R packages among ``packages`` that ``requireNamespace`` cannot load."""
    ro = start_r(pymer4=False)
    return [p for p in packages
            if not bool(ro.r(f'isTRUE(requireNamespace("{p}", quietly=TRUE))')[0])]


def require_r(packages: tuple[str, ...] = ("lme4", "lmerTest"), pymer4: bool = True) -> Any:
    """Start R, import pymer4, check the R packages; return ``rpy2.robjects``.

    Raises :class:`REngineUnavailable` naming the missing piece and the install command.
    """
    ro = start_r(pymer4=pymer4)
    missing = missing_r_packages(tuple(packages))
    if missing:
        raise REngineUnavailable(f"R package(s) {missing} not installed. {R_FIX}")
    return ro


def r_available(packages: tuple[str, ...] = ("lme4", "lmerTest")) -> str | None:
    """None when R and ``packages`` are usable here, else the reason (for skips and pages)."""
    try:
        require_r(packages)
    except REngineUnavailable as exc:
        return str(exc)
    return None


def r_function(source: str) -> Any:
    """An R function from its source; the source may call ``xhs_capture(expr)``."""
    return start_r(pymer4=False).r(source)


def copy_vector(values: Any, dtype: Any = float) -> np.ndarray:
    """A numpy *copy* of an R vector.

    ``np.asarray`` on an rpy2 vector can share R's memory, which R's garbage collector later
    reuses — coefficient tables then silently change under our feet.  Always copy.
    """
    return np.array(list(values), dtype=dtype)


def named_list(rlist: Any) -> dict[str, Any]:
    """An R named list as a Python dict (values stay rpy2 objects)."""
    return dict(zip(rlist.names, list(rlist), strict=True))


def messages(values: Any) -> list[str]:
    """R's captured ``messages`` vector as Python strings."""
    return [str(m) for m in values]


def to_r_frame(data: pd.DataFrame) -> Any:
    """A pandas frame as an R data.frame through rpy2's own converter (``pandas2ri``).

    Not through pymer4's polars bridge: importing that bridge imports pymer4 and the dozen R
    packages of its extras, seconds of start-up that an lme4 or glmmTMB fit does not need
    (``test_lean_route_equals_pymer4`` checks that a fit on a frame converted here equals
    pymer4's, which converts through its bridge).  Text columns arrive as
    character vectors (lme4 and glmmTMB turn grouping factors into factors themselves), numbers
    as numeric or integer vectors; nullable integers (``Int64`` with ``pd.NA``) become numeric.
    """
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    start_r(pymer4=False)
    frame = data.copy()
    for column in frame.columns:
        dtype = frame[column].dtype
        if (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype)
                or pd.api.types.is_string_dtype(dtype)):
            frame[column] = frame[column].astype(str)
        elif pd.api.types.is_extension_array_dtype(dtype):  # Int64 / Float64 with pd.NA
            frame[column] = frame[column].astype("float64")
    frame = frame.reset_index(drop=True)
    with localconverter(ro.default_converter + pandas2ri.converter):
        return ro.conversion.py2rpy(frame)
