"""The rendered book in headless Chromium: pages load without console errors, plotly figures
and pyvis networks render, Colab buttons open notebooks that exist; screenshots are kept.

The check is driven by Selenium through Debian's ``chromium-driver``.  With ``XHS_BOOK_HTML`` pointing at a built book (CI sets it after ``make book``), the real
book is checked against this repository's ``_toc.yml``.  Otherwise a tiny book of stub
notebooks is built here, so ``make test`` stays fast and still exercises the whole path.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from helpers import config
from tools.browser_check import (
    PageReport,
    check_book,
    colab_targets,
    find_chromium,
    find_driver,
    problems,
    toc_pages,
)

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("XHS_SCREENSHOTS", PROJECT / "_build" / "screenshots"))

pytestmark = pytest.mark.browser
needs_chromium = pytest.mark.skipif(find_chromium() is None or find_driver() is None,
                                    reason="no chromium/chromium-driver on this machine")

PLOTLY_NB = '''
# %% tags=["parameters"]
run_dir = "x"

# %%
import plotly.express as px
from helpers.book.figures import use_notebook_renderer
use_notebook_renderer()
px.scatter(x=[1, 2, 3], y=[3, 1, 2], title="stub scatter").show()
px.bar(x=["a", "b"], y=[2, 5]).show()
'''

PYVIS_NB = '''
# %% tags=["parameters"]
run_dir = "x"

# %%
from pyvis.network import Network
from helpers.book.figures import iframe
from helpers.networks.figures import strip_remote_assets
net = Network(height="300px", width="100%", cdn_resources="in_line")
for i in range(5):
    net.add_node(i, label=f"词{i}")
for i in range(4):
    net.add_edge(i, i + 1)
iframe(strip_remote_assets(net.generate_html()), height=340)
'''

BROKEN_MD = """# A page with a planted error

Some text so that the page is not empty, and a script that throws.

```{raw} html
<script>throw new Error("planted browser error");</script>
```
"""


def _execute(source: str, path: Path) -> None:
    import jupytext
    from nbclient import NotebookClient

    from helpers.book.runner import available_kernel

    nb = jupytext.reads(textwrap.dedent(source), fmt="py:percent")
    NotebookClient(nb, kernel_name=available_kernel(), timeout=120,
                   resources={"metadata": {"path": str(PROJECT)}}).execute()
    nbformat.write(nb, path)


def build_tiny_book(root: Path) -> Path:
    """A three-page book (plotly, pyvis, a planted JS error) with the project's config."""
    from helpers.book.build import build_book

    src = root / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "book").mkdir()
    shutil.copy2(PROJECT / "_config.yml", src / "_config.yml")  # the real launch buttons and theme
    for bib in (PROJECT / "book").glob("*.bib"):
        shutil.copy2(bib, src / "book" / bib.name)
    (src / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        chapters:
          - file: notebooks/01_plotly
          - file: notebooks/02_pyvis
          - file: book/broken
        """))
    (src / "book" / "intro.md").write_text("# Tiny book\n\nA stub book for the browser test. " * 3)
    (src / "book" / "broken.md").write_text(BROKEN_MD)
    _execute(PLOTLY_NB, src / "notebooks" / "01_plotly.ipynb")
    _execute(PYVIS_NB, src / "notebooks" / "02_pyvis.ipynb")
    return build_book(src, root / "html")


def test_toc_pages_lists_every_chapter():
    pages = toc_pages(PROJECT / "_toc.yml")
    assert pages[0] == "book/intro.html"
    assert {f"notebooks/{p.stem}.html" for p in (PROJECT / "notebooks").glob("[0-9]*.ipynb")} <= set(pages)


def test_problems_flags_bad_colab_links_and_missing_figures(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_a.ipynb").write_text("{}")
    base = "https://colab.research.google.com/github/org/repo/blob/main/"
    good = PageReport("notebooks/01_a.html", text_length=500, colab_links=[base + "notebooks/01_a.ipynb"])
    assert problems([good], tmp_path) == []
    assert colab_targets(good.colab_links) == ["notebooks/01_a.ipynb"]
    bad = [
        PageReport("notebooks/02_b.html", text_length=500, colab_links=[base + "notebooks/02_b.ipynb"]),
        PageReport("notebooks/03_c.html", text_length=500, colab_links=[base + "notebooks/03_c.py"]),
        PageReport("notebooks/04_d.html", text_length=500),
        PageReport("book/x.html", text_length=500, plotly_figures=2, plotly_rendered=1,
                   pyvis_iframes=1, errors=["console.error: boom"]),
        PageReport("book/y.html", text_length=3),
    ]
    found = "\n".join(problems(bad, tmp_path))
    for expected in ("which does not exist", "not a notebook", "no Colab button",
                     "1 of 2 plotly figures", "1 of 1 pyvis", "boom", "empty"):
        assert expected in found


@needs_chromium
def test_book_renders_in_headless_chromium(tmp_path):
    real = config.book_html()
    if real:
        html, source = Path(real), PROJECT
        pages = toc_pages(PROJECT / "_toc.yml")
        shots = SCREENSHOTS
    else:
        html = build_tiny_book(tmp_path)
        source = tmp_path / "src"
        pages = toc_pages(source / "_toc.yml")
        shots = SCREENSHOTS / "tiny-book"
    reports = check_book(html, pages, shots)
    by_page = {r.page: r for r in reports}
    assert all(Path(r.screenshot).stat().st_size > 1000 for r in reports)

    if real:
        found = problems(reports, source)
        assert not found, "\n".join(found)
        chapters = [r for r in reports if r.page.startswith("notebooks/")]
        assert all(r.colab_links for r in chapters)
        return

    plotly_page = by_page["notebooks/01_plotly.html"]
    assert plotly_page.plotly_figures == plotly_page.plotly_rendered == 2
    pyvis_page = by_page["notebooks/02_pyvis.html"]
    assert pyvis_page.pyvis_iframes == pyvis_page.pyvis_rendered == 1
    assert colab_targets(plotly_page.colab_links) == ["notebooks/01_plotly.ipynb"]
    assert not pyvis_page.external, "the pyvis page must not need a CDN"
    # The planted error is caught, and it is the only problem in the book.
    found = problems(reports, source)
    assert found and all(line.startswith("book/broken.html") for line in found), found
    assert any("planted browser error" in line for line in found)
