"""The pre-commit hooks catch a broken link, and insecure calls in experiment code, before they are
committed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.paths import REPO


def run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def hook_env(tmp_path: Path) -> dict:
    """The environment pre-commit runs in: its cache in the test's folder, this venv's tools first."""
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }


def test_hook_rejects_a_broken_link_and_passes_when_fixed(tmp_path):
    project = tmp_path / "kb"
    (project / "content").mkdir(parents=True)
    shutil.copy(REPO / ".pre-commit-config.yaml", project)
    (project / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n", "utf-8")
    note = project / "content" / "index.md"
    note.write_text("# Home\n\nSee [[Nowhere]].\n", "utf-8")
    env = hook_env(tmp_path)
    run(["git", "init", "-q"], project, env)
    run(["git", "add", "-A"], project, env)
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "cortex-check", "--all-files"]
    broken = run(pre_commit, project, env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "content/index.md:3:5: error: unresolved [[Nowhere]]" in broken.stdout
    note.write_text("# Home\n\nSee [[index]].\n", "utf-8")
    fixed = run(pre_commit, project, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_bandit_hook_rejects_insecure_experiment_code_and_passes_when_fixed(tmp_path):
    project = tmp_path / "kb"
    (project / "experiments").mkdir(parents=True)
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        shutil.copy(REPO / name, project)
    code = project / "experiments" / "unsafe.py"
    code.write_text(
        "import subprocess\n\n\n"
        "def run(point, bench):\n"
        "    n = eval(input())\n"
        "    subprocess.run('ls ' + point['folder'], shell=True)\n"
        "    return {'n': n}\n",
        "utf-8",
    )
    env = hook_env(tmp_path)
    run(["git", "init", "-q"], project, env)
    run(["git", "add", "-A"], project, env)
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "bandit", "--all-files"]
    unsafe = run(pre_commit, project, env)
    assert unsafe.returncode == 1, unsafe.stdout + unsafe.stderr
    assert "[B307:blacklist]" in unsafe.stdout  # eval
    assert "[B602:subprocess_popen_with_shell_equals_true]" in unsafe.stdout
    assert "experiments/unsafe.py:5:" in unsafe.stdout and "experiments/unsafe.py:6:" in unsafe.stdout
    code.write_text(
        "import ast\nimport subprocess\n\n\n"
        "def run(point, bench):\n"
        "    n = ast.literal_eval(input())\n"
        "    subprocess.run(['ls', point['folder']], check=True)\n"
        "    return {'n': n}\n",
        "utf-8",
    )
    fixed = run(pre_commit, project, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_the_shipped_experiments_and_package_pass_bandit():
    """What the hook runs, on the whole tree: every medium or high finding is fixed or marked
    `# nosec BXXX  # why` on its line."""
    bandit = [sys.executable, "-m", "bandit", "-q", "-c", "pyproject.toml", "-ll", "-r"]
    done = run([*bandit, "experiments", "site_plugins/cortex"], REPO, dict(os.environ))
    assert done.returncode == 0, done.stdout + done.stderr
