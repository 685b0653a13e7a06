"""A temporary project with the fixture experiments and the project's own rules, run by real Snakemake."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.paths import REPO, TEST_FIXTURES

SNAKEMAKE = Path(sys.executable).with_name("snakemake")


SNAKEFILE = """\
include: "rules/common.smk"
include: "rules/experiments.smk"


rule all:
    default_target: True
    input:
        EXPERIMENT_RESULTS,
"""


def build(project: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run a bare `snakemake` (the default profile applies); return it and the experiments that ran."""
    before = history(project)
    done = subprocess.run(
        [str(SNAKEMAKE), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    after = history(project)
    return done, {exp for exp in after if after[exp] - before.get(exp, set())}


def history(project: Path) -> dict[str, set[str]]:
    return {d.name: {p.name for p in (d / "history").glob("*.json")} for d in (project / "results").glob("*")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def fixture_project(project: Path) -> Path:
    """The fixture experiments with the project's own rules and profiles, at ``project``."""
    shutil.copytree(TEST_FIXTURES / "experiments" / "experiments", project / "experiments")
    for folder in ("rules", "profiles"):
        shutil.copytree(REPO / folder, project / folder)
    (project / "Snakefile").write_text(SNAKEFILE)
    return project
