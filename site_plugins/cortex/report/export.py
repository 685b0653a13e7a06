"""A report written to a file in one of the formats ``cortex report --to`` names."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from cortex.report.document import Report
from cortex.report.writer import Writer, write_source

SUFFIXES = {"pdf": ".pdf", "typst": ".typ", "latex": ".tex", "md": ".md"}


def writer_for(fmt: str) -> Callable[[Report, Path], list[str]]:
    """The function that writes ``fmt`` (a key of ``SUFFIXES``) and returns its problems.
    Each format's module is imported only when asked for."""
    writer: type[Writer]
    if fmt == "pdf":
        from cortex.report.typst import compile_pdf

        return compile_pdf
    if fmt == "typst":
        from cortex.report.typst import TypstWriter

        writer = TypstWriter
    elif fmt == "latex":
        from cortex.report.latex import LatexWriter

        writer = LatexWriter
    elif fmt == "md":
        from cortex.report.markdown import MarkdownWriter

        writer = MarkdownWriter
    else:
        raise ValueError(f"unknown report format {fmt!r} (formats: {', '.join(SUFFIXES)})")
    return partial(write_source, writer=writer)


def write_report(report: Report, fmt: str, out: Path) -> list[str]:
    """``report`` as ``fmt`` at ``out`` (figures beside it, except in a PDF, which holds
    them); the problems found on the way, each a sentence."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return writer_for(fmt)(report, out)
