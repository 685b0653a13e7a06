"""A site built from a knowledge base whose every user-supplied field carries a script payload
runs no script: every page is loaded in chromium, every tooltip hovered, search typed into."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support.browser import chromium_browser, require_chromium, scripts_run, serve_directory
from support.hostile import write_hostile_project, write_mkdocs_config

pytestmark = pytest.mark.browser

SEARCHES = ("xss", "img", "evil", "target", "script", "onerror", "tag", "note")


class _Payloads(HTMLParser):
    """Places a payload could run from: event handlers, script elements and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script = False
        self._title = False  # a browser reads a <title> as text up to its end tag

    def handle_starttag(self, tag, attrs):
        if self._title:
            return
        self._title = tag == "title"
        self._script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "__xss" in value:
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:>")

    def handle_endtag(self, tag):
        self._script = False
        if tag == "title":
            self._title = False

    def handle_data(self, data):
        if self._script and "__xss" in data:
            self.found.append("<script>")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile project built with its real address and served over loopback HTTP."""
    require_chromium()
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_project(root)
    (root / "site").mkdir()
    with serve_directory(root / "site") as base_url:
        write_mkdocs_config(root, base_url)
        build = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-d", "site"], cwd=root, capture_output=True, text=True
        )
        assert build.returncode == 0, build.stderr[-4000:]
        yield root / "site", base_url, build.stderr


def test_the_build_names_the_bad_input_and_goes_on(hostile):
    site, _, output = hostile
    assert "Evil.md:" in output and "error: unresolved" in output
    assert (site / "notes" / "Evil" / "index.html").is_file()
    assert (site / "experiments" / "hostile" / "index.html").is_file()


def test_no_page_holds_a_payload_where_it_could_run(hostile):
    site, _, _ = hostile
    places = {}
    for page in site.rglob("*.html"):
        parser = _Payloads()
        parser.feed(page.read_text("utf-8"))
        if parser.found:
            places[str(page.relative_to(site))] = parser.found
    assert places == {}


def test_no_script_runs_on_any_page_on_hover_or_in_search(hostile):
    site, base_url, _ = hostile
    with chromium_browser() as browser:
        ran = scripts_run(browser, base_url, site, SEARCHES)
    assert ran == {}


def test_the_payloads_are_shown_as_text(hostile):
    site, _, _ = hostile
    target = (site / "notes" / "Target" / "index.html").read_text("utf-8")
    assert (
        target.count("&lt;script&gt;__xss(&#39;note-title&#39;)&lt;/script&gt;") >= 3
    )  # <title>, header, nav
    assert (
        Path(site / "experiments" / "hostile" / "index.html").read_text("utf-8").count("__xss('hypothesis')")
        >= 1
    )
