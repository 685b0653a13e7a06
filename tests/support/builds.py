"""Real MkDocs builds in temporary folders."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from support.paths import REPO


@dataclass
class Build:
    returncode: int
    output: str
    site: Path

    def page(self, url_path: str) -> str:
        """The HTML of a built page, by its URL path (``notes/Foo/``) or file path."""
        target = self.site / unquote(url_path)
        if target.is_dir() or url_path.endswith("/") or not url_path:
            target = target / "index.html"
        return target.read_text("utf-8")


def build_site(docs_dir: Path, workdir: Path, *, strict: bool = False, extra: str = "") -> Build:
    """A real ``mkdocs build`` of ``docs_dir`` with the project's configuration, as a user with a
    vault would run it: a two-line mkdocs.yml that inherits the project's."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "mkdocs.yml"
    config.write_text(f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: {docs_dir}\n{extra}", "utf-8")
    site = workdir / "site"
    cmd = [sys.executable, "-m", "mkdocs", "build", "-f", str(config), "-d", str(site)]
    if strict:
        cmd.append("--strict")
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600)
    return Build(proc.returncode, proc.stdout + proc.stderr, site)
