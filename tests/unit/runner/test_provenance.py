"""What a run records of itself is true: an input missing from git makes the run dirty, and
result files are readable by whoever the user's umask lets read them, and a run records the
cores, threads and load its CPU timings depend on."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from cortex.files import atomic_write_text
from cortex.runner.provenance import git_state


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_an_untracked_input_makes_the_run_dirty(tmp_path: Path):
    git(tmp_path, "init", "-q")
    (tmp_path / "run.py").write_text("x = 1\n")
    git(tmp_path, "add", "run.py")
    git(tmp_path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one")
    (tmp_path / "new.py").write_text("y = 2\n")  # written, never added
    assert git_state(tmp_path, ["run.py"])["dirty"] is False
    assert git_state(tmp_path, ["run.py", "new.py"])["dirty"] is True
    (tmp_path / "run.py").write_text("x = 3\n")
    assert git_state(tmp_path, ["run.py"])["dirty"] is True


def test_files_are_written_with_the_users_umask(tmp_path: Path):
    target = tmp_path / "results" / "x" / "result.json"
    atomic_write_text(target, "{}\n")
    expected = 0o666 & ~_umask()
    assert stat.S_IMODE(target.stat().st_mode) == expected
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]  # no temporary file left


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_a_run_records_what_its_cpu_timings_depend_on(tmp_path: Path):
    import torch

    from cortex.runner.provenance import environment

    env = environment("cpu", tmp_path)
    assert env["cpu_threads"] == torch.get_num_threads() >= 1
    assert env["cpu_count"] == os.cpu_count()
    assert env["load_average"] is None or env["load_average"] >= 0
