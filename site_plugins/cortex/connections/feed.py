"""The site's Atom feed: new and changed notes, and every run of an experiment with its headline
result, newest first.

The entries are built here from the model and each page's dates; ``atom_feed`` writes them as
Atom XML with feedgen (lxml underneath, so every text is escaped and the document is well
formed). Characters XML 1.0 cannot hold at all (control characters a file may carry) are
dropped first: lxml refuses them rather than write a broken document.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from cortex.citations.syntax import GROUP
from cortex.connections.dates import Dates, day, moment_of
from cortex.experiments.comparison import compare_runs, previous_comparable, summary
from cortex.experiments.display import (
    commit_text,
    device_of,
    experiment_page_path,
    run_date,
)
from cortex.experiments.pages import headline
from cortex.experiments.record import ResultRecord
from cortex.experiments.store import ResultSet
from cortex.notes.vault import Note, plain_text

if TYPE_CHECKING:
    from cortex.model import KnowledgeBase

FEED_PATH = "feed.xml"
FEED_LIMIT = 50
SUMMARY_CHARS = 280
# what XML 1.0 cannot hold, and the control characters it allows but no reader shows (DEL, C1)
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SHORTCODE = re.compile(r"\{\{<.*?>\}\}")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?)])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_PROSE_START = re.compile(r"[\w*_\[(\"'“‘]")
_FENCE = re.compile(r"\s{0,3}(```|~~~|\$\$)")
_LIST_ITEM = re.compile(r"\s*([-*+]|\d+[.)])\s")

# a page's URL by its path in the site (``notes/A.md``): absolute when the site has an address,
# otherwise from the site's root; None for a page the site does not have
UrlOf = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str  # a URN that stays the entry's while it changes
    title: str
    link: str
    updated: datetime
    summary: str
    category: str  # "note" or "run"
    published: datetime | None = None


def site_feed(
    kb: KnowledgeBase,
    dates: Mapping[str, Dates],
    urls: Mapping[str, str],
    *,
    site_name: str,
    site_url: str | None = None,
    description: str | None = None,
    author: str | None = None,
    limit: int = FEED_LIMIT,
) -> bytes:
    """The site's feed: its notes (``dates`` by page path, as ``page_dates`` gives them) and its
    experiments' runs. ``urls`` maps a page's path to its URL from the site's root, as MkDocs
    names it; with ``site_url`` the links are made absolute."""

    def url_of(path: str) -> str | None:
        url = urls.get(path)
        if url is None:
            return None
        return urljoin(site_url, url) if site_url else (url or "./")

    entries = note_entries(kb.notes, dates, url_of, site_url or site_name, limit)
    if kb.results is not None:
        entries += run_entries(kb.results, url_of, site_url or site_name)
    return atom_feed(
        entries, site_name=site_name, site_url=site_url, description=description, author=author, limit=limit
    )


def note_entries(
    notes: Mapping[str, Note], dates: Mapping[str, Dates], url_of: UrlOf, site: str, limit: int | None = None
) -> list[FeedEntry]:
    """One entry per dated note: new (created at its last change) or changed, with its
    description, else its first sentence; with ``limit``, only the newest that many (those a
    feed of that many entries could show: summing up every note of a large vault is slow)."""
    dated = []
    for path, note in notes.items():
        found = dates.get(path)
        if found is not None:
            dated.append((found.updated, _urn(site, "note", path), note, found, path))
    dated.sort(key=lambda d: (d[0], d[1]), reverse=True)  # atom_feed's order
    out: list[FeedEntry] = []
    for _, urn, note, found, path in dated:
        link = url_of(path)  # asked only until the feed is full
        if link is None:
            continue
        if limit is not None and len(out) == limit:
            break
        new = day(found.created) == day(found.updated)
        about = note_summary(note)
        words = "New note" if new else f"Updated {day(found.updated)} (created {day(found.created)})"
        out.append(
            FeedEntry(
                urn,
                note.title,
                link,
                found.updated,
                f"{words}. {about}" if about else f"{words}.",
                "note",
                found.created,
            )
        )
    return out


def run_entries(results: ResultSet, url_of: UrlOf, site: str) -> list[FeedEntry]:
    """One entry per run in an experiment's history, good or failed: its headline result as
    the experiment's page writes it, the device, the commit and what changed since the last
    comparable run."""
    out = []
    for exp_id, spec in results.specs.items():
        page = url_of(experiment_page_path(exp_id))
        if page is None:
            continue
        runs = results.runs(exp_id)
        for i, run in enumerate(runs):
            started = moment_of(run.get("provenance", {}).get("started_at"))
            if started is None:
                continue
            out.append(
                FeedEntry(
                    _urn(site, "run", f"{exp_id}/{run['provenance'].get('started_at')}"),
                    f"{spec.title} — run of {run_date(run)}",
                    page + "#run-history",
                    started,
                    _run_summary(spec, run, runs, i),
                    "run",
                    started,
                )
            )
    return out


def _run_summary(spec, run: ResultRecord, runs: list[ResultRecord], i: int) -> str:
    where = f"On {device_of(run)}, size {run.get('size', '?')}, {commit_text(run)}."
    if run.get("status") != "ok":
        return f"Failed: {run.get('error') or 'no reason recorded'}. {where}"
    head = headline(spec, run)
    text = f"Headline: {head}. {where}" if head else where
    previous = previous_comparable(runs, i)
    if previous is not None:
        text += f" Since the previous run: {summary(compare_runs(spec, previous, run))}."
    return text


def note_summary(note: Note) -> str:
    """The note's ``description``, else the first sentence of its first paragraph of prose
    (not a heading, a list, a table, code or math), as plain text."""
    described = note.meta.get("description")
    if isinstance(described, str) and described.strip():
        return _clip(" ".join(described.split()))
    for paragraph in _paragraphs(note):
        text = GROUP.sub("", _SHORTCODE.sub("…", " ".join(paragraph.split())))
        text = plain_text(_SPACE_BEFORE_PUNCTUATION.sub(r"\1", text))
        if text:
            return _clip(_SENTENCE_END.split(text, maxsplit=1)[0])
    return ""


def _paragraphs(note: Note) -> Iterator[str]:
    """The body's paragraphs that start as prose (not a heading, a list, a table, a quote, HTML,
    code or math), outside fences and comments."""
    fence = ""
    block: list[str] = []
    start = offset = note.body_start
    for line in [*note.body.splitlines(keepends=True), "\n"]:
        opener = _FENCE.match(line)
        if fence:
            fence = "" if opener and opener.group(1) == fence else fence
        elif opener and not (opener.group(1) == "$$" and line.count("$$") > 1):
            fence = opener.group(1)
        elif line.strip():
            if not block:
                start = offset
            block.append(line)
            offset += len(line)
            continue
        prose = block and _PROSE_START.match(block[0]) and not _LIST_ITEM.match(block[0])
        if prose and not note.regions.covers(start):
            yield "".join(block)
        block = []
        offset += len(line)


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def _urn(site: str, kind: str, key: str) -> str:
    """A permanent id: the same site, kind and key give the same URN in every build."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{site}\0{kind}\0{key}").urn


def xml_text(value: str) -> str:
    """Text that XML 1.0 can hold: the characters it cannot (NUL, most control characters,
    lone surrogates) dropped, and the control characters it can but a reader would not show."""
    return _NOT_XML.sub("", value)


def atom_feed(
    entries: list[FeedEntry],
    *,
    site_name: str,
    site_url: str | None = None,
    description: str | None = None,
    author: str | None = None,
    limit: int = FEED_LIMIT,
) -> bytes:
    """The Atom document of the ``limit`` newest entries. With the site's address, its links
    are absolute and it names itself; without, the entries' links are relative to the site's
    root, where the feed lies."""
    newest = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)[:limit]
    fg = FeedGenerator()
    fg.id(site_url or _urn(site_name, "site", ""))
    fg.title(xml_text(site_name) or "Feed")
    if description:
        fg.subtitle(xml_text(description))
    fg.author({"name": xml_text(author or site_name) or "Unknown"})
    if site_url:
        fg.link(href=xml_text(site_url), rel="alternate")
        fg.link(href=xml_text(site_url.rstrip("/") + "/" + FEED_PATH), rel="self")
    fg.updated(newest[0].updated if newest else datetime.fromtimestamp(0, UTC))
    fg.generator("The Cortex")
    for entry in newest:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(xml_text(entry.title) or "Untitled")
        fe.link(href=xml_text(entry.link), rel="alternate")
        fe.updated(entry.updated)
        if entry.published is not None:
            fe.published(entry.published)
        fe.summary(xml_text(entry.summary))
        fe.category(term=entry.category)
    return fg.atom_str(pretty=True)
