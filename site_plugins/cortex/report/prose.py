"""The site's Markdown, as the experiment pages are built from it, read into the report's
document model.

The input is what the core renders for a page: the author's prose with its shortcodes already
replaced by quoted numbers (``cortex.experiments.quotes``), and the result tables of
``cortex.experiments.tables`` (pipe tables whose cells carry a tooltip span, inside
pymdownx tabs and folded blocks). HTML tags are dropped and their text kept; a figure the
page embeds is handed to a callback that draws it. Math and citations are found as the site
finds them (``cortex.text.math.find_formulas``, ``cortex.citations.syntax``) and set aside
before Markdown is parsed, so an underscore in a formula never becomes emphasis.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from typing import ClassVar

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from cortex.citations.syntax import BARE, GROUP, Citation, bare_citation, mask_code, parse_group
from cortex.report import document as d
from cortex.text.math import find_formulas

# A placeholder for something set aside before parsing: private-use characters, which
# neither Markdown nor any writer reads as syntax.
_HOLD = re.compile("\ue000(\\d+)\ue001")
_TAG = re.compile(r"<[^<>\n]*>")
# pymdownx: a tab (=== "Title") or an admonition or folded block (??? kind "Title", !!! kind)
_BLOCK_OPENER = re.compile(
    r'^(?P<indent>[ \t]*)(?:===\+?[ \t]+"(?P<tab>[^"\n]*)"|(?:\?\?\?\+?|!!!)[ \t]+(?P<kind>[\w-]+)'
    r'(?:[ \t]+"(?P<title>[^"\n]*)")?)[ \t]*$'
)
# "[!warning]- Title": an Obsidian callout's kind, fold mark and title, up to the line's end
_CALLOUT = re.compile(r"\[!([\w-]+)\][+-]?[ \t]*([^\n]*)")
_ATTR_LIST = re.compile(r"^[ \t]*\{:[^}\n]*\}[ \t]*$", re.M)
_WIKILINK = re.compile(r"!?\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]")
_FIGURE_ID = re.compile(r'<div class="cortex-figure" id="([^"]+)"')
_PROBLEM = re.compile(r'<div class="[^"]*(?:cortex-problem|cortex-figure-missing)[^"]*"')

CiteText = Callable[[Sequence[Citation]], "str | None"]
FigureFor = Callable[[str], "d.Figure | None"]

_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def read_markdown(
    markdown: str,
    cite: CiteText,
    figure_for: FigureFor | None = None,
    shift_headings: int = 0,
) -> list[d.Block]:
    """Blocks for ``markdown``. ``cite`` gives the text of a citation group (None leaves it as
    written); ``figure_for`` the figure for an embedded figure's HTML id."""
    held: list[d.Inline] = []
    text = _unfold_blocks(_ATTR_LIST.sub("", markdown))
    text = _set_aside_math(text, held)
    text = _set_aside_citations(text, held, cite)
    text = _wikilinks_as_text(text)
    tree = SyntaxTreeNode(_PARSER.parse(text))
    return _Reader(held, figure_for, shift_headings).blocks(tree.children)


def read_inline(markdown: str, cite: CiteText) -> d.Inlines:
    """The inlines of a short text (a hypothesis, a verdict, a table cell's Markdown)."""
    blocks = read_markdown(markdown, cite)
    out: list[d.Inline] = []
    for block in blocks:
        if isinstance(block, d.Paragraph | d.Heading):
            if out:
                out.append(d.Break())
            out.extend(block.content)
    return tuple(out)


def text_of_html(fragment: str) -> str:
    """The text an HTML fragment shows: tags dropped, entities decoded."""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


class _TextOnly(HTMLParser):
    """Text, less what a page hides until asked: templates, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: list[str] = []  # the tag of each hidden element open
        self._depth = 0  # elements of that tag opened inside the innermost hidden one

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._hidden and tag == self._hidden[-1]:
            self._depth += 1
        elif tag in ("template", "script", "style"):
            self._hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self._hidden or tag != self._hidden[-1]:
            return
        if self._depth:
            self._depth -= 1
        else:
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


# -- before parsing ------------------------------------------------------------------------------


def _unfold_blocks(markdown: str) -> str:
    """pymdownx tabs and admonitions as a bold title line and their body unindented: a report
    shows every tab and opens every folded block."""
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _BLOCK_OPENER.match(lines[i])
        if m is None:
            out.append(lines[i])
            i += 1
            continue
        indent = m.group("indent")
        title = m.group("tab") if m.group("tab") is not None else m.group("title")
        if title is None:
            title = (m.group("kind") or "").capitalize()
        out += [f"{indent}**{title}**" if title.strip() else "", ""]
        body = indent + "    "
        i += 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(body)):
            out.append(indent + lines[i][len(body) :] if lines[i].strip() else "")
            i += 1
    return "\n".join(out)


def _masked(text: str) -> str:
    """``text`` with code, comments and HTML tags blanked (offsets kept), where no math or
    citation is looked for."""
    masked = mask_code(text)
    return _TAG.sub(lambda m: " " * len(m.group(0)), masked)


def _hold(held: list[d.Inline], node: d.Inline) -> str:
    held.append(node)
    return f"\ue000{len(held) - 1}\ue001"


def _set_aside_math(text: str, held: list[d.Inline]) -> str:
    out, pos = [], 0
    for offset, latex, display in find_formulas(_masked(text)):
        if offset < pos:
            continue
        opener = text[offset : offset + 2]
        width = 2 if opener in ("$$", "\\[", "\\(") else 1
        end = offset + width + len(latex) + width
        out.append(text[pos:offset])
        node = _hold(held, d.Math(text[offset + width : end - width].strip(), display))
        out.append(f"\n\n{node}\n\n" if display and _alone_on_lines(text, offset, end) else node)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _alone_on_lines(text: str, start: int, end: int) -> bool:
    before = text[text.rfind("\n", 0, start) + 1 : start]
    after_end = text.find("\n", end)
    after = text[end : after_end if after_end >= 0 else len(text)]
    return not before.strip() and not after.strip()


def _set_aside_citations(text: str, held: list[d.Inline], cite: CiteText) -> str:
    if "@" not in text:
        return text
    masked = _masked(text)
    spans: list[tuple[int, int, str]] = []
    for m in GROUP.finditer(masked):
        items = parse_group(m.group(1))
        shown = cite(items) if items else None
        if shown is not None:
            spans.append((m.start(), m.end(), shown))
    taken = [(s, e) for s, e, _ in spans]
    for m in BARE.finditer(masked):
        if any(s <= m.start() < e for s, e in taken):
            continue
        shown = cite([bare_citation(m)])
        if shown is not None:
            spans.append((m.start(), m.end(), shown))
    out, pos = [], 0
    for start, end, shown in sorted(spans):
        out += [text[pos:start], _hold(held, d.Text(shown))]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _wikilinks_as_text(text: str) -> str:
    masked = _masked(text)
    out, pos = [], 0
    for m in _WIKILINK.finditer(masked):
        target, alias = text[m.start(1) : m.end(1)], m.group(2) and text[m.start(2) : m.end(2)]
        shown = alias or target.split("#")[0].rsplit("/", 1)[-1] or target
        out += [text[pos : m.start()], shown.replace("[", "\\[").replace("]", "\\]")]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


# -- the parsed tree -----------------------------------------------------------------------------


class _Reader:
    def __init__(self, held: list[d.Inline], figure_for: FigureFor | None, shift: int) -> None:
        self.held = held
        self.figure_for = figure_for
        self.shift = shift

    def blocks(self, nodes: Sequence[SyntaxTreeNode]) -> list[d.Block]:
        out: list[d.Block] = []
        for node in nodes:
            out += self.block(node)
        return out

    def block(self, node: SyntaxTreeNode) -> list[d.Block]:
        kind = node.type
        if kind == "paragraph":
            return self.paragraph(self.inlines(node.children[0].children if node.children else []))
        if kind == "heading":
            level = max(1, int(node.tag[1:]) - self.shift)
            return [d.Heading(level, self.inlines(node.children[0].children))]
        if kind in ("bullet_list", "ordered_list"):
            items = tuple(tuple(self.blocks(item.children)) for item in node.children)
            start = int(node.attrs.get("start", 1) or 1) if kind == "ordered_list" else 1
            return [d.ListBlock(items, kind == "ordered_list", start)]
        if kind in ("fence", "code_block"):
            return [d.CodeBlock(self._restore(node.content.rstrip("\n")))]
        if kind == "blockquote":
            return [d.BlockQuote(_callout_title(self.blocks(node.children)))]
        if kind == "hr":
            return [d.Rule()]
        if kind == "table":
            return [self.table(node)]
        if kind == "html_block":
            return self.html_block(node.content)
        return self.blocks(node.children)

    def paragraph(self, content: d.Inlines) -> list[d.Block]:
        """A paragraph; display math in it stands as a block of its own, as on the site."""
        out: list[d.Block] = []
        run: list[d.Inline] = []
        for node in content:
            if isinstance(node, d.Math) and node.display:
                if _has_text(run):
                    out.append(d.Paragraph(tuple(run)))
                out.append(d.MathBlock(node.tex))
                run = []
            else:
                run.append(node)
        if _has_text(run):
            out.append(d.Paragraph(tuple(run)))
        return out

    def html_block(self, content: str) -> list[d.Block]:
        m = _FIGURE_ID.search(content)
        if m and self.figure_for is not None:
            figure = self.figure_for(html.unescape(m.group(1)))
            return [figure] if figure is not None else []
        shown = " ".join(text_of_html(content).split())
        if not shown:
            return []
        if _PROBLEM.search(content):
            return [d.Paragraph((d.Styled("emph", (d.Text("⚠ " + shown),)),))]
        return [d.Paragraph((d.Text(shown),))]

    def table(self, node: SyntaxTreeNode) -> d.Table:
        head: tuple[d.Inlines, ...] = ()
        rows: list[tuple[d.Inlines, ...]] = []
        numeric: list[bool] = []
        for section in node.children:
            for tr in section.children:
                cells = tuple(self.inlines(c.children[0].children if c.children else []) for c in tr.children)
                if section.type == "thead":
                    head = cells
                    numeric = ["right" in str(c.attrs.get("style", "")) for c in tr.children]
                else:
                    rows.append(cells)
        return d.Table(head, tuple(rows), tuple(numeric))

    def inlines(self, nodes: Sequence[SyntaxTreeNode]) -> d.Inlines:
        out: list[d.Inline] = []
        for node in nodes:
            kind = node.type
            if kind == "text":
                out += self._text(node.content)
            elif kind == "softbreak":
                out.append(d.Text("\n"))  # a space to every writer; ends a callout's title line
            elif kind == "hardbreak":
                out.append(d.Break())
            elif kind == "code_inline":
                out.append(d.Code(self._restore(node.content)))
            elif kind in ("em", "strong", "s"):
                style = {"em": "emph", "strong": "strong", "s": "strike"}[kind]
                out.append(d.Styled(style, self.inlines(node.children)))
            elif kind == "link":
                href = str(node.attrs.get("href", ""))
                children = self.inlines(node.children)
                # links between the site's pages mean nothing in a document: their text stays
                out += [d.Link(href, children)] if re.match(r"(?i)https?://", href) else list(children)
            elif kind == "image":
                alt = self.inlines(node.children)
                out.append(d.Styled("emph", alt or (d.Text("image"),)))
            elif kind == "html_inline":
                if re.fullmatch(r"(?i)<br\s*/?>", node.content.strip()):
                    out.append(d.Break())
            else:
                out += self.inlines(node.children)
        return _merge(out)

    def _text(self, text: str) -> list[d.Inline]:
        out: list[d.Inline] = []
        pos = 0
        for m in _HOLD.finditer(text):
            if m.start() > pos:
                out.append(d.Text(text[pos : m.start()]))
            out.append(self.held[int(m.group(1))])
            pos = m.end()
        if pos < len(text):
            out.append(d.Text(text[pos:]))
        return out

    def _restore(self, text: str) -> str:
        """Code as written: anything set aside inside it put back as its source."""

        def source(m: re.Match[str]) -> str:
            node = self.held[int(m.group(1))]
            if isinstance(node, d.Math):
                return f"$${node.tex}$$" if node.display else f"${node.tex}$"
            return node.text if isinstance(node, d.Text) else ""

        return _HOLD.sub(source, text)


def _callout_title(blocks: list[d.Block]) -> tuple[d.Block, ...]:
    """An Obsidian callout (``> [!warning] Title``) with its title in bold, as the site shows
    it: the kind's name when it has no title of its own."""
    first = blocks[0] if blocks else None
    if not isinstance(first, d.Paragraph) or not first.content or not isinstance(first.content[0], d.Text):
        return tuple(blocks)
    m = _CALLOUT.match(first.content[0].text)
    if m is None:
        return tuple(blocks)
    title = m.group(2).strip() or m.group(1).replace("-", " ").capitalize()
    rest = first.content[0].text[m.end() :].lstrip()
    content = (d.Text(rest),) if rest else ()
    heading = d.Paragraph((d.Styled("strong", (d.Text(title),)),))
    body = d.Paragraph(content + first.content[1:]) if _has_text([*content, *first.content[1:]]) else None
    return (heading, *([body] if body else []), *blocks[1:])


def _has_text(run: list[d.Inline]) -> bool:
    return any(not (isinstance(n, d.Text) and not n.text.strip()) for n in run)


def _merge(nodes: list[d.Inline]) -> d.Inlines:
    """Adjacent text joined, so writers see words whole."""
    out: list[d.Inline] = []
    for node in nodes:
        if isinstance(node, d.Text) and out and isinstance(out[-1], d.Text):
            out[-1] = d.Text(out[-1].text + node.text)
        else:
            out.append(node)
    return tuple(out)


def html_inlines(fragment: str) -> d.Inlines:
    """Inlines for a small HTML fragment (a formatted reference): emphasis, strong text, links
    and code kept, every other tag dropped with its text kept."""
    parser = _InlineHtml()
    parser.feed(fragment)
    parser.close()
    return _merge(parser.stack[0][1])


class _InlineHtml(HTMLParser):
    _STYLES: ClassVar[dict[str, str]] = {
        "em": "emph",
        "i": "emph",
        "strong": "strong",
        "b": "strong",
        "s": "strike",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, list[d.Inline], str]] = [("", [], "")]

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._STYLES or tag in ("a", "code"):
            href = next((v or "" for k, v in attrs if k == "href"), "") if tag == "a" else ""
            self.stack.append((tag, [], href))

    def handle_endtag(self, tag: str) -> None:
        if len(self.stack) < 2 or self.stack[-1][0] != tag:
            return
        _, children, href = self.stack.pop()
        content = _merge(children)
        if tag == "a":
            node: list[d.Inline] = (
                [d.Link(href, content)] if re.match(r"(?i)https?://", href) else list(content)
            )
        elif tag == "code":
            node = [d.Code(d.plain(content))]
        else:
            node = [d.Styled(self._STYLES[tag], content)]
        self.stack[-1][1].extend(node)

    def handle_data(self, data: str) -> None:
        self.stack[-1][1].append(d.Text(data))

    def close(self) -> None:
        super().close()
        while len(self.stack) > 1:
            self.handle_endtag(self.stack[-1][0])
