"""Quoting results in any page: numbers, tables and figures, and every way a quote can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.results_site import populated_site, results_of, to_html

from cortex.diagnostics import Level
from cortex.experiments.quotes import render_quotes
from cortex.experiments.store import ResultSet

PAGE = "notes/gemm.md"
LABEL = "/kb/content/notes/gemm.md"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return populated_site(tmp_path)


@pytest.fixture
def rs(root: Path) -> ResultSet:
    return results_of(root)


def quote(text: str, rs: ResultSet, line_offset: int = 0):
    return render_quotes(text, PAGE, LABEL, rs, line_offset)


def test_a_number_with_unit_provenance_and_a_link(rs: ResultSet):
    out, diags = quote("Squaring 3 took {{< result squares time n=3 >}} here.", rs)
    assert diags == []
    assert out.startswith('Squaring 3 took [<span class="cortex-quote" title="squares: time at n=3&#10;')
    assert ">3.2 µs</span>](../experiments/squares.md) here." in out
    title = out.split('title="')[1].split('"')[0]
    for fact in (
        "median of 9 repetitions; interquartile range 3–3.4 µs",
        "Test GPU, size full",
        "run of 2026-11-22 09:30 UTC",
        "commit 0123456789ab",
        "input hash ",
        "fresh",
    ):
        assert fact in title, fact
    html = to_html(out)
    assert (
        '<a href="../experiments/squares.md"><span class="cortex-quote" title="squares: time at n=3' in html
    )


def test_the_spread_of_a_measured_metric_quotes_as_metric_iqr(rs: ResultSet):
    out, diags = quote("{{< result squares time:iqr n=3 >}} {{< result single answer:iqr >}}", rs)
    assert ">400 ns</span>" in out
    assert 'title="squares: time interquartile range at n=3&#10;' in out
    assert [d.message for d in diags] == [
        "`single` recorded `answer` at the only point without a spread to quote"
    ]
    _, diags = quote("{{< result squares time:low n=3 >}}", rs)
    assert "the only part of a metric a quote can name is `time:iqr`" in diags[0].message


def test_a_single_point_needs_no_parameters_and_text_values_quote(rs: ResultSet):
    out, diags = quote("{{< result single answer >}} and {{< result squares label n=2 >}}", rs)
    assert diags == []
    assert ">42 answers</span>" in out and ">n2</span>" in out


def test_parameter_values_match_as_written_or_as_yaml(rs: ResultSet):
    out, diags = quote('{{< result grid v a=2 b="y" >}}', rs)
    assert diags == [] and ">21 GB/s</span>" in out


def test_a_stale_quote_carries_a_visible_marker(root: Path):
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text() + "\n# edited\n")
    out, diags = quote("{{< result squares sq n=3 >}}", results_of(root))
    assert diags == []
    assert 'class="cortex-quote cortex-quote--stale"' in out and "⚠</span>" in out
    assert "stale: `experiments/squares.py` changed since the run of 2026-11-22 on Test GPU" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{{< result nosuch time >}}",
            "unknown experiment `nosuch` (experiments: badschema, broken, gpu, grid, idea, single, squares)",
        ),
        (
            "{{< result squares speed n=3 >}}",
            "experiment `squares` has no metric `speed` (its metrics: time, sq, label)",
        ),
        ("{{< result squares sq m=3 >}}", "experiment `squares` has no parameter `m` (its parameters: n)"),
        (
            "{{< result squares sq n=7 >}}",
            "the result of `squares` has no point n=7 (its points: n in 1, 2, 3; the run of "
            "2026-11-22 09:30 UTC used size full)",
        ),
        ("{{< result squares sq >}}", "3 points of `squares` match; name the point with n=..."),
        ("{{< result grid v a=1 >}}", "2 points of `grid` match; name the point with b=..."),
        ("{{< result gpu sq n=1 >}}", "`gpu` has no result: not run, needs CUDA"),
        ("{{< result idea x >}}", "`idea` has no result: not run, it declares no entry point (`script`) yet"),
        ("{{< result squares >}}", "`result` needs an experiment and a metric"),
        ("{{< result squares sq n >}}", "`n` is not a parameter=value pair"),
        ("{{< result squares 'sq >}}", "cannot read the shortcode's arguments: No closing quotation"),
        ("{{< chart squares >}}", "unknown shortcode `chart` (known: result, table, figure, n)"),
    ],
)
def test_bad_quotes_are_errors_at_their_position_with_a_placeholder(rs: ResultSet, text: str, message: str):
    out, diags = quote(
        f"Intro line.\n\nSee `{{{{< result squares sq >}}}}` and {text} there.", rs, line_offset=4
    )
    (d,) = diags
    assert (d.path, d.line, d.col, d.level) == (LABEL, 7, 37, Level.ERROR)
    assert message in d.message
    assert 'class="cortex-quote cortex-quote--missing"' in out and "{{<" in out.split("and")[0]
    assert "{{<" not in out.split(" and ", 1)[1]


def test_unreadable_results_and_missing_values_are_errors(root: Path, rs: ResultSet):
    _, diags = quote("{{< result broken answer >}}", rs)
    assert (
        "the result of `broken` cannot be read" in diags[0].message and "not valid JSON" in diags[0].message
    )
    squares = json.loads((root / "results" / "squares" / "result.json").read_text())
    squares["points"][0]["metrics"]["sq"] = None
    squares["points"][1].update(status="failed", error="boom")
    rs.records["squares"] = squares
    _, diags = quote("{{< result squares sq n=1 >}} {{< result squares sq n=2 >}}", rs)
    assert [d.message for d in diags] == [
        "`squares` recorded no `sq` at n=1",
        "`squares` has no value at n=2: the point failed (boom)",
    ]


def test_code_comments_and_escaped_shortcodes_are_left_alone(rs: ResultSet):
    text = (
        "`{{< result nosuch x >}}`\n\n```\n{{< result nosuch x >}}\n```\n\n<!-- {{< result nosuch x >}} -->\n\n"
        "%% {{< result nosuch x >}} %%\n\n{{{< result nosuch x >}}}\n"
    )
    out, diags = quote(text, rs)
    assert diags == []
    assert out == text.replace("{{{< result nosuch x >}}}", "{{< result nosuch x >}}")


def test_a_table_quote_limited_to_metrics(rs: ResultSet):
    out, diags = quote("Before.\n{{< table squares [sq, label] >}}\nAfter.", rs)
    assert diags == []
    assert "| n | sq | label |" in out and "time" not in out.split("From")[0]
    assert 'From [Squares of small integers](../experiments/squares.md), <span class="cortex-quote"' in out
    assert "the run of 2026-11-22 09:30 UTC on Test GPU</span>.\n{: .cortex-quote-source }" in out
    html = to_html(out)
    assert (
        "<table>" in html
        and '<p class="cortex-quote-source">From <a href="../experiments/squares.md">' in html
    )


def test_a_whole_table_and_an_unknown_table_metric(rs: ResultSet):
    out, diags = quote("{{< table grid >}}", rs)
    assert diags == [] and "Rows: b; columns: a.\n\n| b | 1 | 2 |" in out
    out, diags = quote("{{< table grid [v, w] >}}", rs)
    assert [d.message for d in diags] == ["experiment `grid` has no metric `w` (its metrics: v)"]
    assert '<div class="cortex-problem cortex-quote--missing">Cannot quote table grid [v, w]' in out


def test_figure_quotes_get_fixed_unique_ids(rs: ResultSet):
    out, diags = quote("{{< figure squares growth >}}\n\n{{< figure squares growth >}}", rs)
    assert diags == []
    assert 'id="fig-squares-growth" data-search-exclude>' in out and 'id="fig-squares-growth-2"' in out
    assert (
        out == quote("{{< figure squares growth >}}\n\n{{< figure squares growth >}}", rs)[0]
    )  # deterministic


def test_bad_figure_quotes(root: Path, rs: ResultSet):
    _, diags = quote("{{< figure squares nosuch >}}", rs)
    assert diags[0].message == "experiment `squares` declares no figure `nosuch` (its figures: growth)"
    figure = root / "results" / "squares" / "figures" / "growth.json"
    figure.write_text(json.dumps({"data": [{"type": "no-such-trace"}]}))
    out, diags = quote("{{< figure squares growth >}}", results_of(root))
    assert "cannot be drawn: plotly rejects the figure" in diags[0].message
    assert "cortex-quote--missing" in out and 'cortex-figure"' not in out
    figure.unlink()
    _, diags = quote("{{< figure squares growth >}}", results_of(root))
    assert diags[0].message == "figure `growth` of `squares` has not been made; rerun the experiment"


def test_line_offset_of_a_body_after_front_matter(rs: ResultSet):
    from cortex.experiments.quotes import body_line_offset

    source = "---\ntitle: x\n---\n\nText {{< result nosuch a >}}\n"
    body = source.split("---\n\n", 1)[1]  # what MkDocs hands on: blank lines after the front matter stripped
    (d,) = quote(body, rs, line_offset=body_line_offset(source, body))[1]
    assert (d.line, d.col) == (5, 6)
    assert body_line_offset(source, "something else") == 0
