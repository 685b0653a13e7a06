"""``cortex idea`` and ``cortex advance``: an experiment moved through the research method's
steps, with the checks of ``cortex.experiments.method`` at each one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cortex import scaffold
from cortex.citations.bibliography import load_bibliography
from cortex.cli.project import content_folder
from cortex.experiments.declaration import LEVELS, STATUSES, Assessment
from cortex.experiments.method import Project, plan_move, with_status
from cortex.files import atomic_write_bytes
from cortex.model import CACHE_DIR, REFS_DIR, load

_LEVEL = click.Choice(LEVELS)


@click.command("idea")
@click.argument("title")
@click.option("--hypothesis", default="", help="What you expect, about which measurable quantity.")
@click.option("--impact", type=_LEVEL, default=None, help="Expected impact if it works.")
@click.option("--feasibility", type=_LEVEL, default=None, help="Whether it can be tested with what there is.")
@click.option("--novelty", type=_LEVEL, default=None, help="How far it goes beyond what is known.")
@click.option("--risks", default="", help="The main risk to feasibility, or to what the answer means.")
@click.option(
    "--motivation",
    "motivation",
    multiple=True,
    metavar="KEY",
    help="Bib key (refs/*.bib) of a paper that motivates it; repeat for several.",
)
@click.option(
    "--id", "exp_id", metavar="ID", default=None, help="The experiment id (default: made from the title)."
)
def idea(
    title: str,
    hypothesis: str,
    impact: str | None,
    feasibility: str | None,
    novelty: str | None,
    risks: str,
    motivation: tuple[str, ...],
    exp_id: str | None,
) -> None:
    """Write experiments/ID.md at `status: idea`, with the method's assessment (step 2).

    Nothing is overwritten; a motivating key that refs/*.bib lacks is refused.

    \b
    Example:
      cortex idea "FP8 weights with one scale per tensor" --impact high --feasibility medium \\
        --novelty low --risks "The optimiser state may dominate the loss" \\
        --motivation micikevicius2022fp8 --motivation zamirai2020revisiting
    """
    _, root = content_folder(None)
    if motivation:
        bibliography, _ = load_bibliography(root / REFS_DIR, cache_dir=root / CACHE_DIR)
        unknown = [key for key in motivation if key not in bibliography]
        if unknown:
            raise click.BadParameter(
                f"no entry in refs/*.bib has {', '.join(unknown)} (add it with `cortex cite`)",
                param_hint="--motivation",
            )
    assessment = Assessment(impact or "", feasibility or "", novelty or "", risks.strip(), motivation)
    try:
        path = scaffold.new_idea(root, title, assessment, exp_id=exp_id, hypothesis=hypothesis)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(path)


@click.command("advance")
@click.argument("exp_id")
@click.option(
    "--to",
    "target",
    type=click.Choice(STATUSES),
    default=None,
    help="The status to move to (default: the next step). Every step up to it must have what it needs.",
)
@click.option("--dry-run", is_flag=True, help="Say whether the move is possible, and change nothing.")
def advance(exp_id: str, target: str | None, dry_run: bool) -> None:
    """Move experiment EXP_ID's status one step through the method, checking what the step needs.

    \b
      idea -> planned       a hypothesis, metrics, and a script that exists
      planned -> running    the same
      running -> analysed   also a fresh result and a verdict
      analysed -> reported  also an analysis section, and a note that quotes the
                            experiment ({{< experiment ID >}}) or a report in reports/

    Only the `status:` line of the declaration changes. Exits 1, changing nothing, when a need
    is unmet, and lists them.

    \b
    Examples:
      cortex advance compensated_summation --dry-run
      cortex advance fused_rmsnorm --to planned
    """
    content, root = content_folder(None)
    declaration = root / "experiments" / f"{exp_id}.md"
    if not declaration.is_file():
        raise click.UsageError(f"no experiment `{exp_id}`: experiments/{exp_id}.md does not exist")
    kb = load(content, root=root, cache_dir=root / CACHE_DIR)
    spec = next((s for s in kb.specs if s.id == exp_id), None)
    if spec is None or kb.results is None:
        for problem in (d for d in kb.errors if Path(d.path).resolve() == declaration.resolve()):
            click.echo(str(problem), err=True)
        raise click.ClickException(f"experiments/{exp_id}.md has errors; fix them first")
    notes = {path: note.body for path, note in kb.notes.items()}
    try:
        move = plan_move(spec, Project(kb.results, notes, root), target)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    step = f"{exp_id}: {move.current} -> {move.target}"
    if not move.allowed:
        click.echo(f"{step} refused; it needs:", err=True)
        for need in move.unmet:
            click.echo(f"  - {need}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"{step} possible (dry run: nothing changed)")
        return
    text = declaration.read_bytes().decode("utf-8")
    try:
        edited = with_status(text, move.target)
    except ValueError as exc:
        raise click.ClickException(f"experiments/{exp_id}.md: {exc}") from exc
    atomic_write_bytes(declaration, edited.encode("utf-8"))
    click.echo(step)
