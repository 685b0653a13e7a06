"""`cortex papers` ranked against the knowledge base (recorded arXiv answers replayed from a
loopback server), `cortex review` and `cortex check --suggest`, run as a user runs them."""

from __future__ import annotations

import json
import re

import pytest
from support.arxiv_replay import REQUIRES_ARXIV, recorded_abstracts, replay_server
from support.cli import cortex
from support.paths import write_tree
from support.related_vault import related_project

SEARCH = "q_testing_s0_m100_cfe7536492ca.json"
FUZZING = "2005.14124"  # third in arXiv's order for "testing"
KNOWN = """\
@misc{byid, title = {Some Title}, author = {A. Author}, year = {2022}, eprint = {2202.12139v1},
  archivePrefix = {arXiv}}
@article{bydoi, title = {Another Title}, author = {B. Author}, year = {2023},
  doi = {https://doi.org/10.1109/ICSTW58534.2023.00023}}
@article{bytitle, title = {Automated test generation for {REST} {APIs}: no time to rest yet},
  author = {C. Author}, year = {2022}}
"""


@pytest.fixture
def papers_project(tmp_path):
    """A project whose one note is about fuzzing cyber-physical systems (one result's subject),
    whose refs/ hold three of the results: by arXiv id, by DOI and by title."""
    _, abstract = recorded_abstracts(SEARCH)[FUZZING]
    return write_tree(
        tmp_path / "kb",
        {
            "mkdocs.yml": "site_name: Papers\ndocs_dir: content\n",
            "content/Security.md": f"# Securing plants\n\n{abstract}\n",
            "content/Gardening.md": "# Gardening\n\nTomatoes want sun, water and rich soil.\n",
            "refs/known.bib": KNOWN,
        },
    )


def entries(note: str) -> list[str]:
    return note.split("\n## ")[1:]


@REQUIRES_ARXIV
@pytest.mark.parametrize("method", ["tfidf", "minilm"])
def test_papers_are_ranked_against_the_notes_marked_when_known_and_summarised(papers_project, method):
    with replay_server() as arxiv:
        done = cortex(
            "papers",
            "testing",
            "--max",
            "8",
            "--method",
            method,
            cwd=papers_project,
            env={"CORTEX_ARXIV_API": arxiv.url},
        )
    assert done.returncode == 0, done.stderr
    assert "wrote 8 papers to content/reading/testing.md, ranked against 2 notes" in done.stdout
    note = (papers_project / "content" / "reading" / "testing.md").read_text("utf-8")
    papers = entries(note)
    assert len(papers) == 8
    assert papers[0].startswith("1. Active Fuzzing for Testing and Securing Cyber-Physical Systems")
    ranks = [int(r) for r in re.findall(r"\*\*Rank:\*\* (\d+)", note)]
    scores = [float(s) for s in re.findall(r"\*\*Score:\*\* ([\d.]+)", note)]
    assert ranks == list(range(1, 9)) and scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert "closest note: Securing plants" in papers[0]
    known = re.findall(r"\*\*In refs/:\*\* ✓ already there as `(\w+)`", note)
    assert sorted(known) == ["bydoi", "byid", "bytitle"]
    assert note.count("cortex cite arXiv:") == 5  # the known ones have no import line
    abstracts = recorded_abstracts(SEARCH)
    for paper in papers:
        arxiv_id = re.search(r"arxiv.org/abs/([\d.]+)\)", paper).group(1)
        summary = re.search(r"\*\*Summary:\*\* (.*)", paper).group(1)
        assert 0 < len(summary) <= len(abstracts[arxiv_id][1])
        first = summary.split(". ")[0][:60].replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')
        assert first in abstracts[arxiv_id][1]  # extractive: its sentences are the abstract's


@REQUIRES_ARXIV
def test_papers_fail_clearly_and_write_nothing(papers_project):
    with replay_server() as arxiv:
        missing = cortex(
            "papers",
            "nothing recorded",
            "--method",
            "tfidf",
            cwd=papers_project,
            env={"CORTEX_ARXIV_API": arxiv.url},
        )
    assert missing.returncode == 1
    assert "Error: arXiv answered HTTP 404" in missing.stderr and "Traceback" not in missing.stderr
    assert not (papers_project / "content" / "reading").exists()
    bad = cortex("papers", "testing", "--method", "bert", cwd=papers_project)
    assert bad.returncode == 2 and "'bert' is not one of 'auto', 'minilm', 'tfidf'" in bad.stderr


def test_papers_help_lists_options_with_values_and_an_example(tmp_path):
    shown = cortex("papers", "--help", cwd=tmp_path)
    assert shown.returncode == 0
    assert "--method [auto|minilm|tfidf]" in shown.stdout and "--max INTEGER RANGE" in shown.stdout
    assert "Example:" in shown.stdout and 'cortex papers "compensated summation"' in shown.stdout


def test_review_proposes_uncited_papers_with_scores(tmp_path):
    root = related_project(tmp_path / "kb")
    done = cortex("review", "Kahan Summation", "--method", "tfidf", "--max", "2", cwd=root)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "papers for numerics/Kahan Summation.md, most alike first (score 0 to 1):"
    assert re.match(r"  1\. 0\.\d\d  higham1993accuracy +The Accuracy of Floating Point Summation$", lines[1])
    assert len(lines) == 3
    help_text = cortex("review", "--help", cwd=root).stdout
    assert "Example:" in help_text and "--max INTEGER RANGE" in help_text


def test_review_fails_on_an_unknown_note_and_when_nothing_is_left(tmp_path):
    root = related_project(
        tmp_path / "kb",
        {
            "content/All.md": "# All\n\n[@higham1993accuracy; @dao2022flashattention; @hessayon2010vegetable]\n"
        },
    )
    unknown = cortex("review", "Nope", "--method", "tfidf", cwd=root)
    assert unknown.returncode == 2 and "no note 'Nope' in the content folder" in unknown.stderr
    done = cortex("review", "All.md", "--method", "tfidf", cwd=root)
    assert done.returncode == 1 and "All.md already cites every entry of refs/*.bib" in done.stderr
    outside = cortex("review", "All", cwd=tmp_path)
    assert outside.returncode == 2 and "no mkdocs.yml here or above" in outside.stderr


def test_check_suggest_lists_unlinked_mentions_without_failing(tmp_path):
    root = related_project(tmp_path / "kb")
    plain = cortex("check", cwd=root)
    assert plain.returncode == 0 and "info:" not in plain.stdout
    done = cortex("check", "--suggest", "-W", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "content/numerics/Compensated Sums.md:3:3: info: 'compensated sum' names the note 'Kahan Summation' "
        "without a link: [[Kahan Summation|compensated sum]]"
    ) in done.stdout.splitlines()
    assert re.search(r"0 error\(s\), 0 warning\(s\), \d+ suggestion\(s\)", done.stderr)
    as_json = json.loads(cortex("check", "--suggest", "--format", "json", cwd=root).stdout)
    assert {d["code"]: d["level"] for d in as_json} == {"unlinked-mention": "info"}
