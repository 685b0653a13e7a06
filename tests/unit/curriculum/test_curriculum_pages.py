"""Curriculum pages: topics declared by notes and experiments, progress, and unknown topics."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.results_site import populated_site, results_of, to_html

from cortex.curriculum.model import load_curriculum
from cortex.curriculum.pages import (
    OVERVIEW_PATH,
    curriculum_pages,
    experiment_topics,
    note_topics,
    topic_uses,
)
from cortex.diagnostics import Level
from cortex.model import load


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return populated_site(tmp_path)


def build(root: Path):
    kb = load(root / "content")
    curriculum, diags = load_curriculum(root / "curriculum.yaml")
    assert diags == []
    results = results_of(root)
    uses = topic_uses(kb.vault.notes, kb.vault.root, results)
    pages, diagnostics = curriculum_pages(curriculum, uses, kb.vault.notes, results)
    return kb, uses, pages, diagnostics


def test_topic_lines_in_notes_and_experiments(root: Path):
    kb, _, _, _ = build(root)
    notes = kb.vault.notes
    assert note_topics(notes["notes/vectors.md"]) == [("linear-algebra", 5), ("Calculus", 6)]
    assert note_topics(notes["notes/typo.md"]) == [("linear-algebra", 3), ("lienar-algebra", 3)]
    assert note_topics(notes["notes/scalar.md"]) == [("calculus", 2)]
    assert note_topics(notes["notes/plain.md"]) == []
    squares = results_of(root).specs["squares"]
    assert experiment_topics(squares) == [("linear-algebra", 7), ("Squaring Theory", 8)]


def test_unknown_topics_are_diagnostics_at_their_line(root: Path):
    kb, _, pages, diagnostics = build(root)
    found = sorted((Path(d.path).name, d.line, d.level, d.message) for d in diagnostics)
    assert found == [
        ("squares.md", 8, Level.ERROR, "unknown topic 'Squaring Theory'"),
        ("typo.md", 3, Level.ERROR, "unknown topic 'lienar-algebra'; did you mean 'linear-algebra'?"),
    ]
    assert str(kb.vault.root / "notes/typo.md") in {d.path for d in diagnostics}
    assert len(pages) == 3  # the pages still build


def test_pillar_page_lists_everything_about_a_topic(root: Path):
    _, _, pages, _ = build(root)
    page = pages["curriculum/foundations.md"]
    assert page.startswith("# Foundational Knowledge\n\nThe mathematics under every model.")
    section = page.split("## Linear Algebra {#linear-algebra}")[1].split("## Calculus")[0]
    assert "**Subtopics:** Vectors, Matrices" in section
    assert "- [A linear algebra course](https://example.org/la) (course)" in section
    assert "- A book without a link (book)" in section
    assert "- Quiz" in section
    assert (  # its one project, done by an analysed experiment with a fresh result
        "- **✓ complete**: Implement matrix multiplication. — [Squares of small integers](../experiments/squares.md) (analysed)"
        in section
    )
    assert "**done**" in section
    assert (
        "- [Vectors and matrices](../notes/vectors.md)" in section and "- [typo](../notes/typo.md)" in section
    )
    assert (
        '- [Squares of small integers](../experiments/squares.md) <span class="cortex-badge cortex-badge--fresh"'
        in section
    )
    # a note and every declared experiment fresh: done
    assert 'aria-valuenow="100" title="100 % complete"' in section
    assert "(2 note(s); 1 experiment(s), 1 run, 1 fresh)" in section
    calculus = page.split("## Calculus {#calculus}")[1]
    assert "[A two-parameter grid](../experiments/grid.md)" in calculus
    assert "(2 note(s); 1 experiment(s), 1 run, 1 fresh)" in calculus
    html = to_html(page)
    assert '<h2 id="linear-algebra">Linear Algebra</h2>' in html


def test_stale_experiments_count_as_run_not_fresh(root: Path):
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text() + "\n# edited\n")
    _, _, pages, _ = build(root)
    section = pages["curriculum/foundations.md"].split("## Calculus")[0]
    assert "(2 note(s); 1 experiment(s), 1 run, 0 fresh)" in section
    assert 'aria-valuenow="50"' in section and "cortex-badge--stale" in section


def test_overview_is_a_progress_dashboard(root: Path):
    _, _, pages, _ = build(root)
    overview = pages[OVERVIEW_PATH]
    assert set(pages) == {OVERVIEW_PATH, "curriculum/foundations.md", "curriculum/systems.md"}
    # linear-algebra and calculus are complete, gpus has nothing: 2 of 3 topics
    assert overview.count('aria-valuenow="67"') == 1  # overall
    rows = [line for line in overview.splitlines() if line.startswith("| [")]
    assert rows[0].startswith("| [Foundational Knowledge](foundations.md) | 2 | 2 | 2 | 3 | 2 / 2 | ")
    assert 'aria-valuenow="100"' in rows[0]
    assert (
        rows[1].startswith("| [AI Systems](systems.md) | 1 | 0 | 0 | 0 | 0 / 0 | ")
        and 'aria-valuenow="0"' in rows[1]
    )
    assert "## How to work through it\n\n- Study a little every day." in overview
    empty = pages["curriculum/systems.md"]
    assert "**Notes:** none yet." in empty and "**Experiments:** none yet." in empty
    assert "<table>" in to_html(overview)


def test_a_project_is_done_only_by_an_analysed_fresh_experiment_that_names_it(root: Path):
    declaration = root / "experiments" / "squares.md"
    source = declaration.read_text()
    declaration.write_text(source.replace("status: analysed", "status: planned"))
    section = build(root)[2]["curriculum/foundations.md"].split("## Calculus")[0]
    assert "- **under way**: Implement matrix multiplication. — " in section and "(planned)" in section
    assert 'aria-valuenow="50"' in section and "**studied**" in section  # tagged, not done
    declaration.write_text(source.replace("project: implement matrix multiplication\n", ""))
    section = build(root)[2]["curriculum/foundations.md"].split("## Calculus")[0]
    assert (
        "- **not started**: Implement matrix multiplication.\n" in section and 'aria-valuenow="50"' in section
    )


def test_a_project_none_of_the_topics_lists_is_an_error_at_its_line(root: Path):
    declaration = root / "experiments" / "squares.md"
    source = declaration.read_text()
    declaration.write_text(
        source.replace("project: implement matrix multiplication", "project: Fly to the moon.")
    )
    [problem] = [d for d in build(root)[3] if "project" in d.message]
    assert (Path(problem.path).name, problem.line, problem.level) == ("squares.md", 23, Level.ERROR)
    assert problem.message == (
        "`project` 'Fly to the moon.' is not a project of the experiment's topics; "
        "theirs: 'Implement matrix multiplication.'"
    )
