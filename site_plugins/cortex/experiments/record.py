"""The result record: what one run of an experiment produced, and where, when and from what.

``results/<id>/result.json`` (and every run in ``results/<id>/history/``) holds one
:class:`ResultRecord`. The runner writes it; the store, the staleness check, the pages, the
quotes and the run comparison read it. It is plain JSON, so the types here are ``TypedDict``:
a record read from disk is checked against ``RECORD_SCHEMA`` once (:func:`record_problems`) and then used
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
    cpu_count: NotRequired[int | None]
    cpu_threads: NotRequired[int | None]
    load_average: NotRequired[float | None]
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


_TEXT_OR_NULL = {"type": ["string", "null"]}
_MEASUREMENT = {
    "type": "object",
    "required": ["value"],
    "properties": {
        "value": {"type": "number"},
        "low": {"type": "number"},
        "high": {"type": "number"},
        "iqr": {"type": "number"},
        "reps": {"type": "integer", "minimum": 0},
    },
}
# A failed point keeps non-finite numbers as text, so text is a metric value too.
_METRIC_VALUE = {"anyOf": [{"type": ["number", "string", "boolean", "null"]}, _MEASUREMENT]}
RECORD_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "id", "status", "points", "provenance"],
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "id": {"type": "string"},
        "title": {"type": "string"},
        "status": {"enum": ["ok", "failed"]},
        "error": _TEXT_OR_NULL,
        "device": {"type": "string"},
        "size": {"type": "string"},
        "metrics": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"unit": {"type": "string"}, "better": {"enum": ["higher", "lower", None]}},
            },
        },
        "points": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["params"],
                "properties": {
                    "params": {"type": "object"},
                    "status": {"enum": ["ok", "failed", "not-run"]},
                    "error": _TEXT_OR_NULL,
                    "seconds": {"type": "number"},
                    "metrics": {"type": "object", "additionalProperties": _METRIC_VALUE},
                },
            },
        },
        "provenance": {
            "type": "object",
            "required": ["input_hash"],
            "properties": {
                "input_hash": {
                    "type": "object",
                    "required": ["sha256", "components"],
                    "properties": {
                        "sha256": {"type": "string"},
                        "components": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                **dict.fromkeys(
                    (
                        "python",
                        "torch",
                        "cuda",
                        "driver",
                        "triton",
                        "device",
                        "device_name",
                        "platform",
                        "host",
                        "started_at",
                        "finished_at",
                    ),
                    _TEXT_OR_NULL,
                ),
                "cudnn": {"type": ["integer", "null"]},
                "cpu_count": {"type": ["integer", "null"]},
                "cpu_threads": {"type": ["integer", "null"]},
                "load_average": {"type": ["number", "null"]},
                "git": {
                    "type": ["object", "null"],
                    "properties": {"commit": _TEXT_OR_NULL, "dirty": {"type": ["boolean", "null"]}},
                },
                "scheduler": {"type": ["object", "null"], "additionalProperties": _TEXT_OR_NULL},
                "duration_s": {"type": "number"},
                "command": {"type": "array", "items": {"type": "string"}},
                "ceilings": {"type": ["object", "null"]},
            },
        },
    },
}


class NonFinite(float):
    """NaN or an infinity where a JSON record has one (JSON has no such number), as written."""

    text: str

    def __new__(cls, text: str) -> NonFinite:
        value = super().__new__(cls, text)
        value.text = text
        return value


def record_problems(data: object) -> list[tuple[tuple[str | int, ...], str]]:
    """What keeps ``data`` from being a :class:`ResultRecord`: (path of the value, message),
    outermost first. NaN and infinities count, JSON having no such numbers."""
    import jsonschema

    problems = [
        (path, f"`{_shown(path)}` is {value.text}, which JSON has no number for; write null or text")
        for path, value in _non_finite(data, ())
    ]
    validator = jsonschema.Draft202012Validator(RECORD_SCHEMA)
    for error in sorted(
        validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    ):
        path = tuple(error.absolute_path)
        if not any(path[: len(p)] == p for p, _ in problems):  # NaN: said already
            problems.append((path, _plain(error)))
    return problems


def _non_finite(value: object, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], NonFinite]]:
    if isinstance(value, NonFinite):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _non_finite(item, (*path, key))]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _non_finite(item, (*path, i))]
    return []


def _shown(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


_JSON_TYPES = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def _plain(error: object) -> str:
    """jsonschema's finding in the words the rest of the diagnostics use."""
    import jsonschema

    assert isinstance(error, jsonschema.ValidationError)
    shown = _shown(tuple(error.absolute_path)) or "the record"
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        return f"`{_shown((*error.absolute_path, missing))}` is missing"
    rule: object = error.validator_value
    if error.validator == "type":
        wanted = rule if isinstance(rule, list) else [rule]
        return f"`{shown}` must be {' or '.join(_JSON_TYPES[str(w)] for w in wanted)}, not {_json_type(error.instance)}"
    if error.validator in ("enum", "const"):
        allowed = rule if error.validator == "enum" and isinstance(rule, list) else [rule]
        return f"`{shown}` is {json_text(error.instance)}, not one of {', '.join(map(json_text, allowed))}"
    if error.validator == "anyOf":
        return f"`{shown}` is {_json_type(error.instance)}: a metric is a number, text, true/false, null, or an object with a numeric `value`"
    message = str(error.message)
    return f"`{shown}`: " + (message if len(message) <= 160 else message[:157] + "...")


def _json_type(value: object) -> str:
    for name, kind in (
        ("null", type(None)),
        ("boolean", bool),
        ("integer", int),
        ("number", float),
        ("string", str),
        ("array", list),
        ("object", dict),
    ):
        if isinstance(value, kind):
            return _JSON_TYPES[name]
    return type(value).__name__


def json_text(value: object) -> str:
    import json

    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
