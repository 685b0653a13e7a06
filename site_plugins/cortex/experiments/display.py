"""How a result reads on a page: numbers with units, parameter points, provenance, badges and
Markdown tables. Shared by the experiment pages and by quotes, so a number reads the same
everywhere it appears."""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable, Sequence
from typing import TypeGuard

from markupsafe import escape

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.record import GitState, PointRecord, ResultRecord, metric_value
from cortex.experiments.staleness import Staleness

_SECOND_SCALES = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


# Characters Markdown would read as syntax, written as entities so that text shows as written.
def attr(value: object) -> str:
    """An HTML attribute value that survives Markdown: escaped, and without characters that
    would end a table cell or a link text; newlines become line breaks in a tooltip."""
    return (
        str(escape(str(value)))
        .replace("|", "&#124;")
        .replace("[", "&#91;")
        .replace("]", "&#93;")
        .replace("\n", "&#10;")
    )


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_number(value: object) -> str:
    """About four significant digits, never dropping integer digits: 691.2, 1250, 0.007812,
    1.449e-07, 3.403e+38; integers and integral floats print whole."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e6:
        decimals = max(0, 3 - math.floor(math.log10(magnitude)))
        text = f"{value:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{value:.4g}"


def format_measured(value: object, spread_width: float | None) -> str:
    """A measured value to the digits its spread supports: rounded at the spread's second
    significant digit (691.2 with an interquartile range of 60 prints 691; of 0.6, 691.2; 1
    with 0.1 prints 1.00), and never to more than the four significant digits ``format_number``
    prints."""
    plain = format_number(value)
    if not is_number(value) or not spread_width or not math.isfinite(spread_width) or spread_width <= 0:
        return plain
    if not math.isfinite(value) or value == 0:
        return plain
    place = math.floor(math.log10(spread_width)) - 1  # the decimal place of the spread's 2nd digit
    significant = math.floor(math.log10(abs(value))) - place + 1
    if significant >= 4:  # format_number's own precision is the finer one
        return plain
    if significant < 1:
        significant = 1  # the spread dwarfs the value: one digit says as much as it can
    if 1e-3 <= abs(value) < 1e6:
        decimals = max(0, significant - 1 - math.floor(math.log10(abs(value))))
        return f"{round(value, decimals):.{decimals}f}"
    return f"{value:.{significant}g}"


def unit_scale(unit: str, values: Iterable[object]) -> tuple[float, str]:
    """(factor, unit) so that times in seconds read in s, ms, µs or ns; other units stay."""
    if unit != "s":
        return 1.0, unit
    sizes = sorted(abs(v) for v in values if is_number(v) and v and math.isfinite(v))
    if not sizes:
        return 1.0, unit
    typical = sizes[len(sizes) // 2]
    return next(((f, u) for f, u in _SECOND_SCALES if typical >= f), _SECOND_SCALES[-1])


def format_quantity(value: object, unit: str) -> str:
    """A value with its unit: ``691.2 TFLOP/s``, ``31.7 µs``, ``16 bit``; text stays text."""
    if not is_number(value):
        return format_number(value)
    factor, shown = unit_scale(unit, [value])
    text = format_number(value / factor if factor != 1.0 else value)
    return f"{text} {shown}" if shown else text


def spread(value: object) -> float | None:
    """The interquartile range a measured metric carries, or None."""
    if isinstance(value, dict) and is_number(value.get("iqr")):
        return float(value["iqr"])
    if isinstance(value, dict) and is_number(value.get("low")) and is_number(value.get("high")):
        return float(value["high"]) - float(value["low"])
    return None


def spread_text(value: object, unit: str, factor: float | None = None) -> str:
    """ "median of 20 repetitions; interquartile range 688.1–694.2 TFLOP/s" for a measurement;
    ``factor`` is the scale its column uses (see ``unit_scale``)."""
    if not isinstance(value, dict):
        return ""
    low, high, reps = value.get("low"), value.get("high"), value.get("reps")
    text = f"median of {reps} repetitions" if reps else "median"
    if is_number(low) and is_number(high):
        if factor is None:
            factor, unit = unit_scale(unit, [value.get("value")])
        else:
            unit = _scaled_unit(unit, factor)
        text += f"; interquartile range {format_number(low / factor)}–{format_number(high / factor)} {unit}".rstrip()
    return text


def _scaled_unit(unit: str, factor: float) -> str:
    return next((u for f, u in _SECOND_SCALES if f == factor), unit) if unit == "s" else unit


def format_point(params: dict[str, object]) -> str:
    """``dtype=bf16, n=8192``; a point with no parameters is ``the only point``."""
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "the only point"


def metric_units(spec: ExperimentSpec, record: ResultRecord | None) -> dict[str, str]:
    declared = record.get("metrics", {}) if record else {}
    units = {name: (m.get("unit") or "") for name, m in declared.items() if isinstance(m, dict)}
    units.update({name: m.unit for name, m in spec.metrics.items()})
    return units


def metric_names(spec: ExperimentSpec, record: ResultRecord) -> list[str]:
    """Declared metrics in order, then any others the record holds."""
    names = list(spec.metrics)
    for point in record.get("points", []):
        names += [n for n in point.get("metrics", {}) if n not in names]
    return names


def short_hash(sha: object) -> str:
    return str(sha)[:12] if sha else "unknown"


def run_date(record: ResultRecord) -> str:
    """``2026-11-22 17:49 UTC`` from the record's start time."""
    started = str(record.get("provenance", {}).get("started_at") or "")
    if not started:
        return "an unknown date"
    day, _, rest = started.partition("T")
    clock = rest[:5]
    return f"{day} {clock} UTC" if clock and rest[8:] in ("+00:00", "Z", "") else f"{day} {rest}".strip()


def device_of(record: ResultRecord) -> str:
    prov = record.get("provenance", {})
    return str(prov.get("device_name") or record.get("device") or "an unknown device")


def commit_text(record: ResultRecord) -> str:
    git: GitState | dict[str, object] = record["provenance"].get("git") or {}
    commit = git.get("commit")
    if not commit:
        return "no git commit"
    return f"commit {str(commit)[:12]}" + (" (uncommitted changes)" if git.get("dirty") else "")


def provenance_line(record: ResultRecord, state: Staleness | None) -> str:
    """One line per fact, for a tooltip: device, date, commit, input hash, freshness."""
    prov = record.get("provenance", {})
    lines = [
        f"{device_of(record)}, size {record.get('size', '?')}",
        f"run of {run_date(record)}",
        commit_text(record),
        f"input hash {short_hash(prov.get('input_hash', {}).get('sha256'))}",
    ]
    if state is not None:
        lines.append(state_text(state))
    return "\n".join(lines)


def state_text(state: Staleness) -> str:
    if state.state == "fresh":
        return "fresh: made from the current inputs" + unrecorded_text(state)
    if state.state == "stale":
        return "stale: " + "; ".join(state.reasons)
    return "not run"


def unrecorded_text(state: Staleness) -> str:
    """What a run did not record of the inputs hashed today, said after its state."""
    if not state.unrecorded:
        return ""
    return f" (as far as it recorded: {', '.join(state.unrecorded)} were not recorded by {state.run})"


def badge(text: str, kind: str, title: str = "") -> str:
    title_attr = f' title="{attr(title)}"' if title else ""
    return f'<span class="cortex-badge cortex-badge--{attr(kind)}"{title_attr}>{escape(text)}</span>'


def status_badge(spec: ExperimentSpec) -> str:
    return badge(spec.status, f"status-{spec.status}", f"research status: {spec.status}")


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] | None = None
) -> str:
    """A pipe table (cells are Markdown already; ``|`` must have been escaped by the caller);
    numeric columns align right."""
    numeric = numeric or [False] * len(headers)
    align = ["---:" if n else "---" for n in numeric]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def point_value(point: PointRecord, metric: str) -> object:
    return metric_value(point.get("metrics", {}).get(metric))


def ok_points(record: ResultRecord) -> list[PointRecord]:
    return [p for p in record.get("points", []) if p.get("status") == "ok"]


def best_point(
    points: Sequence[PointRecord], metric: str, better: str | None
) -> tuple[PointRecord, float] | None:
    """The point with the best numeric value of ``metric`` (highest or lowest)."""
    values = [(p, point_value(p, metric)) for p in points]
    numeric = [(p, float(v)) for p, v in values if is_number(v) and math.isfinite(v)]
    if not numeric or better not in ("higher", "lower"):
        return None
    pick = max if better == "higher" else min
    return pick(numeric, key=lambda pv: pv[1])


def experiment_page_path(exp_id: str) -> str:
    """Where an experiment's generated page lives in the site: ``experiments/<id>.md``."""
    return f"experiments/{exp_id}.md"


def link_from(page_path: str, target: str) -> str:
    """A relative ``.md`` link from one site page to another, for MkDocs to resolve."""
    return posixpath.relpath(target, posixpath.dirname(page_path) or ".")


def not_run_reason(spec: ExperimentSpec, runs: Sequence[ResultRecord]) -> str:
    """Why an experiment has no result: "needs CUDA", its last failed run, or no entry point."""
    if not spec.runnable:
        return "it declares no entry point (`script`) yet"
    failed = [r for r in runs if r.get("status") != "ok"]
    if failed:
        last = failed[-1]
        return f"its last run ({run_date(last)} on {device_of(last)}) failed: {last.get('error') or 'no reason recorded'}"
    if spec.device == "cuda":
        return "needs CUDA"
    return "it has not been run yet"
