"""No personal identifier from an export reaches a rendered page or a cleaned file.

Builds the data chapter's page from a small fixture export (run with papermill
exactly as the book runs it, ``source`` pointing at the fixture) and searches
every rendered output and every written file for the fixture's user IDs,
nicknames, tokens and contact details.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.book.runner import run_notebooks

SECRETS = ("u_creator_1", "u_creator_2", "u_aud_1", "u_aud_2", "秘密昵称甲", "秘密昵称乙", "秘密昵称丙",
           "13800138000", "abc_123456", "tok123secret")


def _page_text(notebook_path) -> str:
    """What the book renders from an executed notebook: every output's text and HTML."""
    notebook = json.loads(notebook_path.read_text())
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for value in output.get("data", {}).values():
                parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list)
                             else json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


@pytest.mark.slow
def test_rendered_page_and_outputs_hold_no_identifiers(tmp_path, export):  # noqa: F811
    root, coding = export
    run_dir = tmp_path / "run"
    records = run_notebooks(run_dir, steps=["01_data_cleaning"], scale=0.05, seed=1, progress=False,
                            parameters=[("source", str(root)), ("coding_file", str(coding))], log=lambda *_: None)
    assert records[0].status == "ok", records[0].error
    page = _page_text(run_dir / "notebooks" / "01_data_cleaning.ipynb")
    assert "Sankey" in page or "sankey" in page  # the flow diagram is on the page
    for secret in SECRETS:
        assert secret not in page, secret
    for path in (run_dir / "clean").iterdir():
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).astype(str).to_csv()
        else:
            text = path.read_text()
        for secret in SECRETS:
            assert secret not in text, (path.name, secret)


@pytest.mark.slow
def test_real_version_fixture_leaves_no_identifier_on_the_page(tmp_path):
    """Chapter 01 on a MediaCrawler fixture (two schema versions in one same-day CSV): no user, note or
    comment ID, no nickname and no MediaCrawler creator_hash on the page or in the cleaned files; the
    mapping back lives only in ``private/``."""
    from tests.data.test_mediacrawler_fixtures import FIXTURES
    from tests.data.test_mediacrawler_fixtures import SECRETS as FIXTURE_SECRETS

    run_dir = tmp_path / "run"
    source = FIXTURES / "v2026_07_sameday_upgrade_csv"
    records = run_notebooks(run_dir, steps=["01_data_cleaning"], scale=0.05, seed=1, progress=False,
                            parameters=[("source", str(source))], log=lambda *_: None)
    assert records[0].status == "ok", records[0].error
    page = _page_text(run_dir / "notebooks" / "01_data_cleaning.ipynb")
    assert "realigned" in page and "9f4f8bf" in page  # the import report is on the page
    for secret in FIXTURE_SECRETS:
        assert secret not in page, secret
    for path in (run_dir / "clean").iterdir():
        text = pd.read_parquet(path).astype(str).to_csv() if path.suffix == ".parquet" else path.read_text()
        for secret in FIXTURE_SECRETS:
            assert secret not in text, (path.name, secret)
    assert "6701a2b3000000001a01f001" in (run_dir / "private" / "id_map.csv").read_text()
