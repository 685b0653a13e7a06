"""A real MkDocs build of a knowledge base in a git checkout: every note and experiment page is
dated from its history and carries a "Cite this page" block with its commit; the site has an
Atom feed, and every page links to it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
from support.browser import chromium_browser, serve_directory
from support.builds import Build, build_site
from support.git_history import commit, init
from support.hostile import write_hostile_project
from support.html import article
from support.paths import write_tree
from support.results_site import COMMIT, populated_site

SITE_URL = "https://example.org/kb/"
WRITTEN = "2026-01-05T10:00:00+00:00"
EDITED = "2026-02-07T11:30:00+00:00"
EVIL_TITLE = "Evil </code><script>alert(1)</script> {50% & #1}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, str, str]:
    """The site, the commit that wrote the notes and the one that edited plain.md."""
    tmp = tmp_path_factory.mktemp("connections")
    root = init(populated_site(tmp))
    write_tree(root, {"content/notes/evil.md": f"---\ntitle: '{EVIL_TITLE}'\n---\nA hostile title.\n"})
    written = commit(root, "the knowledge base", WRITTEN)
    (root / "content" / "notes" / "plain.md").write_text("A note without front matter, edited.\n", "utf-8")
    edited = commit(root, "edit plain", EDITED)
    build = build_site(root / "content", root, extra=f"site_url: {SITE_URL}\n")
    assert build.returncode == 0, build.output
    return build, written, edited


def cite_block(html: str) -> str:
    found = re.search(r'<details class="quote cortex-cite".*?</details>', html, re.S)
    assert found, "no cite block"
    return found.group(0)


def test_a_note_cites_the_commit_of_its_last_change(built):
    build, written, edited = built
    page = build.page("notes/plain/")
    block = cite_block(page)
    assert edited in block
    assert written not in block
    assert f"commit {edited[:12]}" in block
    assert f"{SITE_URL}notes/plain/" in block  # the page's address, in BibTeX and in the plain text
    meta = article(page)
    assert '<time datetime="2026-01-05T10:00:00+00:00">2026-01-05</time>' in meta
    assert '<time datetime="2026-02-07T11:30:00+00:00">2026-02-07</time>' in meta


def test_an_experiment_cites_its_run(built):
    build, written, _ = built
    block = cite_block(build.page("experiments/squares/"))
    assert COMMIT in block and written not in block
    assert "As of the run of 2026-11-22 09:30 UTC, commit 0123456789ab." in block
    assert '<time datetime="2026-01-05T10:00:00+00:00">' in build.page("experiments/squares/")


def test_a_hostile_title_is_text_in_the_cite_block(built):
    build, _, _ = built
    block = cite_block(build.page("notes/evil/"))
    assert "<script" not in block and "&lt;script&gt;" in block
    assert r"\textbraceleft{}50\% \&amp; \#1\textbraceright{}" in block


def test_every_page_links_the_feed(built):
    build, _, _ = built
    for url in ("experiments/", "notes/plain/", "experiments/squares/", "method/board/"):
        head = build.page(url).split("</head>")[0]
        assert (
            f'<link rel="alternate" type="application/atom+xml" title="The Cortex: new notes and experiment runs" href="{SITE_URL}feed.xml">'
            in head
        ), url


def test_the_feed_lists_notes_and_runs(built):
    build, _, _ = built
    document = (build.site / "feed.xml").read_bytes()
    ET.fromstring(document)
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0 and parsed.version == "atom10"
    links = {e.title: e.link for e in parsed.entries}
    assert links["plain"] == f"{SITE_URL}notes/plain/"
    assert links["Squares of small integers — run of 2026-11-22 09:30 UTC"] == (
        f"{SITE_URL}experiments/squares/#run-history"
    )
    assert EVIL_TITLE in links
    plain = next(e for e in parsed.entries if e.title == "plain")
    assert plain.updated == EDITED and plain.summary.startswith("Updated 2026-02-07 (created 2026-01-05).")


def test_a_generated_page_that_is_no_note_is_not_cited(built):
    build, _, _ = built
    assert "cortex-cite" not in build.page("method/board/")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The project whose every field carries a script payload, outside any git checkout (its
    pages are dated by their files' times)."""
    root = tmp_path_factory.mktemp("hostile_connections")
    content = write_hostile_project(root)
    build = build_site(content, root, extra=f"site_url: {SITE_URL}\n")
    assert build.returncode == 0, build.output
    return build


def test_hostile_titles_keep_the_feed_well_formed(hostile: Build):
    document = (hostile.site / "feed.xml").read_bytes()
    ET.fromstring(document)
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0
    titles = [e.title for e in parsed.entries]
    assert any("__xss('note-title')" in t and "<script>" in t for t in titles)  # as text
    assert b"<script>" not in document and b"<img" not in document


def test_hostile_titles_are_text_in_every_cite_block(hostile: Build):
    cited = 0
    for html_file in hostile.site.rglob("index.html"):
        html = html_file.read_text("utf-8")
        if "cortex-cite" not in html:
            continue
        cited += 1
        block = cite_block(html)
        assert "<script" not in block and "<img" not in block and "<svg" not in block, html_file
        if "experiments" not in html_file.parts:  # an experiment is cited at its run
            assert "not committed" in block  # no git: dated by the file, and said to be uncommitted
    assert cited >= 2


@pytest.mark.browser
def test_the_theme_copies_the_bibtex(built):
    """The block's code gets the theme's copy button, and the button copies the entry whole."""
    build, _, edited = built
    with serve_directory(build.site) as base, chromium_browser() as browser:
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(base + "notes/plain/", wait_until="load")
        page.locator("details.cortex-cite summary").click()
        page.locator("details.cortex-cite .md-code__button").first.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        context.close()
    assert copied.startswith("@misc{the-cortex:notes-plain,\n")
    assert f"= {{{edited}}}," in copied and copied.endswith("}")
