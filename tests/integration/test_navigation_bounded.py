"""Real MkDocs builds of a vault with one folder too large for the navigation: the folder shows
its first entries and a generated page that lists every note, each page is still built, and a
vault whose folders are small keeps its navigation exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support.builds import Build, build_site
from support.html import article
from support.paths import write_tree

HOSTILE = "<script>alert(1)</script> & [x](javascript:y) *star*"
SMALL = {
    "index.md": "# Home\n\nSee [[Note 07]] and [[A]].\n",
    "small/A.md": "# A\n\nIn a small folder.\n",
    "small/B.md": "---\norder: 1\n---\n# B\n",
}


def vault() -> dict[str, str]:
    files = dict(SMALL)
    for i in range(60):
        files[f"big/Note {i:02d}.md"] = f"# Note {i:02d}\n\nBody of note {i}.\n"
    files["big/Note 33.md"] = f"---\ntitle: {HOSTILE!r}\n---\n# Hostile\n\nA hostile title.\n"
    files["big/deeper/Inner.md"] = "# Inner\n\nA subfolder of the big folder.\n"
    return files


def options(max_entries: int) -> str:
    return f"plugins:\n  - search\n  - cortex:\n      nav_max_entries: {max_entries}\n"


@pytest.fixture(scope="module")
def bounded(tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("bounded")
    docs = write_tree(root / "docs", vault())
    build = build_site(docs, root / "work", extra=options(20))
    assert build.returncode == 0, build.output
    return build


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else c.text() for c in self.children).split())

    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def walk(self):
        yield self
        for child in self.elements():
            yield from child.walk()


class _Tree(HTMLParser):
    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = Element("root", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        while len(self.stack) > 1 and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def folder_nav(html: str, folder_label: str) -> list[str]:
    """The entries (link texts) the navigation shows in the section titled ``folder_label``."""
    for nav in _Tree(html).root.walk():
        if nav.tag != "nav" or "md-nav" not in nav.attrs.get("class", "").split() or not nav.elements():
            continue
        label, *rest = nav.elements()
        if label.tag == "label" and label.text() == folder_label:
            (entries,) = [e for e in rest if e.tag == "ul"]
            return [item.elements()[-1].text() for item in entries.elements() if item.tag == "li"]
    raise AssertionError(f"no section {folder_label!r} in the navigation")


def article_links(html: str) -> dict[str, str]:
    return {
        a.text(): a.attrs.get("href", "")
        for a in _Tree(article(html)).root.walk()
        if a.tag == "a" and "href" in a.attrs
    }


def test_the_large_folder_shows_at_most_the_limit_and_its_listing(bounded):
    html = bounded.page("big/Note 05/")
    entries = folder_nav(html, "Big")
    assert len(entries) <= 20 + 1, entries
    assert entries[-1] == "All 61 notes"  # the listing comes last, and counts the subfolder's note
    assert "Note 00" in entries and "Note 59" not in entries


def test_the_listing_lists_every_note_with_its_title_escaped(bounded):
    html = bounded.page("big/all-notes/")
    links = article_links(html)
    for i in range(60):
        name = HOSTILE if i == 33 else f"Note {i:02d}"
        assert name in links, name
    assert links["Inner"] == "../deeper/Inner/"
    assert links["Note 07"] == "../Note%2007/"
    assert "<script>alert" not in html and "javascript:" not in str(links[HOSTILE])


def test_every_note_is_still_built_and_a_note_left_out_opens_its_folder(bounded):
    for i in range(60):
        assert (bounded.site / "big" / f"Note {i:02d}" / "index.html").is_file(), i
    html = bounded.page("big/Note 59/")
    assert "Body of note 59" in article(html)
    assert "All 61 notes" in folder_nav(html, "Big")  # the page's folder is open at the listing
    assert re.search(r'href="\.\./Note%2058/"', html)  # previous and next still walk every note


def test_a_small_vault_keeps_its_navigation_exactly(tmp_path: Path):
    docs = write_tree(tmp_path / "docs", SMALL)
    on = build_site(docs, tmp_path / "on", extra=options(20))
    off = build_site(docs, tmp_path / "off", extra=options(0))
    assert on.returncode == 0 and off.returncode == 0, on.output + off.output
    for page in ("", "small/A/", "small/B/"):
        assert on.page(page) == off.page(page)
    assert not (on.site / "small" / "all-notes").exists()


def test_the_top_of_the_vault_is_cut_too_and_the_tags_stay(tmp_path: Path):
    files = {f"Loose {i:02d}.md": f"# Loose {i:02d}\n\n#topic\n" for i in range(30)}
    docs = write_tree(tmp_path / "docs", {"index.md": "# Home\n", **files})
    build = build_site(docs, tmp_path / "work", extra=options(20))
    assert build.returncode == 0, build.output
    entries = folder_nav(build.page("Loose 25/"), "Notes")
    assert entries[:20] == [f"Loose {i:02d}" for i in range(20)]
    # the listing (which lists the home page, and any page generated at the top, too), then
    # what closes the notes tab: the tags, never cut
    assert re.fullmatch(r"All 3\d notes", entries[20]) and entries[-1] == "Tags" and len(entries) <= 23
    assert "Loose 29" in article_links(build.page("all-notes/"))
