"""The research method's steps: the assessment an idea declares, what each status needs before
an experiment moves to it, the one-line edit that moves it, and the board that shows it."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from support.paths import write_tree
from support.results_site import add_run, populated_site, results_of, to_html

from cortex import scaffold
from cortex.diagnostics import Code
from cortex.experiments.board import research_board
from cortex.experiments.declaration import Assessment, load_experiment
from cortex.experiments.inputs import input_hash
from cortex.experiments.method import Project, plan_move, quoted_in, unmet_needs, with_status
from cortex.model import load
from cortex.text.front_matter import front_matter_span

TODAY = date(2026, 12, 1)
ASSESSED = """---
title: Assessed
status: idea
created: 2026-11-20
assessment:
  impact: high
  feasibility: low
  novelty: medium
  risks: It may not be measurable.
  motivation: [knuth1997]
---
Why.
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return populated_site(tmp_path)


def project(root: Path, notes: dict[str, str] | None = None) -> Project:
    return Project(results_of(root), notes or {}, root)


def needs(root: Path, exp_id: str, status: str, notes: dict[str, str] | None = None) -> list[str]:
    found = project(root, notes)
    return unmet_needs(found.results.specs[exp_id], status, found)


# -- the assessment in the declaration -------------------------------------------------------


def test_the_assessment_and_created_date_load(root: Path):
    path = write_tree(root, {"experiments/assessed.md": ASSESSED}) / "experiments" / "assessed.md"
    spec, diags = load_experiment(path, root)
    assert diags == [] and spec is not None
    assert spec.assessment == Assessment("high", "low", "medium", "It may not be measurable.", ("knuth1997",))
    assert spec.created == date(2026, 11, 20)


def test_a_bad_assessment_is_an_error_at_its_line(root: Path):
    bad = (
        ASSESSED.replace("impact: high", "impact: huge")
        .replace("  risks: It may not be measurable.", "  risks: [a list]\n  cost: 3")
        .replace("created: 2026-11-20", "created: last week")
        .replace("motivation: [knuth1997]", "motivation: knuth1997")
    )
    path = write_tree(root, {"experiments/assessed.md": bad}) / "experiments" / "assessed.md"
    spec, diags = load_experiment(path, root)
    assert spec is None
    found = sorted((d.line, d.col, d.code, d.message.split(",")[0]) for d in diags)
    assert found == [
        (4, 1, Code.INVALID_DECLARATION, "`created` must be a date"),
        (6, 3, Code.INVALID_DECLARATION, "`impact` must be one of low | medium | high"),
        (9, 3, Code.INVALID_DECLARATION, "`risks` must be text"),
        (10, 3, Code.INVALID_DECLARATION, "unknown key `cost` in `assessment` (allowed: impact"),
        (11, 3, Code.INVALID_DECLARATION, "`motivation` must be a list of bib keys"),
    ]


def test_the_assessment_is_not_an_input(root: Path):
    squares = root / "experiments" / "squares.md"
    before = input_hash(load_experiment(squares, root)[0], root).sha256
    text = squares.read_text("utf-8").replace(
        "status: analysed\n",
        "status: analysed\ncreated: 2026-01-01\nassessment: {impact: low, risks: none}\n",
    )
    squares.write_text(text, "utf-8")
    spec, diags = load_experiment(squares, root)
    assert diags == [] and spec.assessment.impact == "low"
    assert input_hash(spec, root).sha256 == before
    assert results_of(root).state("squares").fresh


def test_a_motivating_key_refs_lack_is_an_error_at_the_key(tmp_path: Path):
    root = write_tree(
        tmp_path,
        {
            "content/index.md": "# Home\n",
            "refs/refs.bib": "@book{knuth1997, title = {Art}, author = {Knuth, D.}, year = {1997}}\n",
            "experiments/assessed.md": ASSESSED.replace("[knuth1997]", "[knuth1997, nobody2020]"),
        },
    )
    kb = load(root / "content", root=root)
    (problem,) = [d for d in kb.diagnostics if "motivation" in d.message]
    assert (problem.line, problem.col, problem.code) == (10, 27, Code.UNKNOWN_CITATION)
    assert "'nobody2020'" in problem.message and problem.is_error


# -- what each step needs ------------------------------------------------------------------------


def test_planned_needs_a_hypothesis_metrics_and_a_script(root: Path):
    unmet = needs(root, "idea", "planned")  # it has a hypothesis, and nothing else
    assert [need.split(":")[0] for need in unmet] == ["metrics", "a script"]
    assert needs(root, "gpu", "planned") == [] and needs(root, "gpu", "running") == []
    found = project(root)
    spec = replace(found.results.specs["gpu"], hypothesis="")
    assert [n.split(":")[0] for n in unmet_needs(spec, "planned", found)] == ["a hypothesis"]


def test_analysed_needs_a_fresh_result_and_a_verdict(root: Path):
    assert needs(root, "squares", "analysed") == []
    (never,) = needs(root, "gpu", "analysed")[:1]
    assert never.startswith("a fresh result: the experiment has none") and "cortex run gpu" in never
    assert any(n.startswith("a verdict") for n in needs(root, "grid", "analysed"))
    squares = root / "experiments" / "squares.md"
    squares.write_text(squares.read_text("utf-8").replace("n: [1, 2, 3]", "n: [1, 2, 3, 4]"), "utf-8")
    (stale,) = needs(root, "squares", "analysed")
    assert (
        stale.startswith("a fresh result: the result is stale (`params` in")
        and "cortex rerun squares" in stale
    )


def test_reported_needs_the_analysis_and_a_page_or_report_that_quotes_it(root: Path):
    unmet = needs(root, "single", "reported")
    assert [n.split(":")[0] for n in unmet] == ["the analysis", "a report or a page that quotes it"]
    single = root / "experiments" / "single.md"
    single.write_text(single.read_text("utf-8") + "\n## Analysis\n\nIt is what it is.\n", "utf-8")
    quoting = {"notes/a.md": "The answer is {{< result single answer >}}."}
    assert needs(root, "single", "reported", quoting) == []
    write_tree(root, {"reports/single.pdf": b"%PDF-1.7\n"})
    assert needs(root, "single", "reported") == []


def test_only_a_live_shortcode_naming_the_experiment_quotes_it():
    pages = {
        "card.md": "{{< experiment single >}}",
        "table.md": "{{< table single [answer] >}}",
        "code.md": "`{{< result single answer >}}`\n\n```\n{{< experiment single >}}\n```\n",
        "literal.md": "{{{< experiment single >}}}",
        "other.md": "{{< experiment singles >}} {{< result squares single >}} [[single]]",
        "n.md": '{{< n "single" >}}',
    }
    assert quoted_in("single", pages) == ["card.md", "table.md"]


def test_a_move_goes_one_step_or_to_the_status_named(root: Path):
    found = project(root)
    specs = found.results.specs
    move = plan_move(specs["gpu"], found)
    assert (move.current, move.target, move.allowed) == ("planned", "running", True)
    skip = plan_move(specs["gpu"], found, "analysed")
    assert not skip.allowed and skip.unmet[0].startswith("a fresh result")
    back = plan_move(specs["squares"], found, "idea")
    assert back.allowed and back.target == "idea"
    with pytest.raises(ValueError, match="last step"):
        plan_move(specs["single"], found)
    with pytest.raises(ValueError, match="is analysed already"):
        plan_move(specs["squares"], found, "analysed")


# -- the one edit that moves it ------------------------------------------------------------------


def test_the_status_edit_changes_that_word_and_nothing_else():
    text = (
        '---\r\ntitle: "status: idea"\r\nhypothesis: >-\r\n  status: planned, says the prose\r\n'
        "status: 'planned'   # moved by hand\r\nverdict: x\r\n---\r\nstatus: planned in the body\r\n"
    )
    edited = with_status(text, "running")
    assert edited == text.replace("status: 'planned'", "status: 'running'")
    plain = "---\ntitle: T\nstatus: idea\n---\n"
    assert with_status(plain, "planned") == "---\ntitle: T\nstatus: planned\n---\n"


def test_the_status_edit_refuses_what_it_cannot_do_exactly():
    with pytest.raises(ValueError, match="found 0"):
        with_status("---\ntitle: T\nstatus:\n  idea\n---\n", "planned")
    with pytest.raises(ValueError, match="found 2"):
        with_status("---\nstatus: idea\nstatus: planned\n---\n", "planned")
    with pytest.raises(ValueError, match="no front matter"):
        with_status("status: idea\n", "planned")
    with pytest.raises(ValueError, match="not a status"):
        with_status("---\nstatus: idea\n---\n", "done")


# -- ideas and the board -------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script> & --- 'quotes' \"too\": {not: yaml} [x] #tag\n---\nstatus: reported"


def test_a_hostile_idea_reads_back_as_written_and_the_board_escapes_it(root: Path):
    assessment = Assessment("high", "medium", "", "<img src=x onerror=alert(1)>", ("knuth1997",))
    path = scaffold.new_idea(
        root, HOSTILE, assessment, exp_id="hostile", hypothesis="<b>bold</b> claim", created=TODAY
    )
    meta = yaml.safe_load(front_matter_span(path.read_text("utf-8"))[0])
    assert meta["title"] == HOSTILE.strip() and meta["status"] == "idea"
    spec, diags = load_experiment(path, root)
    assert diags == [] and spec.title == HOSTILE.strip() and spec.status == "idea"
    assert spec.assessment == replace(assessment, risks="<img src=x onerror=alert(1)>")
    board = to_html(research_board(results_of(root), TODAY))
    assert "<script>" not in board and "<img" not in board and "<b>bold" not in board
    assert html.escape("<script>alert(1)</script>", quote=False) in board
    assert "&lt;img src=x onerror=alert(1)&gt;" in board
    with pytest.raises(FileExistsError):
        scaffold.new_idea(root, "Again", Assessment(), exp_id="hostile")


def test_an_idea_id_is_made_from_its_title():
    assert (
        scaffold.idea_id("FP8 weights: do they keep AdamW's updates?")
        == "fp8_weights_do_they_keep_adamw_s_updates"
    )
    assert scaffold.idea_id("Ünïcödé") == "unicode" and scaffold.idea_id("<<>>") == ""
    assert len(scaffold.idea_id("word " * 40)) <= scaffold.ID_LENGTH


def test_the_board_shows_five_columns_with_assessment_and_age(root: Path):
    write_tree(root, {"experiments/assessed.md": ASSESSED})
    add_run(root, "grid", [({"a": 1, "b": "x"}, {"v": 1})], "2026-11-25T08:00:00+00:00")
    board = research_board(results_of(root), TODAY)
    assert board.startswith("---\nhide: [toc]")
    page = to_html(board)
    columns = page.split('<section class="cortex-board-column cortex-board-column--')[1:]
    assert [c.split('"', 1)[0] for c in columns] == ["idea", "planned", "running", "analysed", "reported"]
    idea = columns[0]
    assert (
        '<span class="cortex-level cortex-level--high" title="expected impact: high">impact <b>high</b>'
        in idea
    )
    assert 'title="declared on 2026-11-20">declared 11 days ago</span>' in idea
    assert "<summary>Risks, motivation</summary>" in idea and "It may not be measurable." in idea
    assert "[@knuth1997]" in board  # cited: the site's citations render it
    assert 'title="first run on 2026-11-21">first run 10 days ago' in columns[2]  # the oldest of its runs
    assert "<summary>Hypothesis</summary>" in columns[1] and "No experiment." not in page
