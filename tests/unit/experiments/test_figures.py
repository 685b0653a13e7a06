"""Figures: plotly specs as deterministic, script-safe HTML, and plotly.js taken from the
installed plotly package."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
import pytest
from support.figure_site import trace_figure
from support.html import parse_html

from cortex.experiments.figures import (
    PLOTLY_MIMETYPE,
    figure_div_id,
    figure_html,
    figure_json,
    figure_mimebundle,
    figure_placeholder,
)
from cortex.mkdocs.scripts import plotly_js_path


def written_spec(fig) -> dict:
    """The spec as the runner writes it to results/<id>/figures/<name>.json."""
    return json.loads(fig.to_json())


# -- the core: spec -> HTML -----------------------------------------------------------------------


def test_figure_html_is_a_search_excluded_div_with_the_spec():
    html = figure_html(written_spec(trace_figure("Throughput")), "fig-demo")
    parsed = parse_html(html)
    assert parsed.tags[0] == (
        "div",
        {"class": "cortex-figure", "id": "fig-demo", "data-search-exclude": None},
    )
    assert parsed.tags[1] == ("template", {})
    spec = json.loads(parsed.templates[0])
    assert spec["data"][0]["type"] == "scatter" and spec["layout"]["title"]["text"] == "Throughput"


def test_same_input_gives_the_same_bytes():
    first = figure_html(written_spec(trace_figure("A")), "fig-a")
    again = figure_html(written_spec(trace_figure("A")), "fig-a")
    assert first == again
    assert figure_html(trace_figure("A").to_plotly_json(), "fig-a") == first  # numpy arrays or bdata


def test_spec_text_cannot_break_out():
    hostile = "</template></div><script>alert('x')</script><!-- &amp; </SCRIPT >"
    html = figure_html(written_spec(trace_figure(hostile)), "fig-x")
    parsed = parse_html(html)
    assert [t for t, _ in parsed.tags] == ["div", "template"]
    assert not re.search(r"[<>&']", parsed.templates[0])  # plain text in any HTML context
    assert json.loads(parsed.templates[0])["layout"]["title"]["text"] == hostile


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"data": [{"type": "scatter", "bogus": 1}]}, "bogus"),
        ({"data": [{"type": "no-such-trace"}]}, "no-such-trace"),
        ({"layout": {"xaxis": {"type": "weird"}}}, "weird"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_spec_plotly_rejects_is_a_value_error_with_the_reason(spec, reason):
    with pytest.raises(ValueError, match="figure") as caught:
        figure_html(spec, "fig-bad")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("div_id", ["", "1abc", "a b", 'x"onload="y', None])
def test_invalid_div_ids_are_refused(div_id):
    with pytest.raises(ValueError, match="id"):
        figure_html(written_spec(trace_figure("t")), div_id)


def test_plotly_config_is_kept():
    spec = {**written_spec(trace_figure("t")), "config": {"displayModeBar": False}}
    assert json.loads(figure_json(spec))["config"] == {"displayModeBar": False}


def test_div_ids_are_fixed_and_valid():
    assert figure_div_id("gemm_throughput", "tflops vs size") == "fig-gemm_throughput-tflops-vs-size"
    assert re.fullmatch(r"[A-Za-z][\w-]*", figure_div_id("état/2", "ü"))


def test_placeholder_is_visible_and_escaped():
    html = figure_placeholder("fig-x", "plotly rejects <b>this</b>")
    assert "cortex-problem" in html and "&lt;b&gt;" in html and "<b>" not in html


def test_notebook_mimebundle_carries_both_renderings():
    fig = trace_figure("nb")
    bundle = figure_mimebundle(fig.to_plotly_json(), "fig-nb")
    assert set(bundle) == {PLOTLY_MIMETYPE, "text/html"}
    assert bundle["text/html"] == figure_html(fig.to_plotly_json(), "fig-nb")
    assert bundle[PLOTLY_MIMETYPE]["data"][0]["type"] == "scatter"


# -- a real site with figures and a notebook ------------------------------------------------------


def test_plotly_js_comes_from_the_installed_package():
    assert plotly_js_path().parent.parent == Path(plotly.__file__).parent
    assert plotly_js_path().stat().st_size > 1_000_000
