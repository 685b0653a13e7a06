"""Declared figures drawn for a reader: axis titles from labels and units, ticks at the real
parameter values, powers of ten, series that stay apart, and what a log axis cannot show."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex.experiments.declaration import ExperimentSpec, Figure, Metric, load_experiment
from cortex.experiments.plots import build_figure, discrete_ticks


def spec(labels: dict | None = None) -> ExperimentSpec:
    metrics = {"tflops": Metric("tflops", "TFLOP/s", "higher"), "err": Metric("err", "", "lower")}
    return ExperimentSpec("e", Path("e.md"), "", "E", "analysed", metrics=metrics, labels=labels or {})


def record(points: list[tuple[dict, dict]]) -> dict:
    return {"points": [{"params": p, "status": "ok", "metrics": m} for p, m in points]}


def grid(values: dict[str, list[float]], xs=(2048, 4096, 8192), metric="tflops") -> dict:
    return record(
        [({"n": x, "dtype": k}, {metric: v}) for k, ys in values.items() for x, v in zip(xs, ys, strict=True)]
    )


def test_axis_titles_are_labels_with_units_and_names_as_a_fallback():
    fig = build_figure(
        Figure("f", "line", "n", "tflops", color="dtype"),
        spec({"tflops": "Throughput", "n": "Matrix size n"}),
        grid({"bf16": [1, 2, 3]}),
    )
    assert fig.layout.xaxis.title.text == "Matrix size n"
    assert fig.layout.yaxis.title.text == "Throughput (TFLOP/s)"
    assert fig.layout.legend.title.text == "dtype"  # undeclared: the name, as written
    unlabelled = build_figure(Figure("f", "line", "n", "err"), spec(), grid({"a": [1, 2, 3]}, metric="err"))
    assert unlabelled.layout.yaxis.title.text == "err"


def test_a_parameter_axis_is_ticked_at_its_values():
    fig = build_figure(Figure("f", "line", "n", "tflops"), spec(), grid({"a": [1, 2, 3]}))
    assert list(fig.layout.xaxis.tickvals) == [2048, 4096, 8192]
    assert list(fig.layout.xaxis.ticktext) == ["2,048", "4,096", "8,192"]
    assert fig.layout.xaxis.exponentformat == fig.layout.yaxis.exponentformat == "power"


@pytest.mark.parametrize(
    ("values", "log", "text"),
    [
        ([100, 1000, 10**4, 10**5, 10**6], True, ["10²", "10³", "10⁴", "10⁵", "10⁶"]),
        ([1e-5, 1e-4, 1e-3], True, ["10⁻⁵", "10⁻⁴", "10⁻³"]),
        ([512, 1024, 2048], True, ["512", "1,024", "2,048"]),
        ([100, 1000], True, ["100", "1,000"]),
        ([0.5, 1.5], False, ["0.5", "1.5"]),
    ],
)
def test_tick_text(values, log, text):
    assert discrete_ticks(values, log) == (sorted(values), text)


def test_no_ticks_of_our_own_for_many_values_or_zero_on_a_log_axis():
    assert discrete_ticks(list(range(20)), False) is None
    assert discrete_ticks([0, 1, 10], True) is None
    assert discrete_ticks(["a", "b"], False) is None


def test_series_differ_in_marker_and_dash_and_an_identical_one_says_so():
    fig = build_figure(
        Figure("f", "line", "n", "tflops", color="dtype"),
        spec(),
        grid({"bf16": [1, 2, 3], "fp16": [1, 2, 3], "fp32": [0.5, 1, 1.5]}),
    )
    assert [t.name for t in fig.data] == ["bf16", "fp16 (same as bf16)", "fp32"]
    assert len({t.marker.symbol for t in fig.data}) == 3
    assert len({t.line.dash for t in fig.data}) == 3


def test_a_zero_on_a_log_axis_is_marked_at_its_x():
    fig = build_figure(
        Figure("f", "line", "n", "err", color="dtype", log_x=True, log_y=True),
        spec({"err": "Relative error"}),
        grid({"fp32": [0.0, 1e-7, 2e-7], "fp16": [1e-3, 2e-3, 0.0]}, metric="err"),
    )
    marks = [a for a in fig.layout.annotations if a.text == "0"]
    assert len(marks) == 2
    assert sorted(round(10**a.x) for a in marks) == [2048, 8192]  # annotations sit at log10(x)
    assert all(a.yref == "y domain" and a.y == 0 for a in marks)
    assert "Relative error = 0 at n = 2048: not drawn on the log axis" in [
        a.hovertext.split(": ", 1)[1] for a in marks
    ]


def test_a_faceted_figure_has_one_panel_per_value_titled_in_words():
    points = record([({"n": n, "causal": c}, {"tflops": n * (1 + c)}) for n in (1, 2) for c in (False, True)])
    fig = build_figure(
        Figure("f", "line", "n", "tflops", facet="causal"), spec({"causal": "Causal mask"}), points
    )
    panels = {trace.xaxis: list(trace.y) for trace in fig.data}
    assert panels == {"x": [1, 2], "x2": [2, 4]}
    assert sorted(a.text for a in fig.layout.annotations) == ["Causal mask: False", "Causal mask: True"]


def declaration(tmp_path: Path, extra: str) -> tuple:
    (tmp_path / "experiments").mkdir(exist_ok=True)
    path = tmp_path / "experiments" / "e.md"
    path.write_text(
        "---\ntitle: E\nstatus: planned\nparams: {n: [1, 2]}\n"
        "metrics: {t: {unit: s, better: lower}, u: {unit: '', better: higher}}\n" + extra + "---\n",
        "utf-8",
    )
    return load_experiment(path, tmp_path)


def test_labels_and_headlines_are_declared_and_checked(tmp_path):
    found, problems = declaration(tmp_path, "labels: {n: Size, t: Time}\nheadline: [u, t]\n")
    assert problems == []
    assert found.axis_title("t") == "Time (s)" and found.axis_title("n") == "Size"
    assert found.headline == "u" and found.headlines == ["u", "t"]
    _, problems = declaration(tmp_path, "labels: {m: Missing}\nheadline: [t, nope]\n")
    assert sorted((p.line, p.message) for p in problems) == [
        (6, "`labels` names `m`, which is neither a parameter nor a metric"),
        (7, "`headline` names `nope`, which is not a declared metric"),
    ]
