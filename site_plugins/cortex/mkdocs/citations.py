"""Citations in an MkDocs build: the thin layer between plugin events and the core.

The plugin makes one :class:`CitationsAdapter` per build and calls, in order:
``extension()`` (appended to ``markdown_extensions``), ``index_pages()`` once with every
page, ``bibliography_page()`` for the generated page, then ``start_page()`` before each page's
Markdown and ``finish_page()`` on its HTML, once that is sanitized. What citations add to a page
joins it there: the citations themselves (held, as tokens, by the extension) and the references.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from mkdocs.utils import get_relative_url

from cortex.citations.bibliography import Bibliography, RenderedPage
from cortex.citations.index import (
    BIBLIOGRAPHY_PAGE,
    CitationIndex,
    render_citation,
    render_global_bibliography,
    render_page_bibliography,
    render_reading_note_reference,
)
from cortex.citations.markdown_extension import CitationExtension, HeldCitations
from cortex.citations.references import CitationStyle
from cortex.citations.syntax import Citation
from cortex.diagnostics import Diagnostic

# The generated page's Markdown holds this, for ``finish_page`` to fill with the list of entries.
PAGE_DIV = '<div class="bibliography-page"></div>'
STYLE_NAMES = {"numeric": "numeric", "author-year": "author-year", "author_year": "author-year"}


def _default_url(src_uri: str) -> str:
    """MkDocs' directory URL for a page: ``notes/foo.md`` -> ``notes/foo/``."""
    stem = src_uri[:-3] if src_uri.endswith(".md") else src_uri
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5]
    return stem + "/"


class CitationsAdapter:
    """One build's citations: numbering, page bibliographies, the global page."""

    def __init__(
        self,
        bibliography: Bibliography,
        style: str = "numeric",
        bib_style: str = "plain",
        list_all: bool = False,
        url_for: Callable[[str], str] | None = None,
        page_uri: str = BIBLIOGRAPHY_PAGE,
        page_title: str = "Bibliography",
        path_for: Callable[[str], str] | None = None,
        index: CitationIndex | None = None,
    ) -> None:
        self.style = index.style if index else CitationStyle(STYLE_NAMES.get(style, style), bib_style)
        self.index = index or CitationIndex(bibliography, self.style, list_all=list_all)
        self.url_for = url_for or _default_url
        self.path_for = path_for or (lambda src_uri: src_uri)
        self.page_uri = page_uri
        self.page_title = page_title
        self.titles: dict[str, str] = {}
        self._src_uri = ""
        self._url = ""
        self._returned = 0
        self.body = ""  # the global page's list of entries, made by ``bibliography_page``
        self.held = HeldCitations()  # the citations of the page being rendered
        self._state = b""  # what they are rendered from (``start_page``)
        self._late = 0  # the index's late keys then
        self._earlier: RenderedPage | None = None  # what the last rendering of the page made
        self._link = self._link_from("")

    @classmethod
    def from_index(cls, index: CitationIndex, **options) -> CitationsAdapter:
        """An adapter around an index the knowledge base already built (and prepared)."""
        adapter = cls(index.bibliography, index=index, **options)
        adapter.titles = {src_uri: page.title for src_uri, page in index.pages.items()}
        adapter._returned = len(index.formatter.problems)
        return adapter

    def render(self, items: Sequence[Citation]) -> str | None:
        return self._render(items)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Entries pybtex could not format that only rendering met (``index_pages`` returns the rest)."""
        return self.index.formatter.problems[self._returned :]

    def extension(self) -> CitationExtension:
        """The citation extension for pages this adapter renders (``finish_page`` gets their HTML)."""
        return CitationExtension(self._render, self.held)

    def index_pages(self, pages: Mapping[str, Sequence]) -> list[Diagnostic]:
        """Index every page before rendering; returns unknown keys and entries pybtex cannot format.

        ``pages``: src_uri -> (full text, title) or (full text, title, front matter). The
        full text includes front matter, so that diagnostics carry the file's own lines.
        """
        diagnostics = []
        for src_uri, value in sorted(pages.items()):
            markdown, title = value[0], value[1]
            meta = value[2] if len(value) > 2 else None
            self.titles[src_uri] = title
            diagnostics += self.index.add_page(src_uri, markdown, title, meta, self.path_for(src_uri))
        self.index.prepare()
        self._returned = len(self.index.formatter.problems)
        return diagnostics + self.index.formatter.problems

    def _link_from(self, url: str) -> Callable[[str, str], str]:
        """Links from the page at ``url`` to other pages, by src_uri and fragment."""
        hrefs: dict[str, str] = {}

        def link(src_uri: str, fragment: str) -> str:
            href = hrefs.get(src_uri)
            if href is None:
                target = self.url_for(src_uri)
                href = get_relative_url(target, url)
                if (target == "" or target.endswith("/")) and not href.endswith("/"):
                    href += "/"
                if ":" in href.split("/", 1)[0]:  # a page named "javascript:x" is a path, not a scheme
                    href = "./" + href
                hrefs[src_uri] = href
            return f"{href}#{fragment}" if fragment else href

        return link

    def bibliography_page(self) -> tuple[str, str]:
        """(src_uri, Markdown) of the page listing every cited entry.

        The Markdown holds the title and an empty ``<div class="bibliography-page">``, which
        ``finish_page`` fills with the list (``body``): it is HTML already, and Python-Markdown
        takes about a second over the raw HTML of ten thousand entries."""
        link = self._link_from(self.url_for(self.page_uri))
        self.body = (
            render_global_bibliography(self.index, link, self.titles)
            if self.index.listed_in_order()
            else '<p class="bibliography-empty">No page cites anything yet.</p>'
        )
        return self.page_uri, f"# {self.page_title}\n\n{PAGE_DIV}\n"

    def start_page(self, src_uri: str, url: str) -> None:
        """Before the page's Markdown: its citations start from what the last rendering of it
        made, when that was under the same state (``CitationIndex.rendering_state``)."""
        self._src_uri, self._url = src_uri, url
        self._link = self._link_from(url)
        self._late = self.index.late_keys
        self._earlier = None
        if src_uri != self.page_uri:
            self._state = self.index.rendering_state(src_uri, self._link, self.page_uri)
            self._earlier = self.index.bibliography.rendered_citations.of(src_uri, self._state)
        self.held.start_page(self._earlier.citations if self._earlier else None)

    def _render(self, items: Sequence[Citation]) -> str | None:
        late = self.index.late_keys
        html = render_citation(items, self.index, self._src_uri)
        if self.index.late_keys != late:  # the page's numbering changed: what came before is not reused
            self.held.forget()
        return html

    def finish_page(self, html: str) -> str:
        """The page's HTML with the reference it is a reading note for, and its references at the
        end; on the global page, its list. What it adds is sanitized already (entries by
        ``site_html``, the rest escaped): ``html`` may be the page after the sanitizer."""
        html = self.held.restore(html)  # each citation, escaped as it was made
        if self._src_uri == self.page_uri:
            at = html.find(PAGE_DIV)
            if at < 0:  # a file of the content folder took the page's path: it is shown as written
                return html
            filled = f'<div class="bibliography-page">\n{self.body}\n</div>'
            return html[:at] + filled + html[at + len(PAGE_DIV) :]
        head = render_reading_note_reference(self.index, self._src_uri, self._link, self.page_uri)
        tail = self._references()
        if head:  # under the page's title when it has one
            title_end = html.find("</h1>")
            cut = title_end + len("</h1>") if title_end >= 0 else 0
            html = f"{html[:cut]}\n{head}\n{html[cut:]}"
        return f"{html}\n{tail}" if tail else html

    def _references(self) -> str:
        """The page's references section: the last rendering's when every citation of the page
        came from it, else made again and kept with the citations for the next one. Nothing is
        kept when rendering changed the state it started from (a key the numbering lacked), nor
        for a page that cites nothing."""
        kept = self.index.bibliography.rendered_citations
        earlier, held = self._earlier, self.held
        if self.index.late_keys != self._late:
            kept.drop(self._src_uri)
            return render_page_bibliography(self.index, self._src_uri, self._link, self.page_uri)
        if earlier is not None and held.reused and len(held.rendered) == len(earlier.citations):
            return earlier.references
        tail = render_page_bibliography(self.index, self._src_uri, self._link, self.page_uri)
        if tail or held.rendered:
            kept.keep(self._src_uri, self._state, RenderedPage(held.rendered, tail))
        else:  # nothing to keep: a page that cites nothing renders nothing
            kept.drop(self._src_uri)
        return tail

    def save_cache(self) -> None:
        """Write entries formatted during rendering (normally all were, in ``index_pages``), and
        the pages' rendered citations."""
        bib = self.index.bibliography
        bib.cache.save({ref.digest for ref in bib.values()})
        bib.rendered_citations.save(self.index.pages)
