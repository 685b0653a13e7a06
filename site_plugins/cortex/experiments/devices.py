"""Which device a run uses: one rule for the runner, the workflow's plan and its rules."""

from __future__ import annotations

import shutil
from pathlib import Path

DEVICES = ("cpu", "cuda", "any")  # what a declaration may ask for
RUN_DEVICES = ("cpu", "cuda")  # what a run happens on


def cuda_available() -> bool:
    """Whether this machine can run CUDA: an NVIDIA driver, confirmed by torch. Without a
    driver, torch is not imported, so the common CPU case stays fast."""
    if not (Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi")):
        return False
    import torch

    return torch.cuda.is_available()


def run_device(declared: str, cuda: bool, requested: str | None = None) -> str:
    """The device a run happens on: the one asked for on the command line, else CUDA for a
    ``cuda`` experiment, CUDA for an ``any`` experiment when the machine has it, else the CPU."""
    if requested is not None:
        return requested
    return "cuda" if declared == "cuda" or (declared == "any" and cuda) else "cpu"
