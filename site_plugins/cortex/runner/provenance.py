"""Where and with what a run happened: versions, device, host, scheduler job and git state,
recorded in every result's provenance."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path


def environment(device: str, repo_root: Path, inputs: Iterable[str] = ()) -> dict:
    """Where and with what a run happened; ``inputs`` are the run's files (see ``git_state``)."""
    import torch

    env = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": None,
        "driver": None,
        "triton": _version("triton"),
        "device": device,
        "device_name": None,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        # what a CPU timing depends on: the cores, the threads torch used, and how busy the
        # machine was when the run started (the 1-minute load average)
        "cpu_count": os.cpu_count(),
        "cpu_threads": torch.get_num_threads(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "git": git_state(repo_root, inputs),
        "scheduler": scheduler_job(),
    }
    from cortex.timing.harness import device_name

    env["device_name"] = device_name(device)
    if device == "cuda":
        env["cudnn"] = torch.backends.cudnn.version()
        env["driver"] = nvidia_driver_version()
    return env


def scheduler_job(environ: Mapping[str, str] = os.environ) -> dict | None:
    """The batch job this run is part of, from the variables SLURM sets in a job; None outside one."""
    if not environ.get("SLURM_JOB_ID"):
        return None
    fields = {
        "job_id": "SLURM_JOB_ID",
        "cluster": "SLURM_CLUSTER_NAME",
        "partition": "SLURM_JOB_PARTITION",
        "node": "SLURMD_NODENAME",
    }
    return {"name": "slurm", **{key: environ.get(var) for key, var in fields.items()}}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def nvidia_driver_version() -> str | None:
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run(
                [smi, "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
                check=True,
            )
            return out.stdout.strip().splitlines()[0]
        except (subprocess.SubprocessError, OSError, IndexError):
            pass
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
    except OSError:
        return None
    words = text.split()
    return next((w for w in words if w[:1].isdigit() and "." in w), None)


def git_state(repo_root: Path, inputs: Iterable[str] = ()) -> dict:
    """The commit, and whether the run's code differs from it: a tracked file changed, or one of
    the run's ``inputs`` (paths relative to the repository) is not in git at all, so the commit
    does not hold it. Results do not count: a workflow that runs several experiments rewrites
    committed results before the later runs start, and no experiment reads another's results."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(repo_root), *args], capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    untracked = git("ls-files", "--others", "--", *inputs) if inputs else ""
    if status is None or untracked is None:
        return {"commit": commit, "dirty": None}
    return {"commit": commit, "dirty": bool(status or untracked)}
