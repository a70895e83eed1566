"""Open the built book in headless Chromium and check that every chapter really renders.

Why a real browser: a page can build without a warning and still show nothing —
plotly needs its JavaScript to run, a pyvis network draws on a canvas inside a
sandboxed ``<iframe srcdoc>``, and a launch button can point at a path that does
not exist.  Only a browser shows that.  Selenium drives Debian's ``chromium`` through
Debian's ``chromium-driver`` (both installed by ``scripts/setup.sh``; no browser or driver
is downloaded), the book is served from a loopback HTTP server, and for each page the
check records console errors and uncaught exceptions (Chrome's browser log), counts
rendered plotly figures and pyvis canvases, collects the Colab links, and saves a
full-page screenshot.

CLI (used by CI after ``make book``)::

    python -m tools.browser_check _build/html --source . --screenshots _build/screenshots
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from helpers import config

CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
)
#: Console messages that come from the book's toolchain, not from our pages, each with the reason
#: it is harmless.  Kept narrow (exact fragments) so a new error still fails the check.
KNOWN_HARMLESS = {
    "Identifier 'THEBE_JS_URL' has already been declared":
        "sphinx-thebe 0.3.1 under Sphinx 7.4 emits its inline config twice; thebe is disabled here",
    "Got invalid theme mode: . Resetting to auto.":
        "pydata-sphinx-theme on a fresh browser profile with no stored light/dark choice",
    "/favicon.ico":
        "the browser's automatic favicon request; the book defines no favicon",
}
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/(?P<path>[^\"'#?]+)")


class BrowserError(RuntimeError):
    """Chromium or its driver could not be started."""


def find_chromium() -> str | None:
    """The Chromium binary (``$XHS_CHROMIUM``, else PATH), or None."""
    return config.chromium()


def find_driver() -> str | None:
    """Debian's chromedriver (package ``chromium-driver``), or None."""
    return config.chromedriver()


@contextlib.contextmanager
def chromium(window: tuple[int, int] = (1280, 1600), load_timeout: float = 60.0) -> Iterator[Any]:
    """A Selenium session on headless Chromium with a fresh profile and the browser log on."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = find_chromium(), find_driver()
    if not binary:
        raise BrowserError("no chromium found (Debian: apt-get install chromium)")
    if not driver_path:
        raise BrowserError("no chromedriver found (Debian: apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={window[0]},{window[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="xhs-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        try:  # an explicit driver path: Selenium Manager never tries to download one
            driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        except WebDriverException as exc:
            raise BrowserError(f"chromium could not be started through {driver_path}: {exc.msg}") from exc
        driver.set_page_load_timeout(load_timeout)
        try:
            yield driver
        finally:
            driver.quit()


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a folder over HTTP on loopback (a free port); yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@dataclass
class PageReport:
    """What the browser saw on one page."""

    page: str
    title: str = ""
    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # known harmless toolchain messages
    external: list[str] = field(default_factory=list)  # CDN loads that failed (the check runs offline)
    plotly_figures: int = 0
    plotly_rendered: int = 0
    pyvis_iframes: int = 0
    pyvis_rendered: int = 0
    colab_links: list[str] = field(default_factory=list)
    screenshot: str | None = None
    text_length: int = 0


_PAGE_PROBE = """(() => {
  const figs = Array.from(document.querySelectorAll('.plotly-graph-div'));
  return {
    title: document.title,
    textLength: (document.querySelector('main') || document.body).innerText.length,
    plotlyFigures: figs.length,
    plotlyRendered: figs.filter(d => d.querySelector('svg.main-svg') && d.getBoundingClientRect().height > 10).length,
    iframes: Array.from(document.querySelectorAll('iframe[srcdoc]')).filter(f => f.srcdoc.includes('vis-network') || f.srcdoc.includes('vis.Network')).length,
    colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(a => a.href),
  };
})()"""


def _classify(entry: dict[str, Any]) -> tuple[str, str] | None:
    """("error" | "external", text) for a SEVERE browser-log entry, else None.

    A network failure on another host is "external": the check runs offline, Jupyter Book
    loads MathJax from a CDN, and whether figures render is checked in the DOM instead.
    """
    if entry.get("level") != "SEVERE":
        return None
    text = f"{entry.get('source', 'console')}: {entry.get('message', '')}".strip()
    if entry.get("source") == "network":
        url = entry.get("message", "").split(" ", 1)[0]
        host = urlparse(url).hostname or ""
        if host not in ("127.0.0.1", "localhost", ""):
            return "external", text
    return "error", text


_SCROLL_IFRAMES = """
const done = arguments[arguments.length - 1];
(async () => {
  for (const f of document.querySelectorAll('iframe')) {
    f.scrollIntoView(); await new Promise(r => setTimeout(r, 300)); }
  window.scrollTo(0, 0); done(true); })();
"""
_CANVAS_DRAWN = ("const c = document.querySelector('.vis-network canvas, canvas');"
                 " return !!c && c.width > 0 && c.height > 0;")


def _count_pyvis_canvases(driver: Any) -> int:
    """pyvis iframes whose document holds a drawn vis-network canvas."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    rendered = 0
    for frame in driver.find_elements(By.CSS_SELECTOR, "iframe[srcdoc]"):
        srcdoc = frame.get_attribute("srcdoc") or ""
        if "vis-network" not in srcdoc and "vis.Network" not in srcdoc:
            continue
        try:
            driver.switch_to.frame(frame)
            rendered += bool(driver.execute_script(_CANVAS_DRAWN))
        except WebDriverException:
            pass
        finally:
            driver.switch_to.default_content()
    return rendered


def _screenshot(driver: Any, target: Path, max_height: int = 12000) -> None:
    """The whole page (up to ``max_height`` px) as PNG, through Chrome's DevTools command."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {}).get("cssContentSize", {})
    width, height = size.get("width", 1280), size.get("height", 1600)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1}})
    target.write_bytes(base64.b64decode(shot["data"]))


def check_page(driver: Any, url: str, page: str, screenshot_dir: Path | None = None,
               settle: float = 1.5) -> PageReport:
    """Load one page and report what rendered and what went wrong."""
    from selenium.common.exceptions import TimeoutException

    report = PageReport(page)
    driver.get_log("browser")  # drop what the previous page left
    try:
        driver.get(url)
    except TimeoutException:
        report.errors.append("page did not finish loading in time")
    # Lazy iframes (pyvis) load only when scrolled into view: bring each one in.
    driver.set_script_timeout(60)
    driver.execute_async_script(_SCROLL_IFRAMES)
    time.sleep(settle)
    probe = driver.execute_script("return " + _PAGE_PROBE) or {}
    report.title = probe.get("title", "")
    report.text_length = int(probe.get("textLength", 0))
    report.plotly_figures = int(probe.get("plotlyFigures", 0))
    report.plotly_rendered = int(probe.get("plotlyRendered", 0))
    report.pyvis_iframes = int(probe.get("iframes", 0))
    report.colab_links = sorted(set(probe.get("colab", [])))
    if report.pyvis_iframes:
        report.pyvis_rendered = _count_pyvis_canvases(driver)
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        target = screenshot_dir / (page.replace("/", "__").removesuffix(".html") + ".png")
        _screenshot(driver, target)
        report.screenshot = str(target)
    for entry in driver.get_log("browser"):
        classified = _classify(entry)
        if classified is None:
            continue
        kind, text = classified
        if kind == "external":
            report.external.append(text)
        elif any(fragment in text for fragment in KNOWN_HARMLESS):
            report.ignored.append(text)
        else:
            report.errors.append(text)
    return report


def toc_pages(toc_path: Path) -> list[str]:
    """HTML paths of every page listed in a Jupyter Book ``_toc.yml``."""
    import yaml

    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)

    walk(toc)
    return [f"{Path(f).with_suffix('').as_posix()}.html" for f in files]


def colab_targets(links: Sequence[str]) -> list[str]:
    """Repository paths that Colab links open (e.g. ``notebooks/01_data_cleaning.ipynb``)."""
    return [m.group("path") for link in links if (m := COLAB_LINK.match(link))]


def check_book(html_dir: Path, pages: Sequence[str], screenshot_dir: Path | None = None) -> list[PageReport]:
    """Open every page of a built book; one report per page."""
    html_dir = Path(html_dir)
    missing = [p for p in pages if not (html_dir / p).exists()]
    if missing:
        raise FileNotFoundError(f"pages missing from {html_dir}: {missing}")
    with serve(html_dir) as base, chromium() as driver:
        return [check_page(driver, base + page, page, screenshot_dir) for page in pages]


def problems(reports: Sequence[PageReport], source_root: Path) -> list[str]:
    """Everything that should fail the check, one line each."""
    out = []
    for r in reports:
        out += [f"{r.page}: {e}" for e in r.errors]
        if r.text_length < 50:
            out.append(f"{r.page}: page is (nearly) empty")
        if r.plotly_rendered < r.plotly_figures:
            out.append(f"{r.page}: {r.plotly_figures - r.plotly_rendered} of {r.plotly_figures} plotly figures did not render")
        if r.pyvis_rendered < r.pyvis_iframes:
            out.append(f"{r.page}: {r.pyvis_iframes - r.pyvis_rendered} of {r.pyvis_iframes} pyvis networks did not render")
        for path in colab_targets(r.colab_links):
            if not path.endswith(".ipynb"):
                out.append(f"{r.page}: Colab button opens {path}, not a notebook")
            elif not (source_root / path).exists():
                out.append(f"{r.page}: Colab button opens {path}, which does not exist")
        if r.page.startswith("notebooks/") and not r.colab_links:
            out.append(f"{r.page}: no Colab button")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.browser_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", type=Path, help="built book (e.g. _build/html)")
    parser.add_argument("--source", type=Path, default=Path("."), help="repository root (_toc.yml, notebooks/)")
    parser.add_argument("--screenshots", type=Path, default=Path("_build/screenshots"))
    args = parser.parse_args(argv)
    pages = toc_pages(args.source / "_toc.yml")
    reports = check_book(args.html, pages, args.screenshots)
    for r in reports:
        for line in r.external:
            print(f"{r.page}: offline, not loaded: {line}")
        print(f"{r.page}: {len(r.errors)} errors, plotly {r.plotly_rendered}/{r.plotly_figures}, "
              f"pyvis {r.pyvis_rendered}/{r.pyvis_iframes}, colab {colab_targets(r.colab_links)}")
    found = problems(reports, args.source)
    for line in found:
        print("PROBLEM", line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
