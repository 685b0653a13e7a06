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
    assert "not run: needs CUDA" not in out  # a committed GPU result needs no GPU to be kept,
    for line in out.splitlines():  # even a stale one: it stays, marked stale
        assert "needs CUDA" not in line or "so that result stays, marked stale" in line, line
    again = snakemake(copy)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
