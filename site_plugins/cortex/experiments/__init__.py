"""Experiments: declarations, input hashes, the result record and its store, staleness, what a
workflow runs, run comparison, and the pages, tables, figures and quotes that show results."""
