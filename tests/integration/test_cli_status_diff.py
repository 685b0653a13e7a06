"""`cortex status` and `cortex diff` on temporary projects: their output, their exit codes, and
`cortex status` against what a real `snakemake -n` would run."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.results_site import add_run, populated_site, squares_points
from support.workflow import SNAKEMAKE, build, edit, fixture_project

from cortex.cli.main import main

MKDOCS_YML = "site_name: Test\ndocs_dir: content\n"


def cortex(project: Path, *args: str) -> Result:
    cwd = Path.cwd()
    os.chdir(project)
    try:
        # the table fits the terminal: give it the widest it takes, whatever runs the tests
        return CliRunner().invoke(main, list(args), catch_exceptions=False, env={"COLUMNS": "100"})
    finally:
        os.chdir(cwd)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = populated_site(tmp_path)
    (root / "mkdocs.yml").write_text(MKDOCS_YML)
    return root


def test_status_lists_every_experiment_and_what_changed(site: Path):
    edit(site / "experiments" / "squares.md", "n: [1, 2, 3]", "n: [1, 2, 3, 4]")
    done = cortex(site, "status", "--no-cuda")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["id", "status", "device", "state", "snakemake", "why"]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert set(rows) == {"badschema", "broken", "gpu", "grid", "idea", "single", "squares"}
    assert rows["squares"].split()[1:] == [
        *["analysed", "cpu", "stale", "run", "(cpu)", "params", "changed", "since", "2026-11-22"]
    ]
    assert rows["gpu"].split()[1:] == ["planned", "cuda", "never", "run", "skip:", "no", "CUDA", "-"]
    assert rows["single"].split()[3:6] == ["fresh", "up", "to"]
    assert lines[-1] == "7 experiments: 2 fresh, 1 stale, 2 never run, 2 unreadable; snakemake would run 3."
    assert max(len(line) for line in lines) <= 100

    data = json.loads(cortex(site, "status", "--json", "--cuda").stdout)
    assert data["cuda"] is True
    gpu = next(row for row in data["experiments"] if row["id"] == "gpu")
    assert (gpu["state"], gpu["action"], gpu["run_device"]) == ("never-run", "run", "cuda")
    squares = next(row for row in data["experiments"] if row["id"] == "squares")
    assert squares["reasons"] == [
        "`params` in `experiments/squares.md` changed since the run of 2026-11-22 on Test GPU"
    ]


def test_status_outside_a_project_and_with_a_bad_declaration(site: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = cortex(outside, "status")
    assert done.exit_code == 2 and "no mkdocs.yml here or above" in done.stderr
    (site / "experiments" / "bad.md").write_text("---\ntitle: Bad\nstatus: planned\ncolour: red\n---\n")
    done = cortex(site, "status", "--no-cuda")
    assert done.exit_code == 0
    assert "experiments/bad.md:4:1: error: unknown key `colour`" in done.stderr
    assert "bad " not in done.stdout


def test_diff_labels_noise_and_fails_on_a_regression_only_when_asked(site: Path):
    done = cortex(site, "diff", "squares")
    assert done.exit_code == 0, done.output
    assert "  time          3 µs  3.2 µs   +6.7%  ±400 ns  noise" in done.stdout
    assert done.stdout.rstrip().endswith("1 within noise, 8 unchanged.")
    assert cortex(site, "diff", "squares", "--fail-on-regression").exit_code == 0

    add_run(site, "squares", squares_points(sq3=8, time3=(5.0e-6, 2e-7)), "2026-11-24T09:00:00+00:00")
    done = cortex(site, "diff", "squares", "--fail-on-regression")
    assert done.exit_code == 1
    table = [line.split() for line in done.stdout.split("\n\n")[1].splitlines()]
    assert table[1:] == [
        ["n=3"],
        ["time", "3.2", "µs", "5", "µs", "+56.3%", "±400", "ns", "regression"],
        ["sq", "9", "8", "-11.1%", "regression"],
    ]
    assert "2 regression(s) beyond the measured spread" in done.stderr
    assert cortex(site, "diff", "squares").exit_code == 0  # without the flag it only reports
    data = json.loads(cortex(site, "diff", "squares", "20261120", "--json").stdout)
    assert data["a"]["run"] == "20261120T100000Z-1" and data["counts"]["regression"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "no experiment `nosuch`: experiments/nosuch.md does not exist (known: badschema,"),
        (["squares", "1999"], "no run `1999` in results/squares/history/; the runs: 20261120T100000Z-1,"),
        (["single"], "no earlier successful run of `single` of size full on Test GPU"),
        (["idea"], "`idea` has no committed result (results/idea/result.json); it has not run yet"),
    ],
)
def test_diff_says_why_it_cannot_compare_and_exits_2(site: Path, args: list[str], message: str):
    done = cortex(site, "diff", *args, "--fail-on-regression")
    assert done.exit_code == 2 and message in done.stderr, done.output


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (
            "status",
            ["--json", "--cuda / --no-cuda", "--wide", "Exit codes:", "Examples:", "cortex status --json"],
        ),
        (
            "diff",
            ["--json", "--fail-on-regression", "--all", "Exit codes:", "Examples:", "cortex diff fp_formats"],
        ),
    ],
)
def test_help_lists_every_option_and_an_example(site: Path, command: str, words: list[str]):
    done = cortex(site, command, "--help")
    assert done.exit_code == 0
    for word in words:
        assert word in done.stdout, word


# What a real `snakemake -n` would run: `cortex.runner experiments/<id>.md --device <device>` lines.
JOB = re.compile(r"cortex\.runner experiments/([\w-]+)\.md --device (\w+)")


def dry_run(project: Path, cuda: bool) -> dict[str, str]:
    done = subprocess.run(
        [str(SNAKEMAKE), "-n", "--config", f"cuda={str(cuda).lower()}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stderr
    return dict(JOB.findall(done.stdout + done.stderr))


def planned(project: Path, cuda: bool) -> dict[str, str]:
    done = cortex(project, "status", "--json", "--cuda" if cuda else "--no-cuda")
    assert done.exit_code == 0, done.output
    return {
        row["id"]: row["run_device"]
        for row in json.loads(done.stdout)["experiments"]
        if row["action"] == "run"
    }


def test_status_agrees_with_a_snakemake_dry_run(tmp_path: Path):
    project = fixture_project(tmp_path / "project")
    (project / "mkdocs.yml").write_text(MKDOCS_YML)
    for cuda in (False, True):  # nothing has run: everything runs where its device is
        assert planned(project, cuda) == dry_run(project, cuda)
    assert planned(project, True) == {"alpha": "cpu", "beta": "cpu", "gpu": "cuda"}
    done, ran = build(project, "--config", "cuda=false")
    assert done.returncode == 0 and ran == {"alpha", "beta"}, done.stderr
    assert planned(project, False) == dry_run(project, False) == {}

    edit(project / "experiments" / "alpha.md", "n: [1, 2, 3]", "n: [1, 2, 3, 4]")  # stale: reruns
    edit(project / "experiments" / "beta.md", "status: planned", "status: planned\nfreeze: true")
    edit(project / "experiments" / "beta.md", "size: [256]", "size: [128]")  # frozen: stays
    edit(project / "experiments" / "alpha.md", "The prose of alpha.", "New prose.")  # not an input
    for cuda in (False, True):
        assert planned(project, cuda) == dry_run(project, cuda)
    assert planned(project, True) == {"alpha": "cpu", "gpu": "cuda"}
    rows = json.loads(cortex(project, "status", "--json", "--no-cuda").stdout)["experiments"]
    assert {row["id"]: row["state"] for row in rows} == {
        "alpha": "stale",
        "beta": "frozen-stale",
        "gpu": "never-run",
    }
