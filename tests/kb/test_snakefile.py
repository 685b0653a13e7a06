"""The project's own Snakefile: a bare `snakemake` in a fresh copy builds the site into site/,
runs no experiment whose committed result is fresh, GPU ones included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.paths import REPO


def snakemake(project: Path) -> subprocess.CompletedProcess:
    """A bare `snakemake`, as on a machine without CUDA."""
    command = [sys.executable, "-m", "snakemake", "--config", "cuda=false"]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)


def _planned(declaration: Path) -> bool:
    """A declaration at `status: planned` that has no result yet."""
    results = declaration.parent.parent / "results" / declaration.stem / "result.json"
    return "\nstatus: planned\n" in declaration.read_text() and not results.is_file()


def test_bare_snakemake_builds_the_site(tmp_path):
    copy = tmp_path / "kb"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    for rel in filter(None, files.decode().split("\0")):
        target = copy / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / rel).read_bytes())
    run = snakemake(copy)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert (copy / "site" / "index.html").is_file()
    assert (copy / "site" / "experiments" / "fp_formats" / "index.html").is_file()
    assert (copy / "site" / "experiments" / "gemm_throughput" / "index.html").is_file()
    assert "rule experiment" not in out  # the committed results are fresh: nothing reran
    # a committed GPU result needs no GPU to be kept, even a stale one: it stays, marked stale;
    # only a GPU experiment still waiting for its first run is reported as not run
    pending = {f"experiments/{p.stem}.md" for p in (copy / "experiments").glob("*.md") if _planned(p)}
    for line in out.splitlines():
        if "not run: needs CUDA" in line:
            assert line.split(":", 1)[0] in pending, line
        else:
            assert "needs CUDA" not in line or "so that result stays, marked stale" in line, line
    again = snakemake(copy)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
