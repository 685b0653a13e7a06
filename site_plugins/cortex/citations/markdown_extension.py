"""A Python-Markdown extension rendering Pandoc citations.

It works at the inline stage, where code spans and fenced code are already set aside,
so nothing inside code is ever touched. Rendering is delegated to a callable, which
returns HTML for a list of citations or None to leave the text alone.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from cortex.citations.syntax import BARE, GROUP, Citation, bare_citation, parse_group

RenderCitation = Callable[[Sequence[Citation]], "str | None"]
# After backticks (190) and escapes (180), before reference links (170) and links (160).
GROUP_PRIORITY = 175
# After automatic email links (110), so <me@example.org> stays a mail link.
BARE_PRIORITY = 105


class _CitationProcessor(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a", "code", "pre")

    def __init__(self, pattern: re.Pattern[str], md: Markdown, render: RenderCitation, bare: bool) -> None:
        super().__init__(pattern.pattern, md)
        self.render = render
        self.bare = bare

    def handleMatch(  # type: ignore[override]  # InlineProcessor's signature; the stubs give Pattern's
        self, m: re.Match[str], data: str
    ) -> tuple[str | etree.Element | None, int | None, int | None]:
        items = [bare_citation(m)] if self.bare else parse_group(m.group(1))
        html = self.render(items) if items else None
        if html is None:
            return None, None, None
        return self.md.htmlStash.store(html), m.start(0), m.end(0)


class CitationExtension(Extension):
    """Rewrites ``[@key]``, ``[@key, p. 3]``, ``[@a; @b]``, ``[-@key]`` and bare ``@key``."""

    def __init__(self, render: RenderCitation, **kwargs) -> None:
        self.render = render
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(
            _CitationProcessor(GROUP, md, self.render, bare=False), "citation", GROUP_PRIORITY
        )
        md.inlinePatterns.register(
            _CitationProcessor(BARE, md, self.render, bare=True), "citation_bare", BARE_PRIORITY
        )
