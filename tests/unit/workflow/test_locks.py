"""A workflow lock is removed only when no Snakemake process runs in the directory."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from cortex.workflow.locks import lock_files, remove_stale_lock, snakemake_processes


def locked(root: Path) -> Path:
    folder = root / ".snakemake" / "locks"
    folder.mkdir(parents=True)
    (folder / "0.input.lock").write_text(f"{root}/experiments/a.md\n")
    (folder / "0.output.lock").write_text(f"{root}/results/a/result.json\n")
    return folder


def test_a_lock_nobody_holds_is_removed(tmp_path: Path):
    locked(tmp_path)
    message = remove_stale_lock(tmp_path)
    assert message and "removed a stale workflow lock (2 file(s)" in message
    assert lock_files(tmp_path) == []
    assert remove_stale_lock(tmp_path) is None  # nothing left to remove


def test_a_lock_held_by_a_running_snakemake_stays(tmp_path: Path):
    locked(tmp_path)
    other = subprocess.Popen(["bash", "-c", "exec -a snakemake sleep 60"], cwd=tmp_path)
    cmdline = Path("/proc") / str(other.pid) / "cmdline"
    while not cmdline.read_bytes().startswith(b"snakemake"):  # until bash has become "snakemake"
        time.sleep(0.01)
    try:
        assert snakemake_processes(tmp_path) == [other.pid]
        assert remove_stale_lock(tmp_path) is None
        assert len(lock_files(tmp_path)) == 2
    finally:
        other.kill()
        other.wait()
