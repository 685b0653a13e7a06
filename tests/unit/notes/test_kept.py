"""What is worked out of each note is kept between processes: a new process reads it for the
same text, names and code, and works it out again for anything else."""

from __future__ import annotations

import pytest
from support.paths import write_tree

from cortex.connections.mentions import unlinked_mentions
from cortex.model import load
from cortex.notes import backlinks as backlinks_module
from cortex.notes import kept
from cortex.notes.kept import PerNote, keep_in, save_kept

NOTES = {
    "Target.md": "# Target\n\nThe target note.\n",
    "a.md": "# A\n\nA sentence linking [[Target]]. Another names Target without a link.\n",
    "b.md": "# B\n\nAlso [[Target|the target]], and [[a]].\n",
}


def new_process() -> None:
    """What a new process would not have: every result kept in memory."""
    for per_note in PerNote.kept:
        per_note.notes, per_note.names, per_note._stored = {}, "", None


@pytest.fixture
def worked(monkeypatch):
    """The notes whose links were worked out, from now on."""
    calls: list[str] = []
    real = backlinks_module._links_from

    def links_from(vault, note):
        calls.append(note.path)
        return real(vault, note)

    monkeypatch.setattr(backlinks_module, "_links_from", links_from)
    yield calls
    keep_in(None)
    new_process()


def test_a_new_process_reads_what_the_last_worked_out(tmp_path, worked):
    content = write_tree(tmp_path / "content", NOTES)
    kb = load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    mentions = unlinked_mentions(kb)
    assert sorted(worked) == ["Target.md", "a.md", "b.md"]
    save_kept()
    assert {p.name for p in (tmp_path / "cache" / "kept").iterdir()} >= {
        "backlinks.pickle",
        "mentions.pickle",
    }
    new_process()
    worked.clear()
    again = load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    assert worked == []
    assert again.backlinks == kb.backlinks and unlinked_mentions(again) == mentions
    assert [b.source for b in again.backlinks["Target.md"]] == ["a.md", "b.md"]


def test_a_changed_note_or_names_is_worked_out_again(tmp_path, worked):
    content = write_tree(tmp_path / "content", NOTES)
    load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    save_kept()
    new_process()
    worked.clear()
    (content / "a.md").write_text("# A\n\nNow only [[b]].\n", "utf-8")
    kb = load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    assert worked == ["a.md"]
    assert [b.source for b in kb.backlinks["Target.md"]] == ["b.md"]
    save_kept()
    new_process()
    worked.clear()
    (content / "c.md").write_text("# C\n", "utf-8")  # a new name: any link may land elsewhere
    load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    assert sorted(worked) == ["Target.md", "a.md", "b.md", "c.md"]


def test_what_other_code_kept_or_a_corrupt_file_is_not_read(tmp_path, worked, monkeypatch):
    content = write_tree(tmp_path / "content", NOTES)
    load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    save_kept()
    new_process()
    worked.clear()
    monkeypatch.setattr(kept, "package_version", lambda: "other code")
    load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    assert len(worked) == 3
    (tmp_path / "cache" / "kept" / "backlinks.pickle").write_bytes(b"not a pickle")
    new_process()
    worked.clear()
    load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    assert len(worked) == 3


def test_without_a_folder_nothing_is_written(tmp_path, worked):
    content = write_tree(tmp_path / "content", NOTES)
    load(content, root=tmp_path, cache_dir=tmp_path / "cache")
    load(content, root=tmp_path)  # no cache folder: the folder is let go
    save_kept()
    assert not (tmp_path / "cache" / "kept").exists()
