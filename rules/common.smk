# Shared set-up: the project's core on the path, the machine's devices, the run size.
import os
import sys
from pathlib import Path

# The working directory is the repository root: the rules' paths are relative to it. The package
# is importable from a plain checkout too: site_plugins/ is its source root.
REPO_ROOT = Path.cwd().resolve()
if str(REPO_ROOT / "site_plugins") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "site_plugins"))

from cortex.experiments.devices import cuda_available
from cortex.workflow.locks import remove_stale_lock

PYTHON = sys.executable
RESULTS_DIR = REPO_ROOT / "results"
HASHES_DIR = REPO_ROOT / ".cortex" / "hashes"
RUN_SIZE = str(config.get("size", "full"))


def cuda_here():
    """`--config cuda=true|false` decides; otherwise the machine (one rule for the runner too)."""
    if "cuda" in config:
        return str(config["cuda"]).lower() in ("1", "true", "yes")
    return cuda_available()


def print_diagnostics(diagnostics):
    for d in diagnostics:
        print(d, file=sys.stderr)


# A Snakemake that was killed leaves its lock behind; the main process (not a job) clears it.
if workflow.is_main_process and (removed := remove_stale_lock(REPO_ROOT)):
    print(removed, file=sys.stderr)
