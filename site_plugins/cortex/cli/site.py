"""``cortex build``, ``cortex serve`` and ``cortex publish``: MkDocs behind the one front door.

Each runs MkDocs' own command line (``python -m mkdocs``) in the project's folder, so a build
here is exactly ``mkdocs build`` there, with its output and exit status. ``serve`` and ``build``
hand the process over to MkDocs (a Ctrl-C or a kill reaches the server itself, never an orphan);
``publish`` checks what publishing needs first, then builds and deploys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import click

from cortex.cli.project import content_folder
from cortex.diagnostics import Code, Diagnostic
from cortex.model import CACHE_DIR, KnowledgeBase, load
from cortex.site_address import publish_problems, site_url_of

GH_PAGES = "gh-pages"


def mkdocs_argv(root: Path, command: str, *options: str) -> list[str]:
    """``python -m mkdocs COMMAND -f ROOT/mkdocs.yml OPTIONS`` with this interpreter."""
    return [sys.executable, "-m", "mkdocs", command, "-f", str(root / "mkdocs.yml"), *options]


def hand_over(root: Path, argv: list[str]) -> NoReturn:
    """Replace this process with ``argv`` run in ``root``: signals go straight to MkDocs."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(root)
    os.execv(argv[0], argv)  # this interpreter and MkDocs, never a shell


@click.command()
@click.option("--strict", is_flag=True, help="Fail on an error in the content, as `cortex check` would.")
@click.option(
    "--site-dir",
    "-d",
    type=click.Path(file_okay=False, path_type=Path, resolve_path=True),
    default=None,
    help="Folder to build into (default: site_dir of mkdocs.yml, site/).",
)
@click.option(
    "--clean/--dirty",
    default=True,
    show_default=True,
    help="--dirty keeps what the site folder holds instead of emptying it first (every page "
    "is still rendered: only a running preview knows what changed since its last build).",
)
def build(strict: bool, site_dir: Path | None, clean: bool) -> None:
    """Build the site into site/ (MkDocs' build, from the project's mkdocs.yml).

    \b
    Examples:
      cortex build --strict          # fail on a broken link, as CI should
      cortex build -d public --dirty # into public/, keeping what else it holds
    """
    _, root = content_folder(None)
    options = ["--strict"] if strict else []
    options += ["--site-dir", str(site_dir)] if site_dir else []
    options += [] if clean else ["--dirty"]
    hand_over(root, mkdocs_argv(root, "build", *options))


@click.command()
@click.option(
    "--dev-addr",
    "-a",
    metavar="IP:PORT",
    default=None,
    help="Address to serve on (default: dev_addr of mkdocs.yml, 127.0.0.1:8000).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Render every page on each change, not only the pages the change affects.",
)
def serve(dev_addr: str | None, full: bool) -> None:
    """Preview the site, rebuilt whenever anything it is made of changes.

    Watches the content folder (notes and the curriculum), refs/, experiments/, results/ and
    mkdocs.yml: a finished run's result.json shows in the open page without a restart. Each
    rebuild renders only the pages the change affects (the edited page, the pages whose
    backlinks, embeds, quotes, references, listings or navigation it changes) and writes what
    a clean build would (MkDocs' dirty build, told by the plugin what changed).

    \b
    Examples:
      cortex serve                    # http://127.0.0.1:8000
      cortex serve -a 0.0.0.0:8001 --full
    """
    _, root = content_folder(None)
    options = ["--dev-addr", dev_addr] if dev_addr else []
    options += [] if full else ["--dirty"]
    hand_over(root, mkdocs_argv(root, "serve", *options))


@click.command()
@click.option(
    "--to",
    "target",
    metavar="gh-pages|DIR",
    default=GH_PAGES,
    show_default=True,
    help="gh-pages: `mkdocs gh-deploy` (commits the site to the gh-pages branch and pushes it); "
    "DIR: a folder for any static host, replaced whole only once the new site is built "
    "(a folder named gh-pages: ./gh-pages).",
)
@click.option(
    "--allow-stale",
    is_flag=True,
    help="Publish even when a result is stale (its inputs changed since it ran); its pages say so.",
)
def publish(target: str, allow_stale: bool) -> None:
    """Check, build and deploy the site at its real address.

    Refuses when the site's address (site_url, or CORTEX_SITE_URL) is missing or this
    machine's, when the content has an error, or when a result is stale (unless
    --allow-stale); then builds with --strict and deploys. A result kept on purpose with
    `freeze: true` is published, marked stale and frozen.

    \b
    Examples:
      CORTEX_SITE_URL=https://you.github.io/kb/ cortex publish
      CORTEX_SITE_URL=https://kb.example.org/ cortex publish --to /srv/www/kb
    """
    content, root = content_folder(None)
    folder = None if target == GH_PAGES else Path(target).resolve()
    unsafe = unsafe_target(folder, root, content) if folder else None
    refusals = [f"{folder}: not replaced: {unsafe}"] if unsafe else []
    refusals += [str(d) for d in publish_problems(root / "mkdocs.yml", os.environ)]
    kb = load(content, root=root, cache_dir=root / CACHE_DIR)
    refusals += [str(d) for d in kb.errors]
    stale = stale_results(kb)
    if stale and not allow_stale:
        refusals += [str(d) for d in stale]
        refusals.append(
            f"{len(stale)} stale result(s): rerun them (`snakemake`, or `cortex rerun EXP`), "
            "or publish them marked stale with --allow-stale"
        )
    if refusals:
        for line in refusals:
            click.echo(line, err=True)
        raise click.ClickException("not published")
    for d in stale:
        click.echo(f"{d} (published marked stale: --allow-stale)", err=True)
    url, _, _ = site_url_of(root / "mkdocs.yml", os.environ)
    if folder is None:
        done = subprocess.run(mkdocs_argv(root, "gh-deploy", "--strict"), cwd=root, check=False)
        sys.exit(done.returncode)
    staging = folder.with_name(f".{folder.name}.publishing-{os.getpid()}")
    argv = mkdocs_argv(root, "build", "--strict", "--clean", "--site-dir", str(staging))
    try:
        if subprocess.run(argv, cwd=root, check=False).returncode != 0:
            raise click.ClickException("not published: the strict build failed (see above)")
        replace_folder(staging, folder)
    finally:  # a failed or interrupted build leaves nothing beside the target
        shutil.rmtree(staging, ignore_errors=True)
    click.echo(f"published {folder} for {url}")


def stale_results(kb: KnowledgeBase) -> list[Diagnostic]:
    """The model's stale-result warnings: the staleness the pages' badges show. A frozen
    experiment's stale result has a code of its own (it is kept on purpose) and is not here."""
    return [d for d in kb.diagnostics if d.code is Code.STALE_RESULT]


def unsafe_target(folder: Path, root: Path, content: Path) -> str | None:
    """Why replacing ``folder`` with a built site would destroy the user's work, or None."""
    if root.resolve().is_relative_to(folder):
        return "it holds the project itself"
    if folder.is_relative_to(content.resolve()):
        return "it is inside the content folder"
    if folder.is_dir() and any(folder.iterdir()):
        if (folder / ".git").exists():
            return "it is a git checkout; publish with --to gh-pages, or to a folder of its own"
        if not (folder / "index.html").is_file():
            return "it holds files but no site (no index.html); name an empty folder or a site's"
    if folder.exists() and not folder.is_dir():
        return "it is a file"
    return None


def replace_folder(staging: Path, folder: Path) -> None:
    """Put the built site in ``staging`` at ``folder``: one rename when there was none; else the
    old site is renamed aside, the new one renamed in, and the old removed. A host serving
    ``folder`` never serves half a site: the old one, then (after a moment with none) the new."""
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
