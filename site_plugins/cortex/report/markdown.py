"""A report as one Markdown file (CommonMark with pipe tables and ``$`` math, as GitHub,
Obsidian, Quarto and this site read it), its figures as SVG files beside it.

Text is written with every ASCII punctuation character Markdown could read as syntax
backslash-escaped, so a title or a cell holds no link, emphasis, HTML or table break that its
author did not mean; math is written back as the LaTeX it was.
"""

from __future__ import annotations

import re
from pathlib import Path

from cortex.report.document import (
    Block,
    BlockQuote,
    Break,
    Code,
    CodeBlock,
    Fields,
    Figure,
    Heading,
    Inline,
    Inlines,
    Link,
    ListBlock,
    Math,
    MathBlock,
    Paragraph,
    Report,
    Rule,
    Styled,
    Table,
    Text,
)
from cortex.report.figures import figures_folder, write_figures

# what CommonMark (with pipe tables, strikethrough and $ math) reads as syntax anywhere in a line
_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|$~&])")
# and what it reads so only at the start of a line: headings, lists, quotes, rules
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    """Text that any CommonMark reader shows as written."""
    escaped = _PUNCTUATION.sub(r"\\\1", " ".join(text.split("\n")))
    m = _LINE_START.match(escaped)
    if m and m.group(2)[0].isdigit():
        end = m.end()
        return escaped[:end] + "\\" + escaped[end:]
    return _LINE_START.sub(r"\1\\\2", escaped, count=1)


def code_span(text: str) -> str:
    """A code span holding ``text``: fenced with more backticks than it has in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{' '.join(text.split(chr(10)))}{pad}{fence}"


class MarkdownWriter:
    def __init__(self, report: Report, figure_paths: dict[str, str]) -> None:
        self.report = report
        self.figure_paths = figure_paths

    def write(self) -> str:
        report = self.report
        parts = [f"# {md_escape(report.title)}", f"*{md_escape(report.subtitle)}*"]
        parts += [self.block(b, 0) for b in report.blocks]
        if report.references:
            parts.append("## References")
            parts.append(
                "\n".join(
                    (f"- \\[{md_escape(r.label)}\\] " if r.label else "- ") + self.inlines(r.content)
                    for r in report.references
                )
            )
        return "\n\n".join(p for p in parts if p) + "\n"

    def block(self, block: Block, depth: int) -> str:
        if isinstance(block, Heading):
            return "#" * min(block.level + 1, 6) + " " + self.inlines(block.content)
        if isinstance(block, Paragraph):
            return self.inlines(block.content)
        if isinstance(block, ListBlock):
            lines = []
            for i, item in enumerate(block.items):
                marker = f"{block.start + i}. " if block.ordered else "- "
                body = "\n\n".join(self.block(b, depth + 1) for b in item)
                indented = body.replace("\n", "\n" + " " * len(marker))
                lines.append(marker + indented)
            return "\n".join(lines)
        if isinstance(block, CodeBlock):
            longest = max((len(run) for run in re.findall(r"`{3,}", block.text)), default=2)
            fence = "`" * (longest + 1)
            return f"{fence}\n{block.text}\n{fence}"
        if isinstance(block, MathBlock):
            return f"$$\n{block.tex}\n$$"
        if isinstance(block, BlockQuote):
            inner = "\n\n".join(self.block(b, depth) for b in block.blocks)
            return "\n".join("> " + line if line else ">" for line in inner.split("\n"))
        if isinstance(block, Table):
            return self.table(block)
        if isinstance(block, Fields):
            return "\n".join(
                f"- **{md_escape(label)}:** {self.inlines(value)}" for label, value in block.items
            )
        if isinstance(block, Figure):
            caption = self.inlines(block.caption)
            return f"![{caption}]({self.figure_paths[block.name]})\n\n*{caption}*"
        if isinstance(block, Rule):
            return "---"
        raise TypeError(f"unknown block {block!r}")

    def table(self, table: Table) -> str:
        columns = len(table.head) or max((len(r) for r in table.rows), default=1)

        def row(cells) -> str:
            cells = (list(cells) + [()] * columns)[:columns]
            return "| " + " | ".join(_cell(self.inlines(c)) for c in cells) + " |"

        numeric = (list(table.numeric) + [False] * columns)[:columns]
        lines = [row(table.head) if table.head else row([()] * columns)]
        lines.append("| " + " | ".join("---:" if n else "---" for n in numeric) + " |")
        lines += [row(r) for r in table.rows]
        return "\n".join(lines)

    def inlines(self, content: Inlines) -> str:
        return "".join(self.inline(node) for node in content).strip()

    def inline(self, node: Inline) -> str:
        if isinstance(node, Text):
            return md_escape(node.text)
        if isinstance(node, Code):
            return code_span(node.text)
        if isinstance(node, Math):
            tex = " ".join(node.tex.split("\n"))
            return f"$${tex}$$" if node.display else f"${tex}$"
        if isinstance(node, Styled):
            inner = "".join(self.inline(n) for n in node.children).strip()
            mark = {"emph": "*", "strong": "**", "strike": "~~"}[node.style]
            return f"{mark}{inner}{mark}" if inner else ""
        if isinstance(node, Link):
            inner = "".join(self.inline(n) for n in node.children)
            url = node.url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
            return f"[{inner}](<{url}>)"
        if isinstance(node, Break):
            return "<br>"
        raise TypeError(f"unknown inline {node!r}")


def _cell(markdown: str) -> str:
    """A table cell: a bar not escaped yet (in code or math) escaped, as GFM wants it even there."""
    return re.sub(r"(?<!\\)\|", r"\\|", markdown) or " "


def markdown_source(report: Report, figure_paths: dict[str, str]) -> str:
    return MarkdownWriter(report, figure_paths).write()


def write_markdown(report: Report, out: Path) -> list[str]:
    """``out`` (a .md file) and its figures, as SVG files in a folder beside it."""
    paths = write_figures(report, out.parent, figures_folder(out), "svg")
    out.write_text(markdown_source(report, paths), encoding="utf-8")
    return []
