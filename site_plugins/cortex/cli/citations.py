"""``cortex cite``, ``cortex papers`` and ``cortex review``: arXiv into refs/ and into
reading-list notes ranked against the knowledge base, and the papers of refs/ a note could cite."""

from __future__ import annotations

import re
from pathlib import Path

import click

from cortex.citations.arxiv_import import ArxivImportError, import_arxiv, reading_list
from cortex.citations.bibliography import load_bibliography
from cortex.cli.project import docs_dir_of
from cortex.connections.related import documents, unread_papers
from cortex.connections.similarity import METHODS, Similarity, similarity
from cortex.model import CACHE_DIR, REFS_DIR, KnowledgeBase, find_project_root, load

API_HELP = "arXiv query API endpoint, e.g. a local mirror (default: export.arxiv.org)."
METHOD_HELP = (
    "How likeness is measured: minilm (the `related` extra), tfidf, or auto (MiniLM where installed)."
)


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
    """Add arXiv papers (ids like arXiv:1706.03762, or abs/pdf URLs) to a .bib file.

    A paper already in any refs/*.bib (by its arXiv id, in whichever field) is skipped and named; the file is
    appended to, never rewritten.

    Example: cortex cite arXiv:1706.03762 https://arxiv.org/abs/2205.14135 --refs refs/attention.bib
    """
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
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True, help=METHOD_HELP)
def papers(query: str, max_results: int, out_path: Path | None, api_url: str | None, method: str) -> None:
    """Search arXiv and write a reading-list note: the papers ranked by how alike each is to the
    knowledge base's notes (when run inside a project), each with its score, a mark when refs/
    has it already (same arXiv id, DOI or title), a summary of its abstract and a ready
    `cortex cite` line.

    \b
    Example:
      cortex papers "compensated summation" --max 10 --out content/reading/summation.md
    """
    out_path = out_path or Path("content/reading") / f"{slugify(query)}.md"
    root = find_project_root(Path.cwd())
    kb = load_project(root) if root else None
    references = kb.bibliography.values() if kb and kb.bibliography else []
    if kb is None:  # outside a project: still mark what ./refs holds
        references = load_bibliography(Path(REFS_DIR))[0].values() if Path(REFS_DIR).is_dir() else []
    notes = [d for d in documents(kb) if d.kind != "paper"] if kb else []
    try:
        ids = reading_list(
            query,
            max_results,
            out_path,
            api_url,
            notes=notes,
            references=references,
            similarity=chosen_similarity(method, root) if notes else None,
        )
    except ArxivImportError as exc:
        raise click.ClickException(str(exc)) from exc
    ranked = f", ranked against {len(notes)} note{'s' if len(notes) != 1 else ''}" if notes else ""
    click.echo(f"wrote {len(ids)} papers to {out_path}{ranked}")


@click.command("review")
@click.argument("note")
@click.option(
    "--max",
    "max_results",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="How many papers to propose.",
)
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True, help=METHOD_HELP)
def review(note: str, max_results: int, method: str) -> None:
    """Propose papers from refs/ that NOTE does not cite yet, most alike first, with their
    similarity scores (0 to 1). NOTE is a note's path in the content folder, with or without
    .md, or its file name.

    \b
    Example:
      cortex review "numerics/Kahan Summation" --max 5
    """
    root = find_project_root(Path.cwd())
    if root is None:
        raise click.UsageError("no mkdocs.yml here or above: run `cortex review` inside a project")
    kb = load_project(root)
    path = find_note(kb, note)
    proposals = unread_papers(kb, path, chosen_similarity(method, root))[:max_results]
    if not proposals:
        raise click.ClickException(f"{path} already cites every entry of refs/*.bib (or there is none)")
    click.echo(f"papers for {path}, most alike first (score 0 to 1):")
    width = max(len(p.key) for p in proposals)
    for n, paper in enumerate(proposals, 1):
        click.echo(f"{n:>3}. {paper.score:.2f}  {paper.key:<{width}}  {paper.title}")


def load_project(root: Path) -> KnowledgeBase:
    return load(root / docs_dir_of(root / "mkdocs.yml"), root=root, cache_dir=root / CACHE_DIR)


def chosen_similarity(method: str, root: Path | None) -> Similarity:
    try:
        return similarity(method, root / CACHE_DIR if root else None)  # type: ignore[arg-type]  # a METHODS choice
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def find_note(kb: KnowledgeBase, name: str) -> str:
    """A note's path from what a user types: its path (with or without .md) or its file name."""
    wanted = name.removesuffix(".md").strip("/").lower()
    by_path = {p.removesuffix(".md").lower(): p for p in kb.notes}
    if wanted in by_path:
        return by_path[wanted]
    named = [p for p in kb.vault.by_name.get(wanted, []) if p in kb.notes]
    if len(named) == 1:
        return named[0]
    if named:
        raise click.UsageError(
            f"'{name}' names {len(named)} notes: {', '.join(sorted(named))}; give the path"
        )
    raise click.UsageError(f"no note '{name}' in the content folder")
