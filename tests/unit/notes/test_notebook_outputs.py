"""A notebook made ready for the site: plotly outputs become figures the site draws, and an
output of ``read_result`` is marked stale once the record the notebook read has moved on."""

from __future__ import annotations

import copy
import json

import plotly.express as px
import pytest
from support.paths import REPO

from cortex.experiments.figures import PLOTLY_MIMETYPE
from cortex.experiments.notebook import RESULT_MIMETYPE, find_record, read_result, result_bundle
from cortex.experiments.staleness import Staleness
from cortex.experiments.store import ResultSet, read_record
from cortex.notes.notebooks import prepare_notebook

RECORD = read_record(REPO / "results" / "fp_formats" / "result.json")


def notebook(*bundles: dict) -> str:
    outputs = [{"output_type": "display_data", "data": b, "metadata": {}} for b in bundles]
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "id": "c1",
        "metadata": {},
        "outputs": outputs,
        "source": "",
    }
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def html_outputs(text: str) -> list[str]:
    cell = json.loads(text)["cells"][0]
    return ["".join(o["data"]["text/html"]) for o in cell["outputs"]]


def results(record, state="fresh", reasons=()) -> ResultSet:
    return ResultSet({}, {"fp_formats": record}, {"fp_formats": Staleness(state, tuple(reasons))})


def test_a_notebook_without_figures_or_results_is_left_as_it_is():
    assert prepare_notebook(notebook({"text/plain": "4"}), "nb", None) is None


def test_a_plotly_output_becomes_a_figure_the_site_draws():
    figure = px.line(x=[1, 2, 4], y=[3, 1, 2]).to_plotly_json()
    jupyter_html = '<div id="x"></div><script>require(["plotly"], function (Plotly) {})</script>'
    text = notebook({PLOTLY_MIMETYPE: figure}, {PLOTLY_MIMETYPE: figure, "text/html": jupyter_html})
    first, second = html_outputs(prepare_notebook(text, "My notebook", None))
    assert first.startswith('<div class="cortex-figure" id="fig-nb-My-notebook-1"')
    assert second.startswith('<div class="cortex-figure" id="fig-nb-My-notebook-2"')
    assert "require" not in second


def test_a_plotly_output_plotly_rejects_is_a_visible_problem():
    (html,) = html_outputs(
        prepare_notebook(notebook({PLOTLY_MIMETYPE: {"data": [{"type": "nope"}]}}), "nb", None)
    )
    assert "cortex-problem" in html and "nope" in html


def test_a_read_of_the_current_fresh_record_is_not_stale():
    (html,) = html_outputs(
        prepare_notebook(notebook(result_bundle("fp_formats", RECORD)), "nb", results(RECORD))
    )
    assert 'class="cortex-quote"' in html and "stale" not in html.lower()
    assert RECORD["provenance"]["started_at"][:10] in html


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("newer run", "the notebook read an earlier run; the current record is the run of 2027-01-02"),
        ("stale inputs", "script changed"),
        ("no record", "fp_formats has no result now"),
    ],
)
def test_a_read_of_a_record_that_moved_on_carries_the_stale_marker(change, why):
    bundle = result_bundle("fp_formats", RECORD)
    current, state = RECORD, results(RECORD, "stale", ["script changed"])
    if change == "newer run":
        current = copy.deepcopy(RECORD)
        current["provenance"]["started_at"] = "2027-01-02T10:00:00+00:00"
        state = results(current)
    elif change == "no record":
        state = results(None)
    (html,) = html_outputs(prepare_notebook(notebook(bundle), "nb", state))
    assert 'class="cortex-quote cortex-quote--stale"' in html
    assert '<span class="cortex-quote-mark" aria-label="stale">⚠</span>' in html
    assert why in html


def test_read_result_finds_the_record_from_a_folder_below_and_names_its_run(tmp_path):
    folder = tmp_path / "results" / "fp_formats"
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(RECORD), "utf-8")
    below = tmp_path / "content" / "notebooks"
    below.mkdir(parents=True)
    assert find_record("fp_formats", below) == folder / "result.json"
    assert read_result("fp_formats", below) == RECORD
    bundle = result_bundle("fp_formats", RECORD)
    assert bundle[RESULT_MIMETYPE]["started_at"] == RECORD["provenance"]["started_at"]
    with pytest.raises(FileNotFoundError, match="run the experiment first"):
        find_record("never_run", below)


def test_titles_the_site_writes_into_a_notebook_are_safe_in_a_tooltip():
    # a notebook page is not sanitized, and material's tooltips show a title as HTML
    bundle = result_bundle("fp_formats", RECORD)
    bundle[RESULT_MIMETYPE]["experiment"] = "<img src=x onerror=alert(1)>"
    (html,) = html_outputs(prepare_notebook(notebook(bundle), "nb", results(RECORD)))
    assert 'title="stale: &amp;lt;img src=x onerror=alert(1)&amp;gt; has no result now"' in html
    assert "<img" not in html
