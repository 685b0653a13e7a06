"""Which files of a content folder lead out of it through a symbolic link."""

from __future__ import annotations

from cortex.notes.vault import root_guard


def test_a_link_out_of_the_folder_is_caught_wherever_it_stands(tmp_path):
    root, outside = tmp_path / "vault", tmp_path / "outside"
    (root / "notes").mkdir(parents=True)
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.md").write_text("# Secret\n", "utf-8")
    (root / "notes" / "a.md").write_text("# A\n", "utf-8")
    (root / "notes" / "leak.md").symlink_to(outside / "secret.md")  # a file linked out
    (root / "linked").symlink_to(outside / "deep")  # a folder linked out
    (root / "notes" / "alias.md").symlink_to(root / "notes" / "a.md")  # a link that stays inside
    (root / "here").symlink_to(root / "notes")  # and a folder that does
    leaves = root_guard(root)
    for _ in range(2):  # the folders it resolved are kept: asked again, the same answers
        assert not leaves("notes/a.md")
        assert leaves("notes/leak.md")
        assert leaves("linked/x.md")
        assert not leaves("notes/alias.md")
        assert not leaves("here/a.md")
        assert not leaves("here/missing.md")
        assert leaves("here/leak.md")
