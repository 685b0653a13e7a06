"""Staleness: whether a result was made from the inputs its declaration has now, and if not,
which inputs changed since which run. One function decides it for the site's badges, the
quotes, ``cortex check`` and the workflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.inputs import MEASUREMENT_MODULES, InputHash, input_hash
from cortex.experiments.record import ResultRecord, record_hash


@dataclass(frozen=True)
class Staleness:
    state: str  # "fresh" | "stale" | "never-run"
    reasons: tuple[str, ...] = ()
    run: str = ""  # "the run of 2026-11-22 on NVIDIA H100"
    unrecorded: tuple[str, ...] = ()  # inputs hashed today that the run did not record

    @property
    def fresh(self) -> bool:
        return self.state == "fresh"


def describe_run(record: ResultRecord) -> str:
    prov = record.get("provenance", {})
    day = str(prov.get("started_at", ""))[:10] or "an unknown date"
    return f"the run of {day} on {prov.get('device_name') or record.get('device') or 'an unknown device'}"


def staleness(
    spec: ExperimentSpec, record: ResultRecord | None, repo_root: Path, now: InputHash | None = None
) -> Staleness:
    """Fresh when the record was made from the inputs the declaration has now; otherwise which
    inputs changed since which run. ``now`` is the declaration's input hash, when known."""
    if record is None:
        return Staleness("never-run")
    run = describe_run(record)
    now = now or input_hash(spec, repo_root)
    if record_hash(record) == now.sha256:
        return Staleness("fresh", (), run)
    then = record["provenance"]["input_hash"].get("components", {})
    reasons, unrecorded = [], []
    for name in sorted(set(now.components) | set(then)):
        label = _input_label(name)
        if name not in then and name in MEASUREMENT_MODULES:
            unrecorded.append(label)  # hashed since that run was made: it cannot say
        elif name not in then:
            reasons.append(f"{label} is a new input since {run}")
        elif name not in now.components:
            reasons.append(f"{label} is no longer an input since {run}")
        elif then[name] != now.components[name]:
            reasons.append(f"{label} changed since {run}")
    if not reasons and not then:
        reasons.append(f"the inputs changed since {run}")
    return Staleness("stale" if reasons else "fresh", tuple(reasons), run, tuple(unrecorded))


def frozen_text(spec: ExperimentSpec) -> str:
    """What a frozen experiment's stale mark adds: why it is not rerun, and how to rerun it."""
    return (
        f"frozen (`freeze: true`): not rerun when its inputs change, until it is unfrozen or forced "
        f"(`cortex rerun {spec.id}`, or `snakemake --forcerun results/{spec.id}/result.json`)"
    )


def _input_label(name: str) -> str:
    path, _, key = name.partition("#")
    return f"`{key}` in `{path}`" if key else f"`{path}`"
