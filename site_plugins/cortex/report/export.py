"""A report written to a file in one of the formats ``cortex report --to`` names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cortex.report.document import Report

SUFFIXES = {"pdf": ".pdf", "typst": ".typ", "latex": ".tex", "md": ".md"}


def writer_for(fmt: str) -> Callable[[Report, Path], list[str]]:
    """The function that writes ``fmt`` (a key of ``SUFFIXES``) and returns its problems."""
    if fmt == "pdf":
        from cortex.report.typst import compile_pdf

        return compile_pdf
    if fmt == "typst":
        from cortex.report.typst import write_typst

        return write_typst
    if fmt == "latex":
        from cortex.report.latex import write_latex

        return write_latex
    if fmt == "md":
        from cortex.report.markdown import write_markdown

        return write_markdown
    raise ValueError(f"unknown report format {fmt!r} (formats: {', '.join(SUFFIXES)})")


def write_report(report: Report, fmt: str, out: Path) -> list[str]:
    """``report`` as ``fmt`` at ``out`` (figures beside it, except in a PDF, which holds
    them); the problems found on the way, each a sentence."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return writer_for(fmt)(report, out)
