"""A declared figure as a vector image (SVG or PDF) for a report, drawn with matplotlib.

The figure is the site's: ``cortex.experiments.plots.build_figure`` makes the plotly figure
from the record (axis titles from the labels, ticks at the parameter values, markers and
dashes per series, "same as" legend names), and this module redraws its traces with
matplotlib, which writes SVG and PDF without a browser (plotly's own static export needs one).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.declaration import Figure as FigureSpec
from cortex.experiments.record import ResultRecord
from cortex.report.document import Report
from cortex.report.prose import text_of_html

_MARKERS = {
    "circle": "o",
    "square": "s",
    "diamond": "D",
    "triangle-up": "^",
    "x": "x",
    "star": "*",
    "triangle-down": "v",
    "cross": "P",
    "pentagon": "p",
}
_DASHES: dict[str, object] = {
    "solid": "-",
    "dash": "--",
    "dot": ":",
    "dashdot": "-.",
    "longdash": (0, (8, 3)),
    "longdashdot": (0, (8, 3, 1, 3)),
}
_AXIS = re.compile(r"([xy])(\d*)")
WIDTH_IN = 6.3  # a text column of A4 with the report's margins
HEIGHT_IN = 3.4


def draw_declared(figure: FigureSpec, spec: ExperimentSpec, record: ResultRecord, fmt: str) -> bytes:
    """The declared figure drawn from the record, as ``fmt`` (``svg`` or ``pdf``) bytes."""
    from cortex.experiments.plots import build_figure

    return draw_plotly(build_figure(figure, spec, record), fmt)


def draw_plotly(fig, fmt: str) -> bytes:
    """A plotly figure's scatter, line and bar traces redrawn with matplotlib: one panel per
    x axis (a faceted figure's columns), log axes, the axis titles and tick labels plotly was
    given, error bars, and the legend under the plot."""
    import matplotlib
    from matplotlib.figure import Figure

    layout = fig.layout
    panels = sorted({_axis_number(t.xaxis or "x") for t in fig.data}) or [1]
    with matplotlib.rc_context(
        {"svg.hashsalt": "cortex-report", "svg.fonttype": "path", "font.size": 8.5, "axes.titlesize": 9}
    ):
        canvas = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        axes = canvas.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        by_panel = dict(zip(panels, axes, strict=True))
        bars = [t for t in fig.data if t.type == "bar"]
        for trace in fig.data:
            ax = by_panel[_axis_number(trace.xaxis or "x")]
            if trace.type == "bar":
                _bar(ax, trace, bars)
            elif trace.type in ("scatter", "scattergl"):
                _scatter(ax, trace)
        titles = _facet_titles(layout, len(panels))
        for i, (number, ax) in enumerate(by_panel.items()):
            _axes_style(ax, layout, number, first=i == 0)
            if titles:
                ax.set_title(titles[i])
        handles, labels = axes[0].get_legend_handles_labels()
        for ax in axes[1:]:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        if labels:
            legend_title = _text(getattr(getattr(layout.legend, "title", None), "text", None))
            canvas.legend(
                handles,
                labels,
                loc="outside lower center",
                ncols=min(len(labels), 3),
                title=legend_title or None,
                frameon=False,
            )
        out = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None}
        canvas.savefig(out, format=fmt, metadata=metadata)
    return out.getvalue()


def _axis_number(name: str) -> int:
    m = _AXIS.fullmatch(name)
    return int(m.group(2) or 1) if m else 1


def _values(seq: object) -> list:
    return list(seq) if seq is not None else []  # type: ignore[call-overload]


def _style(trace) -> dict:
    color = getattr(trace.marker, "color", None) or getattr(getattr(trace, "line", None), "color", None)
    return {"color": color} if isinstance(color, str) else {}


def _scatter(ax, trace) -> None:
    x, y = _values(trace.x), _values(trace.y)
    mode = trace.mode or "lines+markers"
    style = _style(trace)
    marker = _MARKERS.get(str(getattr(trace.marker, "symbol", None) or "circle"), "o")
    dash = _DASHES.get(str(getattr(trace.line, "dash", None) or "solid"), "-")
    ax.plot(
        x,
        y,
        linestyle=dash if "lines" in mode else "none",
        marker=marker if "markers" in mode else None,
        markersize=4,
        linewidth=1.3,
        label=trace.name or None,
        **style,
    )
    errors = _values(getattr(trace.error_y, "array", None))
    if errors and len(errors) == len(y):
        ax.errorbar(x, y, yerr=errors, fmt="none", elinewidth=0.8, capsize=2, **style)


def _bar(ax, trace, bars: Sequence) -> None:
    categories: list = []
    for t in bars:
        categories += [v for v in _values(t.x) if v not in categories]
    same_panel = [t for t in bars if (t.xaxis or "x") == (trace.xaxis or "x")]
    width = 0.8 / max(1, len(same_panel))
    offset = (same_panel.index(trace) - (len(same_panel) - 1) / 2) * width
    x = [categories.index(v) + offset for v in _values(trace.x)]
    ax.bar(x, _values(trace.y), width=width, label=trace.name or None, **_style(trace))
    ax.set_xticks(range(len(categories)), labels=[str(c) for c in categories])


def _axes_style(ax, layout, number: int, first: bool) -> None:
    suffix = "" if number == 1 else str(number)
    xaxis = getattr(layout, f"xaxis{suffix}", None) or layout.xaxis
    yaxis = layout.yaxis
    if xaxis.type == "log":
        ax.set_xscale("log")
    if yaxis.type == "log":
        ax.set_yscale("log")
    ax.set_xlabel(_text(xaxis.title.text))
    if first:
        ax.set_ylabel(_text(yaxis.title.text))
    if xaxis.tickvals is not None and xaxis.ticktext is not None:
        ax.set_xticks(list(xaxis.tickvals), labels=[_text(t) for t in xaxis.ticktext])
        ax.xaxis.set_minor_locator(_no_ticks())
    ax.grid(True, linewidth=0.4, alpha=0.5)
    ax.spines[["top", "right"]].set_visible(False)


def _no_ticks():
    from matplotlib.ticker import NullLocator

    return NullLocator()


def _facet_titles(layout, panels: int) -> list[str]:
    """The panel titles plotly express writes as annotations over a faceted figure's columns."""
    if panels < 2:
        return []
    tops = [
        a
        for a in layout.annotations or ()
        if a.yref == "paper" and isinstance(a.y, int | float) and a.y >= 0.99 and a.text
    ]
    tops.sort(key=lambda a: a.x if isinstance(a.x, int | float) else math.inf)
    return [_text(a.text) for a in tops] if len(tops) == panels else []


def _text(value: object) -> str:
    """Plotly's text, which may carry ``<br>`` and other HTML, as one plain line; ``$``
    escaped so matplotlib never reads it as math."""
    text = " ".join(text_of_html(re.sub(r"(?i)<br\s*/?>", " ", str(value or ""))).split())
    return text.replace("$", r"\$")


def figures_folder(out: Path) -> str:
    """The folder beside a written report that holds its figures: ``<stem>_figures``, with
    any character a TeX or Typst path would read as syntax replaced."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", out.stem).strip("-") + "_figures"


def write_figures(report: Report, folder: Path, subfolder: str, fmt: str) -> dict[str, str]:
    """Each figure drawn as ``folder/subfolder/<name>.<fmt>``; its path relative to ``folder``,
    by figure name."""
    paths: dict[str, str] = {}
    for figure in report.figures:
        relative = f"{subfolder}/{figure.name}.{fmt}"
        (folder / subfolder).mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(figure.image(fmt))
        paths[figure.name] = relative
    return paths
