""" "Cite this page": BibTeX that BibTeX reads back, plain text, and the folded block, escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pybtex.database import parse_string
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import BibTeXLexer
from support.results_site import COMMIT, populated_site

import cortex
from cortex.connections.citable import (
    Citation,
    bibtex,
    bibtex_html,
    citation_key,
    cite_html,
    cite_page,
    page_citation,
    plain_citation,
)
from cortex.connections.dates import Dates

HOSTILE = 'Evil {x} }{ 100% & #1 $5 a_b ^c ~d \\e \\}\n</code><script>alert("t")</script> é'
SHA = "97b0138db22a0affbe0dc7c9cb5a326c8c60c83a"
WHEN = datetime(2026, 11, 22, 18, 7, tzinfo=UTC)
DATES = Dates(datetime(2026, 10, 1, tzinfo=UTC), WHEN, SHA, False)
# the spelling of each character BibTeX or LaTeX would read as syntax
ESCAPES = re.compile(
    r"\\text(?:backslash|asciicircum|asciitilde|braceleft|braceright)\{\}|\\[%&#$_]",
)


def fields_of(entry_text: str):
    """The entry as pybtex, a real BibTeX parser, reads it."""
    data = parse_string(entry_text, "bibtex")
    [(key, entry)] = data.entries.items()
    return key, entry


def test_hostile_title_is_escaped_in_bibtex():
    citation = page_citation(HOSTILE, "notes/evil.md", DATES, "Site & {Co}", author="Ann {B} %")
    key, entry = fields_of(bibtex(citation))
    assert key == "site-co:notes-evil"
    title = entry.fields["title"]
    assert title.startswith("{") and title.endswith("}")
    inner = title[1:-1]
    assert "\n" not in inner
    bare = ESCAPES.sub("", inner)
    assert not set(bare) & set("\\{}%&#$_^~"), bare  # every special character is spelled literally
    assert inner.startswith(
        r"Evil \textbraceleft{}x\textbraceright{} \textbraceright{}\textbraceleft{} 100\% \& \#1 \$5 a\_b "
        r"\textasciicircum{}c \textasciitilde{}d \textbackslash{}e"
    )
    assert entry.fields["howpublished"] == r"Site \& \textbraceleft{}Co\textbraceright{}"
    assert str(entry.persons["author"][0]) == r"\textbraceleft{}B\textbraceright{} \%, Ann"


def test_an_entry_reads_back_whole():
    citation = page_citation("Kahan summation", "numerics/Kahan Summation.md", DATES, "The Cortex")
    citation = Citation(
        **{**_as_dict(citation), "url": 'https://example.org/a b/{x}"/', "author": "Jane Doe"}
    )
    key, entry = fields_of(bibtex(citation))
    assert key == "the-cortex:numerics-kahan-summation"
    assert entry.fields["title"] == "{Kahan summation}"
    assert entry.fields["year"] == "2026" and entry.fields["month"] == "November"
    assert entry.fields["date"] == "2026-11-22"
    assert entry.fields["version"] == SHA
    assert entry.fields["url"] == "https://example.org/a%20b/%7Bx%7D%22/"
    assert entry.fields["note"] == "Commit 97b0138db22a, updated 2026-11-22"
    assert str(entry.persons["author"][0]) == "Doe, Jane"


def _as_dict(citation: Citation) -> dict:
    return {name: getattr(citation, name) for name in Citation.__slots__}


def test_no_author_field_without_an_author_and_no_url_without_an_address():
    entry_text = bibtex(page_citation("T", "t.md", DATES, "S"))
    assert "author" not in entry_text and "url" not in entry_text


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("notes/Über café.md", "s:notes-uber-cafe"),
        ("index.md", "s:index"),
        ("notes/index.md", "s:notes"),
    ],
)
def test_keys_are_ascii(path: str, key: str):
    assert citation_key("S", path) == key


def test_a_name_with_no_ascii_letters_is_keyed_by_its_hash():
    key = citation_key("知識", "笔记/注意力.md")
    assert re.fullmatch(r"site:[0-9a-f]{12}", key)
    assert key != citation_key("知識", "笔记/别的.md")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_title_is_escaped_in_html():
    citation = page_citation(HOSTILE, "notes/evil.md", DATES, "<b>Site</b>", url='https://x.org/"><script>/')
    html = cite_html(citation)
    parser = _Tags()
    parser.feed(html)
    assert parser.tags <= {"details", "summary", "p", "div", "pre", "span", "code"}
    text = "".join(parser.text)
    assert '<script>alert("t")</script>' in text  # shown as text, in the BibTeX and the plain text
    assert "<b>Site</b>" in text
    assert "&lt;script&gt;" in html and "<script" not in html


@pytest.mark.parametrize(
    "citation",
    [
        page_citation(
            HOSTILE,
            "notes/evil.md",
            DATES,
            "<b>Site</b>",
            url='https://x.org/"><script>/',
            author="O'Hara & <i>",
        ),
        page_citation("T", "t.md", Dates(WHEN, WHEN, None, False), "S"),
        page_citation(
            "Plain title", "a/b.md", Dates(WHEN, WHEN, SHA, True), "The Cortex", url="https://kb.example/a/b/"
        ),
        Citation("site:x", "Run", "S", WHEN, SHA, url=None, run="2026-11-22 18:07 UTC"),
    ],
    ids=["hostile", "bare", "uncommitted", "run"],
)
def test_the_entry_is_highlighted_as_pygments_highlights_it(citation):
    """The block's BibTeX is written already highlighted: the same HTML as Pygments' lexer and
    formatter give for the entry, so it reads and copies as the site's other code."""
    expected = highlight(bibtex(citation), BibTeXLexer(), HtmlFormatter(nowrap=True)).rstrip("\n")
    assert bibtex_html(citation) == expected


def test_plain_text_names_title_site_date_and_commit():
    text = plain_citation(
        page_citation("What is it?", "q.md", DATES, "The Cortex", "https://e.org/q/", "Jane Doe")
    )
    assert text == "Jane Doe. What is it? The Cortex, 2026-11-22 (commit 97b0138db22a). https://e.org/q/"
    dirty = Dates(DATES.created, DATES.updated, SHA, True)
    assert "(commit 97b0138db22a, with uncommitted changes)" in plain_citation(
        page_citation("T", "t.md", dirty, "S")
    )
    untracked = Dates(DATES.created, DATES.updated, None, True)
    assert "(not committed)" in plain_citation(page_citation("T", "t.md", untracked, "S"))


def test_an_experiment_cites_its_run_and_a_note_its_last_change(tmp_path: Path):
    root = populated_site(tmp_path)
    kb = cortex.load(root / "content", root=root)
    dates = {"experiments/squares.md": DATES, "notes/plain.md": DATES, "experiments/idea.md": DATES}
    run = cite_page(kb, "experiments/squares.md", dates, "The Cortex")
    assert run is not None
    assert (run.commit, run.date, run.run) == (
        COMMIT,
        datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
        "2026-11-22 09:30 UTC",
    )
    assert run.title == "Squares of small integers"
    _, entry = fields_of(bibtex(run))
    assert entry.fields["version"] == COMMIT and entry.fields["date"] == "2026-11-22"
    assert entry.fields["note"] == "Run of 2026-11-22 09:30 UTC, commit 0123456789ab"
    assert "run of 2026-11-22 09:30 UTC (commit 0123456789ab)" in plain_citation(run)
    assert "As of the run of 2026-11-22 09:30 UTC, commit 0123456789ab." in cite_html(run)
    never_run = cite_page(kb, "experiments/idea.md", dates, "The Cortex")
    assert never_run is not None and never_run.commit == SHA and never_run.run is None
    note = cite_page(kb, "notes/plain.md", dates, "The Cortex")
    assert note is not None and (note.commit, note.date, note.title) == (SHA, WHEN, "plain")
    assert cite_page(kb, "notes/scalar.md", dates, "The Cortex") is None  # no dates, nothing to cite


def test_a_hostile_run_commit_is_escaped(tmp_path: Path):
    root = populated_site(tmp_path)
    kb = cortex.load(root / "content", root=root)
    record = kb.results.records["squares"]
    record["provenance"]["git"] = {"commit": '"}<script>x</script>{', "dirty": True}
    run = cite_page(kb, "experiments/squares.md", {}, "S")
    html = cite_html(run)
    assert "<script" not in html
    _, entry = fields_of(bibtex(run))
    assert entry.fields["version"] == r'"\textbraceright{}<script>x</script>\textbraceleft{}'
    assert "with uncommitted changes" in entry.fields["note"]
