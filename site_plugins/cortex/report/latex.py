"""A report as LaTeX source, for LuaLaTeX or XeLaTeX (fontspec and unicode-math, since the
results are written with Unicode: µs, ‖x‖₁, ⌈log2 n⌉). Nothing here runs TeX: the file and
its figures (PDF files beside it) are what a collaborator compiles or pastes into a paper.

Every string reaches the source escaped (``latex_text``); math is passed as written only when
``cortex.report.math.latex_math`` accepts it, else shown as its source in ``\\texttt``.
"""

from __future__ import annotations

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
from cortex.report.math import MathNotTranslated, latex_math

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "[": "{[}",
    "]": "{]}",
    "\n": " ",
    "\r": " ",
}
_TRANSLATE = str.maketrans(_SPECIAL)

PREAMBLE = r"""% A report of The Cortex. Compile with lualatex (or xelatex): the text is Unicode.
\documentclass[11pt,a4paper]{article}
\usepackage{fontspec}
\usepackage{unicode-math}
\usepackage[margin=2.2cm]{geometry}
\usepackage{graphicx}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{array}
\usepackage{enumitem}
\usepackage[hidelinks]{hyperref}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
"""


def latex_text(text: str) -> str:
    """Text that LaTeX typesets as written: every special character escaped, ``--`` and
    ``''`` kept from becoming ligatures."""
    return text.translate(_TRANSLATE).replace("--", "-{}-").replace("''", "'{}'").replace("``", "`{}`")


def latex_url(url: str) -> str:
    """A URL for ``\\href``: its specials escaped as hyperref reads them."""
    return "".join("\\" + c if c in "#%&_{}~^$\\" else c for c in url if c not in "\n\r")


class LatexWriter:
    def __init__(self, report: Report, figure_paths: dict[str, str]) -> None:
        self.report = report
        self.figure_paths = figure_paths
        self.problems: list[str] = []

    def write(self) -> str:
        report = self.report
        parts = [
            PREAMBLE,
            f"\\title{{{latex_text(report.title)}}}",
            f"\\date{{{latex_text(report.subtitle)}}}",
            "\\author{}",
            "\\begin{document}",
            "\\maketitle",
        ]
        parts += [self.block(b) for b in report.blocks]
        if report.references:
            parts.append("\\section*{References}")
            parts.append("\\begin{description}[leftmargin=2.5em,style=sameline]")
            for ref in report.references:
                label = f"[{latex_text('[' + ref.label + ']')}]" if ref.label else "[]"
                parts.append(f"\\item{label} {self.inlines(ref.content)}")
            parts.append("\\end{description}")
        parts.append("\\end{document}\n")
        return "\n\n".join(parts)

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            command = {1: "section*", 2: "subsection*"}.get(block.level, "subsubsection*")
            return f"\\{command}{{{self.inlines(block.content)}}}"
        if isinstance(block, Paragraph):
            return self.inlines(block.content)
        if isinstance(block, ListBlock):
            env = "enumerate" if block.ordered else "itemize"
            start = f"[start={int(block.start)}]" if block.ordered and block.start != 1 else ""
            items = "\n".join("\\item " + "\n\n".join(self.block(b) for b in item) for item in block.items)
            return f"\\begin{{{env}}}{start}\n{items}\n\\end{{{env}}}"
        if isinstance(block, CodeBlock):
            lines = "\\\\\n".join(f"\\texttt{{{latex_text(line) or '~'}}}" for line in block.text.split("\n"))
            return "{\\small\\noindent " + lines + "\\par}"
        if isinstance(block, MathBlock):
            return self.math(block.tex, True)
        if isinstance(block, BlockQuote):
            return "\\begin{quote}\n" + "\n\n".join(self.block(b) for b in block.blocks) + "\n\\end{quote}"
        if isinstance(block, Table):
            return self.table(block)
        if isinstance(block, Fields):
            rows = "\n".join(
                f"{latex_text(label)} & {self.inlines(value)} \\\\" for label, value in block.items
            )
            return (
                "\\begin{longtable}{@{}l>{\\raggedright\\arraybackslash}p{0.72\\textwidth}@{}}\n"
                + rows
                + "\n\\end{longtable}"
            )
        if isinstance(block, Figure):
            return (
                "\\begin{figure}[htbp]\n\\centering\n"
                f"\\includegraphics[width=\\textwidth]{{{self.figure_paths[block.name]}}}\n"
                f"\\caption{{{self.inlines(block.caption)}}}\n\\end{{figure}}"
            )
        if isinstance(block, Rule):
            return "\\noindent\\rule{\\textwidth}{0.4pt}"
        raise TypeError(f"unknown block {block!r}")

    def table(self, table: Table) -> str:
        columns = len(table.head) or max((len(r) for r in table.rows), default=1)
        spec = "".join("r" if n else "l" for n in (list(table.numeric) + [False] * columns)[:columns])

        def row(cells) -> str:
            cells = (list(cells) + [()] * columns)[:columns]
            return " & ".join(self.inlines(c) for c in cells) + " \\\\"

        lines = [f"{{\\small\\begin{{longtable}}{{@{{}}{spec}@{{}}}}", "\\toprule"]
        if table.head:
            lines += [row(table.head), "\\midrule", "\\endhead"]
        lines += [row(r) for r in table.rows]
        lines += ["\\bottomrule", "\\end{longtable}}"]
        return "\n".join(lines)

    def inlines(self, content: Inlines) -> str:
        return "".join(self.inline(node) for node in content).strip()

    def inline(self, node: Inline) -> str:
        if isinstance(node, Text):
            return latex_text(node.text)
        if isinstance(node, Code):
            return f"\\texttt{{{latex_text(node.text)}}}"
        if isinstance(node, Math):
            return self.math(node.tex, node.display)
        if isinstance(node, Styled):
            command = {"emph": "emph", "strong": "textbf", "strike": "sout"}[node.style]
            inner = "".join(self.inline(n) for n in node.children)
            return f"\\{command}{{{inner}}}" if command != "sout" else inner
        if isinstance(node, Link):
            inner = "".join(self.inline(n) for n in node.children)
            return f"\\href{{{latex_url(node.url)}}}{{{inner}}}"
        if isinstance(node, Break):
            return "\\newline{}"
        raise TypeError(f"unknown inline {node!r}")

    def math(self, tex: str, display: bool) -> str:
        try:
            return latex_math(tex, display)
        except MathNotTranslated as exc:
            self.problems.append(f"formula shown as its source, {exc}: {tex}")
            shown = f"$${tex}$$" if display else f"${tex}$"
            return f"\\texttt{{{latex_text(shown)}}}"


def latex_source(report: Report, figure_paths: dict[str, str]) -> tuple[str, list[str]]:
    writer = LatexWriter(report, figure_paths)
    return writer.write(), writer.problems


def write_latex(report: Report, out: Path) -> list[str]:
    """``out`` (a .tex file) and its figures, as PDF files in a folder beside it."""
    paths = write_figures(report, out.parent, figures_folder(out), "pdf")
    source, problems = latex_source(report, paths)
    out.write_text(source, encoding="utf-8")
    return problems
