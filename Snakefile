# The Cortex workflow: rerun every experiment whose inputs changed, then rebuild the site.
#   snakemake                      # this machine (profiles/default)
#   snakemake --profile profiles/slurm   # a SLURM cluster
import sys
from pathlib import Path

PYTHON = sys.executable

EXPERIMENT_RESULTS = []
for _rules in ("rules/common.smk", "rules/experiments.smk"):
    if Path(workflow.basedir, _rules).is_file():
        include: _rules


def site_sources(wildcards=None):
    """Everything the site is built from, so an edit anywhere rebuilds it."""
    found = []
    for folder in ("content", "refs", "experiments"):
        found += [str(p) for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(found)


rule site:
    input:
        "mkdocs.yml",
        site_sources,
        EXPERIMENT_RESULTS,
    output:
        directory("site"),
    shell:
        "{PYTHON} -m mkdocs build --clean --site-dir {output}"
