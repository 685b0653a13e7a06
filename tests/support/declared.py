"""Checks every experiment's tests make of the metrics its entry point returns."""

from __future__ import annotations

from cortex.runner.run import check_metrics


def assert_reports_its_metrics(spec, metrics: dict, point: object) -> None:
    """``metrics`` names exactly the declared metrics and passes the runner's own checks (types,
    finite numbers, measurements), as a run would need; ``point`` labels a failure."""
    assert set(metrics) == set(spec.metrics), point
    _, problems = check_metrics(spec, metrics)
    assert problems == [], (point, problems)
