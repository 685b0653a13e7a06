"""A report as Typst source, and as PDF through the Typst compiler the ``typst`` package ships.

Every string of the report reaches the source escaped: text in markup has each character Typst
reads as syntax backslash-escaped, strings in code are string literals, and math is the
checked output of ``cortex.report.math``. Figures are SVG files beside the source, named by
the writer, so nothing the user wrote becomes a path.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
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
from cortex.report.math import MathNotTranslated, typst_math

# Characters Typst markup reads as syntax (``\`` escapes any of them); quotes and apostrophes
# are left to become typographic ones
_MARKUP = re.compile(r"([\\#$*_`<>@=\-+/\[\]~])")
_LIST_NUMBER = re.compile(r"^(\s*\d+)\.")
_LONG_WORD = re.compile(r"[^\s\-]{14,}")  # a run a line cannot break in (it may after a hyphen)

PREAMBLE = """#set document(title: {title})
#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), numbering: "1")
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")
#set par(justify: true)
#set heading(numbering: none)
#show heading.where(level: 1): set text(size: 13pt)
#show heading.where(level: 2): set text(size: 11.5pt)
#show raw: set text(font: "DejaVu Sans Mono", size: 0.85em)
#show link: set text(fill: rgb("#1a4a8a"))
#set table(stroke: (x, y) => (top: if y <= 1 {{ 0.6pt }} else {{ 0.2pt + luma(190) }}, bottom: 0.6pt), inset: 4pt)
#show table: set text(size: 8.5pt, hyphenate: false)
#show table: set par(justify: false)
#show figure: set block(breakable: false)

#align(center, block(width: 100%)[
  #set par(justify: false)
  #text(size: 17pt, weight: "bold")[{title_markup}]
  #v(0.2em)
  #text(size: 9.5pt, fill: luma(80))[{subtitle_markup}]
])
#v(1em)
"""


def markup_text(text: str) -> str:
    """Text that Typst shows as written: syntax characters escaped, lines joined."""
    escaped = _MARKUP.sub(r"\\\1", " ".join(text.split("\n")))
    return escaped


def breakable(content: Inlines) -> Inlines:
    """A table cell whose long words (an exact value's 300 digits) may break anywhere, so that a
    narrow column wraps them instead of running into the next one."""
    return tuple(
        Text(_LONG_WORD.sub(lambda m: "\u200b".join(re.findall(".{1,10}", m.group(0))), node.text))
        if isinstance(node, Text)
        else node
        for node in content
    )


def string_literal(text: str) -> str:
    """A Typst string literal holding ``text``."""
    return (
        '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    )


class TypstWriter:
    """Writes one report; ``figure_path(figure)`` is where its SVG is, relative to the source."""

    def __init__(self, report: Report, figure_paths: dict[str, str]) -> None:
        self.report = report
        self.figure_paths = figure_paths
        self.problems: list[str] = []

    def write(self) -> str:
        report = self.report
        parts = [
            PREAMBLE.format(
                title=string_literal(report.title),
                title_markup=self.line(report.title),
                subtitle_markup=self.line(report.subtitle),
            )
        ]
        parts += [self.block(b) for b in report.blocks]
        if report.references:
            parts.append("= References\n")
            labelled = any(r.label for r in report.references)
            rows = []
            for ref in report.references:
                body = self.inlines(ref.content)
                rows.append(
                    f"  [{self.line('[' + ref.label + ']')}], [{body}],\n" if labelled else f"  [{body}],\n"
                )
            columns = "(auto, 1fr)" if labelled else "(1fr,)"
            parts.append(
                f"#grid(columns: {columns}, column-gutter: 0.8em, row-gutter: 0.7em,\n"
                + "".join(rows)
                + ")\n"
            )
        return "\n".join(parts)

    def line(self, text: str) -> str:
        return _LIST_NUMBER.sub(r"\1\\.", markup_text(text))

    # -- blocks --------------------------------------------------------------------------------

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            return "=" * min(block.level, 4) + " " + self.inlines(block.content) + "\n"
        if isinstance(block, Paragraph):
            return self.inlines(block.content) + "\n"
        if isinstance(block, ListBlock):
            return self.list_block(block)
        if isinstance(block, CodeBlock):
            return f"#block(width: 100%, inset: 6pt, fill: luma(245), raw({string_literal(block.text)}, block: true))\n"
        if isinstance(block, MathBlock):
            return self.math(block.tex, True) + "\n"
        if isinstance(block, BlockQuote):
            inner = "\n".join(self.block(b) for b in block.blocks)
            return f"#quote(block: true)[\n{inner}]\n"
        if isinstance(block, Table):
            return self.table(block)
        if isinstance(block, Fields):
            cells = "".join(
                f"  [{self.line(label)}], [{self.inlines(value)}],\n" for label, value in block.items
            )
            return (
                "#block(breakable: false, grid(columns: (auto, 1fr), column-gutter: 1em, row-gutter: 0.55em,\n"
                f"{cells}))\n"
            )
        if isinstance(block, Figure):
            path = self.figure_paths[block.name]
            return (
                f"#figure(image({string_literal(path)}, width: 100%),\n"
                f"  caption: [{self.inlines(block.caption)}])\n"
            )
        if isinstance(block, Rule):
            return "#line(length: 100%, stroke: 0.4pt + luma(160))\n"
        raise TypeError(f"unknown block {block!r}")

    def list_block(self, block: ListBlock) -> str:
        items = []
        for item in block.items:
            body = "\n".join(self.block(b) for b in item).strip()
            items.append(f"[{body}]")
        if block.ordered:
            return f"#enum(start: {int(block.start)}, " + ", ".join(items) + ")\n"
        return "#list(" + ", ".join(items) + ")\n"

    def table(self, table: Table) -> str:
        columns = len(table.head) or max((len(r) for r in table.rows), default=1)
        align = ", ".join(
            "right" if n else "left" for n in (list(table.numeric) + [False] * columns)[:columns]
        )
        head = "".join(f"[*{self.inlines(breakable(c))}*], " for c in table.head)
        rows = "".join(
            "  "
            + "".join(f"[{self.inlines(breakable(c))}], " for c in (list(row) + [()] * columns)[:columns])
            + "\n"
            for row in table.rows
        )
        header = f"  table.header({head}),\n" if table.head else ""
        return f"#align(center, table(columns: {columns}, align: ({align},),\n{header}{rows}))\n"

    # -- inlines -------------------------------------------------------------------------------

    def inlines(self, content: Inlines) -> str:
        out = "".join(self.inline(node) for node in content)
        return _LIST_NUMBER.sub(r"\1\\.", out.strip()) if out.strip() else ""

    def inline(self, node: Inline) -> str:
        if isinstance(node, Text):
            return markup_text(node.text)
        if isinstance(node, Code):
            return f"#raw({string_literal(node.text)});"
        if isinstance(node, Math):
            return self.math(node.tex, node.display)
        if isinstance(node, Styled):
            inner = "".join(self.inline(n) for n in node.children)
            func = {"emph": "emph", "strong": "strong", "strike": "strike"}[node.style]
            return f"#{func}[{inner}];"
        if isinstance(node, Link):
            inner = "".join(self.inline(n) for n in node.children)
            return f"#link({string_literal(node.url)})[{inner}];"
        if isinstance(node, Break):
            return "\\ "
        raise TypeError(f"unknown inline {node!r}")

    def math(self, tex: str, display: bool) -> str:
        try:
            return typst_math(tex, display)
        except MathNotTranslated as exc:
            self.problems.append(f"formula shown as its source, {exc}: {tex}")
            shown = f"$${tex}$$" if display else f"${tex}$"
            return f"#raw({string_literal(shown)});"


def typst_source(report: Report, figure_paths: dict[str, str]) -> tuple[str, list[str]]:
    """The Typst source of ``report`` and the formulas it could not translate."""
    writer = TypstWriter(report, figure_paths)
    return writer.write(), writer.problems


def write_typst(report: Report, out: Path) -> list[str]:
    """``out`` (a .typ file) and its figures, as SVG files in a folder beside it."""
    paths = write_figures(report, out.parent, figures_folder(out), "svg")
    source, problems = typst_source(report, paths)
    out.write_text(source, encoding="utf-8")
    return problems


def compile_pdf(report: Report, out: Path) -> list[str]:
    """The report as a PDF at ``out``, typeset by Typst from the source ``typst_source`` writes,
    in a temporary folder with its figures. Only the fonts Typst ships are used and the PDF is
    dated by the run it reports, so the same report gives the same PDF on every machine.
    Returns the formulas it could not translate."""
    import typst

    with tempfile.TemporaryDirectory(prefix="cortex-report-") as folder:
        root = Path(folder)
        paths = write_figures(report, root, "figures", "svg")
        source, problems = typst_source(report, paths)
        (root / "report.typ").write_text(source, encoding="utf-8")
        compiler = typst.Compiler(root=str(root), font_paths=typst.Fonts(include_system_fonts=False))
        pdf = compiler.compile(
            input=str(root / "report.typ"),
            format="pdf",
            timestamp=_date(report.date),
        )
    assert isinstance(pdf, bytes)
    out.write_bytes(pdf)
    return problems


def _date(iso: str) -> datetime:
    """A report's date for the PDF: the run's end, else a fixed day (never the time of writing,
    which would make every PDF differ)."""
    try:
        found = datetime.fromisoformat(iso)
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=UTC)
    return found if found.tzinfo else found.replace(tzinfo=UTC)
