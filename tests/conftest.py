"""Shared test helpers: where things are, and real MkDocs builds in temp folders."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"
KEPANO = FIXTURES / "vaults" / "kepano-obsidian"


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


@pytest.fixture
def write_vault(tmp_path):
    """Write {relative path: text or bytes} into a fresh content folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "vault"
        for rel, content in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, "utf-8")
        return root

    return write


def require_fixtures() -> None:
    if not KEPANO.is_dir():
        pytest.fail(f"test fixtures missing: {KEPANO} (the shared/ folder must sit beside the repository)")


@pytest.fixture(scope="module")
def spec(request):
    """The declaration of the shipped experiment a test module names in ``EXPERIMENT``."""
    from cortex.experiments.declaration import load_experiment

    found, diagnostics = load_experiment(REPO / "experiments" / f"{request.module.EXPERIMENT}.md", REPO)
    assert found is not None, [str(d) for d in diagnostics]
    return found


@pytest.fixture(scope="module")
def entry(spec):
    """Its entry point, loaded the way the runner loads it."""
    from cortex.runner.run import load_entry_point

    return load_entry_point(spec, REPO)


@pytest.fixture(scope="module")
def module(entry):
    return sys.modules[entry.__module__]


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    """The entry point's metrics at every point of the `ci` size, on the CPU, keyed by the
    point's parameter values in declaration order."""
    from cortex.timing import Harness

    bench = Harness("cpu")
    return {tuple(p.values()): entry(p, bench) for p in spec.points("ci")}
