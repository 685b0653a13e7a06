"""LaTeX math in a report: translated to Typst math by ``tex2typst`` (a maintained converter,
the JavaScript library of that name run in an embedded engine), or passed to LaTeX as it is.

A formula is translated only where the site can typeset it (``cortex.text.math``: it parses,
and names no command latex2mathml does not know), so a report and the site agree on which
formulas are math. The rest are shown as their source, as code, with the reason.

The converter's output is checked before it reaches a Typst file: outside string literals it
may hold no ``#`` (code), ``$`` (the end of the formula), comment or raw-text syntax, since a
formula written to end the math and run code must stay text. LaTeX output is the source
itself, which the same check of the site keeps to commands a formula needs.
"""

from __future__ import annotations

import re

from cortex.text.math import formula_problem

# What may never appear outside a string literal of Typst math: code, the end of the
# formula, comments, raw text (``<`` and ``@`` are symbols in math, not labels or references)
_UNSAFE_TYPST = re.compile(r"[#$`]|//|/\*|\*/")
# Commands that read or write files or redefine TeX, refused in LaTeX output whatever the
# site's check says
_UNSAFE_LATEX = re.compile(
    r"\\(?:input|include|openin|openout|write|read|immediate|csname|catcode|def|edef|gdef|xdef|let|"
    r"newcommand|renewcommand|providecommand|DeclareRobustCommand|special|usepackage|documentclass|"
    r"directlua|luaexec|url|href|verb|makeatletter|begin\s*\{\s*document)(?![A-Za-z])"
)


class MathNotTranslated(ValueError):
    """A formula that stays its source, with the reason."""


def typst_math(tex: str, display: bool) -> str:
    """The formula as Typst math, between its dollars (``$x$``, ``$ x $`` for display)."""
    problem = formula_problem(tex, display)
    if problem:
        raise MathNotTranslated(problem)
    import tex2typst

    try:
        body = tex2typst.tex2typst(tex.strip())
    except ValueError as exc:  # the converter raises ValueError with its JavaScript stack
        raise MathNotTranslated(f"tex2typst cannot translate it ({str(exc).splitlines()[0]})") from None
    body = " ".join(body.split())
    if not body or not _safe_typst(body):
        raise MathNotTranslated("its translation to Typst is not plain math")
    return f"$ {body} $" if display else f"${body}$"


def latex_math(tex: str, display: bool) -> str:
    """The formula for a LaTeX document, ``\\(...\\)`` or ``\\[...\\]``."""
    problem = formula_problem(tex, display)
    if problem:
        raise MathNotTranslated(problem)
    if _UNSAFE_LATEX.search(tex) or "%" in tex.replace("\\%", ""):
        raise MathNotTranslated("it uses a command a formula in a report may not use")
    body = tex.strip().replace("\n", " ")
    return f"\\[ {body} \\]" if display else f"\\({body}\\)"


def _safe_typst(body: str) -> bool:
    """No code, formula end, comment, raw text, label or reference outside string literals,
    and every string literal closed."""
    outside, i, in_string = [], 0, False
    while i < len(body):
        char = body[i]
        if in_string:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            outside.append(char)
        i += 1
    return not in_string and not _UNSAFE_TYPST.search("".join(outside))
