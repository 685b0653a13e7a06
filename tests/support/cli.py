"""The `cortex` command run as a user runs it, in a temporary project that checks clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from support.paths import REPO, write_tree
from support.results_site import populated_site

REFS = """\
@book{knuth1997, author = {Donald E. Knuth}, title = {The Art of Computer Programming},
  publisher = {Addison-Wesley}, year = {1997}}
@misc{nobody2020, author = {A. Nobody}, title = {Squares, Revisited}, year = {2020}}
"""


def cortex(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600):
    """``python -m cortex.cli ARGS`` in ``cwd`` with a bare environment (nothing of the caller's,
    such as a CORTEX_SITE_URL, leaks in) plus ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "cortex.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={
            "PYTHONPATH": str(REPO / "site_plugins"),
            "PATH": "/usr/bin:/bin",
            "NO_MKDOCS_2_WARNING": "1",
            **(env or {}),
        },
    )


def site_project(tmp_path: Path) -> Path:
    """The results fixture (``populated_site``: squares, grid and single with fresh results) as a
    project: an mkdocs.yml inheriting the shipped one, a home page, the references its baselines
    cite, and without the experiments that are broken on purpose. ``cortex check`` finds nothing."""
    root = populated_site(tmp_path)
    for broken in ("badschema", "broken"):
        (root / "experiments" / f"{broken}.md").unlink()
        shutil.rmtree(root / "results" / broken)
    return write_tree(
        root,
        {
            "mkdocs.yml": f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: content\n",
            "content/index.md": "# Home\n\nSee [[plain]].\n",
            "refs/refs.bib": REFS,
        },
    )
