# Shared set-up: the project's core on the path, the machine's devices, the run size.
import os
import shutil
import sys
from pathlib import Path

# The working directory is the repository root: the rules' paths are relative to it. The package
# is importable from a plain checkout too: site_plugins/ is its source root.
REPO_ROOT = Path.cwd().resolve()
if str(REPO_ROOT / "site_plugins") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "site_plugins"))

PYTHON = sys.executable
RESULTS_DIR = REPO_ROOT / "results"
HASHES_DIR = REPO_ROOT / ".cortex" / "hashes"
RUN_SIZE = str(config.get("size", "full"))


def cuda_here():
    """`--config cuda=true|false` decides; otherwise an NVIDIA driver, confirmed by torch."""
    if "cuda" in config:
        return str(config["cuda"]).lower() in ("1", "true", "yes")
    if not (os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi")):
        return False  # the common CPU case stays fast: torch is not imported
    import torch

    return torch.cuda.is_available()


def print_diagnostics(diagnostics):
    for d in diagnostics:
        print(d, file=sys.stderr)
