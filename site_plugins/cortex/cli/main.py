"""The ``cortex`` command: an adapter from arguments to the core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from cortex import scaffold
from cortex.cli.citations import cite, papers, review
from cortex.cli.method import advance, idea
from cortex.cli.project import content_folder
from cortex.cli.report import report
from cortex.cli.results import diff, status
from cortex.cli.site import build, publish, serve
from cortex.connections.mentions import mention_suggestions
from cortex.diagnostics import Level
from cortex.model import CACHE_DIR, load, unsourced_claims
from cortex.site_address import publish_problems


@click.group()
@click.version_option(package_name="cortex-kb")
def main() -> None:
    """The Cortex: a research knowledge base that rebuilds its own results.

    One command line for the whole routine: write (new), check, preview (serve), run and
    rerun experiments, build and publish the site. `cortex COMMAND --help` says more.

    \b
    Examples:
      cortex serve                      # preview at http://127.0.0.1:8000
      cortex run my_experiment --size ci
      cortex publish --to public/
    """


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--warnings-as-errors", "-W", is_flag=True, help="Exit 1 on warnings too.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: path:line:col: level: message, one per line; json: one array of objects with "
    "path, line, col, level, code and message, for editors and CI.",
)
@click.option(
    "--publish",
    is_flag=True,
    help="Also check what publishing needs: the site's address (site_url, or CORTEX_SITE_URL) "
    "set, and not one of this machine.",
)
@click.option(
    "--claims",
    is_flag=True,
    help="Also list every number in an experiment's hypothesis, verdict or analysis that is neither "
    'quoted from a result nor cited in its sentence; mark one meant as written with {{< n "1998" >}}.',
)
@click.option(
    "--suggest",
    is_flag=True,
    help="Also list, as info lines that never fail the check, each unlinked mention: a note's "
    "title or alias written as plain text in a note that does not link to it.",
)
def check(
    path: Path | None,
    warnings_as_errors: bool,
    output_format: str,
    publish: bool,
    claims: bool,
    suggest: bool,
) -> None:
    """Print every problem in a content folder as path:line:col: level: message.

    PATH defaults to the project's content folder (docs_dir of the nearest mkdocs.yml).
    Exits 1 when there is an error, 0 otherwise.

    \b
    Examples:
      cortex check --format json | jq '.[] | select(.code == "unresolved-link")'
      cortex check --claims -W    # fails while a number in an analysis has no source
      cortex check --suggest      # also: where a note names another without linking it
    """
    content, root = content_folder(path)
    project = (root / "mkdocs.yml").is_file()  # a vault checked on its own gets no cache beside it
    kb = load(content, root=root, cache_dir=root / CACHE_DIR if project else None)
    if publish:
        kb.diagnostics = [*publish_problems(root / "mkdocs.yml", os.environ), *kb.diagnostics]
    if claims:
        kb.diagnostics = sorted([*kb.diagnostics, *unsourced_claims(kb)])
    if suggest:
        kb.diagnostics = sorted([*kb.diagnostics, *mention_suggestions(kb)])
    if output_format == "json":
        click.echo(json.dumps([d.to_json() for d in kb.diagnostics], indent=2, ensure_ascii=False))
    else:
        for d in kb.diagnostics:
            click.echo(str(d))
    errors = len(kb.errors)
    suggestions = sum(d.level is Level.INFO for d in kb.diagnostics)
    warnings = len(kb.diagnostics) - errors - suggestions
    found = f"{errors} error(s), {warnings} warning(s)" + (
        f", {suggestions} suggestion(s)" if suggest else ""
    )
    click.echo(f"{len(kb.vault.notes)} notes checked: {found}", err=True)
    sys.exit(1 if errors or (warnings_as_errors and warnings) else 0)


@main.group()
def new() -> None:
    """Start a note or an experiment from a template.

    \b
    Examples:
      cortex new note "Kahan summation" --folder notes
      cortex new experiment my_experiment --title "My experiment"
    """


@new.command("note")
@click.argument("title")
@click.option("--folder", default="", help="Folder inside the content folder, e.g. notes.")
def new_note_command(title: str, folder: str) -> None:
    """Write content/FOLDER/TITLE.md (never overwriting).

    \b
    Example:
      cortex new note "Kahan summation" --folder notes
    """
    content, _ = content_folder(None)
    try:
        click.echo(scaffold.new_note(content, title, folder))
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc


@new.command("experiment")
@click.argument("exp_id")
@click.option("--title", default=None, help="The experiment's title.")
def new_experiment_command(exp_id: str, title: str | None) -> None:
    """Write experiments/EXP_ID.md and .py: a declaration and code that run as they are.

    \b
    Example:
      cortex new experiment my_experiment --title "My experiment" && cortex run my_experiment --size ci
    """
    _, root = content_folder(None)
    try:
        for path in scaffold.new_experiment(root, exp_id, title):
            click.echo(path)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("exp_id")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda"]),
    default=None,
    help="Device to run on (default: the declaration's `device`; `any` takes CUDA where there is one).",
)
@click.option(
    "--size",
    type=click.Choice(["ci", "full"]),
    default="full",
    show_default=True,
    help="Which of the declaration's `sizes` to run: ci is the small grid tests and CI use.",
)
@click.option(
    "--results-dir",
    type=click.Path(file_okay=False, path_type=Path, resolve_path=True),
    default=None,
    help="Where results/EXP_ID/ is written (default: results/ in the project).",
)
@click.option(
    "--render-only",
    is_flag=True,
    help="Run nothing: redraw the table and figures from the committed result.json.",
)
def run(exp_id: str, device: str | None, size: str, results_dir: Path | None, render_only: bool) -> None:
    """Run one experiment now, here, and write results/EXP_ID/ (the record, its table and figures).

    Each parameter point prints a line as it finishes. Snakemake runs the same runner for every
    stale experiment; this runs one whatever its state.

    \b
    Examples:
      cortex run compensated_summation --size ci
      cortex run gemm_throughput --device cuda
      cortex run attention --render-only
    """
    from cortex.runner.run import main as run_experiment

    argv = [str(declaration_of(exp_id)), "--size", size]
    argv += ["--device", device] if device else []
    argv += ["--results-dir", str(results_dir)] if results_dir else []
    argv += ["--render-only"] if render_only else []
    sys.exit(run_experiment(argv))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("exp_id")
@click.argument("snakemake_args", nargs=-1, type=click.UNPROCESSED, metavar="[SNAKEMAKE_OPTIONS]...")
def rerun(exp_id: str, snakemake_args: tuple[str, ...]) -> None:
    """Rerun one experiment through Snakemake whatever its state, a frozen one included.

    Runs `snakemake --forcerun results/EXP_ID/result.json results/EXP_ID/result.json` in the
    project (its default profile applies). Every option after EXP_ID goes to Snakemake
    unchanged (`python -m snakemake --help` lists them): --cores N, --profile DIR (e.g.
    profiles/slurm, to submit it as a SLURM job), -n (show what would run).

    \b
    Examples:
      cortex rerun char_language_model --cores 2
      cortex rerun gemm_throughput --profile profiles/slurm
      cortex rerun attention -n
    """
    _, root = content_folder(None)
    declaration_of(exp_id)
    target = f"results/{exp_id}/result.json"
    command = [sys.executable, "-m", "snakemake", *snakemake_args, f"--forcerun={target}", target]
    sys.exit(subprocess.call(command, cwd=root))


def declaration_of(exp_id: str) -> Path:
    """experiments/EXP_ID.md of the project, or a usage error naming it."""
    _, root = content_folder(None)
    path = root / "experiments" / f"{exp_id}.md"
    if not path.is_file():
        raise click.UsageError(f"no experiment `{exp_id}`: experiments/{exp_id}.md does not exist")
    return path


main.add_command(cite)
main.add_command(papers)
main.add_command(review)
main.add_command(build)
main.add_command(serve)
main.add_command(publish)
main.add_command(idea)
main.add_command(advance)
main.add_command(status)
main.add_command(diff)
main.add_command(report)
