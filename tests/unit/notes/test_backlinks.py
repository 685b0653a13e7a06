"""The "Linked from" entries: the sentence each link stands in."""

from __future__ import annotations

from support.paths import write_tree

from cortex.model import load


def contexts(tmp_path, text: str) -> list[tuple[str, int]]:
    write_tree(tmp_path / "content", {"Target.md": "# Target\n", "a.md": text})
    kb = load(tmp_path / "content", root=tmp_path)
    return [(b.context, b.more) for b in kb.backlinks["Target.md"]]


def test_a_sentence_is_not_cut_inside_a_citations_brackets(tmp_path):
    """A full stop inside a citation's brackets ("chap. 4") does not end the sentence."""
    text = "# A\n\nTraps [@goodfellow2016deep, chap. 4]; long sums need [[Target]] here. Another one.\n"
    assert contexts(tmp_path, text) == [("Traps; long sums need Target here.", 0)]


def test_sentences_of_one_line_are_told_apart(tmp_path):
    text = "# A\n\nFirst see [[Target]]. Then [[Target|it]] again! Last [[Target#A]]?\n"
    assert contexts(tmp_path, text) == [("First see Target.", 2)]
