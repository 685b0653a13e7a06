"""``cortex report``: one experiment as a PDF, Typst, LaTeX or Markdown document."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cortex.cli.project import content_folder
from cortex.experiments.method import REPORTS_DIR
from cortex.model import CACHE_DIR, load
from cortex.report.build import ReportError, citation_style_of, report_of
from cortex.report.export import SUFFIXES, write_report


@click.command("report")
@click.argument("exp_id", metavar="EXP|NOTE")
@click.option(
    "--to",
    "fmt",
    type=click.Choice(list(SUFFIXES)),
    default="pdf",
    show_default=True,
    help="pdf: typeset by Typst, figures and fonts inside; typst: the .typ source; latex: a .tex "
    "for lualatex or xelatex; md: Markdown. The last three write their figures into a "
    "<name>_figures folder beside the file.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: reports/EXP.pdf, .typ, .tex or .md in the project, where "
    "`cortex advance EXP --to reported` finds it; never a file of the content or experiments folder).",
)
def report(exp_id: str, fmt: str, out: Path | None) -> None:
    """Write a self-contained report of experiment EXP: its title, hypothesis, verdict and
    prose (math typeset, quoted results as their numbers), result tables, figures as vector
    graphics, baselines, provenance (device, commit, dirty flag, input hash, dates, host) and
    the references it cites, in the style of mkdocs.yml.

    Given a NOTE instead (its path in the content folder, or its name as a wikilink names it),
    the report is the note with its quotes rendered, then the hypothesis, verdict and
    provenance of each experiment it quotes.

    An experiment that has not been run gets a report that says it is not measured, and why.
    Formulas that cannot be typeset are shown as their source and listed as warnings.

    Example: cortex report compensated_summation --to pdf  (writes reports/compensated_summation.pdf)
    """
    content, root = content_folder(None)
    target = out or root / REPORTS_DIR / (Path(exp_id).stem + SUFFIXES[fmt])
    for source in (content, root / "experiments"):
        if target.exists() and target.resolve().is_relative_to(source.resolve()):
            raise click.ClickException(f"{target} is a source of the knowledge base; name another --out")
    with _progress(3) as advance:
        kb = load(
            content,
            root=root,
            citation_style=citation_style_of(root / "mkdocs.yml"),
            cache_dir=root / CACHE_DIR,
        )
        advance("building the report")
        try:
            built = report_of(kb, exp_id)
        except ReportError as exc:
            raise click.ClickException(str(exc)) from exc
        advance(f"writing {target}")
        problems = [*built.problems, *write_report(built, fmt, target)]
        advance("done")
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if not built.measured:
        click.echo(f"warning: `{exp_id}` has no result: the report says it is not measured", err=True)
    click.echo(str(target))


@contextmanager
def _progress(steps: int) -> Iterator[Callable[[str], None]]:
    """``advance(next step's name)`` under a progress bar on a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda _: None
        return
    with click.progressbar(length=steps, label="loading the knowledge base", file=sys.stderr) as bar:

        def advance(label: str) -> None:
            bar.label = label
            bar.update(1)

        yield advance
