"""Helpers for browser tests: Debian's chromium driven by Playwright, and a built site served
over loopback HTTP. No browser is ever downloaded."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETUP_HINT = "run tests/setup_browser.sh (as root it installs Debian's chromium package)"


def chromium_path() -> Path | None:
    """The system chromium: $CHROMIUM, else /usr/bin/chromium, else one on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_chromium() -> Path:
    """The chromium to drive; a missing one fails the test in CI and skips it elsewhere."""
    path = chromium_path()
    if path is None:
        message = f"chromium is not installed: {SETUP_HINT}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        message = "playwright is not installed: pip install -e '.[test]'"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def chromium_browser() -> Iterator:
    """A headless Playwright browser on the system chromium."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` on a free loopback port; yields its base URL (ending in ``/``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


XSS_PROBE = """
window.__xssCalls = [];
window.__xss = function (field) { window.__xssCalls.push(String(field)); };
"""


def pages_of(site: Path) -> list[str]:
    """The URL path of every HTML page of a built site (directory URLs end in ``/``)."""
    out = []
    for html in sorted(site.rglob("*.html")):
        rel = html.relative_to(site).as_posix()
        out.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return out


def scripts_run(browser, base_url: str, site: Path, searches: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Load every page of ``site`` (served at ``base_url``), hover every element with a tooltip
    or a quote, type each of ``searches`` into the search box on the home page, and return the fields whose payloads ran,
    by page. A payload calls ``__xss(field)``; dialogs count too."""
    from urllib.parse import quote

    found: dict[str, list[str]] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(XSS_PROBE)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in pages_of(site):
        page.goto(base_url + quote(path), wait_until="load")
        for element in page.query_selector_all("[title], .cortex-quote, abbr, .md-tooltip")[:200]:
            try:
                element.hover(timeout=500, force=True)
            except Exception:  # an element outside the viewport or hidden: its title still counts below
                continue
        if path == "":
            for term in searches:  # material searches on key events, and renders what it finds
                search = page.locator("input.md-search__input")
                search.click()
                search.fill("")
                search.press_sequentially(term)
                page.wait_for_timeout(800)
        calls = page.evaluate("window.__xssCalls || []") + dialogs
        dialogs.clear()
        if calls:
            found[path] = sorted(set(calls))
    context.close()
    return found
