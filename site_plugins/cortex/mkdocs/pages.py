"""HTML the plugin adds around a note: its tags, its backlinks, a notice for broken input."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from cortex.citations.index import BIBLIOGRAPHY_PAGE, anchor
from cortex.connections.citable import cite_html, cite_page
from cortex.connections.dates import Dates, dates_html
from cortex.connections.feed import FEED_PATH
from cortex.connections.mentions import Mention
from cortex.connections.related import Related
from cortex.model import KnowledgeBase
from cortex.notes.rendering import relative_path, tag_page
from cortex.notes.vault import Note


def site_urls(files: Files) -> dict[str, str]:
    """Every file's URL by its source path, read once per build: footers ask for tens of them
    per page, and ``Files.get_file_from_path`` builds a path object on each call."""
    return {f.src_uri: f.url for f in files}


def links_from(page: Page, urls: Mapping[str, str]) -> Callable[[str], str | None]:
    """The URL of a file's page as a link from ``page`` (both are directory or file URLs), by
    the file's source path; None for a file the site does not have."""
    base = page.url.rsplit("/", 1)[0] if "/" in page.url else ""

    def url_of(src_uri: str) -> str | None:
        url = urls.get(src_uri)
        return None if url is None else relative_path(base, url) or "./"

    return url_of


def note_footer(
    kb: KnowledgeBase,
    note: Note,
    page: Page,
    urls: Mapping[str, str],
    tags_dir: str,
    show_backlinks: bool,
    related: Sequence[Related] = (),
    mentions: Sequence[Mention] = (),
) -> str:
    """The tag chips, the "Linked from" list, the related notes and the unlinked mentions closing
    a note's page; ``urls`` is ``site_urls``."""
    url_of = links_from(page, urls)
    parts = []
    if note.tags:
        chips = []
        for tag in note.tags:
            url = url_of(tag_page(tag, tags_dir))
            text = escape(f"#{tag}")
            chips.append(
                f'<a class="cortex-tag" href="{escape(url)}">{text}</a>'
                if url
                else f'<span class="cortex-tag">{text}</span>'
            )
        parts.append(f'<p class="cortex-tags">{" ".join(chips)}</p>')
    links = kb.backlinks.get(note.path, []) if show_backlinks else []
    if links:
        items = [_quoting_note(kb, b.source, b.context, b.more, url_of) for b in links]
        parts.append(_footer_list("", "linked-from", "Linked from", items))
    if related:
        parts.append(related_section(related, url_of))
    if mentions:
        parts.append(mentions_section(kb, mentions, url_of))
    return "\n".join(parts)


def dates_and_citation(kb: KnowledgeBase, note: Note, page: Page, dates: Mapping[str, Dates], config) -> str:
    """The page's created and updated dates, and its folded "Cite this page" block, closing a
    note's or an experiment's page (``dates`` is ``page_dates``)."""
    found = dates.get(note.path)
    citation = cite_page(kb, note.path, dates, config.site_name, page.canonical_url, config.site_author)
    parts = ([dates_html(found)] if found else []) + ([cite_html(citation)] if citation else [])
    return f'<div class="cortex-page-meta">{"".join(parts)}</div>' if parts else ""


def feed_link(page: Page, config) -> str:
    """The ``<link>`` in every page's head that lets a browser or reader find the site's feed."""
    site_url = config.site_url
    href = f"{site_url.rstrip('/')}/{FEED_PATH}" if site_url else get_relative_url(FEED_PATH, page.url)
    title = escape(f"{config.site_name}: new notes and experiment runs")
    return f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{escape(href)}">'


def related_section(related: Sequence[Related], url_of: Callable[[str], str | None]) -> str:
    """The "Similar in content" list: each document linked where it has a page, with its kind and score."""
    items = []
    for r in related:
        if r.kind == "paper":
            page_url = url_of(BIBLIOGRAPHY_PAGE) if r.listed else None
            url = f"{page_url}#{anchor(r.key)}" if page_url else None
        else:
            url = url_of(r.key)
        title = escape(r.title)
        link = f'<a href="{escape(url)}">{title}</a>' if url else f"<span>{title}</span>"
        items.append(
            f'<li>{link} <span class="cortex-related-kind">{escape(r.kind)}</span> '
            f'<span class="cortex-related-score" title="similarity of content, 0 to 1">{r.score:.2f}</span></li>'
        )
    return _footer_list("cortex-related", "related-notes", "Similar in content", items)


def mentions_section(
    kb: KnowledgeBase, mentions: Sequence[Mention], url_of: Callable[[str], str | None]
) -> str:
    """The "Unlinked mentions" list: each note that names this one without a link, once, with the
    first line it does so in and how many more it has."""
    by_source: dict[str, list[Mention]] = {}
    for m in mentions:
        by_source.setdefault(m.source, []).append(m)
    items = [
        _quoting_note(kb, source, places[0].context, len(places) - 1, url_of)
        for source, places in by_source.items()
    ]
    return _footer_list("cortex-mentions", "unlinked-mentions", "Unlinked mentions", items)


def _quoting_note(
    kb: KnowledgeBase, source: str, context: str, more: int, url_of: Callable[[str], str | None]
) -> str:
    """One note of a footer list: its title, linked where it has a page, and the line of it that
    names this note (with how many more it has)."""
    url = url_of(source)
    title = escape(kb.vault.notes[source].title)
    link = f'<a href="{escape(url)}">{title}</a>' if url else str(title)
    extra = f' <span class="cortex-more">and {more} more</span>' if more else ""
    return f'<li>{link}<span class="cortex-context">{escape(context)}{extra}</span></li>'


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
