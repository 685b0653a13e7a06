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

from cortex.report import document as d
from cortex.report.figures import write_figures
from cortex.report.math import typst_math
from cortex.report.writer import Writer, columns_of, fit

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


def breakable(content: d.Inlines) -> d.Inlines:
    """A table cell whose long words (an exact value's 300 digits) may break anywhere, so that a
    narrow column wraps them instead of running into the next one."""
    return tuple(
        d.Text(_LONG_WORD.sub(lambda m: "\u200b".join(re.findall(".{1,10}", m.group(0))), node.text))
        if isinstance(node, d.Text)
        else node
        for node in content
    )


def string_literal(text: str) -> str:
    """A Typst string literal holding ``text``."""
    return (
        '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    )


class TypstWriter(Writer):
    figure_format = "svg"
    line_break = "\\ "

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

    # -- blocks: each a paragraph of markup, ended by a newline ---------------------------------

    def block(self, block: d.Block) -> str:
        return super().block(block) + "\n"

    def heading(self, heading: d.Heading) -> str:
        return "=" * min(heading.level, 4) + " " + self.inlines(heading.content)

    def list_block(self, block: d.ListBlock) -> str:
        items = []
        for item in block.items:
            body = "\n".join(self.block(b) for b in item).strip()
            items.append(f"[{body}]")
        if block.ordered:
            return f"#enum(start: {int(block.start)}, " + ", ".join(items) + ")"
        return "#list(" + ", ".join(items) + ")"

    def code_block(self, text: str) -> str:
        return f"#block(width: 100%, inset: 6pt, fill: luma(245), raw({string_literal(text)}, block: true))"

    def quote(self, blocks: tuple[d.Block, ...]) -> str:
        inner = "\n".join(self.block(b) for b in blocks)
        return f"#quote(block: true)[\n{inner}]"

    def table(self, table: d.Table) -> str:
        columns = columns_of(table)
        align = ", ".join("right" if n else "left" for n in fit(table.numeric, columns, False))
        head = "".join(f"[*{self.inlines(breakable(c))}*], " for c in table.head)
        rows = "".join(
            "  " + "".join(f"[{self.inlines(breakable(c))}], " for c in fit(row, columns, ())) + "\n"
            for row in table.rows
        )
        header = f"  table.header({head}),\n" if table.head else ""
        return f"#align(center, table(columns: {columns}, align: ({align},),\n{header}{rows}))"

    def fields(self, items: tuple[tuple[str, d.Inlines], ...]) -> str:
        cells = "".join(f"  [{self.line(label)}], [{self.inlines(value)}],\n" for label, value in items)
        return (
            "#block(breakable: false, grid(columns: (auto, 1fr), column-gutter: 1em, row-gutter: 0.55em,\n"
            f"{cells}))"
        )

    def figure(self, path: str, caption: str) -> str:
        return f"#figure(image({string_literal(path)}, width: 100%),\n  caption: [{caption}])"

    def rule(self) -> str:
        return "#line(length: 100%, stroke: 0.4pt + luma(160))"

    # -- inlines -------------------------------------------------------------------------------

    def inlines(self, content: d.Inlines) -> str:
        return _LIST_NUMBER.sub(r"\1\\.", super().inlines(content))

    def text(self, text: str) -> str:
        return markup_text(text)

    def code(self, text: str) -> str:
        return f"#raw({string_literal(text)});"

    def styled(self, style: str, inner: str) -> str:
        func = {"emph": "emph", "strong": "strong", "strike": "strike"}[style]
        return f"#{func}[{inner}];"

    def link(self, url: str, inner: str) -> str:
        return f"#link({string_literal(url)})[{inner}];"

    def translate(self, tex: str, display: bool) -> str:
        return typst_math(tex, display)


def compile_pdf(report: d.Report, out: Path) -> list[str]:
    """The report as a PDF at ``out``, typeset by Typst from the source ``TypstWriter`` writes,
    in a temporary folder with its figures. Only the fonts Typst ships are used and the PDF is
    dated by the run it reports, so the same report gives the same PDF on every machine.
    Returns the formulas it could not translate."""
    import typst

    with tempfile.TemporaryDirectory(prefix="cortex-report-") as folder:
        root = Path(folder)
        paths = write_figures(report, root, "figures", TypstWriter.figure_format)
        source, problems = TypstWriter.source(report, paths)
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
