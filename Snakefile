# The Cortex workflow: rerun every experiment whose inputs changed, then rebuild the site.
#   snakemake            # this machine, with profiles/default
#   snakemake -n         # what would run, and why
#   snakemake --config size=ci cuda=false   # the small CPU variants, as CI runs them
#   snakemake --profile profiles/slurm      # each experiment as a SLURM job

include: "rules/common.smk"
include: "rules/experiments.smk"

# Cheap: under a cluster profile the site builds on the submitting host, not as a job.
localrules: site


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
        "{PYTHON:q} -m mkdocs build --clean --site-dir {output}"
