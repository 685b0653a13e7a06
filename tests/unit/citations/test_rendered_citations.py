"""A page's citations are rendered again only when what they read changed: each build's pages
equal, byte for byte, what a build without any kept rendering makes of the same files."""

from __future__ import annotations

import shutil
from pathlib import Path

import markdown
import pytest
from support.paths import TEST_FIXTURES

from cortex.citations import bibliography as bibliography_module
from cortex.citations.bibliography import load_bibliography
from cortex.mkdocs import citations as adapter_module
from cortex.mkdocs.citations import CitationsAdapter

PAGES = {
    "a.md": "# A\n\nFirst [@kahan1965, p. 40] and [see @after2022; -@child2020].\n\nAgain [@kahan1965, p. 40].\n",
    "b.md": "# B\n\nAs @twice2019 shows, and [@kahan1965].\n",
    "c.md": "# C\n\nNo citation here, only me@example.org.\n",
}


STYLES = [("numeric", "plain"), ("numeric", "alpha"), ("numeric", "unsrt"), ("author-year", "plain")]


def build(
    refs: Path,
    cache: Path | None,
    pages: dict[str, str],
    written: dict[str, str] | None = None,
    style: tuple[str, str] = STYLES[0],
) -> dict[str, str]:
    """Every page's HTML as the plugin makes it. ``written``: a page's text as rendered where it
    differs from what was indexed (an embed brings in another note's text)."""
    bibliography_module.RenderedCitations._memory.clear()  # a new process: only the disk is kept
    bibliography, _ = load_bibliography(refs, cache)
    adapter = CitationsAdapter(bibliography, style=style[0], bib_style=style[1])
    adapter.index_pages({src: (text, src) for src, text in pages.items()})
    html = {}
    for src_uri, text in pages.items():
        adapter.start_page(src_uri, src_uri[:-3] + "/")
        body = markdown.Markdown(extensions=[adapter.extension()]).convert((written or {}).get(src_uri, text))
        html[src_uri] = adapter.finish_page(body)
    adapter.save_cache()
    return html


def counting(monkeypatch, name: str, page_at: int) -> list[str]:
    """The pages (its argument ``page_at``) ``cortex.mkdocs.citations.<name>`` is called for."""
    calls = []
    real = getattr(adapter_module, name)

    def counted(*args):
        calls.append(args[page_at])
        return real(*args)

    monkeypatch.setattr(adapter_module, name, counted)
    return calls


@pytest.fixture
def counted(monkeypatch):
    """The pages a citation was rendered for, once each time."""
    return counting(monkeypatch, "render_citation", 2)


@pytest.fixture
def refs(tmp_path):
    shutil.copytree(TEST_FIXTURES / "bib" / "messy", tmp_path / "refs")
    return tmp_path / "refs"


def test_a_new_build_renders_no_citation_again_and_writes_the_same_pages(
    refs, tmp_path, counted, monkeypatch
):
    references = counting(monkeypatch, "render_page_bibliography", 1)
    first = build(refs, tmp_path / "cache", PAGES)
    assert counted.count("a.md") == 2  # a text written twice on a page is rendered once
    assert references == list(PAGES)
    assert (tmp_path / "cache" / "rendered-citations.pickle").is_file()
    counted.clear()
    references.clear()
    assert build(refs, tmp_path / "cache", PAGES) == first
    assert counted == [] and references == ["c.md"]  # it cites nothing, so nothing of it was kept
    assert build(refs, None, PAGES) == first


@pytest.mark.parametrize("style", STYLES)
def test_each_style_renders_the_same_from_kept_citations(refs, tmp_path, style):
    first = build(refs, tmp_path / "cache", PAGES, style=style)
    assert (
        build(refs, tmp_path / "cache", PAGES, style=style) == first == build(refs, None, PAGES, style=style)
    )
    changed = dict(PAGES, **{"b.md": PAGES["b.md"] + "\nAnd [@after2022], first by name.\n"})
    assert build(refs, tmp_path / "cache", changed, style=style) == build(refs, None, changed, style=style)


def test_a_page_whose_numbering_changed_renders_again(refs, tmp_path, counted):
    build(refs, tmp_path / "cache", PAGES)
    counted.clear()
    changed = dict(PAGES, **{"b.md": PAGES["b.md"] + "\nAnd [@after2022], first by name.\n"})
    html = build(refs, tmp_path / "cache", changed)
    assert set(counted) == {"b.md"}
    assert html == build(refs, None, changed)
    assert 'href="#ref-kahan1965">3</a>' in html["b.md"]  # 2 before: Doe (after2022) sorts first


def test_a_changed_entry_renders_its_citations_again(refs, tmp_path, counted):
    build(refs, tmp_path / "cache", PAGES)
    counted.clear()
    entries = refs / "a_entries.bib"
    entries.write_text(
        entries.read_text(encoding="utf-8").replace("Kahan, W.", "Zahan, W."), encoding="utf-8"
    )
    html = build(refs, tmp_path / "cache", PAGES)
    assert set(counted) == {"a.md", "b.md"}
    assert html == build(refs, None, PAGES)
    assert "Zahan" in html["a.md"]


def test_a_citation_indexing_did_not_see_is_rendered_as_without_kept_citations(refs, tmp_path, counted):
    """A key the page's numbering lacked (from an embedded note) renumbers the page as it
    renders: what the page rendered before it, and had kept, is not reused after it, and the
    page's citations are not kept."""
    build(refs, tmp_path / "cache", PAGES)
    written = {"a.md": PAGES["a.md"].replace("Again", "Embedded [@evil2023] then again")}
    expected = build(refs, None, PAGES, written)
    counted.clear()
    assert build(refs, tmp_path / "cache", PAGES, written) == expected
    assert counted.count("a.md") == 2  # the late key, then the text after it, met again
    counted.clear()
    assert build(refs, tmp_path / "cache", PAGES, written) == expected
    assert counted.count("a.md") == 4  # nothing of the page was kept


def test_a_new_reading_note_links_the_references_of_pages_citing_its_entry(refs, tmp_path, counted):
    build(refs, tmp_path / "cache", PAGES)
    counted.clear()
    noted = dict(PAGES, **{"note.md": "---\ncite: twice2019\n---\n# On the first title\n"})
    html = build(refs, tmp_path / "cache", noted)
    assert html == build(refs, None, noted)
    assert 'href="../note/">Reading note</a>' in html["b.md"]


@pytest.mark.parametrize(
    ("style", "label"),
    [(("numeric", "alpha"), ">Kah65b</a>"), (("author-year", "plain"), ">Kahan, 1965b</a>")],
)
def test_a_label_told_apart_by_another_page_renders_again(refs, tmp_path, style, label):
    """Another page's citing an entry with the same author and year changes this page's label
    (``Kah65`` becomes ``Kah65b``, 1965 becomes 1965b: by title, the other sorts first), though this page did not change."""
    (refs / "same.bib").write_text(
        "@article{kahan1965b,\n  author = {Kahan, W.},\n  title = {Another remark},\n  journal = {X},\n  year = 1965,\n}\n",
        encoding="utf-8",
    )
    assert label not in build(refs, tmp_path / "cache", PAGES, style=style)["a.md"]
    changed = dict(PAGES, **{"b.md": PAGES["b.md"] + "\nAnd [@kahan1965b].\n"})
    html = build(refs, tmp_path / "cache", changed, style=style)
    assert label in html["a.md"]
    assert html == build(refs, None, changed, style=style)
