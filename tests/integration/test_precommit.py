"""The pre-commit hook catches a broken link before it is committed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.paths import REPO


def run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_hook_rejects_a_broken_link_and_passes_when_fixed(tmp_path):
    project = tmp_path / "kb"
    (project / "content").mkdir(parents=True)
    shutil.copy(REPO / ".pre-commit-config.yaml", project)
    (project / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n", "utf-8")
    note = project / "content" / "index.md"
    note.write_text("# Home\n\nSee [[Nowhere]].\n", "utf-8")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    run(["git", "init", "-q"], project, env)
    run(["git", "add", "-A"], project, env)
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "cortex-check", "--all-files"]
    broken = run(pre_commit, project, env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "content/index.md:3:5: error: unresolved [[Nowhere]]" in broken.stdout
    note.write_text("# Home\n\nSee [[index]].\n", "utf-8")
    fixed = run(pre_commit, project, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
