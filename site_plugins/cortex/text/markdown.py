"""Where Markdown syntax lives in a text: code and comments are found once, so every rewrite
(wikilinks, tags, block ids, shortcodes) can leave them alone; and text made safe to write
into generated Markdown."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache

_MARKDOWN_SYNTAX = "\\`*_[]{}|~$"
# md_text's whole rewrite as one table: markupsafe's HTML escapes, then every Markdown syntax
# character as a numeric entity (str.translate does in C what a per-character loop did in Python)
_MD_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "'": "&#39;",
        '"': "&#34;",
        **{c: f"&#{ord(c)};" for c in _MARKDOWN_SYNTAX},
    }
)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*$", re.M)
_OPENERS = re.compile(r"^[ \t]*(?:`{3,}|~{3,})|<!--|%%|`+", re.M)
_OPENER_MARKS = ("`", "~~~", "<!--", "%%")  # every opener holds one, at its start or after its indent


@dataclass(frozen=True)
class Regions:
    """Sorted, non-overlapping [start, end) spans of a text that rewrites must not touch."""

    spans: tuple[tuple[int, int], ...]
    starts: tuple[int, ...]

    def covers(self, offset: int) -> bool:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i >= 0 and offset < self.spans[i][1]


def protected_regions(text: str) -> Regions:
    """Fenced code, code spans, %%comments%% and HTML comments, found in one left-to-right scan
    (whichever construct opens first wins, as in Markdown). An unclosed fence or comment runs
    to the end of the text; an unmatched backtick run is literal."""
    spans: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    marks = {mark: text.find(mark) for mark in _OPENER_MARKS}  # where each next occurs from pos on
    while pos < n:
        m = _next_opener(text, pos, marks)
        if not m:
            break
        token = m.group(0)
        start = m.start()
        if token.lstrip(" \t")[:1] in "`~" and len(token.strip()) >= 3 and _FENCE.match(text, start):
            fence = token.strip()
            closer = _fence_closer(fence[0], len(fence))
            line_end = text.find("\n", m.end())
            fence_end = closer.search(text, line_end) if line_end != -1 else None
            end = fence_end.end() if fence_end else n
        elif token == "<!--":
            close = text.find("-->", m.end())
            end = n if close == -1 else close + 3
        elif token == "%%":
            close = text.find("%%", m.end())
            end = n if close == -1 else close + 2
        else:
            ticks = token.strip()
            span_end = _span_closer(len(ticks)).search(text, m.end())
            if not span_end:
                pos = m.end()
                continue
            start = m.end() - len(ticks)
            end = span_end.end()
        spans.append((start, end))
        pos = max(end, m.end())
    return Regions(tuple(spans), tuple(s for s, _ in spans))


def _next_opener(text: str, pos: int, marks: dict[str, int]) -> re.Match | None:
    """``_OPENERS.search(text, pos)``, without trying the pattern at every offset: no opener
    starts before the line of the first backtick, ``~~~``, ``<!--`` or ``%%`` from ``pos`` on.
    ``marks`` keeps where each was found, so that the text is searched for each once, not
    again from every opener on."""
    for mark, at in marks.items():
        if at != -1 and at < pos:
            marks[mark] = text.find(mark, pos)
    found = [i for i in marks.values() if i != -1]
    if not found:
        return None
    first = min(found)
    return _OPENERS.search(text, max(pos, text.rfind("\n", 0, first) + 1))


# The closers start with a literal (the newline before a closing fence; the backticks of a
# span, with "no backtick before them" checked behind), which the regex engine can skip to.
@cache
def _fence_closer(char: str, length: int) -> re.Pattern:
    """A line closing a fence of ``length`` ``char``s; searched for from the opening line's end."""
    return re.compile(rf"\n[ \t]*{re.escape(char)}{{{length},}}[ \t]*$", re.M)


@cache
def _span_closer(length: int) -> re.Pattern:
    """A run of exactly ``length`` backticks."""
    return re.compile(rf"`{{{length}}}(?<!`{{{length + 1}}})(?!`)")


def md_text(value: object) -> str:
    """Text for a Markdown page that shows literally: HTML-escaped, and Markdown syntax
    characters written as numeric entities."""
    return str(value).translate(_MD_TEXT)


_HTML_ONLY = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_prose(value: object) -> str:
    """Text for a Markdown page that keeps Markdown's own syntax (emphasis, code, math) but no
    HTML: ``&``, ``<`` and ``>`` show as themselves."""
    return str(value).translate(_HTML_ONLY)


def indent_block(markdown: str, prefix: str = "    ") -> str:
    """``markdown`` indented as the body of a block (an admonition, a tab): blank lines stay blank."""
    return "\n".join(prefix + line if line else line for line in markdown.split("\n"))
