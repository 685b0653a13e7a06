"""The compact results view: headline metrics first, one tab each in a two-parameter grid,
every other metric folded away, digits limited by the measured spread, out of the search index."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex.experiments.declaration import ExperimentSpec, Metric
from cortex.experiments.display import format_measured
from cortex.experiments.tables import headline_metrics, results_view


def spec(headlines: list[str] | None = None) -> ExperimentSpec:
    metrics = {
        "tflops": Metric("tflops", "TFLOP/s", "higher", "Throughput."),
        "err": Metric("err", "", "lower", "Relative error."),
        "note": Metric("note", ""),
        "clock": Metric("clock", "MHz"),
    }
    return ExperimentSpec(
        "g",
        Path("g.md"),
        "",
        "G",
        "analysed",
        params={"dtype": ["bf16", "fp16"], "n": [1024, 65536]},
        metrics=metrics,
        labels={"tflops": "Throughput", "n": "Matrix size"},
        headline=(headlines or [""])[0],
        headlines=headlines or [],
    )


def record() -> dict:
    points = [
        {
            "params": {"dtype": d, "n": n},
            "status": "ok",
            "metrics": {
                "tflops": {"value": 612.34, "iqr": 60.0, "low": 580.0, "high": 640.0, "reps": 20},
                "err": 1e-3 * n / 1024,
                "note": "ok",
                "clock": 1980,
            },
        }
        for d in ("bf16", "fp16")
        for n in (1024, 65536)
    ]
    return {"points": points, "metrics": {}}


def test_declared_headlines_open_the_results_one_tab_each_and_the_rest_is_folded():
    view = results_view(spec(["tflops", "err"]), record())
    assert view.startswith('<section class="cortex-results" data-search-exclude="true" markdown>')
    assert '=== "Throughput"\n\n    **Throughput** (TFLOP/s, higher is better): Throughput. `tflops`' in view
    assert '=== "err"' in view
    assert "    | Matrix size | bf16 | fp16 |" in view
    assert "    | 65,536 |" in view  # a large whole number grouped by thousands
    folded = view.split('??? abstract "Every other metric (2)"', 1)[1]
    assert '=== "note"' in folded and '=== "clock"' in folded
    assert '=== "Throughput"' not in folded


def test_without_a_declaration_the_metrics_with_a_direction_lead():
    assert headline_metrics(spec(), ["tflops", "err", "note", "clock"]) == ["tflops", "err"]
    assert headline_metrics(spec(["clock"]), ["tflops", "err", "note", "clock"]) == ["clock"]
    assert headline_metrics(spec(["clock"]), ["tflops"]) == ["tflops"]  # a headline with no value


def test_a_median_shows_the_digits_its_spread_supports():
    view = results_view(spec(["tflops"]), record())
    assert 'interquartile range 580–640 TFLOP/s">612</span>' in view


@pytest.mark.parametrize(
    ("value", "width", "shown"),
    [
        (691.2, 60, "691"),
        (691.2, 0.6, "691.2"),
        (1.0, 0.1, "1.00"),
        (0.00123456, 0.0001, "0.00123"),
        (5.2, 30, "5"),
        (1234.5678, 0.001, "1235"),  # never more than four significant digits
        (1.449e-7, 1e-9, "1.449e-07"),
        (3.5e-7, 2e-8, "3.5e-07"),
        (663.2, None, "663.2"),
        (42, 0, "42"),
    ],
)
def test_format_measured(value, width, shown):
    assert format_measured(value, width) == shown


def test_three_varying_parameters_pivot_on_the_widest_and_constants_are_said_once():
    points = [
        {
            "params": {"backend": b, "seq_len": n, "causal": c, "tokens": 16384},
            "status": "ok",
            "metrics": {"tflops": n / 100 + (b == "flash")},
        }
        for b in ("math", "flash")
        for n in (512, 1024, 2048)
        for c in (False, True)
    ]
    grid = ExperimentSpec(
        "a", Path("a.md"), "", "A", "analysed", metrics={"tflops": Metric("tflops", "TFLOP/s", "higher")}
    )
    view = results_view(grid, {"points": points, "metrics": {}})
    assert "*Every point has tokens = 16,384.*" in view
    assert "Rows: backend, causal; columns: seq len." in view
    assert "| backend | causal | 512 | 1024 | 2048 |" in view
    assert view.count("\n| math |") == 2 and view.count("\n| flash |") == 2  # 4 rows, not 12
