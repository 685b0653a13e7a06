"""The "Linked from" entries: the sentence each link stands in."""

from __future__ import annotations

from support.paths import write_tree

from cortex.model import load
from cortex.notes.backlinks import CONTEXT_CHARS


def contexts(tmp_path, text: str) -> list[tuple[str, int]]:
    write_tree(tmp_path / "content", {"Target.md": "# Target\n", "a.md": text})
    kb = load(tmp_path / "content", root=tmp_path)
    return [(b.quote, b.more) for b in kb.backlinks["Target.md"]]


def test_a_sentence_is_not_cut_inside_a_citations_brackets(tmp_path):
    """A full stop inside a citation's brackets ("chap. 4") does not end the sentence."""
    text = "# A\n\nTraps [@goodfellow2016deep, chap. 4]; long sums need [[Target]] here. Another one.\n"
    assert contexts(tmp_path, text) == [("Traps; long sums need Target here.", 0)]


def test_sentences_of_one_line_are_told_apart(tmp_path):
    text = "# A\n\nFirst see [[Target]]. Then [[Target|it]] again! Last [[Target#A]]?\n"
    assert contexts(tmp_path, text) == [("First see Target.", 2)]


def test_a_long_sentence_is_cut_around_the_link_between_words(tmp_path):
    """A sentence longer than the quote is cut around the link (the start of a long sentence
    could end before it), at spaces, with an ellipsis where text was left out; a second link
    in the same sentence is the same sentence, not one more."""
    before = " ".join(f"word{i}" for i in range(60))
    after = " ".join(f"tail{i}" for i in range(60))
    text = f"# A\n\n- {before} then [[Target#A]] and [[Target]] now {after}.\n"
    [(context, more)] = contexts(tmp_path, text)
    assert more == 0
    assert context.startswith("…") and context.endswith("…")
    assert "then Target > A and Target now" in context  # a heading link reads as on its page
    assert len(context) <= CONTEXT_CHARS + 2
    words = context.strip("…").split(" ")
    assert words[0] in before.split(" ") and words[-1] in after.split(" ")  # whole words at both ends


def test_a_short_sentence_is_quoted_whole(tmp_path):
    sentence = "x " * (CONTEXT_CHARS // 2 - 10) + "see [[Target]]."
    [(context, _)] = contexts(tmp_path, f"# A\n\n{sentence}\n")
    assert context == sentence.replace("[[Target]]", "Target")


def test_a_table_row_reads_as_its_cells(tmp_path):
    text = "# A\n\n| Step | Note | Output |\n| --- | --- | --- |\n| 1 | [[Target\\|the target]] | a list |\n"
    assert contexts(tmp_path, text) == [("1 · the target · a list", 0)]


def test_a_long_sentence_is_cut_around_the_link_not_an_earlier_word_like_it(tmp_path):
    """The link is found in the sentence's reading by its text, the occurrence nearest to where
    it stands: the same word written earlier as plain text does not move the cut."""
    filler = " ".join(f"w{i}" for i in range(80))
    text = f"# A\n\nTarget comes first, {filler} and then see [[Target]] at the end {filler}.\n"
    [(context, _)] = contexts(tmp_path, text)
    assert "and then see Target at the end" in context and not context.startswith("Target")
