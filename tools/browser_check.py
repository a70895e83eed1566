"""Open the built book in headless Chromium and check that every chapter really renders.

Why a real browser: a page can build without a warning and still show nothing —
plotly needs its JavaScript to run, a pyvis network draws on a canvas inside a
sandboxed ``<iframe srcdoc>``, and a launch button can point at a path that does
not exist.  Only a browser shows that.  We drive Debian's ``chromium`` over the
Chrome DevTools Protocol (a websocket, no Selenium or downloaded browser needed),
serve the book from a loopback HTTP server, and for each page record console
errors and uncaught exceptions, count rendered plotly figures and pyvis canvases,
collect the Colab links, and save a screenshot.

CLI (used by CI after ``make book``)::

    python -m tools.browser_check _build/html --source . --screenshots _build/screenshots
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Keep sandboxed srcdoc iframes (pyvis) in the page's process so we can look inside them.
    "--disable-features=IsolateSandboxedIframes", "--disable-site-isolation-trials",
    "--hide-scrollbars", "--mute-audio",
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
    """Chromium could not be started or stopped answering."""


def find_chromium() -> str | None:
    for name in (os.environ.get("XHS_CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class CDP:
    """A minimal synchronous Chrome DevTools Protocol session over one websocket."""

    def __init__(self, ws_url: str, timeout: float = 30.0) -> None:
        from websockets.sync.client import ClientConnection, connect

        self.ws: ClientConnection = connect(ws_url, max_size=None, open_timeout=timeout).__enter__()
        self.timeout = timeout
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float | None = None) -> dict:
        self._id += 1
        msg_id = self._id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"no answer to {method} within {timeout or self.timeout} s")
            message = json.loads(self.ws.recv(timeout=remaining))
            if message.get("id") == msg_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def drain(self, seconds: float) -> None:
        """Collect events for a while (console messages arrive asynchronously)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=remaining))
            except TimeoutError:
                return
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        seen = len(self.events)
        while time.monotonic() < deadline:
            if any(e["method"] == method for e in self.events[seen:]):
                return True
            self.drain(min(0.25, max(0.0, deadline - time.monotonic())))
        return any(e["method"] == method for e in self.events[seen:])

    def evaluate(self, expression: str, context_id: int | None = None) -> Any:
        params: dict[str, Any] = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        if context_id is not None:
            params["contextId"] = context_id
        result = self.send("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


@contextlib.contextmanager
def chromium(binary: str | None = None, window: tuple[int, int] = (1280, 1600)) -> Iterator[CDP]:
    """Start headless Chromium with a fresh profile; yield a CDP session on its first tab."""
    binary = binary or find_chromium()
    if not binary:
        raise BrowserError("no chromium found (Debian: apt-get install chromium)")
    profile = Path(tempfile.mkdtemp(prefix="xhs-chromium-"))
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
           "--remote-debugging-address=127.0.0.1", f"--window-size={window[0]},{window[1]}", "about:blank"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None:
                raise BrowserError(f"chromium exited with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not open its DevTools port within 30 s")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = []
        while not targets and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as resp:
                targets = [t for t in json.load(resp) if t.get("type") == "page"]
            if not targets:
                time.sleep(0.1)
        if not targets:
            raise BrowserError("chromium has no page target")
        session = CDP(targets[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            session.send(f"{domain}.enable")
        yield session
    finally:
        if session:
            session.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


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


def _error_text(event: dict[str, Any]) -> str | None:
    method, params = event["method"], event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        exc = details.get("exception", {}).get("description") or details.get("text", "")
        return f"uncaught exception: {exc.splitlines()[0] if exc else details}"
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
        return f"console.error: {args}"
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip()
    return None


def _external_failure(event: dict[str, Any]) -> bool:
    """A resource on another host that could not be fetched (this check runs offline).

    Jupyter Book loads MathJax from a CDN; that fails offline without breaking the
    page, and whether figures render is checked directly in the DOM instead.
    """
    from urllib.parse import urlparse

    if event["method"] != "Log.entryAdded":
        return False
    entry = event.get("params", {}).get("entry", {})
    host = urlparse(entry.get("url", "")).hostname or ""
    return entry.get("source") == "network" and "net::ERR_" in entry.get("text", "") and host not in (
        "127.0.0.1", "localhost", "")


def _frame_ids(tree: dict[str, Any]) -> list[str]:
    ids = []
    for child in tree.get("childFrames", []) or []:
        ids.append(child["frame"]["id"])
        ids += _frame_ids(child)
    return ids


def check_page(cdp: CDP, url: str, page: str, screenshot_dir: Path | None = None,
               settle: float = 1.5, load_timeout: float = 60.0) -> PageReport:
    """Load one page and report what rendered and what went wrong."""
    report = PageReport(page)
    cdp.events.clear()
    cdp.send("Page.navigate", {"url": url})
    if not cdp.wait_for("Page.loadEventFired", load_timeout):
        report.errors.append(f"page did not finish loading within {load_timeout} s")
    # Lazy iframes (pyvis) load only when scrolled into view: bring each one in.
    cdp.evaluate("""(async () => {
      for (const f of document.querySelectorAll('iframe')) {
        f.scrollIntoView(); await new Promise(r => setTimeout(r, 300)); }
      window.scrollTo(0, 0); })()""")
    cdp.drain(settle)
    probe = cdp.evaluate(_PAGE_PROBE) or {}
    report.title = probe.get("title", "")
    report.text_length = int(probe.get("textLength", 0))
    report.plotly_figures = int(probe.get("plotlyFigures", 0))
    report.plotly_rendered = int(probe.get("plotlyRendered", 0))
    report.pyvis_iframes = int(probe.get("iframes", 0))
    report.colab_links = sorted(set(probe.get("colab", [])))
    if report.pyvis_iframes:
        report.pyvis_rendered = _count_pyvis_canvases(cdp)
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        size = cdp.send("Page.getLayoutMetrics").get("cssContentSize", {})
        width, height = size.get("width", 1280), min(size.get("height", 1600), 12000)
        shot = cdp.send("Page.captureScreenshot", {  # the whole page, up to 12,000 px
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        target = screenshot_dir / (page.replace("/", "__").removesuffix(".html") + ".png")
        target.write_bytes(base64.b64decode(shot["data"]))
        report.screenshot = str(target)
    for event in cdp.events:
        text = _error_text(event)
        if text is None:
            continue
        if _external_failure(event):
            report.external.append(text)
        elif any(fragment in text for fragment in KNOWN_HARMLESS):
            report.ignored.append(text)
        else:
            report.errors.append(text)
    return report


def _count_pyvis_canvases(cdp: CDP) -> int:
    """Frames (pyvis iframes) that hold a drawn vis-network canvas."""
    tree = cdp.send("Page.getFrameTree")["frameTree"]
    rendered = 0
    for frame_id in _frame_ids(tree):
        try:
            world = cdp.send("Page.createIsolatedWorld", {"frameId": frame_id, "worldName": "xhs-check"})
            has = cdp.evaluate(
                "(() => { const c = document.querySelector('.vis-network canvas, canvas');"
                " return !!c && c.width > 0 && c.height > 0; })()",
                context_id=world["executionContextId"],
            )
        except BrowserError:
            continue
        rendered += bool(has)
    return rendered


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
    reports = []
    with serve(html_dir) as base, chromium() as cdp:
        for page in pages:
            reports.append(check_page(cdp, base + page, page, screenshot_dir))
    return reports


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
