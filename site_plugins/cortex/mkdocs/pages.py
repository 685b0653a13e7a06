"""HTML the plugin adds around a note: its tags, its backlinks, a notice for broken input."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from cortex.citations.index import BIBLIOGRAPHY_PAGE, anchor
from cortex.connections.citable import Citation, cite_html, cite_page
from cortex.connections.dates import Dates, dates_html
from cortex.connections.feed import FEED_PATH
from cortex.connections.mentions import Mention
from cortex.connections.related import Related
from cortex.model import KnowledgeBase
from cortex.notes.backlinks import Backlink
from cortex.notes.kept import same_items
from cortex.notes.rendering import relative_path, tag_page
from cortex.notes.vault import Note
from cortex.text.math import typeset_text


def site_urls(files: Files) -> dict[str, str]:
    """Every file's URL by its source path, read once per build: footers ask for tens of them
    per page, and ``Files.get_file_from_path`` builds a path object on each call."""
    return {f.src_uri: f.url for f in files}


def _folder(url: str) -> str:
    return url.rsplit("/", 1)[0] if "/" in url else ""


def _linker(folder: str) -> Callable[[str | None], str | None]:
    """A site URL as a link from a page in ``folder`` (both directory or file URLs); None for None."""
    return lambda url: None if url is None else relative_path(folder, url) or "./"


@dataclass(frozen=True, slots=True)
class Quoting:
    """A note of a footer list: its title, its page's URL (None: no page), the line that names
    the note the footer closes, and how many more it has."""

    title: str
    url: str | None
    context: str
    more: int


@dataclass(frozen=True, slots=True)
class Footer:
    """Everything the footer of a note shows, as values (URLs as the site has them): equal
    footers make equal HTML, which lets a preview keep a footer whose inputs did not change."""

    folder: str  # the folder of the page's URL, which links are made relative to
    tags: tuple[tuple[str, str | None], ...]  # each tag, with its page's URL
    linked_from: tuple[Quoting, ...]
    related: tuple[tuple[Related, str | None], ...]  # each, with its page's URL
    mentions: tuple[Quoting, ...]


def footer_of(
    kb: KnowledgeBase,
    note: Note,
    page: Page,
    urls: Mapping[str, str],
    tags_dir: str,
    show_backlinks: bool,
    related: Sequence[Related] = (),
    mentions: Sequence[Mention] = (),
) -> Footer:
    """The tag chips, the "Linked from" list, the related notes and the unlinked mentions closing
    a note's page (``footer_html`` writes them); ``urls`` is ``site_urls``."""
    titles = kb.vault.notes

    def quoting(source: str, context: str, more: int) -> Quoting:
        return Quoting(titles[source].title, urls.get(source), context, more)

    by_source: dict[str, list[Mention]] = {}
    for m in mentions:
        by_source.setdefault(m.source, []).append(m)
    links = kb.backlinks.get(note.path, []) if show_backlinks else []
    return Footer(
        _folder(page.url),
        tuple((tag, urls.get(tag_page(tag, tags_dir))) for tag in note.tags),
        tuple(quoting(b.source, b.quote, b.more) for b in links),
        tuple((r, urls.get(BIBLIOGRAPHY_PAGE if r.kind == "paper" else r.key)) for r in related),
        tuple(quoting(source, places[0].context, len(places) - 1) for source, places in by_source.items()),
    )


@dataclass(frozen=True, slots=True, eq=False)
class FooterReads:
    """What a note's footer and its dates and citation are gathered from, in a form a preview's
    rebuild compares in a few steps instead of gathering them again: ``context`` (a digest of
    the site's URLs and settings, the same for every note), the page's URL, the note's text,
    its backlinks with their sources' titles, its related notes, its mentions with their
    sources' titles, and its dates."""

    context: bytes
    url: str
    source: str
    backlinks: Sequence[Backlink]
    titles: tuple[str, ...]  # the title of each backlink's and each mention's source
    related: Sequence[Related]
    mentions: Sequence[Mention]
    dates: Dates | None

    def same(self, other: FooterReads) -> bool:
        # the model keeps a note's backlink entries while its text is unchanged: the same
        # objects are equal, and others are told apart by value
        return (
            self.context == other.context
            and self.url == other.url
            and self.source == other.source
            and same_items(self.backlinks, other.backlinks)
            and self.titles == other.titles
            and self.related == other.related
            and self.mentions == other.mentions
            and self.dates == other.dates
        )


def footer_reads(
    kb: KnowledgeBase,
    note: Note,
    page: Page,
    context: bytes,
    related: Sequence[Related],
    mentions: Sequence[Mention],
    dates: Mapping[str, Dates],
    titles: Mapping[str, str],
) -> FooterReads | None:
    """What ``footer_of`` and ``dates_and_citation`` read for a note, ``context`` standing for
    the site's URLs and settings and ``titles`` for each note's title, by path; None for an
    experiment's page, whose citation reads its run."""
    if note.virtual:
        return None
    links = kb.backlinks.get(note.path, [])
    title = titles.__getitem__  # hundreds of thousands of backlinks in a large vault: mapped in C
    return FooterReads(
        context,
        page.url,
        note.source,
        links,
        (*map(title, map(_SOURCE, links)), *map(title, map(_SOURCE, mentions))),
        related,
        mentions,
        dates.get(note.path),
    )


_SOURCE = attrgetter("source")  # a backlink's or a mention's source note


@dataclass(frozen=True, slots=True)
class KeptFooter:
    """A note's footer HTML kept by a preview, with what it was written from: ``reads`` (None
    when not known) and the gathered ``inputs`` (its ``Footer``, dates and citation)."""

    reads: FooterReads | None
    inputs: tuple[Footer, tuple[Dates | None, Citation | None]]
    html: str


def footer_html(footer: Footer) -> str:
    """The HTML of a note's footer: its tag chips, then its lists."""
    url_of = _linker(footer.folder)
    parts = []
    if footer.tags:
        chips = []
        for tag, tag_url in footer.tags:
            url = url_of(tag_url)
            text = escape(f"#{tag}")
            chips.append(
                f'<a class="cortex-tag" href="{escape(url)}">{text}</a>'
                if url
                else f'<span class="cortex-tag">{text}</span>'
            )
        parts.append(f'<p class="cortex-tags">{" ".join(chips)}</p>')
    if footer.linked_from:
        items = [_quoting_note(q, url_of) for q in footer.linked_from]
        parts.append(_footer_list("", "linked-from", "Linked from", items))
    if footer.related:
        parts.append(related_section(footer.related, url_of))
    if footer.mentions:
        items = [_quoting_note(q, url_of) for q in footer.mentions]
        parts.append(_footer_list("cortex-mentions", "unlinked-mentions", "Unlinked mentions", items))
    return "\n".join(parts)


def dates_and_citation(
    kb: KnowledgeBase, note: Note, page: Page, dates: Mapping[str, Dates], config
) -> tuple[Dates | None, Citation | None]:
    """The page's created and updated dates, and its citation (``page_meta_html`` writes them
    under a note's or an experiment's page; ``dates`` is ``page_dates``)."""
    citation = cite_page(kb, note.path, dates, config.site_name, page.canonical_url, config.site_author)
    return dates.get(note.path), citation


def page_meta_html(dates: Dates | None, citation: Citation | None) -> str:
    """The dates and the folded "Cite this page" block."""
    parts = ([dates_html(dates)] if dates else []) + ([cite_html(citation)] if citation else [])
    return f'<div class="cortex-page-meta">{"".join(parts)}</div>' if parts else ""


def feed_link(page: Page, config) -> str:
    """The ``<link>`` in every page's head that lets a browser or reader find the site's feed."""
    site_url = config.site_url
    href = f"{site_url.rstrip('/')}/{FEED_PATH}" if site_url else get_relative_url(FEED_PATH, page.url)
    title = escape(f"{config.site_name}: new notes and experiment runs")
    return f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{escape(href)}">'


def related_section(
    related: Sequence[tuple[Related, str | None]], url_of: Callable[[str | None], str | None]
) -> str:
    """The "Similar in content" list: each document linked where it has a page (``url_of`` of
    the URL paired with it), with its kind and score."""
    items = []
    for r, site_url in related:
        page_url = url_of(site_url) if r.kind != "paper" or r.listed else None
        url = f"{page_url}#{anchor(r.key)}" if page_url is not None and r.kind == "paper" else page_url
        title = escape(r.title)
        link = f'<a href="{escape(url)}">{title}</a>' if url else f"<span>{title}</span>"
        items.append(
            f'<li>{link} <span class="cortex-related-kind">{escape(r.kind)}</span> '
            f'<span class="cortex-related-score" title="similarity of content, 0 to 1">{r.score:.2f}</span></li>'
        )
    return _footer_list("cortex-related", "related-notes", "Similar in content", items)


def _quoting_note(quoting: Quoting, url_of: Callable[[str | None], str | None]) -> str:
    """One note of a footer list: its title, linked where it has a page, and the line of it that
    names this note (with how many more it has)."""
    url = url_of(quoting.url)
    title = escape(quoting.title)
    link = f'<a href="{escape(url)}">{title}</a>' if url else str(title)
    extra = f' <span class="cortex-more">and {quoting.more} more</span>' if quoting.more else ""
    return f'<li>{link}<span class="cortex-context">{typeset_text(quoting.context)}{extra}</span></li>'


def _footer_list(kind: str, heading_id: str, heading: str, items: list[str]) -> str:
    """A list closing a note's page, left out of the search index (other notes' text must not
    make this page a hit)."""
    classes = f"cortex-backlinks {kind}".strip()
    return (
        f'<section class="{classes}" data-search-exclude>'
        f'<h2 id="{heading_id}">{heading}</h2><ul>{"".join(items)}</ul></section>'
    )


# Front-matter keys the theme writes into pages as they are (it does not escape them): text is
# escaped here, anything else is dropped. A status becomes a class name, so it must be a slug.
THEME_TEXT = (
    "title",
    "description",
    "author",
    "subtitle",
    "revision_date",
    "git_revision_date_localized",
    "git_creation_date_localized",
)
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


def escape_theme_meta(page: Page) -> None:
    """Make what the theme reads from a page's front matter safe to write into HTML."""
    for key in THEME_TEXT:
        if key in page.meta:
            value = page.meta[key]
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                page.meta[key] = str(escape(str(value)))
            else:
                del page.meta[key]
    if "tags" in page.meta:  # the search index shows them as HTML
        tags = page.meta["tags"]
        if isinstance(tags, list):
            page.meta["tags"] = [str(escape(tag)) for tag in tags if isinstance(tag, str)]
        else:
            del page.meta["tags"]
    status = page.meta.get("status")
    if status is not None and not (isinstance(status, str) and _SLUG.match(status)):
        del page.meta["status"]


def drop_foreign_meta(page: Page, config) -> None:
    """Obsidian properties that the theme would read as its own (``icon: trees`` from an icon
    plugin, ``template: Book``) are kept out of its way when the theme has no such file."""
    if "icon" not in page.meta and "template" not in page.meta:
        return
    dirs = [Path(d) for d in config.theme.dirs]
    icon = page.meta.get("icon")
    if icon is not None and not any((d / ".icons" / f"{icon}.svg").is_file() for d in dirs):
        del page.meta["icon"]
    template = page.meta.get("template")
    if template is not None and not any((d / str(template)).is_file() for d in dirs):
        del page.meta["template"]


def broken_front_matter_notice(note: Note) -> str:
    problems = [d for d in note.diagnostics if "front matter" in d.message]
    text = escape(problems[0].message) if problems else Markup("front matter could not be read")
    line = problems[0].line if problems else 1
    return (
        f'<div class="cortex-problem" markdown="0">This note\'s front matter could not be read '
        f"(line {line}: {text}); its properties are ignored.</div>\n\n"
    )
