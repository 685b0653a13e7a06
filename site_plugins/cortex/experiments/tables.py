"""A result's points as Markdown tables that stay narrow, and the compact view an experiment
page opens its results with.

The shape follows the parameters: with two grid parameters each metric is a small pivot table
(rows the second parameter, columns the first), several metrics one tab each; with few points
and many metrics the table is turned on its side (one row per metric); otherwise it is one row
per point. Metrics empty at every point are named once instead of filling a column. Headers
are what a reader calls each metric (its declared label) with its unit. Measurements show
their median to the digits their spread supports, with the interquartile range and
repetitions in a tooltip.

The compact view (``results_view``) shows the headline metrics (declared, or those with a
direction) and folds every other metric into one closed block, so a page with dozens of
metrics still opens on a screenful. Both keep out of the search index: a reader searches for
words, not for a table's cells.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import (
    attr,
    format_measured,
    format_point,
    is_number,
    markdown_table,
    metric_names,
    metric_units,
    ok_points,
    spread,
    spread_text,
    unit_scale,
)
from cortex.experiments.record import PointRecord, ResultRecord, metric_value
from cortex.text.markdown import indent_block, md_text

WIDE = 8  # columns beyond which a table of few points is turned on its side


MAX_DEFAULT_HEADLINES = 3  # metrics in the headline table when none are declared


def results_tables(spec: ExperimentSpec, record: ResultRecord, metrics: Sequence[str] | None = None) -> str:
    """Markdown for the record's points: the tables, the metrics with no value, the failures."""
    names = list(metrics) if metrics is not None else metric_names(spec, record)
    points = ok_points(record)
    filled = [m for m in names if any(_has_value(p, m) for p in points)]
    parts = [_tables(spec, record, filled)] if points and filled else []
    return _searchless("\n\n".join(parts + _notes(record, [m for m in names if m not in filled])))


def results_view(spec: ExperimentSpec, record: ResultRecord) -> str:
    """The headline metrics' tables, every other metric in one closed block, then the metrics
    with no value and the points that failed."""
    names = metric_names(spec, record)
    points = ok_points(record)
    filled = [m for m in names if any(_has_value(p, m) for p in points)]
    heads = headline_metrics(spec, filled)
    rest = [m for m in filled if m not in heads]
    parts = []
    if heads:
        parts.append(_tables(spec, record, heads))
    if rest:
        inner = _tables(spec, record, rest)
        parts.append(f'??? abstract "Every other metric ({len(rest)})"\n\n' + indent_block(inner))
    return _searchless("\n\n".join(parts + _notes(record, [m for m in names if m not in filled])))


def headline_metrics(spec: ExperimentSpec, filled: Sequence[str]) -> list[str]:
    """The metrics a reader sees first: those the declaration names in ``headline``, else
    the first few with a direction (``better``), else the first few with a value."""
    declared = spec.headlines or ([spec.headline] if spec.headline else [])
    chosen = [m for m in declared if m in filled]
    if chosen:
        return chosen
    directed = [m for m in filled if (metric := spec.metrics.get(m)) and metric.better]
    return (directed or list(filled))[:MAX_DEFAULT_HEADLINES]


def _tables(spec: ExperimentSpec, record: ResultRecord, metrics: list[str]) -> str:
    units = metric_units(spec, record)
    points = ok_points(record)
    params = _param_names(record)
    varying = [n for n in params if len(_distinct(p["params"].get(n) for p in points)) > 1]
    constant = _constants(spec, points, [n for n in params if n not in varying])
    across = _across(points, varying)
    if across is not None:
        down = [n for n in varying if n != across]
        pivots = [(m, _pivot(spec, points, across, down, m, units.get(m, ""))) for m in metrics]
        if len(pivots) == 1:
            return constant + pivots[0][1]
        return constant + "\n\n".join(
            f'=== "{_tab_title(spec, m)}"\n\n' + indent_block(table) for m, table in pivots
        )
    shown = varying or params
    if len(points) <= WIDE and len(shown) + len(metrics) > WIDE:
        return constant + _sideways(spec, points, shown, metrics, units)
    return constant + _long(spec, points, shown, metrics, units)


def _across(points: list[PointRecord], varying: list[str]) -> str | None:
    """The parameter a pivot table spreads across its columns: with two or more parameters
    that vary over a grid, the one with the most values that still fit (the first declared of
    equals), leaving the fewest rows. None when the points are not such a grid."""
    if len(varying) < 2 or not _is_grid(points, varying):
        return None
    counts = {n: len(_distinct(p["params"].get(n) for p in points)) for n in varying}
    fitting = [n for n in varying if counts[n] <= WIDE]
    return max(fitting, key=lambda n: (counts[n], -varying.index(n))) if fitting else None


def _constants(spec: ExperimentSpec, points: list[PointRecord], names: list[str]) -> str:
    """A line naming the parameters every point shares, which a table would repeat on every row."""
    if not names or not points or len(points) < 2:
        return ""
    shared = ", ".join(
        f"{md_text(spec.label_of(n))} = {md_text(param_text(points[0]['params'].get(n)))}" for n in names
    )
    return f"*Every point has {shared}.*\n\n"


def _notes(record: ResultRecord, empty: list[str]) -> list[str]:
    """The metrics with no value at any point, and the points that did not succeed."""
    points = ok_points(record)
    parts = []
    if not points:
        parts.append("*No point of this run succeeded.*")
    elif empty:
        listed = ", ".join(f"`{m}`" for m in empty)
        parts.append(f"*No value at any point:* {listed}" + _skip_reason(points))
    failed = [p for p in record.get("points", []) if p.get("status") != "ok"]
    if failed:
        rows = [
            [md_text(format_point(p["params"])), md_text(p.get("status", "")), md_text(p.get("error") or "")]
            for p in failed
        ]
        parts.append("Points that did not succeed:\n\n" + markdown_table(["Point", "Status", "Reason"], rows))
    return parts


def _searchless(markdown: str) -> str:
    """Tables in a block the search index leaves out, whose first column stays in view when a
    wide table scrolls sideways. A section, not a div: the search plugin matches an excluded
    element's end by its tag, so a div inside (a tab) would end the exclusion early."""
    if not markdown:
        return markdown
    return f'<section class="cortex-results" data-search-exclude="true" markdown>\n\n{markdown}\n\n</section>'


def _tab_title(spec: ExperimentSpec, metric: str) -> str:
    return md_text(spec.label_of(metric)).replace('"', "&quot;")


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
    scaled = value / factor if is_number(value) and factor != 1.0 else value
    width = spread(raw)
    text = format_measured(scaled, width / factor if width else None)
    if isinstance(raw, dict):
        return f'<span class="cortex-measured" title="{attr(spread_text(raw, unit, factor))}">{escape(text)}</span>'
    return md_text(text)


def _header(spec: ExperimentSpec, name: str, unit: str) -> str:
    """A column's header: what a reader calls it, with its unit; its name in a tooltip."""
    label = md_text(spec.label_of(name))
    if spec.label_of(name) != name.replace("_", " "):
        label = f'<span title="{attr(name)}">{escape(spec.label_of(name))}</span>'
    return f"{label} ({md_text(unit)})" if unit else label


def _long(
    spec: ExperimentSpec,
    points: list[PointRecord],
    params: list[str],
    metrics: list[str],
    units: dict[str, str],
) -> str:
    scales = {m: _column(points, m, units.get(m, "")) for m in metrics}
    headers = [_header(spec, p, "") for p in params] + [_header(spec, m, scales[m][1]) for m in metrics]
    rows = [
        [md_text(param_text(p["params"].get(n, ""))) for n in params]
        + [cell(p.get("metrics", {}).get(m), units.get(m, ""), scales[m][0]) for m in metrics]
        for p in points
    ]
    numeric = [_numeric_param(points, n) for n in params] + [_numeric_metric(points, m) for m in metrics]
    return markdown_table(headers, rows, numeric)


def _sideways(
    spec: ExperimentSpec,
    points: list[PointRecord],
    params: list[str],
    metrics: list[str],
    units: dict[str, str],
) -> str:
    labels = [
        md_text(p["params"][params[0]] if len(params) == 1 else format_point(p["params"])) for p in points
    ]
    rows = []
    for m in metrics:
        factor, shown = _column(points, m, units.get(m, ""))
        rows.append(
            [_header(spec, m, shown)]
            + [cell(p.get("metrics", {}).get(m), units.get(m, ""), factor) for p in points]
        )
    return markdown_table(["metric" if len(params) != 1 else _header(spec, params[0], ""), *labels], rows)


def _pivot(
    spec: ExperimentSpec, points: list[PointRecord], across: str, down: list[str], metric: str, unit: str
) -> str:
    columns = _distinct(p["params"].get(across) for p in points)
    rows_keys = _distinct(tuple(p["params"].get(n) for n in down) for p in points)
    by_key = {
        (_key(p["params"].get(across)), tuple(_key(p["params"].get(n)) for n in down)): p for p in points
    }
    factor, shown = _column(points, metric, unit)
    rows = []
    for r in rows_keys:
        row = [md_text(param_text(v)) for v in r]
        for c in columns:
            point = by_key.get((_key(c), tuple(_key(v) for v in r)))
            row.append(cell(point.get("metrics", {}).get(metric), unit, factor) if point else " ")
        rows.append(row)
    declared = spec.metrics.get(metric)
    better = f", {declared.better} is better" if declared and declared.better else ""
    caption = f"**{md_text(spec.label_of(metric))}**" + (
        f" ({md_text(shown)}{better})" if shown else f" ({better[2:]})" if better else ""
    )
    if declared and declared.description:
        caption += f": {md_text(declared.description)}"
    if spec.label_of(metric) != metric.replace("_", " "):
        caption += f" `{metric}`"
    row_names = ", ".join(md_text(spec.label_of(n)) for n in down)
    caption += f"  \nRows: {row_names}; columns: {md_text(spec.label_of(across))}."
    headers = [md_text(spec.label_of(n)) for n in down] + [md_text(param_text(c)) for c in columns]
    numeric = [_numeric_param(points, n) for n in down] + [True] * len(columns)
    return caption + "\n\n" + markdown_table(headers, rows, numeric)


def param_text(value: object) -> str:
    """A parameter value as a reader reads it: large whole numbers grouped by thousands."""
    if is_number(value) and float(value).is_integer() and abs(value) >= 10_000:
        return f"{int(value):,}"
    return str(value)


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
