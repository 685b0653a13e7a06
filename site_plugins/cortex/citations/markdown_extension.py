"""A Python-Markdown extension rendering Pandoc citations.

It works at the inline stage, where code spans and fenced code are already set aside,
so nothing inside code is ever touched. Rendering is delegated to a callable, which
returns HTML for a list of citations or None to leave the text alone.

A page's citations can also join it later (:class:`HeldCitations`): each one's HTML is set
aside and a token stands in its place in the text, to be swapped back once the page has been
cleaned, so that the sanitizer is not run over markup this project wrote and escaped itself. A
citation in a heading keeps its HTML (the table of contents reads the heading's text), and one
that another pattern moved into an attribute (an image's alt text, a link's title) reads as its
text there. A page's citations are rendered once per text (``HeldCitations.rendered``): a page that
cites the same way twice renders it once, and a build can start a page with what an earlier one
rendered of it, under the same numbering and entries.
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping, Sequence
from html import unescape

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from cortex.citations.syntax import BARE, GROUP, Citation, bare_citation, parse_group

RenderCitation = Callable[[Sequence[Citation]], "str | None"]
# After backticks (190) and escapes (180), before reference links (170) and links (160).
GROUP_PRIORITY = 175
# After automatic email links (110), so <me@example.org> stays a mail link.
BARE_PRIORITY = 105
# After the inline stage (20), before the table of contents reads the headings (5).
PLACED_PRIORITY = 6
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TAG = re.compile(r"<[^>]*>")
_UNSEEN = object()


class HeldCitations:
    """The citations of the page being rendered, set aside: each stands as a token in the text
    until ``restore``. A token holds a part drawn at random for each instance, so no note can
    write one.

    Each citation's HTML is also kept by what the page wrote (``[@key, p. 3]``, ``@key``):
    ``start_page`` may be given what an earlier rendering of the page made, when everything
    rendering reads besides the text is the same (the caller's to know); ``rendered`` holds what
    this page rendered, once it is done."""

    def __init__(self) -> None:
        self._token = f"cortexcitation{secrets.token_hex(8)}n"
        self.pattern = re.compile(self._token + r"(\d+)x")
        self.html: list[str] = []
        self._earlier: Mapping[str, str | None] = {}
        self.rendered: dict[str, str | None] = {}  # this page's citations by their text
        self.reused = True  # every citation of the page came from ``earlier``

    def start_page(self, earlier: Mapping[str, str | None] | None = None) -> None:
        self.html = []
        self._earlier = earlier or {}
        self.rendered = {}
        self.reused = True

    def render(self, source: str, render: Callable[[], str | None]) -> str | None:
        """The HTML of the citation written ``source`` (None: it stays text), from ``render()``
        unless the page or an earlier rendering of it already made it."""
        if source in self.rendered:
            return self.rendered[source]
        earlier = self._earlier.get(source, _UNSEEN)
        if earlier is _UNSEEN:
            html = render()
            self.reused = False
        else:
            html = earlier  # type: ignore[assignment]  # a value of ``earlier``: str or None
        self.rendered[source] = html
        return html

    def forget(self) -> None:
        """What the page rendered so far is not reused: rendering changed what the citations
        after it read (a key the page's numbering lacked was added to it)."""
        self._earlier = {}
        self.rendered = {}
        self.reused = False

    def hold(self, html: str) -> str:
        """The token standing for the citation ``html``."""
        self.html.append(html)
        return f"{self._token}{len(self.html) - 1}x"

    def restore(self, text: str) -> str:
        """``text`` with each token swapped back for its citation's HTML."""
        return self.pattern.sub(self._html, text) if self.html else text

    def _html(self, m: re.Match[str]) -> str:
        return self.html[int(m.group(1))]

    def plain(self, m: re.Match[str]) -> str:
        """The text of a token's citation (for an attribute, which the serializer escapes)."""
        return unescape(_TAG.sub("", self.html[int(m.group(1))]))


class _CitationProcessor(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a", "code", "pre")

    def __init__(
        self,
        pattern: re.Pattern[str],
        md: Markdown,
        render: RenderCitation,
        bare: bool,
        held: HeldCitations | None,
    ) -> None:
        super().__init__(pattern.pattern, md)
        self.render = render
        self.bare = bare
        self.held = held

    def handleMatch(  # type: ignore[override]  # InlineProcessor's signature; the stubs give Pattern's
        self, m: re.Match[str], data: str
    ) -> tuple[str | etree.Element | None, int | None, int | None]:
        if self.held is None:
            html = self._render(m)
            return (
                (None, None, None) if html is None else (self.md.htmlStash.store(html), m.start(0), m.end(0))
            )
        html = self.held.render(m.group(0), lambda: self._render(m))
        return (None, None, None) if html is None else (self.held.hold(html), m.start(0), m.end(0))

    def _render(self, m: re.Match[str]) -> str | None:
        items = [bare_citation(m)] if self.bare else parse_group(m.group(1))
        return self.render(items) if items else None


class _PlacedCitations(Treeprocessor):
    """Held citations that landed in a heading get their HTML back, and those in an attribute
    their text; the others stay tokens."""

    def __init__(self, md: Markdown, held: HeldCitations) -> None:
        super().__init__(md)
        self.held = held

    def run(self, root: etree.Element) -> None:
        if not self.held.html:
            return
        pattern = self.held.pattern
        for element in root.iter():
            if element.tag in _HEADINGS:
                for inner in element.iter():
                    if inner.text and pattern.search(inner.text):
                        inner.text = pattern.sub(self._stashed, inner.text)
                    if inner is not element and inner.tail and pattern.search(inner.tail):
                        inner.tail = pattern.sub(self._stashed, inner.tail)
            for name, value in element.attrib.items():
                if isinstance(value, str) and pattern.search(value):  # some extensions set None
                    element.set(name, pattern.sub(self.held.plain, value))

    def _stashed(self, m: re.Match[str]) -> str:
        return self.md.htmlStash.store(self.held.html[int(m.group(1))])


class CitationExtension(Extension):
    """Rewrites ``[@key]``, ``[@key, p. 3]``, ``[@a; @b]``, ``[-@key]`` and bare ``@key``.
    ``held``: citations join the page later (see the module's docstring)."""

    def __init__(self, render: RenderCitation, held: HeldCitations | None = None, **kwargs) -> None:
        self.render = render
        self.held = held
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        self.register(md, self.held)

    def register(self, md: Markdown, held: HeldCitations | None) -> None:
        md.inlinePatterns.register(
            _CitationProcessor(GROUP, md, self.render, False, held), "citation", GROUP_PRIORITY
        )
        md.inlinePatterns.register(
            _CitationProcessor(BARE, md, self.render, True, held), "citation_bare", BARE_PRIORITY
        )
        if held is not None:
            md.treeprocessors.register(_PlacedCitations(md, held), "citation_placed", PLACED_PRIORITY)
