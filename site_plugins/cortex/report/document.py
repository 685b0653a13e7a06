"""The neutral document a report is built as, before any output format: a title, blocks of
text, tables, figures and the references. Every writer (``typst``, ``latex``, ``markdown``)
reads only this model, so what a report says is decided once and each format only spells it.

Strings in the model are plain text as a reader should see it (no markup of any language);
each writer escapes them for its target. LaTeX math stays LaTeX (``Math.tex``); a writer
translates it or shows it as code and says why (``Report.problems``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Math:
    tex: str
    display: bool = False


@dataclass(frozen=True)
class Styled:
    style: str  # "emph", "strong" or "strike"
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    url: str
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Break:
    """A hard line break inside a paragraph or a table cell."""


Inline = Text | Code | Math | Styled | Link | Break
Inlines = tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1 is a section of the report; the title is the report's own
    content: Inlines


@dataclass(frozen=True)
class Paragraph:
    content: Inlines


@dataclass(frozen=True)
class ListBlock:
    items: tuple[tuple[Block, ...], ...]
    ordered: bool = False
    start: int = 1


@dataclass(frozen=True)
class CodeBlock:
    text: str


@dataclass(frozen=True)
class MathBlock:
    tex: str


@dataclass(frozen=True)
class BlockQuote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Table:
    head: tuple[Inlines, ...]
    rows: tuple[tuple[Inlines, ...], ...]
    numeric: tuple[bool, ...]  # per column: aligned right


@dataclass(frozen=True)
class Fields:
    """Label: value pairs (the provenance), one per line."""

    items: tuple[tuple[str, Inlines], ...]


@dataclass(eq=False)
class Figure:
    """A figure drawn on demand in the format a writer needs (``svg`` or ``pdf``)."""

    name: str  # a file name stem: letters, digits, '-' and '_'
    caption: Inlines
    draw: Callable[[str], bytes]
    _drawn: dict[str, bytes] = field(default_factory=dict, repr=False)

    def image(self, fmt: str) -> bytes:
        if fmt not in self._drawn:
            self._drawn[fmt] = self.draw(fmt)
        return self._drawn[fmt]


@dataclass(frozen=True)
class Rule:
    pass


Block = Heading | Paragraph | ListBlock | CodeBlock | MathBlock | BlockQuote | Table | Fields | Figure | Rule


@dataclass(frozen=True)
class Reference:
    label: str  # "1", "VSP+17", or "" in author-year style
    content: Inlines


@dataclass
class Report:
    title: str
    subtitle: str
    blocks: list[Block]
    references: list[Reference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be shown as written, and why
    measured: bool = True  # False: an experiment it reports has no result, and it says so
    date: str = ""  # ISO 8601: when the run it reports ended (the PDF's date), "" when unknown

    @cached_property
    def figures(self) -> list[Figure]:
        return [b for b in walk(self.blocks) if isinstance(b, Figure)]


def walk(blocks: list[Block] | tuple[Block, ...]):
    """Every block, nested ones (in lists and quotes) included."""
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from walk(item)
        elif isinstance(block, BlockQuote):
            yield from walk(block.blocks)


def plain(content: Inlines) -> str:
    """The text of inlines, as a reader would copy it."""
    out = []
    for node in content:
        if isinstance(node, Text | Code):
            out.append(node.text)
        elif isinstance(node, Math):
            out.append(node.tex)
        elif isinstance(node, Styled | Link):
            out.append(plain(node.children))
        elif isinstance(node, Break):
            out.append(" ")
    return "".join(out)
