"""The project's own Snakefile: a bare `snakemake` in a fresh copy builds the site into site/,
runs no experiment whose committed result is fresh, GPU ones included."""

from __future__ import annotations

import subprocess
import sys

from support.paths import REPO


def test_bare_snakemake_builds_the_site(tmp_path):
    copy = tmp_path / "kb"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    for rel in filter(None, files.decode().split("\0")):
        target = copy / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / rel).read_bytes())
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--config", "cuda=false"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert (copy / "site" / "index.html").is_file()
    assert (copy / "site" / "experiments" / "fp_formats" / "index.html").is_file()
    assert (copy / "site" / "experiments" / "gemm_throughput" / "index.html").is_file()
    assert "rule experiment" not in out  # the committed results are fresh: nothing reran
    assert "needs CUDA" not in out  # a current GPU result needs no GPU to be kept
    again = subprocess.run(
        [sys.executable, "-m", "snakemake", "--config", "cuda=false"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
