# One job per experiment, rerun exactly when its input hash changes (see ARCHITECTURE.md):
# the job's input is .cortex/hashes/<id>.sha256, rewritten only when the hash changes.
import re

from cortex.experiments.declaration import load_experiments
from cortex.experiments.plan import plan_runs

_SPECS, _LOAD_DIAGNOSTICS = load_experiments(REPO_ROOT)
EXPERIMENT_PLAN = plan_runs(_SPECS, REPO_ROOT, cuda=cuda_here(), results_dir=RESULTS_DIR, hashes_dir=HASHES_DIR)
print_diagnostics(_LOAD_DIAGNOSTICS + EXPERIMENT_PLAN.diagnostics)

EXPERIMENT_DEVICES = EXPERIMENT_PLAN.devices
EXPERIMENT_RESULTS = [f"results/{exp}/result.json" for exp in EXPERIMENT_DEVICES]


rule experiment:
    input:
        os.path.relpath(HASHES_DIR, REPO_ROOT) + "/{exp}.sha256",
    output:
        # `update`: Snakemake neither deletes the last good result before the run nor after a
        # failure; the runner replaces it atomically, and only after a fully successful run.
        update("results/{exp}/result.json"),
    wildcard_constraints:
        exp="|".join(re.escape(e) for e in EXPERIMENT_DEVICES) or "(?!)",
    params:
        device=lambda wc: EXPERIMENT_DEVICES[wc.exp],
        size=RUN_SIZE,
    resources:
        gpu=lambda wc: int(EXPERIMENT_DEVICES[wc.exp] == "cuda"),
        experiment=1,
    message:
        "experiment {wildcards.exp} on {params.device} ({params.size})"
    shell:
        "{PYTHON:q} -m cortex.runner experiments/{wildcards.exp}.md"
        " --device {params.device} --size {params.size}"
