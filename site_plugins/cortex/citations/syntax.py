"""Pandoc citation syntax: ``[@key]``, ``[see @key, p. 3]``, ``[@a; @b]``, ``[-@key]``, ``@key``.

The same patterns serve the Markdown extension (which renders citations) and
:func:`find_citations` (which lists what a page cites before anything is rendered).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Container
from typing import NamedTuple

from cortex.diagnostics import LineIndex
from cortex.text.front_matter import front_matter_span

# A key starts with a word character; inner punctuation is allowed, a trailing one is not.
KEY = r"[^\W](?:[\w:.#\-+/]*\w)?"
# Each pattern starts with the character it is about ("[", "@"), so that the regular expression
# engine leaps from one to the next; what may not come before it is looked behind for after it.
# A bracketed group holds at least one key, no nested brackets, and is not a link.
GROUP = re.compile(r"\[(?<![\[\\]\[)([^\[\]\n]*?(?<![\w@\\])-?@" + KEY + r"[^\[\]]*?)\](?![(\[\]])")
# A bare key in running text, optionally followed by a locator: ``@key [p. 3]``.
BARE = re.compile(r"@(?<![\w@\\/.:\-+\]`]@)(" + KEY + r")(?:[ \t]?\[([^\[\]@\n]*)\](?![(\[]))?")
_ITEM = re.compile(
    r"^\s*(?P<prefix>.*?)\s*(?<![\w@\\])(?P<minus>-?)@(?P<key>" + KEY + r")(?P<suffix>.*?)\s*$", re.S
)

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})", re.M)
# a run of backticks (its first one not after another), up to the next run of the same length
_CODE_SPAN = re.compile(r"`(?<!``)(`*)(?!`).+?(?<!`)`\1(?!`)", re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)


class Citation(NamedTuple):
    """One cited key with what surrounds it. ``in_text`` marks a bare ``@key``. (A named tuple:
    a build makes one or two for each citation of every page.)"""

    key: str
    prefix: str = ""
    locator: str = ""
    suppress_author: bool = False
    in_text: bool = False
    offset: int = 0
    line: int = 1
    col: int = 1


def parse_group(content: str, offset: int = 0) -> list[Citation] | None:
    """The citations inside ``[...]`` (brackets excluded), or None if it is not a citation group."""
    items = _group(content)
    if items is None:
        return None
    if not offset:
        return list(items)
    return [item._replace(offset=item.offset + offset) for item in items]


@functools.lru_cache(maxsize=1 << 16)
def _group(content: str) -> tuple[Citation, ...] | None:
    """``parse_group(content)``: once per group's text in a process, as a build reads each group
    twice (indexing the page, then rendering it) and a preview on every rebuild."""
    items = []
    pos = 0
    for part in content.split(";"):
        m = _ITEM.match(part)
        if m is None:
            return None
        prefix, minus, key, locator = m.groups()
        locator = locator.strip()
        if locator.startswith(","):
            locator = locator[1:].strip()
        items.append(Citation(key, prefix, locator, bool(minus), False, pos + m.start(3) - 1))
        pos += len(part) + 1
    return tuple(items)


def bare_citation(m: re.Match[str], offset: int = 0) -> Citation:
    return Citation(m.group(1), locator=(m.group(2) or "").strip(), in_text=True, offset=offset + m.start())


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by spaces, newlines kept so offsets and lines hold."""
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(re.sub(r"[^\n]", " ", text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask_code(markdown: str) -> str:
    """Blank out front matter, fenced code, code spans and HTML comments."""
    spans = []
    front = front_matter_span(markdown)
    pos = front[2] if front else 0
    if front:
        spans.append((0, pos))
    while (m := _FENCE_OPEN.search(markdown, pos)) is not None:
        fence = m.group(1)
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M)
        line_end = markdown.find("\n", m.end())
        end_match = close.search(markdown, line_end + 1) if line_end >= 0 else None
        pos = end_match.end() if end_match else len(markdown)
        spans.append((m.start(), pos))
    markdown = _blank_spans(markdown, spans)
    if "`" in markdown or "<!--" in markdown:
        spans = sorted(m.span() for pattern in (_COMMENT, _CODE_SPAN) for m in pattern.finditer(markdown))
        markdown = _blank_spans(markdown, spans)
    return markdown


def find_citations(markdown: str, known: Container[str] | None = None) -> list[Citation]:
    """Every citation in ``markdown`` in order, outside code and comments.

    Bracketed keys are all returned (an unknown one is the caller's diagnostic). A bare
    ``@key`` is only a citation when the key exists, so when ``known`` is given bare
    mentions of other keys (emails, ``@decorators``) are dropped.
    """
    if "@" not in markdown:  # every form of citation has one
        return []
    return [c for c, bare in citations_in(markdown) if bare is None or known is None or bare in known]


@functools.lru_cache(maxsize=16384)
def citations_in(markdown: str) -> tuple[tuple[Citation, str | None], ...]:
    """Every citation in ``markdown``, each with its key when it is a bare ``@key`` (which only
    counts when the key is known); once per text in a process, as a preview indexes every page
    on each rebuild and most are unchanged."""
    masked = mask_code(markdown)
    found: list[tuple[int, Citation, str | None]] = []  # (offset, citation at the group's start, bare key)
    starts: list[int] = []
    ends: list[int] = []
    for m in GROUP.finditer(masked):
        items = _group(m.group(1))
        if items is not None:
            found.extend((m.start(1) + item.offset, item, None) for item in items)
            starts.append(m.start())
            ends.append(m.end())
    for m in BARE.finditer(masked):
        inside = bisect_right(starts, m.start()) - 1
        if inside >= 0 and m.start() < ends[inside]:
            continue
        found.append((m.start(), bare_citation(m), m.group(1)))
    found.sort(key=lambda item: item[0])
    lines = LineIndex(markdown)
    return tuple(
        (Citation(c.key, c.prefix, c.locator, c.suppress_author, c.in_text, at, *lines(at)), bare)
        for at, c, bare in found
    )
