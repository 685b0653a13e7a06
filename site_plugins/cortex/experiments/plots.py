"""The declared figures of an experiment, drawn so that a reader can read them.

- Axis and legend titles are what a reader calls each metric or parameter, with its unit
  (``ExperimentSpec.axis_title``), never the variable's name alone.
- A parameter axis with a few numeric values is ticked at those values, written out
  (``2,048``; in powers of ten, ``10²`` to ``10⁶``, where they all are), on a linear or log
  axis alike.
- Numbers are written in powers of ten, not SI prefixes (``10⁻⁶``, never ``1µ``).
- Series keep apart: each has its own marker and dash, and one identical to another says so
  in the legend, since it is drawn exactly on top of it.
- A point a log axis cannot show (zero or negative) is marked on the axis with its value.

The figure's width, its legend's place and the palette are the site's figure loader's to
set: it fits the figure to the screen, phones included, and redraws it in the dark palette.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cortex.experiments.declaration import ExperimentSpec, Figure
from cortex.experiments.outputs import table_rows
from cortex.experiments.record import ResultRecord

MAX_TICKS = 12  # more values than this and plotly chooses the ticks
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star", "triangle-down", "cross", "pentagon")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def tick_text(value: float, powers_of_ten: bool) -> str:
    """A tick label for a parameter value: ``10⁶`` when the axis is ticked in powers of ten,
    else the number with its digits grouped by thousands (``2,048``)."""
    if powers_of_ten:
        return "10" + str(round(math.log10(value))).translate(SUPERSCRIPT)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def discrete_ticks(values: Sequence[object], log: bool) -> tuple[list[float], list[str]] | None:
    """Ticks at each of a parameter's values, or None when they are not a few numbers (or on
    a log axis not all positive). A log axis whose values are all powers of ten, reaching
    10⁵ or 10⁻³, is ticked in powers of ten."""
    numbers = sorted({v for v in values if isinstance(v, int | float) and not isinstance(v, bool)})
    if not numbers or len(numbers) != len(set(values)) or len(numbers) > MAX_TICKS:
        return None
    if log and numbers[0] <= 0:
        return None
    powers = (
        log
        and (numbers[-1] >= 1e5 or numbers[0] <= 1e-3)
        and all(math.isclose(10 ** round(math.log10(v)), v, rel_tol=1e-9) for v in numbers)
    )
    return list(numbers), [tick_text(v, powers) for v in numbers]


def build_figure(figure: Figure, spec: ExperimentSpec, record: ResultRecord):
    """A plotly figure from the record's successful points, with IQR error bars for
    measurements."""
    import pandas as pd
    import plotly.express as px

    table = pd.DataFrame([row for row in table_rows(record) if row["status"] == "ok"])
    columns = [c for c in (figure.x, figure.y, figure.color, figure.facet) if c]
    labels = {column: spec.axis_title(column) for column in columns}
    extra: dict[str, object] = {}
    if f"{figure.y}_iqr" in table:
        extra["error_y"] = table[f"{figure.y}_iqr"] / 2
    for column in (figure.color, figure.facet):
        if column and column in table:
            table = table.astype({column: str})
    if figure.color and figure.color in table:
        order = list(dict.fromkeys(table[figure.color]))  # as the parameters declare them
        extra["category_orders"] = {figure.color: order}
        if figure.kind in ("line", "scatter"):
            extra["symbol"] = figure.color
            extra["symbol_sequence"] = list(MARKERS)
        if figure.kind == "line":
            extra["line_dash"] = figure.color
            extra["line_dash_sequence"] = list(DASHES)
    if figure.kind == "line":
        extra["markers"] = True
    if figure.facet:
        extra["facet_col"] = figure.facet
    plot = {"line": px.line, "bar": px.bar, "scatter": px.scatter}[figure.kind]
    fig = plot(
        table,
        x=figure.x,
        y=figure.y,
        color=figure.color,
        log_x=figure.log_x,
        log_y=figure.log_y,
        title=figure.title or None,
        labels=labels,
        **extra,
    )
    if figure.kind == "bar":
        fig.update_layout(barmode="group")
    fig.update_xaxes(exponentformat="power")
    fig.update_yaxes(exponentformat="power")
    if figure.x in table and figure.x not in spec.metrics and figure.kind != "bar":
        ticks = discrete_ticks(list(table[figure.x]), figure.log_x)
        if ticks:
            fig.update_xaxes(tickmode="array", tickvals=ticks[0], ticktext=ticks[1])
    if figure.log_y:
        _decades_only(fig, [v for trace in fig.data for v in (trace.y if trace.y is not None else ())])
    if figure.facet:  # "causal=True" over each panel, in the reader's words
        fig.for_each_annotation(
            lambda a: a.update(text=a.text.replace(f"{labels[figure.facet]}=", f"{labels[figure.facet]}: "))
        )
    _name_identical_series(fig)
    _mark_what_a_log_axis_cannot_show(fig, figure, labels)
    return fig


def _decades_only(fig, values: Sequence[object]) -> None:
    """On a log y axis spanning two decades or more, a tick at each power of ten and no others:
    plotly's 2 and 5 between them crowd a small figure. (A log x axis of parameter values is
    ticked at its values.)"""
    positive = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v > 0]
    if positive and math.log10(max(positive) / min(positive)) >= 2:
        fig.update_yaxes(dtick=1)


def _name_identical_series(fig) -> None:
    """A series with exactly the points of an earlier one says so in the legend."""
    seen: dict[tuple, str] = {}
    for trace in fig.data:
        key = (
            trace.xaxis,
            trace.yaxis,
            tuple(trace.x if trace.x is not None else ()),
            tuple(trace.y if trace.y is not None else ()),
        )
        if key in seen and trace.name:
            trace.update(name=f"{trace.name} (same as {seen[key]})")
        elif trace.name:
            seen[key] = trace.name


def _mark_what_a_log_axis_cannot_show(fig, figure: Figure, labels: dict[str, str]) -> None:
    """Each point with a zero or negative value on a log axis, which plotly leaves out without
    a word, is marked at the foot (or left edge) of its panel with its value."""
    if not (figure.log_x or figure.log_y):
        return
    for trace in fig.data:
        if trace.x is None or trace.y is None:
            continue
        color = getattr(getattr(trace, "marker", None), "color", None) or getattr(
            getattr(trace, "line", None), "color", None
        )
        for x, y in zip(trace.x, trace.y, strict=False):
            x_hidden = figure.log_x and isinstance(x, int | float) and x <= 0
            y_hidden = figure.log_y and isinstance(y, int | float) and y <= 0
            if not (x_hidden or y_hidden) or (x_hidden and y_hidden):
                continue
            where = f"{trace.name}: " if trace.name else ""
            if y_hidden:
                position = {"x": math.log10(x) if figure.log_x else x, "xref": trace.xaxis or "x"}
                position |= {"y": 0, "yref": f"{trace.yaxis or 'y'} domain", "ax": 0, "ay": -22}
                text = f"{y:g}"
                hover = f"{where}{labels[figure.y]} = {y:g} at {labels[figure.x]} = {x}: not drawn on the log axis"
            else:
                position = {"y": math.log10(y) if figure.log_y else y, "yref": trace.yaxis or "y"}
                position |= {"x": 0, "xref": f"{trace.xaxis or 'x'} domain", "ax": 22, "ay": 0}
                text = f"{x:g}"
                hover = f"{where}{labels[figure.x]} = {x:g}: not drawn on the log axis"
            fig.add_annotation(
                **position,
                text=text,
                hovertext=hover,
                showarrow=True,
                arrowhead=2,
                arrowcolor=color,
                font={"color": color, "size": 11},
            )
