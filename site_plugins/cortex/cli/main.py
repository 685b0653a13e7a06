"""The ``cortex`` command: an adapter from arguments to the core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from cortex import scaffold
from cortex.cli.citations import cite, papers
from cortex.model import CACHE_DIR, find_project_root, load, unsourced_claims
from cortex.site_address import publish_problems


@click.group()
@click.version_option(package_name="cortex-kb")
def main() -> None:
    """The Cortex: a research knowledge base that rebuilds its own results."""


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
def check(
    path: Path | None, warnings_as_errors: bool, output_format: str, publish: bool, claims: bool
) -> None:
    """Print every problem in a content folder as path:line:col: level: message.

    PATH defaults to the project's content folder (docs_dir of the nearest mkdocs.yml).
    Exits 1 when there is an error, 0 otherwise.

    Examples: cortex check --format json | jq '.[] | select(.code == "unresolved-link")';
    cortex check --claims -W (fails while any number in an analysis has no source)
    """
    content, root = content_folder(path)
    project = (root / "mkdocs.yml").is_file()  # a vault checked on its own gets no cache beside it
    kb = load(content, root=root, cache_dir=root / CACHE_DIR if project else None)
    if publish:
        kb.diagnostics = [*publish_problems(root / "mkdocs.yml", os.environ), *kb.diagnostics]
    if claims:
        kb.diagnostics = sorted([*kb.diagnostics, *unsourced_claims(kb)])
    if output_format == "json":
        click.echo(json.dumps([d.to_json() for d in kb.diagnostics], indent=2, ensure_ascii=False))
    else:
        for d in kb.diagnostics:
            click.echo(str(d))
    errors = len(kb.errors)
    warnings = len(kb.diagnostics) - errors
    click.echo(f"{len(kb.vault.notes)} notes checked: {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors or (warnings_as_errors and warnings) else 0)


@main.group()
def new() -> None:
    """Start a note or an experiment from a template."""


@new.command("note")
@click.argument("title")
@click.option("--folder", default="", help="Folder inside the content folder, e.g. notes.")
def new_note_command(title: str, folder: str) -> None:
    """Write content/FOLDER/TITLE.md (never overwriting)."""
    content, _ = content_folder(None)
    try:
        click.echo(scaffold.new_note(content, title, folder))
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc


@new.command("experiment")
@click.argument("exp_id")
@click.option("--title", default=None, help="The experiment's title.")
def new_experiment_command(exp_id: str, title: str | None) -> None:
    """Write experiments/EXP_ID.md and .py: a declaration and code that run as they are."""
    _, root = content_folder(None)
    try:
        for path in scaffold.new_experiment(root, exp_id, title):
            click.echo(path)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("exp_id")
@click.argument("runner_args", nargs=-1, type=click.UNPROCESSED)
def run(exp_id: str, runner_args: tuple[str, ...]) -> None:
    """Run one experiment now (options as for python -m cortex.runner: --device, --size)."""
    from cortex.runner.run import main as run_experiment

    _, root = content_folder(None)
    sys.exit(run_experiment([str(root / "experiments" / f"{exp_id}.md"), *runner_args]))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("exp_id")
@click.argument("snakemake_args", nargs=-1, type=click.UNPROCESSED)
def rerun(exp_id: str, snakemake_args: tuple[str, ...]) -> None:
    """Rerun one experiment through Snakemake whatever its state, a frozen one included.

    Runs `snakemake --forcerun results/EXP_ID/result.json results/EXP_ID/result.json` in the
    project (its default profile applies); further options go to Snakemake.

    Example: cortex rerun char_language_model --cores 2
    """
    _, root = content_folder(None)
    if not (root / "experiments" / f"{exp_id}.md").is_file():
        raise click.UsageError(f"no experiment `{exp_id}`: experiments/{exp_id}.md does not exist")
    target = f"results/{exp_id}/result.json"
    command = [sys.executable, "-m", "snakemake", *snakemake_args, f"--forcerun={target}", target]
    sys.exit(subprocess.call(command, cwd=root))


def content_folder(path: Path | None) -> tuple[Path, Path]:
    """(content folder, project root) for a path given on the command line, or the project's."""
    if path is not None:
        root = find_project_root(path) or path.resolve().parent
        if (path / "mkdocs.yml").is_file():
            return path / docs_dir_of(path / "mkdocs.yml"), path
        return path, root
    found = find_project_root(Path.cwd())
    if found is None:
        raise click.UsageError("no mkdocs.yml here or above; name the content folder to check")
    root = found
    return root / docs_dir_of(root / "mkdocs.yml"), root


def docs_dir_of(mkdocs_yml: Path) -> str:
    """The docs_dir an mkdocs.yml names (read without running its Python tags)."""
    import re

    m = re.search(r"^docs_dir:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(?:#.*)?$", mkdocs_yml.read_text("utf-8"), re.M)
    return m.group(1) if m else "docs"


main.add_command(cite)
main.add_command(papers)
