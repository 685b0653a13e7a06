"""``cortex cite`` and ``cortex papers``: arXiv into refs/ and into reading-list notes."""

from __future__ import annotations

import re
from pathlib import Path

import click

from cortex.citations.arxiv_import import ArxivImportError, import_arxiv, reading_list

API_HELP = "arXiv query API endpoint, e.g. a local mirror (default: export.arxiv.org)."


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "papers"


@click.command("cite")
@click.argument("ids", nargs=-1, required=True)
@click.option(
    "--refs",
    "bib_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("refs/arxiv.bib"),
    show_default=True,
    help="BibTeX file to append to.",
)
@click.option("--api-url", envvar="CORTEX_ARXIV_API", default=None, help=API_HELP)
def cite(ids: tuple[str, ...], bib_path: Path, api_url: str | None) -> None:
    """Add arXiv papers (ids like arXiv:1706.03762, or abs/pdf URLs) to a .bib file."""
    try:
        report = import_arxiv(list(ids), bib_path, api_url)
    except ArxivImportError as exc:
        raise click.ClickException(str(exc)) from exc
    for arxiv_id, key, where in report.skipped:
        click.echo(f"skipped {arxiv_id}: already in {where} as {key}")
    for arxiv_id, key in report.added:
        click.echo(f"added {arxiv_id} as {key} to {bib_path}")


@click.command("papers")
@click.argument("query")
@click.option(
    "--max",
    "max_results",
    type=click.IntRange(1, 2000),
    default=20,
    show_default=True,
    help="How many papers to list.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Note to write (default: content/reading/<query>.md).",
)
@click.option("--api-url", envvar="CORTEX_ARXIV_API", default=None, help=API_HELP)
def papers(query: str, max_results: int, out_path: Path | None, api_url: str | None) -> None:
    """Search arXiv and write a reading-list note with a ready `cortex cite` line per paper."""
    out_path = out_path or Path("content/reading") / f"{slugify(query)}.md"
    try:
        ids = reading_list(query, max_results, out_path, api_url)
    except ArxivImportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {len(ids)} papers to {out_path}")
