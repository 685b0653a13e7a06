"""The shipped knowledge base: it checks clean, builds strict, and its pages say what they should."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from support.builds import Build
from support.html import article, count_landing_links, lands, parse
from support.paths import REPO


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Build:
    site = tmp_path_factory.mktemp("shipped") / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Build(proc.returncode, proc.stdout + proc.stderr, site)


def test_cortex_check_is_clean():
    check = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check"], cwd=REPO, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    assert ": error: " not in check.stdout


def test_every_number_in_an_experiments_hypothesis_verdict_and_analysis_has_a_source():
    check = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check", "--claims", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    unsourced = [d for d in json.loads(check.stdout) if d["code"] == "unsourced-number"]
    assert unsourced == [], "\n".join(
        f"{d['path']}:{d['line']}:{d['col']}: {d['message']}" for d in unsourced
    )


def test_strict_build_succeeds(shipped):
    assert shipped.returncode == 0, shipped.output[-4000:]


def test_every_internal_link_lands(shipped):
    assert count_landing_links(shipped) > 300


def test_method_overview_embeds_and_is_linked_back(shipped):
    overview = article(shipped.page("method/"))
    embed = re.search(r'<div class="cortex-embed">(.*?)</div>', overview, re.S)
    assert embed and "hypothesis" in embed.group(1).lower()
    step = shipped.page("method/Idea%20Generation/")
    backlinks = step[step.index('class="cortex-backlinks"') :]
    assert "The Research Method" in backlinks


def nav_labels(html: str) -> list[str]:
    nav = html[html.index('class="md-nav md-nav--primary') :]
    nav = nav[: nav.index('class="md-sidebar md-sidebar--secondary"')]
    return [
        re.sub(r"\s+", " ", t).strip() for t in re.findall(r'class="md-ellipsis">(.*?)</span>', nav, re.S)
    ]


def test_navigation_is_ordered_and_titled(shipped):
    labels = nav_labels(shipped.page("method/"))  # navigation.prune: only this section is expanded
    steps = [
        "Idea Generation",
        "Assessing Implications",
        "Collaborative Workflow",
        "Literature Review",
        "Research Plan",
        "Implementing Experiments",
        "Training Models",
        "Evaluating and Iterating",
        "Documenting and Sharing",
    ]
    positions = [labels.index(s) for s in steps]
    assert positions == sorted(positions)
    notes = nav_labels(shipped.page("numerics/Kahan%20Summation/"))
    assert "Open LLMs" in notes and "Llm" not in notes  # the section takes its index note's title
    assert "Tags" in notes and not any(label.startswith("#") for label in notes)


def test_the_navigation_is_six_tabs_and_the_notes_folder_is_not_a_level(shipped):
    html = shipped.page("")
    tabs = [
        re.sub(r"<[^>]+>|\s+", " ", t).strip()
        for t in re.findall(r'class="md-tabs__link">(.*?)</a>', html, re.S)
    ]
    assert tabs == ["The Cortex", "Notes", "Method", "Curriculum", "Experiments", "Bibliography"]
    notes = nav_labels(shipped.page("numerics/Kahan%20Summation/"))
    assert notes.count("Notes") == 1  # content/notes/ is spliced into the Notes tab
    assert notes.index("Unsupervised Learning") < notes.index("Tags") < notes.index("Method")


def test_block_link_lands_on_its_block(shipped):
    html = article(shipped.page("numerics/Kahan%20Summation/"))
    hrefs = [h for h in parse(html).hrefs if "Mixed-Precision" in h or "Floating-Point" in h]
    assert hrefs and all(lands(shipped, "numerics/Kahan%20Summation/", h) for h in hrefs)


def test_the_notebook_reads_the_current_fresh_record(shipped):
    html = shipped.page("notebooks/Floating-point%20formats%20explored/")
    assert '<p class="cortex-notebook-result"><span class="cortex-quote" title="' in html
    assert "cortex-quote--stale" not in html


def test_the_search_index_holds_page_text_not_hover_cards_or_result_tables(shipped):
    import json

    docs = json.loads((shipped.site / "search" / "search_index.json").read_text("utf-8"))["docs"]
    by_location = {d["location"]: d["text"] for d in docs}
    problem = by_location["numerics/Kahan%20Summation/#the-problem"]
    assert "running total" in problem  # the section's own text
    assert "Accuracy and Stability" not in problem  # the hover card of the citation in it
    cited = [loc for loc, text in by_location.items() if "Accuracy and Stability" in text]
    assert cited and all(loc.endswith("#references") or loc == "bibliography/" for loc in cited)
    results = by_location["experiments/compensated_summation/#results"]
    assert results.startswith("<p>From the run of") and "float32-positive" not in results
