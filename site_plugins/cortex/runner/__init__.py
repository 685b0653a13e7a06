"""The runner adapter: ``python -m cortex.runner experiments/<id>.md`` runs one experiment and
writes its result record with provenance. Needs torch and PyYAML, not MkDocs or Snakemake."""
