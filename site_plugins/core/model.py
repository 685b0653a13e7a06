"""The knowledge base: one model, loaded once, read by every adapter (MkDocs plugin, CLI,
Snakefile)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .backlinks import Backlink, backlinks, notes_by_tag
from .checks import check_vault
from .errors import Diagnostic
from .notes import Slugify, Vault, load_vault


@dataclass
class KnowledgeBase:
    root: Path  # the project root (where mkdocs.yml is), or the content folder's parent
    vault: Vault
    backlinks: dict[str, list[Backlink]]
    tags: dict[str, list[str]]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def load(
    content_dir: Path,
    root: Path | None = None,
    paths: Iterable[str] | None = None,
    slugify: Slugify | None = None,
    sources: dict[str, str] | None = None,
) -> KnowledgeBase:
    """Read a content folder (and, as the project grows, its references, experiments and
    results under ``root``) into one model with every diagnostic found on the way."""
    content_dir = Path(content_dir)
    vault = load_vault(content_dir, paths=paths, slugify=slugify, sources=sources)
    diagnostics = check_vault(vault)
    return KnowledgeBase(
        root=Path(root) if root else content_dir.parent,
        vault=vault,
        backlinks=backlinks(vault),
        tags=notes_by_tag(vault),
        diagnostics=diagnostics,
    )


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding an mkdocs.yml."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / "mkdocs.yml").is_file():
            return folder
    return None
