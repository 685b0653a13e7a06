"""Plain text tables for the command line: columns padded with spaces, one row a line, so that
``grep``, ``awk`` and a narrow terminal read them alike."""

from __future__ import annotations

from collections.abc import Collection, Sequence

ELLIPSIS = "…"


def clip(text: str, width: int | None) -> str:
    """``text`` on one line (a line break would break its row) and at most ``width`` characters,
    its end cut to an ellipsis where it is longer; None leaves its length alone."""
    text = " ".join(str(text).split())
    return text if width is None or len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()) -> str:
    """Rows under their headers, each column as wide as its widest cell and two spaces apart;
    the columns whose index is in ``right`` align right (numbers), the others left. No line ends
    in spaces."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [headers, *rows]
    )
