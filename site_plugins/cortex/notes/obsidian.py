"""Obsidian's Markdown made into the Markdown Python-Markdown reads, after links and embeds are
rendered: display math that starts or ends inside a paragraph becomes its own block, lists
nested by 2, 3 or 4 spaces or by tabs are nested as CommonMark nests them, and callouts
(``> [!tip]- Title``) become material admonitions (by mkdocs-callouts' parser), foldable where
Obsidian's are. Code, code spans and comments are left alone throughout."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

from cortex.text.markdown import protected_regions

_QUOTE = re.compile(r"(?:[ \t]*>[ \t]?)*")
_INDENT = re.compile(r"[ \t]*")
_ITEM = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+|$)")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_DISPLAY = re.compile(r"\$\$(?!\$)(.+?)\$\$|\\\[(.+?)\\\]", re.S)
_LIST_OR_INDENTED_FENCE = re.compile(
    r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]|^(?:[ \t]*>)*[ \t]? {1,3}(?:`{3}|~{3})", re.M
)
_ADMONITION = re.compile(r"[ \t]*(?:!!!|\?\?\?\+?) ")


def obsidian_to_markdown(text: str) -> str:
    """``text`` (a page's Markdown, links already rendered) in the dialect Python-Markdown reads."""
    if "$$" in text or "\\[" in text:
        text = isolate_display_math(text)
    text = nest_lists(text)
    if "[!" in text:
        text = callouts(text)
    return text


def isolate_display_math(text: str) -> str:
    """Every ``$$...$$`` and ``\\[...\\]`` outside code stands as a block of its own, with a
    blank line (kept inside its blockquote) before and after: Obsidian shows it so wherever it
    starts, and arithmatex finds display math only in a block of its own."""
    regions = protected_regions(text)
    out, pos = [], 0
    for m in _DISPLAY.finditer(text):
        if regions.covers(m.start()) or regions.covers(m.end() - 1):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        quote = _QUOTE.match(text, line_start).group(0)  # type: ignore[union-attr]  # matches empty
        # the line's blockquote markers and indentation (a list item's): the block keeps both
        quote += _INDENT.match(text, line_start + len(quote)).group(0)  # type: ignore[union-attr]
        blank = "\n" + quote.rstrip() + "\n" + quote
        before = text[line_start : m.start()][len(quote) :]
        line_end = text.find("\n", m.end())
        after = text[m.end() : len(text) if line_end == -1 else line_end]
        previous_line = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1 : max(0, line_start - 1)]
        lead = blank if before.strip() or (not before and previous_line[len(quote) :].strip()) else ""
        trail = blank if after.strip() else ""
        if not after.strip() and line_end != -1:
            next_end = text.find("\n", line_end + 1)
            next_line = text[line_end + 1 : len(text) if next_end == -1 else next_end]
            trail = "\n" + quote.rstrip() if next_line[len(quote) :].strip() else ""
        out += [text[pos : m.start()], lead, m.group(0), trail]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def nest_lists(text: str) -> str:
    """List items re-indented to four spaces a level, nested as Obsidian nests them: an item
    indented further than an open item's marker, by a tab or any number of spaces, is inside
    it (Python-Markdown wants four spaces a level). What belongs to an item (its paragraphs,
    code) moves with it."""
    if not _LIST_OR_INDENTED_FENCE.search(text):
        return text
    out: list[str] = []
    # per blockquote depth, each open item: (the column of its marker, the column of its text)
    stacks: dict[str, list[tuple[int, int]]] = {}
    fence: tuple[str, int] | None = None  # an open code fence, and how far its lines move
    previous_blank = True
    for line in text.split("\n"):
        quote = _QUOTE.match(line).group(0)  # type: ignore[union-attr]  # matches the empty string
        rest = line[len(quote) :]
        body = rest.expandtabs(4) if "\t" in rest else rest
        indent = len(body) - len(body.lstrip(" "))
        if fence is not None:
            marker, shift = fence
            if body.strip().startswith(marker) and _FENCE.match(body):
                fence = None
            out.append(quote + " " * max(0, indent + shift) + body.lstrip(" ") if body.strip() else line)
            continue
        stack = stacks.setdefault(quote.strip(), [])
        if not body.strip():
            out.append(line)
            previous_blank = True
            continue
        item = _ITEM.match(body)
        new_indent = indent
        if item:
            while stack and indent <= stack[-1][0]:  # not indented past the open item: it is done
                stack.pop()
            new_indent = 4 * len(stack)
            stack.append((indent, indent + len(item.group(2)) + max(1, len(item.group(3)))))
        elif stack and indent > stack[0][0]:  # a paragraph or code inside an item
            while len(stack) > 1 and indent <= stack[-1][0]:
                stack.pop()
            new_indent = 4 * len(stack) + max(0, indent - stack[-1][1])
        elif previous_blank:
            stack.clear()  # a paragraph after a blank line, left of every item: the list is over
        fenced = _FENCE.match(body)
        if fenced and not stack and indent <= 3:
            new_indent = 0  # a fence may be indented up to 3 spaces; Python-Markdown wants none
        out.append(quote + " " * new_indent + body.lstrip(" ") if new_indent != indent else line)
        if fenced:
            fence = (fenced.group(1), new_indent - indent)
        previous_blank = False
    return "\n".join(out)


@cache
def _callout_parser_class() -> type:
    """mkdocs-callouts' ``CalloutParser``, read from its ``utils`` module alone: the package's
    ``__init__`` imports its MkDocs plugin, and the core never imports MkDocs."""
    spec = importlib.util.find_spec("mkdocs_callouts")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("mkdocs-callouts is not installed: pip install mkdocs-callouts")
    path = Path(next(iter(spec.submodule_search_locations))) / "utils.py"
    module_spec = importlib.util.spec_from_file_location("cortex_callout_parser", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot read {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)  # it imports only re and typing
    return module.CalloutParser


def callouts(text: str) -> str:
    """Obsidian callouts as admonitions, each with the blank line before it that Python-Markdown
    needs (in Obsidian a callout may follow a paragraph line directly)."""
    converted = _callout_parser_class()(convert_aliases=True, breakless_lists=True).parse(text)
    lines = converted.split("\n")
    out: list[str] = []
    for line in lines:
        if _ADMONITION.match(line) and out and out[-1].strip():
            out.append("")
        out.append(line)
    return "\n".join(out)
