"""What every report writer shares: the walk over the document model's nodes, the list of
what could not be shown as written, and math that falls back to its source as code.

A format (``typst``, ``latex``, ``markdown``) subclasses ``Writer`` and spells each kind of
node; which node goes to which method is decided here once, so a node added to
``cortex.report.document`` is a method every writer must gain, not a branch each may miss.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, TypeVar

from cortex.report import document as d
from cortex.report.figures import figures_folder, write_figures
from cortex.report.math import MathNotTranslated

_Cell = TypeVar("_Cell")


class Writer(ABC):
    """Writes one report; ``figure_paths[name]`` is where a figure's file is, relative to the
    source, in ``figure_format``."""

    figure_format: ClassVar[str]  # "svg" or "pdf": what the format embeds
    line_break: ClassVar[str]  # a hard break inside a paragraph or a cell

    def __init__(self, report: d.Report, figure_paths: dict[str, str]) -> None:
        self.report = report
        self.figure_paths = figure_paths
        self.problems: list[str] = []

    @classmethod
    def source(cls, report: d.Report, figure_paths: dict[str, str]) -> tuple[str, list[str]]:
        """The source of ``report`` and what it could not show as written (formulas)."""
        writer = cls(report, figure_paths)
        return writer.write(), writer.problems

    @abstractmethod
    def write(self) -> str:
        """The whole document: preamble, title, blocks and references."""

    # -- blocks --------------------------------------------------------------------------------

    def block(self, block: d.Block) -> str:
        if isinstance(block, d.Heading):
            return self.heading(block)
        if isinstance(block, d.Paragraph):
            return self.inlines(block.content)
        if isinstance(block, d.ListBlock):
            return self.list_block(block)
        if isinstance(block, d.CodeBlock):
            return self.code_block(block.text)
        if isinstance(block, d.MathBlock):
            return self.math_block(block.tex)
        if isinstance(block, d.BlockQuote):
            return self.quote(block.blocks)
        if isinstance(block, d.Table):
            return self.table(block)
        if isinstance(block, d.Fields):
            return self.fields(block.items)
        if isinstance(block, d.Figure):
            return self.figure(self.figure_paths[block.name], self.inlines(block.caption))
        if isinstance(block, d.Rule):
            return self.rule()
        raise TypeError(f"unknown block {block!r}")

    @abstractmethod
    def heading(self, heading: d.Heading) -> str: ...

    @abstractmethod
    def list_block(self, block: d.ListBlock) -> str: ...

    @abstractmethod
    def code_block(self, text: str) -> str: ...

    def math_block(self, tex: str) -> str:
        return self.math(tex, True)

    @abstractmethod
    def quote(self, blocks: tuple[d.Block, ...]) -> str: ...

    @abstractmethod
    def table(self, table: d.Table) -> str: ...

    @abstractmethod
    def fields(self, items: tuple[tuple[str, d.Inlines], ...]) -> str: ...

    @abstractmethod
    def figure(self, path: str, caption: str) -> str: ...

    @abstractmethod
    def rule(self) -> str: ...

    # -- inlines -------------------------------------------------------------------------------

    def inlines(self, content: d.Inlines) -> str:
        return self.run(content).strip()

    def run(self, content: d.Inlines) -> str:
        """Inlines side by side, unstripped (the inside of emphasis or a link)."""
        return "".join(self.inline(node) for node in content)

    def inline(self, node: d.Inline) -> str:
        if isinstance(node, d.Text):
            return self.text(node.text)
        if isinstance(node, d.Code):
            return self.code(node.text)
        if isinstance(node, d.Math):
            return self.math(node.tex, node.display)
        if isinstance(node, d.Styled):
            return self.styled(node.style, self.run(node.children))
        if isinstance(node, d.Link):
            return self.link(node.url, self.run(node.children))
        if isinstance(node, d.Break):
            return self.line_break
        raise TypeError(f"unknown inline {node!r}")

    @abstractmethod
    def text(self, text: str) -> str:
        """``text`` escaped, so that the format shows it as written."""

    @abstractmethod
    def code(self, text: str) -> str:
        """``text`` as inline code."""

    @abstractmethod
    def styled(self, style: str, inner: str) -> str: ...

    @abstractmethod
    def link(self, url: str, inner: str) -> str: ...

    @abstractmethod
    def translate(self, tex: str, display: bool) -> str:
        """The formula in the format's math; raises ``MathNotTranslated`` with the reason."""

    def math(self, tex: str, display: bool) -> str:
        """The formula as math, or as its source in code when it cannot be (recorded)."""
        try:
            return self.translate(tex, display)
        except MathNotTranslated as exc:
            self.problems.append(f"formula shown as its source, {exc}: {tex}")
            return self.code(f"$${tex}$$" if display else f"${tex}$")


def columns_of(table: d.Table) -> int:
    """How many columns a table has: its head's, else its longest row's."""
    return len(table.head) or max((len(r) for r in table.rows), default=1)


def fit(cells: tuple[_Cell, ...] | list[_Cell], columns: int, empty: _Cell) -> list[_Cell]:
    """A row's cells (or a table's column flags) cut or padded with ``empty`` to ``columns``."""
    return (list(cells) + [empty] * columns)[:columns]


def write_source(report: d.Report, out: Path, writer: type[Writer]) -> list[str]:
    """``out`` in ``writer``'s format, its figures in a folder beside it; what it could not
    show as written."""
    paths = write_figures(report, out.parent, figures_folder(out), writer.figure_format)
    source, problems = writer.source(report, paths)
    out.write_text(source, encoding="utf-8")
    return problems
