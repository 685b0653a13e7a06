"""Math typeset when the site is built: LaTeX turned into MathML by latex2mathml, which browsers
draw themselves. No JavaScript, no font download, and the formula is there after instant
navigation and in either palette. A formula that cannot be read is shown as its source, with
the reason, and reported.

Pages find their math with pymdownx.arithmatex (generic mode): ``$...$`` and ``\\(...\\)``
inline, ``$$...$$`` and ``\\[...\\]`` as blocks. Notebooks keep the ``$`` delimiters in the text
of their Markdown cells; ``typeset_notebook`` finds them there.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import escape

from cortex.text.sanitize import sanitize_html, tooltip_text

_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])</(?P=tag)>',
    re.S,
)
_UNKNOWN = re.compile(r"<mi>\\([A-Za-z]+)</mi>")
# In a notebook's rendered Markdown: $$...$$ and $...$ (no space inside the dollars, no digit
# after the closing one, as TeX and Jupyter read prices apart from math).
_NOTEBOOK_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\d$])", re.S)
# Markdown cells, and outputs in LaTeX (IPython's Math, sympy): what Jupyter typesets
_MARKDOWN_CELL = re.compile(
    r'(<div class="(?:jp-RenderedHTMLCommon jp-RenderedMarkdown|jp-RenderedLatex)[^"]*"[^>]*>)(.*?)(</div>)',
    re.S,
)
_TAG = re.compile(r"(<[^>]*>)")


class MathError(ValueError):
    """LaTeX that could not be typeset."""


@dataclass(frozen=True)
class MathProblem:
    latex: str
    reason: str


@lru_cache(maxsize=8192)
def to_mathml(latex: str, display: bool) -> str:
    """MathML for ``latex``; ``MathError`` when it cannot be read, or names a command that
    latex2mathml does not know (it would show it as a letter)."""
    import latex2mathml.converter

    try:
        mathml = latex2mathml.converter.convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own errors, and IndexError on unbalanced input
        reason = str(exc) or type(exc).__name__
        raise MathError(f"the formula cannot be read ({reason})") from exc
    unknown = sorted(set(_UNKNOWN.findall(mathml)))
    if unknown:
        raise MathError("unknown command " + ", ".join("\\" + name for name in unknown))
    return mathml


def _typeset(latex: str, display: bool, problems: list[MathProblem], cleaned: bool = True) -> str:
    """MathML for one formula, or its source with the reason; ``cleaned``: the page goes through
    the sanitizer, which makes titles safe for tooltips (a notebook page does not)."""
    try:
        mathml = to_mathml(latex.strip(), display)
    except MathError as exc:
        problems.append(MathProblem(latex, str(exc)))
        delimiters = ("$$", "$$") if display else ("$", "$")
        shown = html.escape(delimiters[0] + latex + delimiters[1])
        tag = "div" if display else "span"
        title = html.escape(str(exc) if cleaned else tooltip_text(str(exc)))
        return f'<{tag} class="cortex-math-error" title="{title}"><code>{shown}</code></{tag}>'
    if display:
        return f'<div class="cortex-math cortex-math--display">{mathml}</div>'
    return f'<span class="cortex-math">{mathml}</span>'


def typeset_page(page_html: str) -> tuple[str, list[MathProblem]]:
    """``page_html`` with arithmatex's formulas as MathML, and the formulas that failed."""
    if "arithmatex" not in page_html:
        return page_html, []
    problems: list[MathProblem] = []

    def replace(m: re.Match[str]) -> str:
        display = m.group("block") is not None
        latex = html.unescape(m.group("block") if display else m.group("inline"))
        return _typeset(latex, display, problems)

    return _ARITHMATEX.sub(replace, page_html), problems


_SOURCE_MATH = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\d$])", re.S
)


def find_formulas(text: str, start: int = 0) -> list[tuple[int, str, bool]]:
    """(offset, LaTeX, display) of each formula written in Markdown ``text`` from ``start`` on,
    with arithmatex's delimiters; the caller leaves out code and comments."""
    found = []
    for m in _SOURCE_MATH.finditer(text, start):
        display = m.group(1) is not None or m.group(2) is not None
        latex = next(g for g in m.groups() if g is not None)
        found.append((m.start(), latex, display))
    return found


def typeset_text(text: str) -> str:
    """Plain text with formulas written as in Markdown (a line a footer quotes) as HTML: the text
    escaped, each formula as inline MathML. A formula that cannot be typeset, or one the quote's
    cut left open, stays as written (the page it is quoted from reports it)."""
    if "$" not in text and "\\" not in text:
        return str(escape(text))
    out, pos = [], 0
    for m in _SOURCE_MATH.finditer(text):
        mathml = _inline_formula(next(g for g in m.groups() if g is not None))
        if mathml is not None:
            out += [str(escape(text[pos : m.start()])), mathml]
            pos = m.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


@lru_cache(maxsize=4096)
def _inline_formula(latex: str) -> str | None:
    """One formula as inline MathML, sanitized as a page is (latex2mathml writes ``\\text{...}``
    as it is, markup included); None when it cannot be typeset."""
    try:
        mathml = to_mathml(latex.strip(), False)
    except MathError:
        return None
    return sanitize_html(f'<span class="cortex-math">{mathml}</span>')


def formula_problem(latex: str, display: bool) -> str | None:
    """Why ``latex`` cannot be typeset, or None."""
    try:
        to_mathml(latex.strip(), display)
    except MathError as exc:
        return str(exc)
    return None


def typeset_notebook(page_html: str) -> tuple[str, list[MathProblem]]:
    """A notebook page with the math in its Markdown cells and LaTeX outputs as MathML."""
    if "$" not in page_html:
        return page_html, []
    problems: list[MathProblem] = []

    def in_text(text: str) -> str:
        def replace(m: re.Match[str]) -> str:
            display = m.group(1) is not None
            latex = html.unescape(m.group(1) if display else m.group(2))
            return _typeset(latex, display, problems, cleaned=False)

        return _NOTEBOOK_MATH.sub(replace, text)

    def cell(m: re.Match[str]) -> str:
        parts = _TAG.split(m.group(2))  # math lies in the text between tags
        inner = "".join(part if part.startswith("<") else in_text(part) for part in parts)
        return m.group(1) + inner + m.group(3)

    return _MARKDOWN_CELL.sub(cell, page_html), problems
