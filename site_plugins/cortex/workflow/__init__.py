"""Helpers of the Snakemake adapter (``rules/*.smk``), in plain Python: they never import
Snakemake, so they can be tested and read on their own."""
