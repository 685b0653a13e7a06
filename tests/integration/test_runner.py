"""The runner, run as users run it: `python -m cortex.runner experiments/<id>.md`."""

from __future__ import annotations

import base64
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io
import pytest
import torch
from support.paths import TEST_FIXTURES

from cortex.experiments.declaration import load_experiment
from cortex.experiments.inputs import input_hash
from cortex.runner.provenance import scheduler_job

FIXTURE = TEST_FIXTURES / "experiments"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE / "experiments", tmp_path / "experiments")
    return tmp_path


def run(repo: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cortex.runner", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def result(repo: Path, exp_id: str) -> dict:
    return json.loads((repo / "results" / exp_id / "result.json").read_text())


def runs(repo: Path, exp_id: str) -> list[dict]:
    folder = repo / "results" / exp_id / "history"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def plotted(values) -> list:
    """Plotly writes numeric arrays as typed base64 (``{"dtype", "bdata"}``)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def set_script(repo: Path, exp_id: str, body: str) -> None:
    (repo / "experiments" / f"{exp_id}.py").write_text(body)


def commit_all(repo: Path) -> None:
    if not (repo / ".git").exists():
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], cwd=repo, check=True
    )


def test_a_run_writes_result_table_figure_history_and_provenance(repo: Path):
    commit_all(repo)
    done = run(repo, "experiments/alpha.md")
    assert done.returncode == 0, done.stderr
    assert "[3/3] {n=3} ok" in done.stderr
    record = result(repo, "alpha")
    assert record["status"] == "ok" and record["device"] == "cpu" and record["size"] == "full"
    assert [p["metrics"] for p in record["points"]] == [{"sq": n * n, "label": f"n={n}"} for n in (1, 2, 3)]
    prov = record["provenance"]
    spec, _ = load_experiment(repo / "experiments" / "alpha.md", repo)
    assert prov["input_hash"] == input_hash(spec, repo).to_json()
    assert prov["torch"] == torch.__version__ and prov["python"] == sys.version.split()[0]
    assert prov["device_name"] and prov["host"] and prov["started_at"] <= prov["finished_at"]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    assert prov["git"] == {"commit": head, "dirty": False}
    assert prov["scheduler"] == scheduler_job()  # None, unless the tests themselves run in a batch job
    table = pd.read_csv(repo / "results" / "alpha" / "table.csv")
    assert list(table["sq"]) == [1, 4, 9] and list(table["status"]) == ["ok"] * 3
    figure = plotly.io.from_json((repo / "results" / "alpha" / "figures" / "squares.json").read_text())
    assert plotted(figure.data[0].y) == [1, 4, 9] and figure.layout.title.text == "Squares"
    assert len(runs(repo, "alpha")) == 1


def test_measurements_and_the_ci_size(repo: Path):
    assert run(repo, "experiments/beta.md").returncode == 0
    time = result(repo, "beta")["points"][0]["metrics"]["time"]
    assert (
        set(time) == {"value", "low", "high", "iqr", "reps"} and time["low"] <= time["value"] <= time["high"]
    )
    assert "time_iqr" in pd.read_csv(repo / "results" / "beta" / "table.csv")
    assert run(repo, "experiments/alpha.md", "--size", "ci").returncode == 0
    assert [p["params"] for p in result(repo, "alpha")["points"]] == [{"n": 1}, {"n": 2}]
    assert result(repo, "alpha")["size"] == "ci"


def test_nan_fails_its_point_and_keeps_the_last_good_result(repo: Path):
    assert run(repo, "experiments/alpha.md").returncode == 0
    good = result(repo, "alpha")
    set_script(
        repo, "alpha", "def run(point, bench):\n    return {'sq': float('nan') if point['n'] == 2 else 1.0}\n"
    )
    done = run(repo, "experiments/alpha.md")
    assert done.returncode == 1
    spec, _ = load_experiment(repo / "experiments" / "alpha.md", repo)
    assert (
        f"alpha.md:{spec.line_of('metrics', 'sq')}:1: error: point {{n=2}}: metric `sq` is nan" in done.stderr
    )
    assert result(repo, "alpha") == good
    failed = runs(repo, "alpha")[-1]
    assert failed["status"] == "failed"
    assert [p["status"] for p in failed["points"]] == ["ok", "failed", "ok"]
    assert failed["points"][1]["error"] == "metric `sq` is nan"


def test_an_exception_is_reported_at_the_raising_line(repo: Path):
    set_script(
        repo,
        "alpha",
        "def run(point, bench):\n    if point['n'] == 2:\n        return 1 / 0\n    return {}\n",
    )
    done = run(repo, "experiments/alpha.md")
    assert done.returncode == 1
    assert "alpha.py:3:1: error: point {n=2}: ZeroDivisionError: division by zero" in done.stderr
    assert "no result.json was written" in done.stderr
    assert not (repo / "results" / "alpha" / "result.json").exists()
    assert [p["status"] for p in runs(repo, "alpha")[0]["points"]] == ["ok", "failed", "not-run"]


def test_wrong_return_values_fail_the_point(repo: Path):
    set_script(
        repo,
        "alpha",
        "def run(point, bench):\n    return {'sq': 1, 'speed': 2} if point['n'] == 1 else [1]\n",
    )
    done = run(repo, "experiments/alpha.md")
    assert done.returncode == 1
    errors = [p["error"] for p in runs(repo, "alpha")[0]["points"]]
    assert errors[0] == "metric `speed` is not declared under `metrics:`"
    assert errors[1] == "the entry point returned list, not a dict of metrics"


def test_a_hanging_experiment_is_stopped_at_its_timeout(repo: Path):
    assert run(repo, "experiments/alpha.md").returncode == 0
    good = result(repo, "alpha")
    md = repo / "experiments" / "alpha.md"
    md.write_text(md.read_text().replace("device: cpu\n", "device: cpu\ntimeout: 1\n"))
    set_script(repo, "alpha", "import time\n\ndef run(point, bench):\n    time.sleep(600)\n")
    done = run(repo, "experiments/alpha.md", timeout=90)
    assert done.returncode == 124
    assert "alpha.md:8:1: error: timed out after 1 s (the declared `timeout`)" in done.stderr
    assert result(repo, "alpha") == good
    assert runs(repo, "alpha")[-1]["points"][0]["error"] == "timed out after 1 s"


def test_sigkill_leaves_no_partial_result(repo: Path):
    slow = "import time\n\ndef run(point, bench):\n    time.sleep(0.3)\n    return {'sq': point['n']}\n"
    md = repo / "experiments" / "alpha.md"
    md.write_text(md.read_text().replace("n: [1, 2, 3]", "n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"))
    assert run(repo, "experiments/alpha.md", "--size", "ci").returncode == 0
    good = (repo / "results" / "alpha" / "result.json").read_bytes()
    set_script(repo, "alpha", slow)
    for _ in range(2):  # killed mid-run, with and without a previous result
        proc = subprocess.Popen(
            [sys.executable, "-m", "cortex.runner", "experiments/alpha.md"],
            cwd=repo,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in proc.stderr:
            if line.startswith("[2/12]"):
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        folder = repo / "results" / "alpha"
        if good:
            assert (folder / "result.json").read_bytes() == good
        else:
            assert not (folder / "result.json").exists()
        assert [p.name for p in folder.rglob("*.tmp")] == []
        (folder / "result.json").unlink(missing_ok=True)
        good = b""


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_experiment_without_cuda_says_so_and_runs_on_cpu_when_asked(repo: Path):
    done = run(repo, "experiments/gpu.md")
    assert done.returncode == 1
    assert "gpu.md:4:1: error: not run: needs CUDA" in done.stderr
    assert not (repo / "results" / "gpu").exists()
    assert run(repo, "experiments/gpu.md", "--device", "cpu", "--size", "ci").returncode == 0
    assert result(repo, "gpu")["device"] == "cpu"


def test_invalid_declaration_and_render_only(repo: Path):
    md = repo / "experiments" / "alpha.md"
    text = md.read_text()
    md.write_text(text.replace("status: planned", "status: planned\ncolour: blue"))
    done = run(repo, "experiments/alpha.md")
    assert done.returncode == 2 and "alpha.md:5:1: error: unknown key `colour`" in done.stderr
    md.write_text(text)
    assert run(repo, "experiments/alpha.md").returncode == 0
    figure = repo / "results" / "alpha" / "figures" / "squares.json"
    md.write_text(text.replace("title: Squares}", "title: Squared}"))
    figure.unlink()
    assert run(repo, "experiments/alpha.md", "--render-only").returncode == 0
    assert plotly.io.from_json(figure.read_text()).layout.title.text == "Squared"
    assert len(runs(repo, "alpha")) == 1  # rendering ran nothing


def test_runs_without_snakemake_mkdocs_pandas_or_plotly(repo: Path):
    """A GPU machine may have torch and nothing else: the run and its record must not need them."""
    blocked = ["snakemake", "mkdocs", "pandas", "plotly"]
    code = (
        f"import runpy, sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
        "sys.argv = ['runner', 'experiments/alpha.md']\n"
        "runpy.run_module('cortex.runner', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "figures not written: plotly and pandas are not installed here" in done.stderr
    assert result(repo, "alpha")["status"] == "ok"
    assert (repo / "results" / "alpha" / "table.csv").read_text().splitlines()[:2] == [
        "n,sq,label,status,error",
        "1,1,n=1,ok,",
    ]
    assert not (repo / "results" / "alpha" / "figures").exists()
    assert run(repo, "experiments/alpha.md", "--render-only").returncode == 0
    assert (repo / "results" / "alpha" / "figures" / "squares.json").is_file()


def test_earlier_results_do_not_make_the_checkout_dirty_but_code_does(repo: Path):
    assert run(repo, "experiments/alpha.md").returncode == 0
    commit_all(repo)
    (repo / "results" / "alpha" / "table.csv").write_text("rewritten by an earlier job of the workflow\n")
    assert run(repo, "experiments/beta.md").returncode == 0
    assert result(repo, "beta")["provenance"]["git"]["dirty"] is False
    helpers = repo / "experiments" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n")
    assert run(repo, "experiments/beta.md").returncode == 0
    assert result(repo, "beta")["provenance"]["git"]["dirty"] is True


def test_a_run_inside_a_slurm_job_records_the_job():
    assert scheduler_job({}) is None
    env = {"SLURM_JOB_ID": "4211", "SLURMD_NODENAME": "node7", "SLURM_JOB_PARTITION": "gpu"}
    assert scheduler_job(env) == {
        "name": "slurm",
        "job_id": "4211",
        "cluster": None,
        "partition": "gpu",
        "node": "node7",
    }
