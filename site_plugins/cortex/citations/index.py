"""Which page cites what, and the HTML of citations and bibliographies.

A :class:`CitationIndex` is filled with every page before any is rendered, so that
numbering, "cited by" links and reading notes are known when the first page renders.
Links between pages go through a ``link(src_uri, anchor)`` callable supplied by the
adapter, which knows the site's URLs.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from markupsafe import Markup, escape

from cortex.cache_files import code_version
from cortex.citations import latex, references, syntax, unsrt_html
from cortex.citations.bibliography import Bibliography
from cortex.citations.references import CitationStyle, ReferenceFormatter, formatter_for
from cortex.citations.syntax import Citation
from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.text import math, sanitize
from cortex.text.front_matter import split_front_matter

BIBLIOGRAPHY_PAGE = "bibliography.md"  # where the site lists the references, unless configured otherwise

Link = Callable[[str, str], str]


_NOT_IN_ANCHOR = re.compile(r"[^\w:.\-]")


@lru_cache(maxsize=65536)
def anchor(key: str) -> str:
    """The stable id of a key's entry in any bibliography: ``ref-<key>``."""
    return "ref-" + _NOT_IN_ANCHOR.sub("-", key)


@lru_cache(maxsize=65536)
def _anchor_attribute(key: str) -> str:
    """``anchor(key)`` escaped for an attribute or a URL's fragment."""
    return str(escape(anchor(key)))


@dataclass
class CitingPage:
    src_uri: str
    title: str
    keys: list[str] = field(default_factory=list)  # canonical keys, in order of first citation
    notes_on: list[str] = field(default_factory=list)  # keys this page is the reading note for


class CitationIndex:
    """Citations of every page of a site, against one bibliography and style."""

    def __init__(self, bibliography: Bibliography, style: CitationStyle, list_all: bool = False) -> None:
        self.bibliography = bibliography
        self.style = style
        self.list_all = list_all
        self.formatter: ReferenceFormatter = formatter_for(bibliography, style.bibliography)
        self.pages: dict[str, CitingPage] = {}
        self.reading_notes: dict[str, str] = {}  # lower key -> src_uri
        self._cited_by: dict[str, list[str]] = {}  # lower key -> src_uris
        self._order: dict[str, dict[str, str]] = {}  # src_uri -> key -> its number in the page's bibliography
        self.entries: dict[str, CitedEntry] = {}  # lower key -> rendering data
        self._author_year: dict[str, tuple[str, str]] = {}
        self._alpha: dict[str, str] = {}
        self._listed: list[str] | None = None  # the listed keys in the style's order, once prepared
        self.late_keys = 0  # keys that rendering met on a page and indexing had not (``label``)

    def add_page(
        self, src_uri: str, markdown: str, title: str, meta: Mapping | None = None, path: str | None = None
    ) -> list[Diagnostic]:
        """Record what ``markdown`` (the file's full text, front matter included) cites."""
        path = path or src_uri
        if src_uri in self.pages:
            raise ValueError(f"page {src_uri} is indexed twice")
        page = self.pages[src_uri] = CitingPage(src_uri, title)
        self._listed = None
        diagnostics = []
        for found, line, col, bare in self.bibliography.page_citations.of(markdown):
            if (ref := self.bibliography.find(found)) is not None:
                key = ref.key
                if key not in page.keys:
                    page.keys.append(key)
                    self._cited_by.setdefault(key.lower(), []).append(src_uri)
            elif not bare:  # a bare @word that no entry has is text (an e-mail, a decorator)
                diagnostics.append(
                    diagnostic(
                        Code.UNKNOWN_CITATION,
                        path,
                        line,
                        col,
                        f"unknown citation key '{found}': no entry in refs/*.bib has it",
                    )
                )
        meta = (
            split_front_matter(markdown).data if meta is None else meta
        )  # bad YAML: {}, reported by the notes
        cited = meta.get("cite")
        for key in [cited] if isinstance(cited, str) else cited if isinstance(cited, list) else []:
            if str(key) in self.bibliography:
                canonical = self.bibliography[str(key)].key
                page.notes_on.append(canonical)
                self.reading_notes.setdefault(canonical.lower(), src_uri)
            else:
                line = next(
                    (i + 1 for i, text in enumerate(markdown.splitlines()) if text.startswith("cite:")), 1
                )
                diagnostics.append(
                    diagnostic(
                        Code.UNKNOWN_READING_NOTE_KEY,
                        path,
                        line,
                        1,
                        f"front matter 'cite: {key}' names no entry in refs/*.bib",
                    )
                )
        return diagnostics

    def cited_keys(self) -> list[str]:
        """Every cited key, in order of first citation over pages sorted by path."""
        keys: dict[str, str] = {}
        for src_uri in sorted(self.pages):
            for key in self.pages[src_uri].keys + self.pages[src_uri].notes_on:
                keys.setdefault(key.lower(), key)
        return list(keys.values())

    def listed_keys(self) -> list[str]:
        cited = self.cited_keys()
        if not self.list_all:
            return cited
        seen = {k.lower() for k in cited}
        return cited + [k for k in self.bibliography if k.lower() not in seen]

    def listed_in_order(self) -> list[str]:
        """``listed_keys()`` in the style's order."""
        if self._listed is None:
            self._listed = self.formatter.sort(self.listed_keys())
        return self._listed

    def prepare(self) -> None:
        """Format every listed entry (as HTML, and as pages show it) and fix labels; call once
        after the last ``add_page``. The formatted entries are saved then."""
        keys = self.listed_keys()
        for key in keys:
            self.formatter.site_html(key)  # what pybtex could not format is reported here
        by_name = self.formatter.bib_style != "unsrt"  # then the style's order is by name
        ordered = self._listed = self.formatter.sort(keys)
        self._author_year = self.formatter.author_year(ordered if by_name else keys, by_name)
        if self.style.bibliography == "alpha":
            self._alpha = self.formatter.alpha_labels(ordered, by_name)
        self.bibliography.cache.save({ref.digest for ref in self.bibliography.values()})
        self.bibliography.page_citations.save()

    def cited_by(self, key: str) -> list[str]:
        return sorted(self._cited_by.get(key.lower(), []))

    def page(self, src_uri: str) -> CitingPage:
        page = self.pages.get(src_uri)
        if page is None:
            page = self.pages[src_uri] = CitingPage(src_uri, src_uri)
        return page

    def page_keys(self, src_uri: str) -> list[str]:
        """The keys a page cites, in the order of its bibliography."""
        return list(self._page_order(src_uri))

    def page_labels(self, src_uri: str) -> dict[str, str]:
        """The keys a page cites, in the order of its bibliography, each with its label there."""
        order = self._page_order(src_uri)
        if self.style.bibliography != "alpha":
            return order
        return {key: self.label(src_uri, key) for key in order}

    def _page_order(self, src_uri: str) -> dict[str, str]:
        """The page's keys in the order of its bibliography, each with its number there."""
        order = self._order.get(src_uri)
        if order is None:
            order = self._order[src_uri] = {
                k: str(i + 1) for i, k in enumerate(self.formatter.sort(self.page(src_uri).keys))
            }
        return order

    def label(self, src_uri: str, key: str) -> str:
        """The key's label on this page: a number, or an alpha label like ``VSP+17``."""
        if self.style.bibliography == "alpha":
            return self._alpha.get(key.lower()) or self.formatter.alpha_label(key)
        order = self._order.get(src_uri)
        if order is not None and (found := order.get(key)) is not None:
            return found
        page = self.page(src_uri)
        if key not in page.keys:  # cited in a way the index did not see
            page.keys.append(key)
            self.late_keys += 1
            self._order.pop(src_uri, None)
            self._listed = None
        return self._page_order(src_uri)[key]

    def rendering_state(self, src_uri: str, link: Link, global_uri: str | None) -> bytes:
        """A digest of everything a page's citations and references are rendered from besides
        the page's text: this code and the libraries under it, the style, the bibliography's
        files (which entry a key names, what it holds, and so the order of the page's
        references), the keys the page cites in the order it cites them, each with its author
        and year and alpha label as the site tells them apart, and its reading note, and the
        page's link to the global page. The same text renders the same under the same state."""
        page = self.page(src_uri)
        state = (
            _rendering_code(),
            self.style,
            self.bibliography.sources,
            [
                (
                    key,
                    *self.author_year(key),
                    self._alpha.get(key.lower()),
                    _note_link(self, key, link, src_uri),
                )
                for key in page.keys
            ],
            link(global_uri, "") if global_uri else None,
        )
        return hashlib.blake2b(repr(state).encode("utf-8"), digest_size=16).digest()

    def author_year(self, key: str) -> tuple[str, str]:
        found = self._author_year.get(key.lower())
        if found is None:
            meta = self.formatter.meta(key)
            found = (meta.authors, meta.year)
        return found


@cache
def _rendering_code() -> str:
    """The version of the code that renders citations and references (and reads what a page
    wrote), with the libraries under it."""
    modules = (sys.modules[__name__], syntax, references, unsrt_html, latex, math, sanitize)
    return code_version(modules, ("pybtex", "nh3", "latex2mathml", "markupsafe"))


class CitedEntry(NamedTuple):
    """What rendering a citation of one key needs, computed once per build (a named tuple: a
    build makes one for each cited entry)."""

    key: str
    authors: str
    year: str
    link_start: str  # '<span class="citation"><a ... href="#ref-key">'
    authors_html: str  # ``authors`` escaped

    def link(self, text: str) -> str:
        """The citation's link to its entry in the page's references, where ``cortex-citations.js``
        takes the card it shows on hover and focus from: a page holds each reference once."""
        return f"{self.link_start}{text if text.isdigit() else escape(text)}</a></span>"


def cited_entry(index: CitationIndex, key: str) -> CitedEntry | None:
    """The key's rendering data, or None when no entry has it."""
    found = index.entries.get(key.lower())
    if found is None and (ref := index.bibliography.find(key)) is not None:
        canonical = ref.key
        authors, year = index.author_year(canonical)
        found = index.entries[key.lower()] = CitedEntry(
            canonical,
            authors,
            year,
            f'<span class="citation"><a class="citation-link" href="#{_anchor_attribute(canonical)}">',
            str(escape(authors)),
        )
    return found


def render_citation(items: Sequence[Citation], index: CitationIndex, src_uri: str) -> str | None:
    """HTML for a bracketed group or a bare ``@key``; None leaves a bare unknown key as text."""
    numeric = index.style.citation == "numeric"
    if len(items) == 1 and items[0].in_text:
        item = items[0]
        entry = cited_entry(index, item.key)
        if entry is None:
            return None
        tail = f", {escape(item.locator)}" if item.locator else ""
        if numeric:
            return f"{entry.authors_html} [{entry.link(index.label(src_uri, entry.key))}{tail}]"
        return f"{entry.authors_html} ({entry.link(entry.year)}{tail})"
    parts = []
    for item in items:
        entry = cited_entry(index, item.key)
        if entry is None:
            parts.append(
                f'<span class="citation citation-unknown" title="unknown citation key">@{escape(item.key)}?'
                "</span>"
            )
            continue
        if numeric:
            text = index.label(src_uri, entry.key)
        else:
            text = entry.year if item.suppress_author else f"{entry.authors}, {entry.year}"
        link = entry.link(text)
        if item.prefix:
            link = f"{escape(item.prefix)} {link}"
        parts.append(f"{link}, {escape(item.locator)}" if item.locator else link)
    if numeric:
        return f'<span class="citation-group">[{"; ".join(parts)}]</span>'
    return f'<span class="citation-group">({"; ".join(parts)})</span>'


def render_bibliography(keys: Iterable[str], bibliography: Bibliography, style: CitationStyle) -> str:
    """An HTML list of the entries for ``keys``, in the style's order and with its labels, each
    with id ``ref-<key>``: sanitized HTML (each entry's ``site_html``, the rest escaped), for a
    page already sanitized. (A site's pages take their order and labels from the index:
    ``render_page_bibliography``, ``render_global_bibliography``.)"""
    formatter = formatter_for(bibliography, style.bibliography)
    ordered = formatter.sort(bibliography[k].key for k in keys if k in bibliography)
    if style.bibliography == "alpha":
        labels = formatter.alpha_labels(ordered, by_name=True)
    elif style.citation == "numeric":
        labels = {k.lower(): str(i + 1) for i, k in enumerate(ordered)}
    else:
        labels = {}
    items = (_reference(key, labels.get(key.lower()), formatter.site_html(key), "") for key in ordered)
    return _reference_list(items, bool(labels))


def _reference(key: str, label: str | None, body: str, extra: str) -> str:
    """One entry of a list of references (``body``: the entry's ``site_html``; ``extra``: HTML)."""
    if label:
        head = f'<span class="reference-label">[{label if label.isdigit() else escape(label)}]</span> '
    else:
        head = ""
    return (
        f'<li class="reference" id="{_anchor_attribute(key)}">{head}<span class="reference-body">'
        f"{body}</span>{extra}</li>"
    )


def _reference_list(items: Iterable[str], numbered: bool) -> str:
    kind = "numbered" if numbered else "author-year"
    return f'<ul class="bibliography bibliography-{kind}">\n' + "\n".join(items) + "\n</ul>"


def _note_link(index: CitationIndex, key: str, link: Link, current: str = "") -> str:
    note = index.reading_notes.get(key.lower()) if index.reading_notes else None
    if note is None or note == current:
        return ""
    return f' <a class="reading-note-link" href="{escape(link(note, ""))}">Reading note</a>'


def render_page_bibliography(index: CitationIndex, src_uri: str, link: Link, global_uri: str | None) -> str:
    """The references section ending a page that cites; empty when it cites nothing."""
    labels = index.page_labels(src_uri)
    if not labels:
        return ""
    numeric = index.style.citation == "numeric"
    site_html = index.formatter.site_html
    # the page's link to the global bibliography, escaped once: the key's anchor is added to it
    to_global = (
        f' <a class="reference-global-link" href="{escape(link(global_uri, ""))}#' if global_uri else ""
    )
    items = []
    for key, label in labels.items():
        extra = _note_link(index, key, link, src_uri)
        if to_global:
            extra += f'{to_global}{_anchor_attribute(key)}" title="All pages citing it">↗</a>'
        items.append(_reference(key, label if numeric else None, site_html(key), extra))
    body = _reference_list(items, numeric)
    return f'<section class="references">\n<h2 id="references">References</h2>\n{body}\n</section>'


def render_global_bibliography(index: CitationIndex, link: Link, titles: Mapping[str, str]) -> str:
    """Every listed entry with "cited by" links to the pages (``titles``: src_uri -> title) citing it."""
    page_links = {  # each citing page's link, made once: a page cites many entries
        uri: f'<a href="{escape(link(uri, ""))}">{escape(titles.get(uri, uri))}</a>'
        for uri, page in index.pages.items()
        if page.keys
    }
    labels = index._alpha if index.style.bibliography == "alpha" else {}
    site_html = index.formatter.site_html
    items = []
    for key in index.listed_in_order():
        extra = _note_link(index, key, link)
        if pages := index.cited_by(key):
            cited_by = ", ".join([page_links[uri] for uri in pages])
            extra += f' <span class="reference-cited-by">Cited by: {cited_by}</span>'
        items.append(_reference(key, labels.get(key.lower()), site_html(key), extra))
    return _reference_list(items, bool(labels))


def render_reading_note_reference(
    index: CitationIndex, src_uri: str, link: Link, global_uri: str | None
) -> str:
    """The full reference shown at the top of a reading note."""
    parts = []
    for key in index.page(src_uri).notes_on:
        target = (
            Markup(' <a class="reference-global-link" href="{}">↗</a>').format(link(global_uri, anchor(key)))
            if global_uri
            else Markup("")
        )
        parts.append(
            Markup(
                '<div class="reading-note-reference" id="reading-note-{}"><span class="reading-note-'
                'label">Reading note on</span> {}{}</div>'
            ).format(key, index.formatter.site_html(key), target)
        )
    return str(Markup("\n").join(parts))
