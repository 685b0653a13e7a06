"""A report as LaTeX source, for LuaLaTeX or XeLaTeX (fontspec and unicode-math, since the
results are written with Unicode: µs, ‖x‖₁, ⌈log2 n⌉). Nothing here runs TeX: the file and
its figures (PDF files beside it) are what a collaborator compiles or pastes into a paper.

Every string reaches the source escaped (``latex_text``); math is passed as written only when
``cortex.report.math.latex_math`` accepts it, else shown as its source in ``\\texttt``.
"""

from __future__ import annotations

from cortex.report import document as d
from cortex.report.math import latex_math
from cortex.report.writer import Writer, columns_of, fit

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


class LatexWriter(Writer):
    figure_format = "pdf"
    line_break = "\\newline{}"

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

    # -- blocks --------------------------------------------------------------------------------

    def heading(self, heading: d.Heading) -> str:
        command = {1: "section*", 2: "subsection*"}.get(heading.level, "subsubsection*")
        return f"\\{command}{{{self.inlines(heading.content)}}}"

    def list_block(self, block: d.ListBlock) -> str:
        env = "enumerate" if block.ordered else "itemize"
        start = f"[start={int(block.start)}]" if block.ordered and block.start != 1 else ""
        items = "\n".join("\\item " + "\n\n".join(self.block(b) for b in item) for item in block.items)
        return f"\\begin{{{env}}}{start}\n{items}\n\\end{{{env}}}"

    def code_block(self, text: str) -> str:
        lines = "\\\\\n".join(f"\\texttt{{{latex_text(line) or '~'}}}" for line in text.split("\n"))
        return "{\\small\\noindent " + lines + "\\par}"

    def quote(self, blocks: tuple[d.Block, ...]) -> str:
        return "\\begin{quote}\n" + "\n\n".join(self.block(b) for b in blocks) + "\n\\end{quote}"

    def table(self, table: d.Table) -> str:
        columns = columns_of(table)
        spec = "".join("r" if n else "l" for n in fit(table.numeric, columns, False))

        def row(cells: tuple[d.Inlines, ...]) -> str:
            return " & ".join(self.inlines(c) for c in fit(cells, columns, ())) + " \\\\"

        lines = [f"{{\\small\\begin{{longtable}}{{@{{}}{spec}@{{}}}}", "\\toprule"]
        if table.head:
            lines += [row(table.head), "\\midrule", "\\endhead"]
        lines += [row(r) for r in table.rows]
        lines += ["\\bottomrule", "\\end{longtable}}"]
        return "\n".join(lines)

    def fields(self, items: tuple[tuple[str, d.Inlines], ...]) -> str:
        rows = "\n".join(f"{latex_text(label)} & {self.inlines(value)} \\\\" for label, value in items)
        return (
            "\\begin{longtable}{@{}l>{\\raggedright\\arraybackslash}p{0.72\\textwidth}@{}}\n"
            + rows
            + "\n\\end{longtable}"
        )

    def figure(self, path: str, caption: str) -> str:
        return (
            "\\begin{figure}[htbp]\n\\centering\n"
            f"\\includegraphics[width=\\textwidth]{{{path}}}\n"
            f"\\caption{{{caption}}}\n\\end{{figure}}"
        )

    def rule(self) -> str:
        return "\\noindent\\rule{\\textwidth}{0.4pt}"

    # -- inlines -------------------------------------------------------------------------------

    def text(self, text: str) -> str:
        return latex_text(text)

    def code(self, text: str) -> str:
        return f"\\texttt{{{latex_text(text)}}}"

    def styled(self, style: str, inner: str) -> str:
        command = {"emph": "emph", "strong": "textbf", "strike": "sout"}[style]
        return f"\\{command}{{{inner}}}" if command != "sout" else inner

    def link(self, url: str, inner: str) -> str:
        return f"\\href{{{latex_url(url)}}}{{{inner}}}"

    def translate(self, tex: str, display: bool) -> str:
        return latex_math(tex, display)
