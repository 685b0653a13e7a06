"""The package's public face: what `import cortex` gives, and the rule that only the adapters
import MkDocs, Snakemake or click."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from support.paths import REPO

import cortex

PACKAGE = REPO / "site_plugins" / "cortex"
ADAPTERS = ("mkdocs", "cli")  # folders of the package that may import the frameworks
FRAMEWORKS = ("mkdocs", "snakemake", "click")


def test_public_api_is_pinned():
    assert cortex.__all__ == ["Diagnostic", "KnowledgeBase", "__version__", "load"]
    assert cortex.__version__ == metadata.version("cortex-kb")
    from cortex.diagnostics import Diagnostic
    from cortex.model import KnowledgeBase, load

    assert (cortex.load, cortex.KnowledgeBase, cortex.Diagnostic) == (load, KnowledgeBase, Diagnostic)


def test_importing_the_package_loads_no_framework():
    code = "import sys, cortex, cortex.runner.run; print(sorted(m for m in sys.modules if m.split('.')[0] in %r))"
    out = subprocess.run(
        [sys.executable, "-c", code % ((*FRAMEWORKS, "pybtex", "markdown"),)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_loading_a_vault_with_every_form_loads_no_framework(tmp_path):
    """The core's libraries (mkdocs-callouts' parser among them) must not bring MkDocs in."""
    (tmp_path / "Note.md").write_text(
        "# Note\n\n> [!tip]- Folded\n> Body $x^2$ and ==mark==.\n\n- a\n  - b\n\n```mermaid\ngraph LR\n```\n",
        "utf-8",
    )
    code = (
        "import sys; from cortex.model import load; from cortex.notes.rendering import render_note; "
        f"kb = load({str(tmp_path)!r}); assert '!!!' in render_note(kb.vault, kb.notes['Note.md']) "
        "or '???' in render_note(kb.vault, kb.notes['Note.md']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in %r))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code % (FRAMEWORKS,)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_adapters_import_the_frameworks():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        folder = path.relative_to(PACKAGE).parts[0]
        if folder in ADAPTERS:
            continue
        offenders += [
            f"{path.relative_to(REPO)} imports {m}" for m in imported_modules(path) & set(FRAMEWORKS)
        ]
    assert offenders == []
    assert {"mkdocs"} <= imported_modules(PACKAGE / "mkdocs" / "plugin.py")  # the scan sees imports at all
