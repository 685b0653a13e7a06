"""What changed between two runs of an experiment, told apart from measurement noise.

A change in a metric between two runs of the same size on the same device is *noise* when it
is no larger than the spread the measurement carries (the larger of the two runs'
interquartile ranges); otherwise it is an improvement or a regression by the metric's
declared direction, or just a change for a metric with no direction."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import device_of, is_number, ok_points, spread
from cortex.experiments.record import ResultRecord, metric_value

VERDICTS = ("regression", "improvement", "changed", "noise", "unchanged")


@dataclass(frozen=True)
class Change:
    metric: str
    params: dict
    before: object
    after: object
    spread: float | None  # the interquartile range the comparison allowed for
    verdict: str  # one of VERDICTS

    @property
    def relative(self) -> float | None:
        if is_number(self.before) and is_number(self.after) and self.before:
            return (self.after - self.before) / abs(self.before)
        return None


def classify(before: object, after: object, better: str | None, allowed: float | None) -> str:
    if before == after:
        return "unchanged"
    if not (is_number(before) and is_number(after)) or not all(map(math.isfinite, (before, after))):
        return "changed"
    delta = after - before
    if allowed is not None and abs(delta) <= allowed:
        return "noise"
    if better == "higher":
        return "improvement" if delta > 0 else "regression"
    if better == "lower":
        return "improvement" if delta < 0 else "regression"
    return "changed"


def compare_runs(spec: ExperimentSpec, previous: ResultRecord, current: ResultRecord) -> list[Change]:
    """Every metric at every point that succeeded in both runs."""
    before = {_key(p["params"]): p for p in ok_points(previous)}
    changes = []
    for point in ok_points(current):
        old = before.get(_key(point["params"]))
        if old is None:
            continue
        for name, raw in point.get("metrics", {}).items():
            if name not in old.get("metrics", {}):
                continue
            old_raw = old["metrics"][name]
            spreads = [s for s in (spread(old_raw), spread(raw)) if s is not None]
            allowed = max(spreads) if spreads else None
            declared = spec.metrics.get(name)
            verdict = classify(
                metric_value(old_raw), metric_value(raw), declared.better if declared else None, allowed
            )
            changes.append(
                Change(
                    name, dict(point["params"]), metric_value(old_raw), metric_value(raw), allowed, verdict
                )
            )
    return changes


def previous_comparable(runs: Sequence[ResultRecord], index: int) -> ResultRecord | None:
    """The last successful run before ``runs[index]`` of the same size on the same device."""
    current = runs[index]
    for run in reversed(runs[:index]):
        if (
            run.get("status") == "ok"
            and run.get("size") == current.get("size")
            and device_of(run) == device_of(current)
        ):
            return run
    return None


def summary(changes: Sequence[Change]) -> str:
    """ "2 regressions, 1 improvement, 22 within noise" (nothing listed when all are equal)."""
    counts = Counter(c.verdict for c in changes)
    words = {
        "regression": ("regression", "regressions"),
        "improvement": ("improvement", "improvements"),
        "changed": ("change", "changes"),
        "noise": ("within noise", "within noise"),
    }
    parts = [f"{counts[v]} {words[v][counts[v] != 1]}" for v in VERDICTS[:-1] if counts[v]]
    return ", ".join(parts) if parts else "no change"


def _key(params: dict[str, object]) -> str:
    return repr(sorted(params.items(), key=lambda kv: kv[0]))
