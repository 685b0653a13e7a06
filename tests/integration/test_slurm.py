"""`snakemake --profile profiles/slurm` against a real SLURM: a throwaway single-node cluster
(munged, slurmctld and slurmd from Debian's slurm-wlm, started here, without accounting), and a
small project whose experiments are submitted to it as jobs."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.browser import in_ci
from support.workflow import SNAKEMAKE, fixture_project, history

pytestmark = pytest.mark.slurm

SLURM_COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "srun")
SETUP_HINT = "run tests/setup_slurm.sh (as root it installs Debian's slurm-wlm and munge)"
CPU_EXPERIMENTS = {"alpha", "beta"}
# What this one small node can give each job; a real site sets these lines in the profile.
SMALL_JOBS = [
    "--set-resources",
    "experiment:cpus_per_task=1",
    "experiment:mem_mb=256",
    "experiment:runtime=10",
]
# A job of the fixtures takes seconds: ask SLURM soon (squeue stays in use: MinJobAge >= 3 x this).
QUICK_STATUS = ["--slurm-init-seconds-before-status-checks", "1"]
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)")


def require_slurm() -> None:
    """No SLURM, or no root (slurmd needs it), fails the test in CI and skips it elsewhere."""
    missing = [name for name in SLURM_COMMANDS if shutil.which(name) is None]
    message = f"SLURM is not installed (no {', '.join(missing)}): {SETUP_HINT}" if missing else None
    if not missing and os.geteuid() != 0:
        message = "the test cluster's slurmd runs jobs, which takes root"
    if message:
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Cluster:
    env: dict[str, str]  # what a client (snakemake, squeue) needs to reach this cluster

    def run(self, *cmd: str) -> str:
        return subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, check=True, timeout=30
        ).stdout

    def jobs(self) -> dict[str, tuple[str, str]]:
        """Every job slurmctld remembers (MinJobAge), finished ones too: id -> (comment, state)."""
        rows = self.run("squeue", "--states=all", "--noheader", "--format=%i|%k|%T").split()
        return {job: (comment, state) for job, comment, state in (row.split("|") for row in rows)}

    def gpus_asked(self, job: str) -> str:
        """What the job asked of SLURM beyond CPUs and memory: `gres:gpu:1` for one GPU, else N/A."""
        return self.run(
            "squeue", "--states=all", "--noheader", f"--jobs={job}", "--Format=tres-per-job"
        ).strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_conf(root: Path, node: str, munge_socket: Path) -> str:
    """One node (``slurmd -C``: this host's name, CPUs and memory) in one partition, with a stand-in
    GPU (see gres.conf) so that a GPU request can be scheduled. No cgroups, no accounting; finished
    jobs stay in squeue for MinJobAge, which the squeue status check needs."""
    host = socket.gethostname().split(".")[0]
    return f"""\
ClusterName=cortex-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
ReturnToService=2
MpiDefault=none
GresTypes=gpu
{node} NodeAddr=127.0.0.1 Gres=gpu:1 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def srun_shim(root: Path, conf: Path) -> Path:
    """A folder whose `srun` restores SLURM_CONF. On the node, the slurm-jobstep plugin runs each
    job through a nested srun with every SLURM_* variable dropped, SLURM_CONF included; a real
    cluster's srun finds its configuration in /etc/slurm, but this one's lives in a temp folder."""
    folder = root / "bin"
    folder.mkdir()
    shim = folder / "srun"
    shim.write_text(f'#!/bin/sh\nSLURM_CONF={conf} exec {shutil.which("srun")} "$@"\n')
    shim.chmod(0o755)
    return folder


def wait_for(ready, what: str, daemons: list[subprocess.Popen], logs: Path, timeout: float = 30) -> None:
    """Poll until ready; a daemon that exits, or the timeout, fails with every log's tail."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
            found = "\n".join(f"== {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*")))
            raise RuntimeError(f"{what}\n{found}")
        time.sleep(0.2)


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A daemon kept in the foreground, so that the PID we hold is the daemon's own."""
    with log.open("w") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(daemons: list[subprocess.Popen]) -> None:
    """Stop exactly the daemons this fixture started, newest first."""
    for daemon in reversed(daemons):
        daemon.terminate()
        try:
            daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    require_slurm()
    root = tmp_path_factory.mktemp("slurm")
    for folder in ("state", "spool", "log"):
        (root / folder).mkdir()
    logs = root / "log"
    key = root / "munge.key"
    key.write_bytes(os.urandom(128))
    key.chmod(0o600)
    # munged wants every folder above its socket open to all users; the pytest folders are not.
    with tempfile.TemporaryDirectory(prefix="cortex-munge-") as munge:
        Path(munge).chmod(0o755)
        socket_path = Path(munge) / "munge.socket"
        node = subprocess.run(
            ["slurmd", "-C"], capture_output=True, text=True, check=True
        ).stdout.splitlines()[0]
        conf = root / "slurm.conf"
        conf.write_text(slurm_conf(root, node, socket_path))
        (root / "gres.conf").write_text("Name=gpu File=/dev/null\n")  # a GPU to SLURM, no CUDA behind it
        env = {**os.environ, "SLURM_CONF": str(conf)}
        env["PATH"] = f"{srun_shim(root, conf)}{os.pathsep}{env['PATH']}"
        munged = [
            "munged",
            "-F",
            f"--socket={socket_path}",
            f"--key-file={key}",
            f"--pid-file={munge}/munged.pid",
            f"--seed-file={root}/munged.seed",
            f"--log-file={logs}/munged.log",
        ]
        daemons = [start(munged, env, logs / "munged.out")]
        try:
            wait_for(socket_path.exists, "munged did not open its socket", daemons, logs)
            daemons.append(start(["slurmctld", "-D", "-f", str(conf)], env, logs / "slurmctld.out"))
            daemons.append(start(["slurmd", "-D", "-f", str(conf)], env, logs / "slurmd.out"))
            cluster = Cluster(env)
            wait_for(
                lambda: cluster.run("sinfo", "--noheader", "--format=%T").strip() == "idle",
                "the node did not come up idle",
                daemons,
                logs,
            )
            yield cluster
        finally:
            stop(daemons)


def snakemake(project: Path, cluster: Cluster, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNAKEMAKE), "--profile", "profiles/slurm", *args],
        cwd=project,
        text=True,
        capture_output=True,
        timeout=240,
        env={**cluster.env, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def submitted(done: subprocess.CompletedProcess) -> dict[str, Path]:
    """The SLURM job id of every job this snakemake submitted, with its SLURM log file."""
    return {job: Path(log) for job, log in SUBMITTED.findall(done.stdout + done.stderr)}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return fixture_project(tmp_path_factory.mktemp("slurm-project") / "project")


@pytest.fixture(scope="module")
def first_run(project: Path, cluster: Cluster) -> subprocess.CompletedProcess:
    """The CPU experiments through the profile, as a cluster without GPUs runs them (`cuda=false`)."""
    done = snakemake(
        project, cluster, "--config", "cuda=false", *SMALL_JOBS, *QUICK_STATUS, "--slurm-keep-successful-logs"
    )
    assert done.returncode == 0, done.stderr
    return done


def test_every_cpu_experiment_ran_as_a_slurm_job(project: Path, cluster: Cluster, first_run):
    jobs = submitted(first_run)
    assert len(jobs) == len(CPU_EXPERIMENTS), first_run.stderr
    known = cluster.jobs()
    ran = set()
    for job, log in jobs.items():
        exp = log.parent.name  # .snakemake/slurm_logs/rule_experiment/<exp>/<job>.log
        assert known[job] == (f"rule_experiment_wildcards_{exp}", "COMPLETED")
        assert cluster.gpus_asked(job) == "N/A"
        assert f"experiment {exp} on cpu" in log.read_text()  # the job's own output, on the node
        ran.add(exp)
    assert ran == CPU_EXPERIMENTS


def test_results_carry_their_provenance(project: Path, cluster: Cluster, first_run):
    jobs = cluster.jobs()
    for exp in CPU_EXPERIMENTS:
        record = json.loads((project / "results" / exp / "result.json").read_text())
        provenance = record["provenance"]
        assert record["error"] is None and record["device"] == "cpu"
        hash_file = project / ".cortex" / "hashes" / f"{exp}.sha256"
        assert provenance["input_hash"]["sha256"] == hash_file.read_text().strip()
        assert provenance["command"][-4:] == ["--device", "cpu", "--size", "full"]
        assert provenance["host"] == socket.gethostname()
        assert provenance["scheduler"]["name"] == "slurm" and provenance["scheduler"]["job_id"] in jobs


def test_a_second_run_submits_nothing(project: Path, cluster: Cluster, first_run):
    before, jobs = history(project), cluster.jobs()
    done = snakemake(project, cluster, "--config", "cuda=false", *SMALL_JOBS, *QUICK_STATUS)
    assert done.returncode == 0, done.stderr
    assert "Nothing to be done" in done.stderr and submitted(done) == {}
    assert cluster.jobs() == jobs and history(project) == before


def test_a_gpu_experiment_asks_slurm_for_a_gpu_and_runs_with_device_cuda(project: Path, cluster: Cluster):
    # The profile as it ships: the nodes are taken to have CUDA, whatever this host has.
    done = snakemake(
        project,
        cluster,
        *SMALL_JOBS,
        *QUICK_STATUS,
        "--slurm-keep-successful-logs",
        "results/gpu/result.json",
    )
    ((job, log),) = submitted(done).items()
    assert cluster.gpus_asked(job) == "gres:gpu:1"
    output = log.read_text()
    assert "-m cortex.runner experiments/gpu.md --device cuda" in output
    result = project / "results" / "gpu" / "result.json"
    if done.returncode == 0:  # a node with CUDA behind its GPU
        assert json.loads(result.read_text())["device"] == "cuda"
    else:  # the stand-in GPU: the runner, on the node, refuses and writes nothing
        assert "not run: needs CUDA" in output and not result.exists()
