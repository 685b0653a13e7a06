"""Generated experiment pages, the experiments index and the research board."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from support.results_site import (
    COMMIT,
    add_run,
    measured,
    populated_site,
    record,
    results_of,
    spec_of,
    squares_points,
    to_html,
)

from cortex.diagnostics import Code, Level
from cortex.experiments import pages as pages_module
from cortex.experiments.board import BOARD_PATH, research_board
from cortex.experiments.comparison import classify, compare_runs, summary
from cortex.experiments.pages import (
    PagesMemo,
    experiment_page,
    experiment_pages,
    experiments_index,
    headline,
)

BIB = {"knuth1997"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return populated_site(tmp_path)


def page_of(root: Path, exp_id: str, bib=BIB):
    rs = results_of(root)
    return experiment_page(
        rs.specs[exp_id],
        rs.records[exp_id],
        rs.runs(exp_id),
        rs.state(exp_id),
        bib,
        results_dir=rs.results_dir,
    )


def test_fresh_page_has_every_part(root: Path):
    text, diags = page_of(root, "squares")
    assert text.startswith("# Squares of small integers\n")
    assert "cortex-badge--status-analysed" in text and "cortex-badge--fresh" in text
    assert "**Hypothesis.** Squaring grows faster than doubling." in text
    assert "**Verdict.** Confirmed for every n tried." in text
    assert "The prose of the squares experiment." in text
    assert "| Parameter | Values |" in text and "| n | 1, 2, 3 |" in text
    assert "fresh: made from the current inputs, the run of 2026-11-22 on Test GPU." in text
    # the results open with the metrics that have a direction, Markdown, the time column scaled
    # to µs, each median to the digits its spread supports and the spread in a tooltip; the
    # other metrics are folded away, and none of it is in the search index
    assert (
        '<section class="cortex-results" data-search-exclude="true" markdown>\n\n| n | time (µs) | sq |\n'
        in text
    )
    assert 'title="median of 9 repetitions; interquartile range 3–3.4 µs">3.20</span>' in text
    assert '??? abstract "Every other metric (1)"\n\n    | n | label |' in text
    assert '??? info "The 3 metrics: units, directions and meanings"' in text
    assert 'class="dataframe"' not in text
    # the figure from the record's JSON, under a fixed id
    assert '<div class="cortex-figure" id="fig-squares-growth" data-search-exclude>' in text
    # baselines beside the measured value, with a Pandoc citation
    row = next(line for line in text.splitlines() if "[@knuth1997]" in line)
    assert "| 9 | 9 | 1 | [@knuth1997] The square of three. |" in row
    # provenance
    for fact in (
        "Test GPU (cuda), size full",
        "Python 3.11.7 · torch 2.13.0 · CUDA 12.8 · cuDNN 90100 · driver 570.86",
        f'title="{COMMIT}">commit 0123456789ab</dd>',
        "<dt>Host</dt><dd>testhost (2 cores; torch on 1 thread(s); load 0.42 at the start)</dd>",
        "2026-11-22T09:30:00+00:00",
        "<code>experiments/squares.py</code>",
    ):
        assert fact in text, fact
    # the unknown key of the second baseline is an error at its line, as in notes; nothing else is wrong
    assert [(d.level, d.line, d.col, d.message) for d in diags] == [
        (Level.ERROR, 20, 28, "baseline cites 'nobody2020', which no entry in refs/*.bib has")
    ]


def test_page_renders_as_tables_and_badges(root: Path):
    html = to_html(page_of(root, "squares")[0])
    # parameters, metrics, results (headline and folded), baselines, run history
    assert html.count("<table>") == 6
    assert html.count("<details") == 3  # the metrics, every other metric, the input hash
    assert '<p class="cortex-badges">' in html
    assert '<p class="cortex-state cortex-state--fresh">' in html
    assert "<th>time (µs)</th>" in html or '<th style="text-align: right;">time (µs)</th>' in html


def test_stale_page_names_the_changed_input_and_the_run(root: Path):
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text() + "\n# changed\n")
    text, _ = page_of(root, "squares")
    assert "cortex-badge--stale" in text
    assert "stale: `experiments/squares.py` changed since the run of 2026-11-22 on Test GPU." in text


def test_a_frozen_stale_result_says_it_is_frozen_and_how_to_rerun_it_and_check_lists_it(root: Path):
    declaration = root / "experiments" / "squares.md"
    declaration.write_text(declaration.read_text().replace("device: cpu", "device: cpu\nfreeze: true"))
    stale_codes = {Code.STALE_RESULT, Code.FROZEN_STALE_RESULT}
    assert not [d for d in results_of(root).diagnostics() if d.code in stale_codes]  # frozen, fresh
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text() + "\n# changed\n")
    text, _ = page_of(root, "squares")
    assert (
        "stale: `experiments/squares.py` changed since the run of 2026-11-22 on Test GPU. It is frozen"
        in text
    )
    assert "`cortex rerun squares`" in text
    [listed] = [d for d in results_of(root).diagnostics() if d.code is Code.FROZEN_STALE_RESULT]
    assert listed.level is Level.WARNING and "frozen (`freeze: true`)" in listed.message
    assert not [
        d
        for d in results_of(root).diagnostics()
        if d.code is Code.STALE_RESULT and d.path.endswith("squares.md")
    ]


def test_never_run_pages_say_why(root: Path):
    gpu, diags = page_of(root, "gpu")
    assert "not run: needs CUDA." in gpu and "*Not run: needs CUDA.*" in gpu and "## Provenance" not in gpu
    assert diags == []
    idea, _ = page_of(root, "idea")
    assert "not run: it declares no entry point (`script`) yet." in idea
    assert "## Results" in idea and "## Parameters" in idea


def test_a_failed_run_is_the_reason_when_there_is_no_result(root: Path):
    add_run(root, "gpu", [], "2026-11-22T11:00:00+00:00", status="failed", error="CUDA out of memory")
    text, _ = page_of(root, "gpu")
    assert "not run: its last run (2026-11-22 11:00 UTC on Test GPU) failed: CUDA out of memory." in text
    assert "| failed: CUDA out of memory |" in text  # in the run history


def test_history_calls_a_change_within_the_spread_noise(root: Path):
    text, _ = page_of(root, "squares")
    # time at n=3 moved 3.0 -> 3.2 µs with an IQR of 0.4 µs: noise; everything else is equal
    assert "| 2026-11-22 09:30 UTC | Test GPU | full | ok | commit 0123456789ab | 1 within noise |" in text
    assert "| first run of this size on this device |" in text
    assert "no change beyond the measured spread" in text
    assert "1 change(s) smaller than the measured interquartile range are noise, not regressions." in text


def test_history_reports_a_regression_beyond_the_spread(root: Path):
    add_run(root, "squares", squares_points(sq3=8, time3=(5e-6, 4e-7)), "2026-11-23T09:00:00+00:00")
    text, _ = page_of(root, "squares")
    assert "| 2 regressions |" in text
    assert "| time | n=3 | 3.2 µs | 5 µs | +56.3% | regression |" in text
    assert "| sq | n=3 | 9 | 8 | -11.1% | regression |" in text


def test_runs_on_another_device_are_not_compared(root: Path):
    add_run(root, "squares", squares_points(sq3=20), "2026-11-23T09:00:00+00:00", device_name="Other GPU")
    text, _ = page_of(root, "squares")
    assert (
        "| 2026-11-23 09:00 UTC | Other GPU | full | ok | commit 0123456789ab | first run of this size on this device |"
        in text
    )


def test_classify_noise_improvement_regression():
    assert classify(100.0, 105.0, "higher", 10.0) == "noise"
    assert classify(100.0, 130.0, "higher", 10.0) == "improvement"
    assert classify(100.0, 130.0, "lower", 10.0) == "regression"
    assert classify(100.0, 100.5, "higher", None) == "improvement"  # no spread: any change counts
    assert classify(1.0, 2.0, None, None) == "changed"
    assert classify("1+5+10", "1+5+10", None, None) == "unchanged"
    assert classify("a", "b", None, None) == "changed"


def test_compare_runs_uses_the_larger_spread(root: Path):
    squares = spec_of(root, "squares")
    before = record(squares, root, [({"n": 1}, {"time": measured(10.0, 1.0)})], "2026-11-20T00:00:00+00:00")
    after = record(squares, root, [({"n": 1}, {"time": measured(12.0, 4.0)})], "2026-11-21T00:00:00+00:00")
    (change,) = compare_runs(squares, before, after)
    assert (change.verdict, change.spread, change.before, change.after) == ("noise", 4.0, 10.0, 12.0)
    assert summary([change]) == "1 within noise"


def test_results_file_that_is_not_json_is_a_diagnostic_and_a_placeholder(root: Path):
    text, diags = page_of(root, "broken")
    (d,) = diags
    assert d.path.endswith("results/broken/result.json") and (d.line, d.col) == (5, 20)
    assert "not valid JSON" in d.message and d.level is Level.ERROR
    assert '<div class="cortex-problem">The result file cannot be read' in text
    assert "cortex-badge--unreadable" in text


def test_results_file_off_schema_is_a_diagnostic_and_a_placeholder(root: Path):
    text, diags = page_of(root, "badschema")
    (d,) = diags
    assert d.path.endswith("results/badschema/result.json") and "does not match schema" in d.message
    assert "`points` is missing" in d.message
    assert "cortex-problem" in text


def test_a_figure_plotly_rejects_is_a_diagnostic_and_a_placeholder(root: Path):
    figure = root / "results" / "squares" / "figures" / "growth.json"
    figure.write_text(json.dumps({"data": [{"type": "no-such-trace"}], "layout": {}}))
    text, diags = page_of(root, "squares")
    errors = [d for d in diags if d.level is Level.ERROR and d.code is not Code.UNKNOWN_BASELINE_CITATION]
    assert len(errors) == 1 and errors[0].path == str(figure) and "cannot be drawn" in errors[0].message
    assert 'class="cortex-figure-missing cortex-problem" id="fig-squares-growth"' in text
    assert 'class="cortex-figure"' not in text


def test_a_figure_file_that_is_not_json_and_a_missing_one(root: Path):
    figure = root / "results" / "squares" / "figures" / "growth.json"
    figure.write_text('{"data": [\n  oops]}')
    _, diags = page_of(root, "squares")
    assert any(d.path == str(figure) and d.line == 2 and "not valid JSON" in d.message for d in diags)
    figure.unlink()
    text, diags = page_of(root, "squares")
    missing = [d for d in diags if "made no figure" in d.message]
    assert (
        len(missing) == 1
        and (missing[0].line, missing[0].col) == (22, 5)
        and missing[0].level is Level.WARNING
    )
    assert "Figure not shown" in text


def test_grid_results_are_one_pivot_table_per_metric(root: Path):
    text, _ = page_of(root, "grid")
    assert "**v** (GB/s, higher is better)" in text
    assert "Rows: b; columns: a." in text  # rows are the second parameter
    assert "| b | 1 | 2 |" in text
    assert "| x | 10 | 20 |" in text and "| y | 11 | 21 |" in text


def test_all_pages_and_the_index(root: Path):
    pages, diags = experiment_pages(results_of(root), BIB)
    assert set(pages) == {
        f"experiments/{i}.md" for i in ("squares", "single", "grid", "gpu", "idea", "broken", "badschema")
    } | {"experiments/index.md"}
    damaged = [d for d in diags if d.level is Level.ERROR and d.code is not Code.UNKNOWN_BASELINE_CITATION]
    assert len(damaged) == 2  # the two damaged result files
    index = pages["experiments/index.md"]
    rows = {re.search(r"\]\((\w+)\.md\)", line).group(1): line for line in index.splitlines() if "](" in line}
    assert (
        "| analysed | Test GPU |" in rows["squares"]
        and "fresh</span> | 2026-11-22 | time 1 µs (n=1) |" in rows["squares"]
    )
    assert "| planned | cuda |" in rows["gpu"] and "not run</span> | – | not run: needs CUDA |" in rows["gpu"]
    assert "unreadable</span>" in rows["broken"]
    assert "| reported | Test GPU |" in rows["single"] and "answer 42 answers" in rows["single"]
    table = [line for line in index.splitlines() if line.startswith("| ")]
    assert len(table) == len(rows) + 2  # header, separator, one row per experiment
    assert {line.count(" | ") for line in table} == {5}  # six narrow columns


def test_headline_is_the_first_directed_metric_at_its_best(root: Path):
    rs = results_of(root)
    assert headline(rs.specs["grid"], rs.record("grid")) == "v 21 GB/s (a=2, b=y)"
    assert headline(rs.specs["squares"], rs.record("squares")) == "time 1 µs (n=1)"
    record = rs.record("squares")
    for point in record["points"]:
        point["params"]["tokens"] = 7  # the same at every point: not worth naming
    assert headline(rs.specs["squares"], record) == "time 1 µs (n=1)"


def test_a_declared_headline_metric_is_shown_instead(root: Path):
    rs = results_of(root)
    squares = rs.specs["squares"]
    assert headline(replace(squares, headline="sq"), rs.record("squares")) == "sq 9 (n=3)"
    assert headline(replace(squares, headline="label"), rs.record("squares")) == ""


def test_board_groups_experiments_by_status(root: Path):
    board = research_board(results_of(root))
    assert BOARD_PATH == "method/board.md"
    order = [
        board.index(f"## {s} {{#{s.lower()}}}")
        for s in ("Idea", "Planned", "Running", "Analysed", "Reported")
    ]
    assert order == sorted(order)
    idea_section = board[order[0] : order[1]]
    assert (
        "[Just an idea](../experiments/idea.md)" in idea_section
        and "Something might be true." in idea_section
    )
    assert "[Needs a GPU](../experiments/gpu.md)" in board[order[1] : order[2]]
    assert "[The single answer](../experiments/single.md)" in board[order[4] :]
    assert "idea (1) → planned (1) → running (1) → analysed (3) → reported (1)" in board
    html = to_html(board)
    assert '<a href="../experiments/gpu.md">Needs a GPU</a>' in html


def test_quotes_in_the_prose_render_and_report_at_the_declaration_line(root: Path):
    md = root / "experiments" / "single.md"
    md.write_text(
        md.read_text() + "\nThe answer is {{< result single answer >}}; {{< result single nope >}}.\n"
    )
    rs = results_of(root)
    text, diags = experiment_page(
        rs.specs["single"],
        rs.record("single"),
        rs.runs("single"),
        rs.state("single"),
        BIB,
        results_dir=rs.results_dir,
        quotes=rs,
    )
    assert 'The answer is [<span class="cortex-quote"' in text and ">42 answers</span>](single.md)" in text
    (d,) = diags
    assert (d.path, d.line, d.col) == (str(md.resolve()), 13, 45) and "no metric `nope`" in d.message


def test_a_figure_the_prose_quotes_is_not_repeated_below_it(root: Path):
    rs = results_of(root)
    args = (rs.specs["squares"], rs.record("squares"), rs.runs("squares"), rs.state("squares"), BIB)
    plain, _ = experiment_page(*args, results_dir=rs.results_dir, quotes=rs)
    assert plain.count('id="fig-squares-growth"') == 1 and "### Figures" in plain
    md = root / "experiments" / "squares.md"
    md.write_text(md.read_text() + "\nHow it grows:\n\n{{< figure squares growth >}}\n")
    rs = results_of(root)
    args = (rs.specs["squares"], rs.record("squares"), rs.runs("squares"), rs.state("squares"), BIB)
    quoted, diags = experiment_page(*args, results_dir=rs.results_dir, quotes=rs)
    assert not [d for d in diags if "figure" in d.message] and quoted.count('id="fig-squares-growth"') == 1
    assert quoted.index('id="fig-squares-growth"') < quoted.index("## Results")
    assert "### Figures" not in quoted


def test_index_of_no_experiments_says_how_to_add_one():
    from cortex.experiments.store import ResultSet

    assert "No experiment is declared yet" in experiments_index(ResultSet({}, {}, {}))


def test_the_provenance_panel_names_the_batch_job_a_run_was_part_of(root: Path):
    from cortex.experiments.pages import _provenance

    rs = results_of(root)
    record = rs.record("squares")
    assert "Batch job" not in _provenance(record)
    record["provenance"]["scheduler"] = {
        "name": "slurm",
        "job_id": "4211",
        "node": "node7",
        "partition": "gpu",
        "cluster": None,
    }
    assert "<dt>Batch job</dt><dd>SLURM job 4211 on node7 (partition gpu)</dd>" in _provenance(record)


def test_a_memo_makes_again_only_the_pages_whose_inputs_changed(root: Path, monkeypatch):
    """A preview's rebuild makes again an experiment's page when its declaration, its state or
    its results changed, or those of an experiment its prose quotes; the pages it returns are
    always those a fresh call makes."""
    made: list[str] = []
    make = pages_module.experiment_page
    monkeypatch.setattr(
        pages_module, "experiment_page", lambda spec, *a, **k: made.append(spec.id) or make(spec, *a, **k)
    )
    memo = PagesMemo()

    def rebuild() -> list[str]:
        made.clear()
        kept = experiment_pages(results_of(root), BIB, memo=memo)
        remade = sorted(made)
        assert kept == experiment_pages(results_of(root), BIB)
        return remade

    everything = sorted(results_of(root).specs)
    assert rebuild() == everything
    assert rebuild() == []
    single = root / "experiments" / "single.md"
    single.write_text(single.read_text() + "\nSquares: {{< result squares sq n=3 >}}.\n")
    assert rebuild() == ["single"]
    add_run(root, "squares", squares_points(sq3=10), "2026-11-23T09:30:00+00:00")  # a new result
    assert rebuild() == ["single", "squares"]
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text() + "\n# a change to the code: both its experiments are stale\n")
    assert rebuild() == ["grid", "single", "squares"]
    (root / "results" / "grid" / "result.json").write_text("{")  # unreadable now
    assert rebuild() == ["grid"]
    (root / "experiments" / "idea.md").unlink()  # the quoting page names the experiments there are
    assert rebuild() == ["single"]
