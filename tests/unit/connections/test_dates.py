"""Created and updated dates from git history, in one pass; file times outside git."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.git_history import commit, git, init
from support.paths import write_tree
from support.results_site import add_run, populated_site, squares_points

import cortex
from cortex.connections import dates as dates_module
from cortex.connections.dates import Dates, dates_html, file_dates, page_dates

JAN = "2026-01-05T10:00:00+00:00"
FEB = "2026-02-07T11:30:00+00:00"
MAR = "2026-03-09T12:45:00+00:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def set_mtime(path: Path, when: str) -> None:
    stamp = at(when).timestamp()
    os.utime(path, (stamp, stamp))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """notes/a.md written in January and edited in February; notes/b.md written in February."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = init(tmp_path / "kb")
    write_tree(root, {"content/notes/a.md": "# A\n\nfirst\n", "content/other.md": "x\n"})
    commit(root, "a", JAN)
    write_tree(root, {"content/notes/a.md": "# A\n\nsecond\n", "content/notes/b.md": "# B\n"})
    commit(root, "a again, and b", FEB)
    return root


def test_two_commits_give_created_and_updated(repo: Path):
    head = git(repo, "rev-parse", "HEAD")
    first = git(repo, "rev-parse", "HEAD~1")
    found = file_dates(["content/notes/a.md", "content/notes/b.md", "content/other.md"], repo)
    assert found["content/notes/a.md"] == Dates(at(JAN), at(FEB), head, False)
    assert found["content/notes/b.md"] == Dates(at(FEB), at(FEB), head, False)
    assert found["content/other.md"] == Dates(at(JAN), at(JAN), first, False)


def test_absolute_paths_and_a_subfolder_as_root(repo: Path):
    path = repo / "content" / "notes" / "a.md"
    found = file_dates([path], repo / "content")
    assert found[path].created == at(JAN) and found[path].updated == at(FEB)


def test_a_renamed_note_keeps_the_date_it_was_written(repo: Path):
    (repo / "content" / "moved").mkdir()
    git(repo, "mv", "content/notes/a.md", "content/moved/a.md")
    moved = commit(repo, "move a", MAR)
    found = file_dates(["content/moved/a.md"], repo)["content/moved/a.md"]
    assert (found.created, found.updated, found.commit) == (at(JAN), at(MAR), moved)


def test_a_note_deleted_and_written_again_is_new(repo: Path):
    (repo / "content" / "other.md").unlink()
    commit(repo, "drop other", FEB)
    write_tree(repo, {"content/other.md": "a different note\n"})
    commit(repo, "a new other", MAR)
    found = file_dates(["content/other.md"], repo)["content/other.md"]
    assert (found.created, found.updated) == (at(MAR), at(MAR))


def test_a_file_changed_in_the_working_tree_is_updated_at_its_mtime(repo: Path):
    head = git(repo, "rev-parse", "HEAD")
    note = repo / "content" / "notes" / "b.md"
    note.write_text("# B\n\nedited, not committed\n", "utf-8")
    set_mtime(note, MAR)
    found = file_dates([note], repo)[note]
    assert found == Dates(at(FEB), at(MAR), head, True)


def test_an_untracked_file_is_dated_by_its_mtime(repo: Path):
    note = write_tree(repo, {"content/new.md": "# New\n"}) / "content" / "new.md"
    set_mtime(note, MAR)
    assert file_dates([note], repo)[note] == Dates(at(MAR), at(MAR), None, True)


def test_a_missing_file_has_no_dates(repo: Path):
    assert file_dates(["content/none.md"], repo) == {}


def test_outside_a_git_checkout_file_times_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = write_tree(tmp_path / "plain", {"notes/a.md": "# A\n"})
    set_mtime(root / "notes" / "a.md", FEB)
    assert file_dates(["notes/a.md"], root)["notes/a.md"] == Dates(at(FEB), at(FEB), None, False)


def test_without_git_installed_file_times_are_used(repo: Path, monkeypatch: pytest.MonkeyPatch):
    note = repo / "content" / "notes" / "a.md"
    set_mtime(note, MAR)
    monkeypatch.setenv("PATH", str(repo / "no-such-bin"))
    assert file_dates([note], repo)[note] == Dates(at(MAR), at(MAR), None, False)


def test_one_git_log_however_many_files(repo: Path, monkeypatch: pytest.MonkeyPatch):
    write_tree(repo, {f"content/many/n{i}.md": f"# {i}\n" for i in range(300)})
    commit(repo, "many", MAR)
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args, *rest, **options):
        calls.append(list(args))
        return real_run(args, *rest, **options)

    monkeypatch.setattr(dates_module.subprocess, "run", counting_run)
    paths = [f"content/many/n{i}.md" for i in range(300)] + ["content/notes/a.md"]
    found = file_dates(paths, repo)
    assert len(found) == 301 and found["content/many/n7.md"].created == at(MAR)
    assert sum("log" in args for args in calls) == 1
    assert len(calls) <= 3  # where the checkout is, its history, what changed in the working tree


def test_experiment_pages_are_updated_by_their_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = populated_site(tmp_path)
    init(root)
    commit(root, "the knowledge base", JAN)
    add_run(root, "squares", squares_points(sq3=9), "2026-11-23T09:30:00+00:00")
    rerun = commit(root, "a new run of squares", MAR)
    kb = cortex.load(root / "content", root=root)
    found = page_dates(kb)
    assert found["notes/plain.md"].created == at(JAN)
    assert found["experiments/squares.md"] == Dates(at(JAN), at(MAR), rerun, False)
    assert found["experiments/grid.md"].updated == at(JAN)


def test_dates_as_time_elements():
    html = dates_html(Dates(at(JAN), at(FEB), "abc", False))
    assert 'Created <time datetime="2026-01-05T10:00:00+00:00">2026-01-05</time>' in html
    assert 'Updated <time datetime="2026-02-07T11:30:00+00:00">2026-02-07</time>' in html
    same_day = dates_html(Dates(at(JAN), at(JAN).replace(hour=18), None, False))
    assert same_day.count("<time") == 1
