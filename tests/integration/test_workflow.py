"""The experiment rules under real Snakemake (its CLI, in a subprocess), in temporary projects."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.paths import TEST_FIXTURES
from support.workflow import build, edit, fixture_project

FIXTURE = TEST_FIXTURES / "experiments"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A project whose first build has run."""
    project = fixture_project(tmp_path_factory.mktemp("built") / "project")
    done, ran = build(project)
    assert done.returncode == 0, done.stderr
    assert ran == {"alpha", "beta"}
    assert "experiments/gpu.md:4:1: warning: not run: needs CUDA, and this machine has none" in done.stderr
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(built, copy, symlinks=True)  # copy2 keeps modification times
    return copy


def test_unchanged_and_prose_only_builds_run_nothing(project: Path):
    done, ran = build(project)
    assert done.returncode == 0 and ran == set()
    md = project / "experiments" / "alpha.md"
    edit(md, "The prose of alpha.", "The prose of alpha, rewritten.")
    edit(md, "title: Squares", "title: Squares of small integers")
    edit(md, "status: planned", "status: analysed")
    done, ran = build(project)
    assert done.returncode == 0 and ran == set(), done.stderr


def test_editing_params_reruns_exactly_that_experiment(project: Path):
    edit(project / "experiments" / "alpha.md", "n: [1, 2, 3]", "n: [1, 2, 3, 4]")
    done, ran = build(project)
    assert done.returncode == 0 and ran == {"alpha"}, done.stderr
    assert build(project)[1] == set()


def test_editing_a_helper_reruns_exactly_its_importers(project: Path):
    (project / "experiments" / "helpers.py").write_text("def square(x):\n    return x ** 2\n")
    done, ran = build(project)
    assert done.returncode == 0 and ran == {"alpha"}, done.stderr


def test_a_crash_fails_its_job_keeps_its_result_and_the_others_finish(project: Path):
    good = (project / "results" / "beta" / "result.json").read_bytes()
    (project / "experiments" / "beta.py").write_text("def run(point, bench):\n    return {'time': 1 / 0}\n")
    (project / "experiments" / "helpers.py").write_text("def square(x):\n    return x ** 2\n")
    done, ran = build(project)
    assert done.returncode != 0
    assert ran == {"alpha", "beta"}
    assert (
        "experiments/beta.py:2:1: error: point {size=256}: ZeroDivisionError: division by zero" in done.stderr
    )
    assert "Error in rule experiment" in done.stderr
    assert (project / "results" / "beta" / "result.json").read_bytes() == good
    # A failed experiment is tried again by the next build, and a fix makes it run once more.
    assert build(project)[1] == {"beta"}
    (project / "experiments" / "beta.py").write_text("def run(point, bench):\n    return {'time': 2.0}\n")
    done, ran = build(project)
    assert done.returncode == 0 and ran == {"beta"}, done.stderr
    assert build(project)[1] == set()


def test_bad_declarations_are_diagnosed_and_the_rest_runs(project: Path):
    experiments = project / "experiments"
    (experiments / "bad.md").write_text("---\ntitle: Bad\nstatus: planned\ncolour: red\n---\n")
    (experiments / "missing.md").write_text(
        "---\ntitle: M\nstatus: planned\nscript: experiments/helpers.py:run\nmetrics:\n  x: {unit: s}\n---\n"
    )
    (experiments / "outside.md").write_text(
        "---\ntitle: O\nstatus: planned\nscript: ../../etc/x.py:run\nmetrics:\n  x: {unit: s}\n---\n"
    )
    edit(experiments / "alpha.md", "n: [1, 2, 3]", "n: [5]")
    done, ran = build(project)
    assert done.returncode == 0, done.stderr
    assert ran == {"alpha"}
    assert "experiments/bad.md:4:1: error: unknown key `colour`" in done.stderr
    assert (
        "experiments/missing.md:4:1: error: entry point `run` is not defined in `experiments/helpers.py`"
        in done.stderr
    )
    assert (
        "experiments/outside.md:4:1: error: script `../../etc/x.py` is outside the repository" in done.stderr
    )


def test_a_cuda_experiment_with_results_keeps_them_on_a_machine_without_cuda(project: Path):
    runner = [sys.executable, "-m", "cortex.runner", "experiments/gpu.md", "--device", "cpu"]
    subprocess.run(runner, cwd=project, check=True, capture_output=True, timeout=120)
    kept = (project / "results" / "gpu" / "result.json").read_bytes()
    edit(project / "experiments" / "gpu.py", "1.0", "2.0")  # stale now, but it needs CUDA
    done, ran = build(project, "--config", "cuda=false")
    assert done.returncode == 0 and ran == set()
    assert (
        "experiments/gpu.md:4:1: warning: stale: `experiments/gpu.py` changed since the run of" in done.stderr
        and "not rerun here (needs CUDA), so that result stays, marked stale" in done.stderr
    )
    assert (project / "results" / "gpu" / "result.json").read_bytes() == kept


def test_a_fresh_checkout_with_current_results_runs_nothing(project: Path):
    shutil.rmtree(project / ".snakemake")
    shutil.rmtree(project / ".cortex")
    for path in (project / "results").rglob("*"):  # a checkout dates results before their sources
        os.utime(path, (1_000_000_000, 1_000_000_000))
    done, ran = build(project)
    assert done.returncode == 0 and ran == set(), done.stderr


def test_a_killed_workflow_leaves_no_lock_the_next_run_trips_on(project: Path):
    """SIGKILL Snakemake while a job waits; the rerun removes the stale lock and finishes."""
    (project / "experiments" / "slow.md").write_text(
        "---\ntitle: Waits\nstatus: planned\nscript: experiments/slow.py:run\nmetrics:\n  n: {unit: ''}\n---\n"
    )
    started = project / "started"
    (project / "experiments" / "slow.py").write_text(
        "import pathlib, time\n\n\ndef run(point, bench):\n"
        f"    pathlib.Path({str(started)!r}).touch()\n    time.sleep(600)\n    return {{'n': 1}}\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake"],
        cwd=project,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):  # until the job is running, the lock taken (at most a minute)
            if started.exists():
                break
            assert proc.poll() is None, "snakemake ended before its job started"
            time.sleep(0.1)
        assert started.exists() and list((project / ".snakemake" / "locks").glob("*.lock"))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and the job it started
        proc.wait(timeout=60)
    (project / "experiments" / "slow.py").write_text("def run(point, bench):\n    return {'n': 1}\n")
    done, ran = build(project)
    assert done.returncode == 0, done.stderr
    assert "removed a stale workflow lock" in done.stderr and ran == {"slow"}


def test_a_frozen_experiment_is_not_rerun_when_its_inputs_change_until_forced(project: Path):
    md = project / "experiments" / "alpha.md"
    edit(md, "status: planned", "status: planned\nfreeze: true")  # freezing changes no input
    assert build(project)[1] == set()
    edit(md, "n: [1, 2, 3]", "n: [1, 2, 3, 4]")
    done, ran = build(project)
    assert done.returncode == 0 and ran == set(), done.stderr
    done_before = {p.name for p in (project / "results" / "alpha" / "history").glob("*.json")}
    assert (
        "experiments/alpha.md:5:1: warning: stale: `params` in `experiments/alpha.md` changed" in done.stderr
    )
    assert "frozen (`freeze: true`)" in done.stderr and "cortex rerun alpha" in done.stderr
    (project / "mkdocs.yml").write_text("site_name: Frozen\n")  # `cortex` finds the project by it
    rerun = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "rerun", "alpha"], cwd=project, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert {p.name for p in (project / "results" / "alpha" / "history").glob("*.json")} - done_before
    assert build(project)[1] == set()  # now fresh, and still frozen
    edit(md, "freeze: true", "freeze: false")  # unfrozen and stale: the next build reruns it
    edit(md, "n: [1, 2, 3, 4]", "n: [1, 2]")
    assert build(project)[1] == {"alpha"}
