"""The Atom feed: well-formed XML a feed reader reads, new and changed notes, every run with its
headline, newest first, capped, and hostile titles kept as text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from support.paths import write_tree
from support.results_site import add_run, populated_site, squares_points

import cortex
from cortex.connections.dates import Dates
from cortex.connections.feed import atom_feed, note_entries, note_summary, run_entries, site_feed
from cortex.model import KnowledgeBase

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = 'Evil <script>alert("x")</script> & ]]> \x00\x1b\x7f “q”'
OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOV = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def urls_of(kb: KnowledgeBase) -> dict[str, str]:
    """Each page's URL as MkDocs names it (directory URLs)."""
    return {path: path.removesuffix(".md") + "/" for path in [*kb.vault.notes, *kb.pages]}


def dated(kb: KnowledgeBase, changed: tuple[str, ...] = ()) -> dict[str, Dates]:
    """Every note written in October; ``changed`` notes edited in late November."""
    return {path: Dates(OCT, NOV if path in changed else OCT, "c" * 40) for path in kb.notes}


def feed_of(kb: KnowledgeBase, dates: dict[str, Dates], **options) -> bytes:
    return site_feed(kb, dates, urls_of(kb), site_name="The Cortex", **options)


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    root = populated_site(tmp_path)
    return cortex.load(root / "content", root=root)


def test_the_feed_is_atom_that_a_reader_reads(kb: KnowledgeBase):
    document = feed_of(kb, dated(kb, changed=("notes/vectors.md",)))
    root = ET.fromstring(document)
    assert root.tag == f"{ATOM}feed"
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0 and parsed.version == "atom10"
    assert parsed.feed.title == "The Cortex"
    titles = [e.title for e in parsed.entries]
    # newest first: the note changed in late November, then the runs from the latest
    assert titles[:2] == ["Vectors and matrices", "Squares of small integers — run of 2026-11-22 09:30 UTC"]
    assert titles.index("The single answer — run of 2026-11-21 09:00 UTC") < titles.index(
        "A two-parameter grid — run of 2026-11-21 08:00 UTC"
    )
    kinds = {e.title: e.tags[0].term for e in parsed.entries}
    assert (
        kinds["Vectors and matrices"] == "note"
        and kinds["Squares of small integers — run of 2026-11-20 10:00 UTC"] == "run"
    )
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


def test_a_new_run_is_listed_first_with_its_headline(kb: KnowledgeBase, tmp_path: Path):
    root = kb.root
    add_run(root, "squares", squares_points(sq3=9, time3=(2.5e-6, 1e-7)), "2026-11-28T07:15:00+00:00")
    kb = cortex.load(root / "content", root=root)
    parsed = feedparser.parse(feed_of(kb, dated(kb)))
    first = parsed.entries[0]
    assert first.title == "Squares of small integers — run of 2026-11-28 07:15 UTC"
    assert first.summary.startswith("Headline: time 1 µs (n=1). On Test GPU, size full, commit 0123456789ab.")
    assert "Since the previous run: " in first.summary
    assert first.link == "experiments/squares/#run-history"
    assert first.updated == "2026-11-28T07:15:00+00:00"


def test_a_failed_run_says_why(kb: KnowledgeBase):
    add_run(kb.root, "grid", [], "2026-11-29T07:00:00+00:00", status="failed", error="CUDA out of memory")
    kb = cortex.load(kb.root / "content", root=kb.root)
    first = feedparser.parse(feed_of(kb, dated(kb))).entries[0]
    assert first.title == "A two-parameter grid — run of 2026-11-29 07:00 UTC"
    assert first.summary.startswith("Failed: CUDA out of memory. On Test GPU")


def test_new_and_changed_notes_say_so(kb: KnowledgeBase):
    parsed = feedparser.parse(feed_of(kb, dated(kb, changed=("notes/vectors.md",))))
    by_title = {e.title: e for e in parsed.entries}
    assert by_title["Vectors and matrices"].summary.startswith("Updated 2026-11-25 (created 2026-10-01).")
    assert by_title["plain"].summary == "New note. A note without front matter."
    assert by_title["plain"].published == "2026-10-01T00:00:00+00:00"


def test_capped_and_absolute_with_the_site_address(kb: KnowledgeBase):
    document = feed_of(kb, dated(kb), site_url="https://example.org/kb/", limit=3)
    parsed = feedparser.parse(document)
    assert len(parsed.entries) == 3
    assert all(e.link.startswith("https://example.org/kb/") for e in parsed.entries)
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"alternate": "https://example.org/kb/", "self": "https://example.org/kb/feed.xml"}
    assert parsed.feed.id == "https://example.org/kb/"


def test_hostile_titles_stay_text_and_the_feed_stays_well_formed(tmp_path: Path):
    root = populated_site(tmp_path)
    write_tree(
        root,
        {
            "content/notes/evil.md": f"---\ntitle: {json.dumps(HOSTILE)}\ndescription: '<b>bold</b> & ]]>'\n---\nBody.\n",
        },
    )
    declaration = root / "experiments" / "single.md"
    declaration.write_text(
        declaration.read_text("utf-8").replace("title: The single answer", "title: '<i>Single</i> & ]]>'"),
        "utf-8",
    )
    kb = cortex.load(root / "content", root=root)
    document = feed_of(kb, dated(kb), site_url="https://example.org/", description="a <b> & c")
    ET.fromstring(document)  # well formed
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0
    titles = {e.title for e in parsed.entries}
    assert 'Evil <script>alert("x")</script> & ]]>  “q”' in titles  # the control characters dropped
    assert "<i>Single</i> & ]]> — run of 2026-11-21 09:00 UTC" in titles
    evil = next(e for e in parsed.entries if e.title.startswith("Evil"))
    assert evil.summary == "New note. <b>bold</b> & ]]>"
    assert b"<script>" not in document and b"<b>" not in document


def test_an_empty_knowledge_base_has_a_valid_empty_feed():
    parsed = feedparser.parse(atom_feed([], site_name="Empty"))
    assert parsed.bozo == 0 and parsed.entries == []


def test_a_note_summary_is_its_first_sentence_of_prose(tmp_path: Path):
    content = write_tree(
        tmp_path / "content",
        {
            "a.md": (
                "# Heading\n\n```python\nprint('code first')\n\nstill code\n```\n\n"
                "- a list item\n\n$$\nx^2\n$$\n\n%% a comment %%\n\n"
                "The **first** sentence links [[b|a note]] and cites [@knuth1997]. The second.\n"
            ),
            "b.md": "---\ndescription: Said   in front matter.\n---\nProse.\n",
            "c.md": "# Only a heading\n\n| a | b |\n|---|---|\n",
        },
    )
    kb = cortex.load(content, root=tmp_path)
    assert note_summary(kb.notes["a.md"]) == "The first sentence links a note and cites."
    assert note_summary(kb.notes["b.md"]) == "Said in front matter."
    assert note_summary(kb.notes["c.md"]) == ""


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 100])
def test_a_capped_feed_is_the_newest_of_every_entry(kb: KnowledgeBase, limit: int):
    """Only the notes a capped feed can show are summed up, and it shows what capping them all would."""
    changed = ("notes/vectors.md", "plain.md")  # tied dates: the order falls to the ids
    dates = dated(kb, changed=changed)
    urls = urls_of(kb)

    def url_of(path: str) -> str | None:
        return urls.get(path)

    entries = note_entries(kb.notes, dates, url_of, "The Cortex")
    assert len(entries) > 3
    entries += run_entries(kb.results, url_of, "The Cortex")
    assert feed_of(kb, dates, limit=limit) == atom_feed(entries, site_name="The Cortex", limit=limit)
