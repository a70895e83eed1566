"""The typed results contract: every chapter fills its schema, every reader reads declared fields.

Three ways a chapter and its reader can drift, each with a test here:

* a notebook's closing cell stops filling a required field, or fills one the schema does
  not know (parsed from the notebook source, so it runs without executing anything);
* the results page reads an attribute the schema does not declare (parsed from pages.py);
* a run folder's ``results/*.json`` does not validate (CI points ``XHS_RUN_DIR`` at the
  book it just built; a small local run can be checked the same way).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import warnings
from pathlib import Path

import jupytext
import pytest

from helpers.book import pages
from helpers.book.results_schema import (
    SCHEMAS,
    DataCleaningResults,
    EngagementResults,
    ResultsSchemaError,
    StepResults,
    schema_for,
    validate,
)
from helpers.book.run_folder import STEPS, RunLayout
from tests.book import results_examples

PROJECT = Path(__file__).resolve().parents[2]


def _fields(cls: type[StepResults]) -> tuple[set[str], set[str]]:
    declared = {f.name for f in dataclasses.fields(cls) if f.name != "extra"}
    required = {f.name for f in dataclasses.fields(cls) if f.name != "extra"
                and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    return declared, required


def _code_cells(step: str):
    nb = jupytext.read(PROJECT / "notebooks" / f"{step}.py")
    return [c for c in nb.cells if c.cell_type == "code"]


def _results_cell(step: str):
    cells = [c for c in _code_cells(step) if "write_results" in c.source]
    assert len(cells) == 1, f"{step}: expected one cell calling write_results, found {len(cells)}"
    return cells[0]


#: Calls that pass a dict through with the same keys (JSON-safe copies).
PASS_THROUGH = {"json.loads", "json.dumps", "chapter.results_summary", "results_summary"}


def _dict_keys(node: ast.expr, step: str, names: dict[str, set[str]]) -> set[str]:
    """The keys of the dict expression ``node`` builds, as far as the source says them exactly.

    Understands ``dict(a=...)``, ``{"a": ...}``, a name bound to one of those earlier (with
    ``name["b"] = ...`` additions), and JSON-safe copies of them (``json.loads(json.dumps(...))``,
    ``chapter.results_summary(...)``).  Anything else fails: the test must be able to read it.
    """
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        if func in PASS_THROUGH and node.args:
            return _dict_keys(node.args[0], step, names)
        if func == "dict" and not node.args:
            assert all(k.arg is not None for k in node.keywords), f"{step}: no ** inside dict(...) of the results"
            return {k.arg for k in node.keywords}
    if isinstance(node, ast.Dict):
        assert all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys), \
            f"{step}: the results dict must spell its keys out (no ** or computed keys)"
        return {k.value for k in node.keys}
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    raise AssertionError(f"{step}: cannot read the results fields from {ast.unparse(node)[:80]!r}; fill the "
                         "schema by keyword, from a dict literal, or from a name bound to one")


def _bindings_before(step: str, stop: ast.AST, cells_trees: list[ast.Module]) -> dict[str, set[str]]:
    """Keys of every ``name = {...}`` / ``name["key"] = ...`` in source order, up to ``stop``."""
    names: dict[str, set[str]] = {}
    for tree in cells_trees:
        for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Assign)),
                           key=lambda n: (n.lineno, n.col_offset)):
            if node is stop:
                return names
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    names[target.id] = _dict_keys(node.value, step, names)
                except AssertionError:
                    names.pop(target.id, None)  # rebound to something that is not a results dict
            elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                  and target.value.id in names and isinstance(target.slice, ast.Constant)):
                names[target.value.id].add(target.slice.value)
    raise AssertionError(f"{step}: the results cell was not found among the notebook's cells")


def _parse(cell) -> ast.Module | None:
    try:
        return ast.parse(cell.source)
    except SyntaxError:  # a cell with IPython magics: it cannot build the results dict
        return None


def _given_fields(step: str, cls: type[StepResults], built: ast.Assign, tree: ast.Module) -> set[str]:
    """Fields the results cell (``tree``) passes to ``cls(...)``: keywords and the keys of ``**`` dicts."""
    call = built.value
    assert isinstance(call, ast.Call) and not call.args, f"{step}: fill {cls.__name__} by keyword, not by position"
    cells = _code_cells(step)
    index = next(i for i, c in enumerate(cells) if "write_results" in c.source)
    trees = [t for t in (_parse(c) for c in cells[:index]) if t is not None] + [tree]
    names = _bindings_before(step, built, trees)
    given: set[str] = set()
    for keyword in call.keywords:
        given |= {keyword.arg} if keyword.arg is not None else _dict_keys(keyword.value, step, names)
    return given


def test_every_step_has_a_schema():
    assert set(SCHEMAS) == set(STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_notebook_fills_its_schema(step):
    cell = _results_cell(step)
    cls = schema_for(step)
    tree = ast.parse(cell.source)
    writes = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and n.func.attr == "write_results"]
    assert len(writes) == 1 and isinstance(writes[0].args[0], ast.Constant)
    assert writes[0].args[0].value == step, f"{step} writes results under {writes[0].args[0].value!r}"
    built = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
             and isinstance(n.value.func, ast.Name) and n.value.func.id == cls.__name__]
    assert len(built) == 1, f"{step}: the results cell must build one {cls.__name__}(...)"
    given = _given_fields(step, cls, built[0], tree)
    declared, required = _fields(cls)
    assert not (given - declared - {"extra"}), f"{step}: fields not in the schema: {given - declared}"
    assert not (required - given), f"{step}: required fields not filled: {required - given}"
    target = built[0].targets[0]
    passed = writes[0].args[1]
    assert isinstance(passed, ast.Name) and isinstance(target, ast.Name) and passed.id == target.id
    assert "remove-output" in cell.metadata.get("tags", []), f"{step}: hide the bookkeeping output"


def _reader_attributes() -> dict[type[StepResults], set[str]]:
    """Attributes pages.py reads from each schema-typed parameter or local."""
    tree = ast.parse(inspect.getsource(pages))
    by_class: dict[type[StepResults], set[str]] = {}
    classes = {cls.__name__: cls for cls in SCHEMAS.values()}
    for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        typed: dict[str, type[StepResults]] = {}
        for arg in func.args.args:
            text = ast.unparse(arg.annotation) if arg.annotation else ""
            for name, cls in classes.items():
                if name in text:
                    typed[arg.arg] = cls
        for node in ast.walk(func):  # locals: x = results.get(SomeResults)
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "get"
                    and node.value.args and isinstance(node.value.args[0], ast.Name)
                    and node.value.args[0].id in classes and isinstance(node.targets[0], ast.Name)):
                typed[node.targets[0].id] = classes[node.value.args[0].id]
        for node in ast.walk(func):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in typed:
                by_class.setdefault(typed[node.value.id], set()).add(node.attr)
    return by_class


def test_results_page_reads_only_declared_fields():
    read = _reader_attributes()
    assert {c.__name__ for c in read} >= {"EngagementResults", "SemanticNetworkResults", "CNSDResults"}
    methods = {n for n, _ in inspect.getmembers(StepResults)} | {"STEP"}
    for cls, attributes in read.items():
        declared, _ = _fields(cls)
        assert attributes <= declared | methods, f"pages.py reads undeclared {cls.__name__} fields: {attributes - declared - methods}"


@pytest.mark.parametrize("make", results_examples.ALL)
def test_round_trip_through_json(make, tmp_path):
    obj = make()
    layout = RunLayout.at(tmp_path)
    layout.write_results(obj.STEP, obj)
    back = layout.read_step(obj.STEP)
    assert back == obj and back.unknown_keys() == []


def test_missing_required_key_fails_naming_the_field_and_the_fix():
    values = results_examples.data_cleaning().as_dict()
    del values["posts_final"]
    with pytest.raises(ResultsSchemaError, match=r"01_data_cleaning do not match helpers/book/results_schema.py: missing required key 'posts_final'"):
        DataCleaningResults.from_dict(values)


def test_wrong_types_fail_and_nested_tables_are_checked():
    with pytest.raises(ResultsSchemaError, match="posts_raw"):
        results_examples.data_cleaning(posts_raw="109")
    with pytest.raises(ResultsSchemaError, match="n_creators"):
        results_examples.data_cleaning(n_creators=True)  # a bool is not a count
    with pytest.raises(ResultsSchemaError, match="post_sentiment_p.likes"):
        results_examples.engagement(likes_p="0.01")
    maps = results_examples.semantic_networks().maps
    del maps["positive"]["clusters"]
    with pytest.raises(ResultsSchemaError, match="maps.positive lacks key 'clusters'"):
        results_examples.semantic_networks(maps=maps)
    assert results_examples.engagement(likes_p=None).post_sentiment_p["likes"] is None  # "cannot tell"
    assert results_examples.data_cleaning(scale=1).scale == 1  # an int is a number


def test_extra_keys_are_kept_written_and_reported(tmp_path):
    values = {**results_examples.engagement().as_dict(), "new_number": 3.5}
    values["post_sentiment_raw"] = {**values["post_sentiment_raw"]}
    with pytest.warns(UserWarning, match="new_number"):
        obj = validate("03_engagement_models", values)
    assert obj.extra == {"new_number": 3.5} and obj.unknown_keys() == ["new_number"]
    layout = RunLayout.at(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layout.write_results("03_engagement_models", values)
    assert json.loads((layout.results / "03_engagement_models.json").read_text())["new_number"] == 3.5
    page = pages.render_results_page(layout)
    assert "Not yet declared in the results schema" in page and "`new_number`" in page
    nested = results_examples.semantic_networks()
    nested.theme_recovery["positive"]["purity"] = 0.9
    assert nested.unknown_keys() == ["theme_recovery.positive.purity"]


def test_a_file_that_breaks_the_contract_is_named_on_the_page(tmp_path):
    layout = RunLayout.at(tmp_path)
    (layout.results / "03_engagement_models.json").write_text(json.dumps({"n_posts": 3}))
    page = pages.render_results_page(layout)
    assert "`results/03_engagement_models.json` could not be read" in page and "missing required key" in page
    assert "cannot tell" in page


def test_write_results_refuses_the_wrong_schema(tmp_path):
    with pytest.raises(ResultsSchemaError, match="takes EngagementResults"):
        RunLayout.at(tmp_path).write_results(EngagementResults.STEP, results_examples.cnsd())


@pytest.mark.skipif(not os.environ.get("XHS_RUN_DIR"), reason="set XHS_RUN_DIR to a run folder to validate")
def test_a_real_run_folder_validates():
    layout = RunLayout.at(os.environ["XHS_RUN_DIR"])
    found = sorted(p.stem for p in layout.results.glob("*.json"))
    assert found, f"no results in {layout.results}"
    loaded = pages.load_results(layout)
    assert loaded.invalid == {}, loaded.invalid
    assert sorted(loaded.steps) == found


def test_results_page_warns_about_every_missing_map_and_empty_category(tmp_path):
    layout = RunLayout.at(tmp_path)
    layout.write_results("04_semantic_networks", results_examples.semantic_networks())
    layout.write_results("02_sentiment", results_examples.sentiment(category_warnings=[
        "posts: the negative category is EMPTY (0 of 27); any map or comparison of negative posts cannot be made"]))
    page = pages.render_results_page(layout)
    warning = page.split(":::{warning}", 1)[1].split(":::", 1)[0]
    assert "The **neutral** map was not built: 37 comments (< min_comments = 50)" in warning
    assert "negative category is EMPTY" in warning
    assert "1 of the 3 category maps not built (neutral" in page
    # a complete build has no such box
    layout.write_results("04_semantic_networks", results_examples.semantic_networks(
        maps={**results_examples.semantic_networks().maps, "neutral": results_examples.semantic_networks().maps[
            "positive"]}, skipped_categories={}))
    layout.write_results("02_sentiment", results_examples.sentiment())
    assert ":::{warning}" not in pages.render_results_page(layout)
