"""Where the project is, for every command: the nearest mkdocs.yml and the content folder it names.

Kept apart from ``main`` so that the modules holding commands can import it without importing
the command group that registers them."""

from __future__ import annotations

import re
from pathlib import Path

import click

from cortex.model import find_project_root

_DOCS_DIR = re.compile(r"^docs_dir:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(?:#.*)?$", re.M)


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
    m = _DOCS_DIR.search(mkdocs_yml.read_text("utf-8"))
    return m.group(1) if m else "docs"
