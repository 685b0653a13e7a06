"""A result's points as Markdown tables that stay narrow.

The shape follows the parameters: with two grid parameters each metric is a small pivot table
(rows the second parameter, columns the first); with few points and many metrics the table is
turned on its side (one row per metric); otherwise it is one row per point. Metrics empty at
every point are named once instead of filling a column. Measurements show their median, with
the interquartile range and repetitions in a tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import (
    attr,
    format_number,
    format_point,
    is_number,
    markdown_table,
    metric_names,
    metric_units,
    ok_points,
    spread_text,
    unit_scale,
)
from cortex.experiments.record import PointRecord, ResultRecord, metric_value
from cortex.text.markdown import md_text

WIDE = 8  # columns beyond which a table of few points is turned on its side


def results_tables(spec: ExperimentSpec, record: ResultRecord, metrics: Sequence[str] | None = None) -> str:
    """Markdown for the record's points: the tables, the metrics with no value, the failures."""
    names = list(metrics) if metrics is not None else metric_names(spec, record)
    units = metric_units(spec, record)
    points = ok_points(record)
    filled = [m for m in names if any(_has_value(p, m) for p in points)]
    empty = [m for m in names if m not in filled]
    params = _param_names(record)
    parts = []
    if points and filled:
        if len(params) == 2 and _is_grid(points, params):
            parts += [_pivot(spec, points, params, m, units.get(m, "")) for m in filled]
        elif len(points) <= WIDE and len(params) + len(filled) > WIDE:
            parts.append(_sideways(points, params, filled, units))
        else:
            parts.append(_long(points, params, filled, units))
    elif not points:
        parts.append("*No point of this run succeeded.*")
    if empty and points:
        listed = ", ".join(f"`{m}`" for m in empty)
        parts.append(f"*No value at any point:* {listed}" + _skip_reason(points))
    failed = [p for p in record.get("points", []) if p.get("status") != "ok"]
    if failed:
        rows = [
            [md_text(format_point(p["params"])), md_text(p.get("status", "")), md_text(p.get("error") or "")]
            for p in failed
        ]
        parts.append("Points that did not succeed:\n\n" + markdown_table(["Point", "Status", "Reason"], rows))
    return "\n\n".join(parts)


def _has_value(point: PointRecord, metric: str) -> bool:
    value = metric_value(point.get("metrics", {}).get(metric))
    return value is not None and value != ""


def _skip_reason(points: list[PointRecord]) -> str:
    reasons = sorted({str(p["metrics"]["skipped"]) for p in points if p.get("metrics", {}).get("skipped")})
    return f" (skipped: {md_text('; '.join(reasons))})" if reasons else ""


def _param_names(record: ResultRecord) -> list[str]:
    names: list[str] = []
    for point in record.get("points", []):
        names += [n for n in point.get("params", {}) if n not in names]
    return names


def _is_grid(points: list[PointRecord], params: list[str]) -> bool:
    keys = [tuple(_key(p["params"].get(n)) for n in params) for p in points]
    return len(set(keys)) == len(keys)


def _key(value: object) -> str:
    return repr(value)


def _column(points: list[PointRecord], metric: str, unit: str) -> tuple[float, str]:
    return unit_scale(unit, [metric_value(p.get("metrics", {}).get(metric)) for p in points])


def cell(raw: object, unit: str, factor: float) -> str:
    """One value: a number in the column's scale (a measurement with its spread as a tooltip),
    or text."""
    value = metric_value(raw)
    if value is None:
        return "–"
    text = format_number(value / factor) if is_number(value) and factor != 1.0 else format_number(value)
    if isinstance(raw, dict):
        return f'<span class="cortex-measured" title="{attr(spread_text(raw, unit, factor))}">{escape(text)}</span>'
    return md_text(text)


def _header(metric: str, unit: str) -> str:
    return f"{md_text(metric)} ({md_text(unit)})" if unit else md_text(metric)


def _long(points: list[PointRecord], params: list[str], metrics: list[str], units: dict[str, str]) -> str:
    scales = {m: _column(points, m, units.get(m, "")) for m in metrics}
    headers = [md_text(p) for p in params] + [_header(m, scales[m][1]) for m in metrics]
    rows = [
        [md_text(p["params"].get(n, "")) for n in params]
        + [cell(p.get("metrics", {}).get(m), units.get(m, ""), scales[m][0]) for m in metrics]
        for p in points
    ]
    numeric = [_numeric_param(points, n) for n in params] + [_numeric_metric(points, m) for m in metrics]
    return markdown_table(headers, rows, numeric)


def _sideways(points: list[PointRecord], params: list[str], metrics: list[str], units: dict[str, str]) -> str:
    labels = [
        md_text(p["params"][params[0]] if len(params) == 1 else format_point(p["params"])) for p in points
    ]
    rows = []
    for m in metrics:
        factor, shown = _column(points, m, units.get(m, ""))
        rows.append(
            [_header(m, shown)]
            + [cell(p.get("metrics", {}).get(m), units.get(m, ""), factor) for p in points]
        )
    return markdown_table(["metric" if len(params) != 1 else md_text(params[0]), *labels], rows)


def _pivot(spec: ExperimentSpec, points: list[PointRecord], params: list[str], metric: str, unit: str) -> str:
    across, down = params
    columns = _distinct(p["params"].get(across) for p in points)
    rows_keys = _distinct(p["params"].get(down) for p in points)
    by_key = {(_key(p["params"].get(across)), _key(p["params"].get(down))): p for p in points}
    factor, shown = _column(points, metric, unit)
    rows = []
    for r in rows_keys:
        row = [md_text(r)]
        for c in columns:
            point = by_key.get((_key(c), _key(r)))
            row.append(cell(point.get("metrics", {}).get(metric), unit, factor) if point else " ")
        rows.append(row)
    declared = spec.metrics.get(metric)
    better = f", {declared.better} is better" if declared and declared.better else ""
    caption = f"**{md_text(metric)}**" + (
        f" ({md_text(shown)}{better})" if shown else f" ({better[2:]})" if better else ""
    )
    if declared and declared.description:
        caption += f": {md_text(declared.description)}"
    headers = [f"{md_text(down)} ↓ {md_text(across)} →"] + [md_text(c) for c in columns]
    return (
        caption
        + "\n\n"
        + markdown_table(headers, rows, [_numeric_param(points, down)] + [True] * len(columns))
    )


def _distinct(values) -> list:
    out, seen = [], set()
    for v in values:
        if _key(v) not in seen:
            seen.add(_key(v))
            out.append(v)
    return out


def _numeric_param(points: list[PointRecord], name: str) -> bool:
    return all(is_number(p["params"].get(name)) for p in points)


def _numeric_metric(points: list[PointRecord], metric: str) -> bool:
    values = [metric_value(p.get("metrics", {}).get(metric)) for p in points]
    return all(is_number(v) or v is None for v in values)
