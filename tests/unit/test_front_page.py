"""The summaries a front page quotes: the latest results, experiments by status and the
curriculum's progress, drawn from the knowledge base when the site is built."""

from __future__ import annotations

import re

from support.paths import REPO

from cortex.model import load


def test_the_shipped_home_page_quotes_the_latest_results_and_progress():
    kb = load(REPO / "content", root=REPO)
    home = kb.quoted["index.md"]
    latest = home.split("## Latest results", 1)[1].split("## Experiments", 1)[0]
    items = re.findall(r"^- \*\*\[(.+?)\]\((experiments/\w+\.md)\)\*\* (<span.*?</span>)", latest, re.M)
    assert len(items) == 5
    dates = re.findall(r"^  (\d{4}-\d\d-\d\d) · ", latest, re.M)
    assert dates == sorted(dates, reverse=True) and len(dates) == 5  # most recent first
    assert all("cortex-badge--fresh" in badge or "cortex-badge--stale" in badge for _, _, badge in items)
    assert f"{len(kb.specs)} experiments: [idea (" in home
    assert "](method/board.md#analysed)" in home
    assert '[Curriculum](curriculum/index.md): <span class="cortex-progress"' in home
    assert not [d for d in kb.diagnostics if d.path.endswith("index.md")]


def test_a_summary_with_wrong_arguments_is_an_error_at_its_line(write_vault):
    vault = write_vault(
        {"Home.md": "# Home\n\n{{< latest many >}}\n\n{{< progress now >}}\n\n{{< nope >}}\n"}
    )
    found = [(d.line, d.code.value, d.message) for d in load(vault).diagnostics]
    assert found == [
        (
            3,
            "bad-quote",
            "`latest`: takes at most one argument, how many experiments to list: {{< latest 5 >}}",
        ),
        (5, "bad-quote", "`progress`: takes no arguments"),
        (
            7,
            "bad-quote",
            "unknown shortcode `nope` (known: result, table, figure, n, latest, experiment, experiments, progress)",
        ),
    ]


def test_an_experiment_card_quotes_status_freshness_headline_and_verdict_live(tmp_path):
    from support.results_site import populated_site

    root = populated_site(tmp_path)
    note = root / "content" / "notes" / "ideas.md"
    note.write_text(
        "# Ideas\n\n{{< experiment squares >}}\n\n{{< experiment idea >}}\n\n{{< experiment nope >}}\n"
    )
    kb = load(root / "content", root=root)
    page = kb.quoted["notes/ideas.md"]
    squares, idea = page.split('<div class="cortex-card" markdown="1">')[1:3]
    assert "**[Squares of small integers](../experiments/squares.md)** · analysed" in squares
    assert "cortex-badge--fresh" in squares and "Headline: " in squares
    assert "**Verdict:** Confirmed for every n tried." in squares
    assert "**Verdict:** *none yet.*" in idea and "Headline: not run" in idea
    [problem] = [d for d in kb.diagnostics if d.path.endswith("ideas.md")]
    assert problem.line == 7 and "no experiment `nope` (known: " in problem.message
