"""The result record: what one run of an experiment produced, and where, when and from what.

``results/<id>/result.json`` (and every run in ``results/<id>/history/``) holds one
:class:`ResultRecord`. The runner writes it; the store, the staleness check, the pages, the
quotes and the run comparison read it. It is plain JSON, so the types here are ``TypedDict``:
a record read from disk is checked against them once (:func:`schema_problem`) and then used
as it is.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

SCHEMA_VERSION = 1

RunStatus = Literal["ok", "failed"]
PointStatus = Literal["ok", "failed", "not-run"]


class MeasurementRecord(TypedDict):
    """A metric measured repeatedly: the median and the interquartile bounds, in its unit."""

    value: float
    low: float
    high: float
    iqr: float
    reps: int


MetricValue = float | int | str | bool | None | MeasurementRecord


class MetricDeclaration(TypedDict):
    unit: str
    better: str | None  # "higher" | "lower" | None


class PointRecord(TypedDict):
    params: dict[str, object]
    status: PointStatus
    error: str | None
    seconds: float
    metrics: dict[str, MetricValue]


class InputHashRecord(TypedDict):
    sha256: str
    components: dict[str, str]  # input name -> sha256


class GitState(TypedDict):
    commit: str | None
    dirty: bool | None


class Provenance(TypedDict):
    input_hash: InputHashRecord
    python: NotRequired[str]
    torch: NotRequired[str]
    cuda: NotRequired[str | None]
    cudnn: NotRequired[int | None]
    driver: NotRequired[str | None]
    triton: NotRequired[str | None]
    device: NotRequired[str]
    device_name: NotRequired[str | None]
    platform: NotRequired[str]
    host: NotRequired[str]
    git: NotRequired[GitState]
    scheduler: NotRequired[dict[str, str | None] | None]
    started_at: NotRequired[str]
    finished_at: NotRequired[str]
    duration_s: NotRequired[float]
    command: NotRequired[list[str]]
    ceilings: NotRequired[dict[str, object] | None]


class ResultRecord(TypedDict):
    schema: int
    id: str
    title: NotRequired[str]
    status: RunStatus
    error: NotRequired[str | None]
    device: NotRequired[str]
    size: NotRequired[str]
    metrics: NotRequired[dict[str, MetricDeclaration]]
    points: list[PointRecord]
    provenance: Provenance


def metric_value(value: object) -> object:
    """The number or text of a recorded metric (a measurement's median)."""
    return value["value"] if isinstance(value, dict) else value


def record_hash(record: ResultRecord) -> str:
    return record["provenance"]["input_hash"]["sha256"]


def schema_problem(data: object) -> str | None:
    """What keeps ``data`` from being a :class:`ResultRecord`, or None."""
    if not isinstance(data, dict):
        return "the top level is not an object"
    if data.get("schema") != SCHEMA_VERSION:
        return f"`schema` is {data.get('schema')!r}"
    for key, kind in (("id", str), ("status", str), ("points", list), ("provenance", dict)):
        if not isinstance(data.get(key), kind):
            return f"`{key}` is missing or of the wrong type"
    ih = data["provenance"].get("input_hash")
    if (
        not isinstance(ih, dict)
        or not isinstance(ih.get("sha256"), str)
        or not isinstance(ih.get("components"), dict)
    ):
        return "`provenance.input_hash` is missing or of the wrong type"
    if any(not isinstance(p, dict) or not isinstance(p.get("params"), dict) for p in data["points"]):
        return "a point has no `params` object"
    return None
