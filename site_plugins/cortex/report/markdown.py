"""A report as one Markdown file (CommonMark with pipe tables and ``$`` math, as GitHub,
Obsidian, Quarto and this site read it), its figures as SVG files beside it.

Text is written with every ASCII punctuation character Markdown could read as syntax
backslash-escaped, so a title or a cell holds no link, emphasis, HTML or table break that its
author did not mean; math is written back as the LaTeX it was.
"""

from __future__ import annotations

import re

from cortex.report import document as d
from cortex.report.writer import Writer, columns_of, fit

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


class MarkdownWriter(Writer):
    figure_format = "svg"
    line_break = "<br>"

    def write(self) -> str:
        report = self.report
        parts = [f"# {md_escape(report.title)}", f"*{md_escape(report.subtitle)}*"]
        parts += [self.block(b) for b in report.blocks]
        if report.references:
            parts.append("## References")
            parts.append(
                "\n".join(
                    (f"- \\[{md_escape(r.label)}\\] " if r.label else "- ") + self.inlines(r.content)
                    for r in report.references
                )
            )
        return "\n\n".join(p for p in parts if p) + "\n"

    # -- blocks --------------------------------------------------------------------------------

    def heading(self, heading: d.Heading) -> str:
        return "#" * min(heading.level + 1, 6) + " " + self.inlines(heading.content)

    def list_block(self, block: d.ListBlock) -> str:
        lines = []
        for i, item in enumerate(block.items):
            marker = f"{block.start + i}. " if block.ordered else "- "
            body = "\n\n".join(self.block(b) for b in item)
            indented = body.replace("\n", "\n" + " " * len(marker))
            lines.append(marker + indented)
        return "\n".join(lines)

    def code_block(self, text: str) -> str:
        longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
        fence = "`" * (longest + 1)
        return f"{fence}\n{text}\n{fence}"

    def math_block(self, tex: str) -> str:
        return f"$$\n{tex}\n$$"

    def quote(self, blocks: tuple[d.Block, ...]) -> str:
        inner = "\n\n".join(self.block(b) for b in blocks)
        return "\n".join("> " + line if line else ">" for line in inner.split("\n"))

    def table(self, table: d.Table) -> str:
        columns = columns_of(table)

        def row(cells: tuple[d.Inlines, ...]) -> str:
            return "| " + " | ".join(_cell(self.inlines(c)) for c in fit(cells, columns, ())) + " |"

        lines = [row(table.head) if table.head else row(((),) * columns)]
        lines.append(
            "| " + " | ".join("---:" if n else "---" for n in fit(table.numeric, columns, False)) + " |"
        )
        lines += [row(r) for r in table.rows]
        return "\n".join(lines)

    def fields(self, items: tuple[tuple[str, d.Inlines], ...]) -> str:
        return "\n".join(f"- **{md_escape(label)}:** {self.inlines(value)}" for label, value in items)

    def figure(self, path: str, caption: str) -> str:
        return f"![{caption}]({path})\n\n*{caption}*"

    def rule(self) -> str:
        return "---"

    # -- inlines -------------------------------------------------------------------------------

    def text(self, text: str) -> str:
        return md_escape(text)

    def code(self, text: str) -> str:
        return code_span(text)

    def styled(self, style: str, inner: str) -> str:
        mark = {"emph": "*", "strong": "**", "strike": "~~"}[style]
        return f"{mark}{inner.strip()}{mark}" if inner.strip() else ""

    def link(self, url: str, inner: str) -> str:
        url = url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
        return f"[{inner}](<{url}>)"

    def translate(self, tex: str, display: bool) -> str:
        """The LaTeX as written, between ``$``: every Markdown reader with math reads it."""
        tex = " ".join(tex.split("\n"))
        return f"$${tex}$$" if display else f"${tex}$"


def _cell(markdown: str) -> str:
    """A table cell: a bar not escaped yet (in code or math) escaped, as GFM wants it even there."""
    return re.sub(r"(?<!\\)\|", r"\\|", markdown) or " "
