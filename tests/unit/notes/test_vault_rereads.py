"""A vault read again in the same process (a preview's rebuild) parses only the notes whose text
changed, keeps the link resolutions that still hold, shares nothing the loader changes, and
renders again only the notes whose rendering would read something else."""

from __future__ import annotations

import os
import time
import uuid

from mkdocs.config import load_config
from support.paths import REPO

from cortex.notes import rendering
from cortex.notes import vault as vault_module
from cortex.notes.backlinks import backlinks
from cortex.notes.links import resolve_wikilink
from cortex.notes.rendering import RenderMemo, render_note
from cortex.notes.vault import _slugify_key, load_vault


def test_only_changed_notes_are_parsed_again(tmp_path, monkeypatch):
    mark = uuid.uuid4().hex  # texts no other test has had parsed in this process
    (tmp_path / "a.md").write_text(f"# A {mark}\n\nSee [[b]].\n", "utf-8")
    (tmp_path / "b.md").write_bytes(f"# B {mark}\n\n".encode() + b"\xff\n")
    parsed = []
    real = vault_module.parse_note
    monkeypatch.setattr(
        vault_module, "parse_note", lambda path, *rest: parsed.append(path) or real(path, *rest)
    )
    first = load_vault(tmp_path)
    assert sorted(parsed) == ["a.md", "b.md"]
    second = load_vault(tmp_path)
    assert sorted(parsed) == ["a.md", "b.md"]  # nothing parsed again
    assert second.notes["a.md"] is not first.notes["a.md"]
    assert second.notes["a.md"].links == first.notes["a.md"].links
    # the loader adds the encoding problem to each reading's own list, once
    assert [d.code for d in second.notes["b.md"].diagnostics] == [
        d.code for d in first.notes["b.md"].diagnostics
    ]
    assert len(second.notes["b.md"].diagnostics) == len(first.notes["b.md"].diagnostics) >= 1
    (tmp_path / "a.md").write_text(f"# A {mark}\n\nSee [[b]] and [[c]].\n", "utf-8")
    third = load_vault(tmp_path)
    assert sorted(parsed) == ["a.md", "a.md", "b.md"]
    assert [link.target for link in third.notes["a.md"].links] == ["b", "c"]


def test_only_files_whose_size_times_or_inode_changed_are_read_again(tmp_path, monkeypatch):
    hour_ago = time.time() - 3600
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.md").write_text(f"# {name.upper()}\n\nFirst.\n", "utf-8")
        os.utime(tmp_path / f"{name}.md", (hour_ago, hour_ago))
    read = []
    real = vault_module.read_text
    monkeypatch.setattr(vault_module, "read_text", lambda path: read.append(path.name) or real(path))
    monkeypatch.setattr(vault_module, "SETTLED_NS", 0)  # the ctimes above are this moment's
    load_vault(tmp_path)
    assert sorted(read) == ["a.md", "b.md", "c.md"]
    load_vault(tmp_path)
    assert sorted(read) == ["a.md", "b.md", "c.md"]  # nothing read again
    # the same size and the old modification time given back: its ctime still changed
    (tmp_path / "b.md").write_text("# B\n\nAgain.\n", "utf-8")
    os.utime(tmp_path / "b.md", (hour_ago, hour_ago))
    # replaced by another file: a new inode
    (tmp_path / "c.tmp").write_text("# C\n\nOther.\n", "utf-8")
    os.utime(tmp_path / "c.tmp", (hour_ago, hour_ago))
    (tmp_path / "c.tmp").replace(tmp_path / "c.md")
    third = load_vault(tmp_path)
    assert sorted(read[3:]) == ["b.md", "c.md"]
    assert "Again." in third.notes["b.md"].source and "Other." in third.notes["c.md"].source


def test_a_file_written_just_before_it_was_read_is_read_again(tmp_path, monkeypatch):
    (tmp_path / "a.md").write_text("# A\n", "utf-8")  # now: a write in the same tick could follow
    read = []
    real = vault_module.read_text
    monkeypatch.setattr(vault_module, "read_text", lambda path: read.append(path.name) or real(path))
    monkeypatch.setattr(vault_module, "SETTLED_NS", 3600 * 10**9)  # however slow the machine
    load_vault(tmp_path)
    load_vault(tmp_path)
    assert read == ["a.md", "a.md"]


def test_resolutions_carry_over_only_where_they_still_hold(tmp_path):
    mark = uuid.uuid4().hex
    (tmp_path / "a.md").write_text(f"# A {mark}\n\n[[b#Part]] and [[b]].\n", "utf-8")
    (tmp_path / "b.md").write_text(f"# B {mark}\n\n## Part\n", "utf-8")
    first = load_vault(tmp_path)
    a = first.notes["a.md"]
    assert resolve_wikilink(first, a.links[0], a).anchor == "part"
    second = load_vault(tmp_path)  # same files: what the first resolved is kept
    assert second.resolutions == first.resolutions
    (tmp_path / "b.md").write_text(f"# B {mark}\n\n## Whole\n", "utf-8")
    third = load_vault(tmp_path)  # b changed: links landing on it are resolved again
    assert third.resolutions == {}
    assert resolve_wikilink(third, third.notes["a.md"].links[0], third.notes["a.md"]).anchor is None
    assert list(backlinks(third)) == ["b.md"]
    (tmp_path / "c.md").write_text("# C\n", "utf-8")
    assert load_vault(tmp_path).resolutions == {}  # a new file: every link may land elsewhere


def test_a_slugify_is_known_again_by_what_it_does():
    config = REPO / "mkdocs.yml"
    first = load_config(str(config)).mdx_configs["toc"]["slugify"]
    again = load_config(str(config)).mdx_configs["toc"]["slugify"]
    assert first is not again and _slugify_key(first) == _slugify_key(again)
    from pymdownx.slugs import slugify

    assert _slugify_key(slugify(case="lower")) != _slugify_key(slugify(case="upper"))
    assert _slugify_key(lambda text, sep: text) != _slugify_key(lambda text, sep: text.upper())


def test_a_kept_rendering_is_used_only_while_what_it_read_is_unchanged(tmp_path, monkeypatch):
    mark = uuid.uuid4().hex
    files = {
        "a.md": f"# A {mark}\n\n![[b#Part]] and [[c]].\n",
        "b.md": f"# B {mark}\n\n## Part\n\nFrom b, see [[c]].\n",
        "c.md": f"# C {mark}\n",
        "d.md": f"# D {mark}\n\n[[c]]\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    rendered: list[str] = []
    real = rendering._render
    monkeypatch.setattr(
        rendering,
        "_render",
        lambda renderer, note, text: rendered.append(note.path) or real(renderer, note, text),
    )
    memo = RenderMemo()

    def build() -> tuple[dict[str, str], list[str]]:
        """Each note through the memo, checked equal to a rendering from scratch; and the notes
        the memo rendered."""
        memo.next_build()
        vault = load_vault(tmp_path)
        rendered.clear()
        got = {path: memo.render(vault, note) for path, note in vault.notes.items()}
        again = sorted(rendered)
        assert got == {path: render_note(vault, note) for path, note in vault.notes.items()}
        return got, again

    first, again = build()
    assert again == ["a.md", "b.md", "c.md", "d.md"]
    assert "From b, see" in first["a.md"]  # the section embedded
    assert build() == (first, [])  # nothing read differs: nothing rendered again
    (tmp_path / "b.md").write_text(f"# B {mark}\n\n## Part\n\nFrom b, now [[d]].\n", "utf-8")
    assert build()[1] == ["a.md", "b.md"]  # b, and a, which embeds it; not c or d
    (tmp_path / "c.md").rename(tmp_path / "e.md")  # [[c]] is now unresolved where it stands
    assert build()[1] == ["a.md", "d.md", "e.md"]
    memo.next_build()  # a build that asked for nothing: what the memo kept is let go
    assert build()[1] == ["a.md", "b.md", "d.md", "e.md"]
