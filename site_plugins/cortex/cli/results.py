"""``cortex status`` and ``cortex diff``: where every experiment stands, and what changed between
two runs of one. Adapters only: the rows come from ``experiments.status``, the comparison from
``experiments.diff`` (whose labels are the site's run history's)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from cortex.experiments.declaration import load_experiment, load_experiments
from cortex.experiments.devices import cuda_available
from cortex.experiments.diff import DiffError, diff_report, diff_runs
from cortex.experiments.status import status_rows, status_table, summary_line
from cortex.experiments.store import ResultSet
from cortex.model import find_project_root

NARROWEST = 60  # a table never gets narrower than this, whatever the terminal says
WIDEST = 100


class CannotCompare(click.ClickException):
    """Exit 2, so that CI tells "could not compare" from a regression (exit 1)."""

    exit_code = 2


def project_root() -> Path:
    root = find_project_root(Path.cwd())
    if root is None:
        raise click.UsageError("no mkdocs.yml here or above: run this inside a Cortex project")
    return root


@click.command("status")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object for scripts instead of the table."
)
@click.option(
    "--cuda/--no-cuda",
    default=None,
    help="Plan for a machine with or without CUDA, as `snakemake --config cuda=true|false` does. "
    "[default: whether this machine has CUDA]",
)
@click.option(
    "--wide",
    is_flag=True,
    help=f"Do not cut the why column to fit {WIDEST} columns (or a narrower terminal).",
)
def status(as_json: bool, cuda: bool | None, wide: bool) -> None:
    """One row per experiment: its research status, its device, whether its result is fresh,
    stale, frozen-stale, never run or unreadable (the site's badge), why, and what `snakemake`
    would do with it on this machine (run it, skip it because it needs CUDA or is frozen, or
    nothing: it is up to date).

    Exit codes: 0 when the table (or JSON) is printed, whatever the experiments' states;
    2 outside a project or on a bad option. Problems in declarations go to stderr, as
    `snakemake` and `cortex check` print them; an experiment whose declaration cannot be read
    has no row.

    \b
    Examples:
      cortex status
      cortex status --no-cuda --wide
      cortex status --json | jq -r '.experiments[] | select(.action == "run") | .id'
    """
    root = project_root()
    specs, problems = load_experiments(root)
    for problem in problems:
        click.echo(str(problem), err=True)
    cuda = cuda_available() if cuda is None else cuda
    rows = status_rows(ResultSet.load(specs, root), cuda=cuda)
    if as_json:
        payload = {
            "cuda": cuda,
            "summary": summary_line(rows),
            "experiments": [row.to_json() for row in rows],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    width = None if wide else max(NARROWEST, min(WIDEST, shutil.get_terminal_size((WIDEST, 24)).columns))
    if rows:
        click.echo(status_table(rows, width))
    click.echo(summary_line(rows))


@click.command("diff")
@click.argument("exp_id", metavar="EXP")
@click.argument("run_a", required=False, metavar="[RUN_A]")
@click.argument("run_b", required=False, metavar="[RUN_B]")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object for scripts instead of the table."
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 1 when any metric at any point got worse by more than its measured spread (for CI).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="List unchanged values too (by default they are only counted)."
)
def diff(
    exp_id: str, run_a: str | None, run_b: str | None, as_json: bool, fail_on_regression: bool, show_all: bool
) -> None:
    """Compare two runs of experiment EXP, metric by metric and point by point: A, B, the change,
    the measured spread it is held against, and a label: noise (within the spread), improvement
    or regression (by the direction the declaration gives the metric), changed (a metric with no
    direction) or unchanged.

    RUN_B defaults to the committed result (results/EXP/result.json); RUN_A to the run before it
    in results/EXP/history/ of the same size on the same device, as the site's run history
    compares. Name a run by its history file (20261122T180704607753Z-30656, with or without .json,
    or a unique prefix such as 20261122T18), or `result.json` for the committed result.

    Exit codes: 0 when compared; 1 with --fail-on-regression when there is a regression; 2 when
    the runs cannot be compared (unknown experiment or run, no history, an unreadable record)
    or on a bad option.

    \b
    Examples:
      cortex diff fp_formats
      cortex diff quasi_newton 20261129T1933 --all
      cortex diff attention --fail-on-regression --json > diff.json
    """
    root = project_root()
    declaration = root / "experiments" / f"{exp_id}.md"
    if not declaration.is_file():
        known = ", ".join(sorted(p.stem for p in (root / "experiments").glob("*.md"))) or "none"
        raise CannotCompare(
            f"no experiment `{exp_id}`: experiments/{exp_id}.md does not exist (known: {known})"
        )
    spec, problems = load_experiment(declaration, root)
    if spec is None:
        raise CannotCompare("\n".join(str(p) for p in problems) or f"cannot read experiments/{exp_id}.md")
    try:
        compared = diff_runs(spec, root / "results", run_a, run_b)
    except DiffError as exc:
        raise CannotCompare(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(compared.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(diff_report(compared, unchanged=show_all))
    if fail_on_regression and compared.regressions:
        click.echo(f"{compared.regressions} regression(s) beyond the measured spread", err=True)
        sys.exit(1)
