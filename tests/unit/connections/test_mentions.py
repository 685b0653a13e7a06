"""Unlinked mentions: a title or alias written as plain text in another note."""

from __future__ import annotations

from support.paths import write_tree

from cortex.connections.mentions import mention_suggestions, unlinked_mentions
from cortex.diagnostics import Code, Level
from cortex.model import load

TARGET = "---\naliases: [compensated sum]\n---\n# Kahan Summation\n\nThe method.\n"


def mentions_of(tmp_path, files: dict[str, str]):
    write_tree(tmp_path / "content", {"numerics/Kahan Summation.md": TARGET, **files})
    kb = load(tmp_path / "content", root=tmp_path)
    return kb, unlinked_mentions(kb)


def places(found, target="numerics/Kahan Summation.md"):
    return [(m.source, m.line, m.col, m.text) for m in found.get(target, [])]


def test_title_and_alias_in_plain_text_are_found_with_line_and_column(tmp_path):
    _, found = mentions_of(
        tmp_path,
        {
            "a.md": "# A\n\nWe use kahan SUMMATION here.\n\nA compensated sum, too; Kahan\nsummation across lines.\n",
        },
    )
    assert places(found) == [
        ("a.md", 3, 8, "kahan SUMMATION"),
        ("a.md", 5, 3, "compensated sum"),
        ("a.md", 5, 25, "Kahan\nsummation"),  # a name broken over two lines is still a mention
    ]
    assert found["numerics/Kahan Summation.md"][0].context == "We use kahan SUMMATION here."


def test_whole_words_only(tmp_path):
    _, found = mentions_of(
        tmp_path, {"a.md": "Kahan Summations and preKahan Summation and Kahan Summation_x are other words.\n"}
    )
    assert places(found) == []


def test_not_inside_links_code_comments_or_front_matter(tmp_path):
    text = (
        "---\ntitle: About Kahan Summation\nsummary: Kahan Summation\n---\n"
        "[[Other|Kahan Summation]] and [Kahan Summation](https://example.org/Kahan Summation)\n\n"
        "`Kahan Summation` and %%Kahan Summation%% and <!-- Kahan Summation -->\n\n"
        "```\nKahan Summation\n```\n\n"
        "<span title='Kahan Summation'>x</span> https://example.org/Kahan_Summation\n"
        "{{< n 'Kahan Summation' >}}\n\n"
        "Only here: Kahan Summation.\n"
    )
    _, found = mentions_of(tmp_path, {"a.md": text, "Other.md": "# Other\n"})
    assert places(found) == [("a.md", 16, 12, "Kahan Summation")]


def test_a_note_that_links_its_target_or_is_it_is_not_listed(tmp_path):
    _, found = mentions_of(
        tmp_path,
        {"linked.md": "See [[Kahan Summation]]. Kahan Summation again.\n", "b.md": "Kahan Summation.\n"},
    )
    assert [m.source for m in found["numerics/Kahan Summation.md"]] == ["b.md"]  # not itself, not linked.md


def test_longest_name_wins_and_a_shared_name_is_left_out(tmp_path):
    _, found = mentions_of(
        tmp_path,
        {
            "Kahan.md": "# Kahan\n",
            "x/Twin.md": "# Twin\n",
            "y/Twin.md": "# Twin\n",
            "a.md": "Kahan Summation, then Kahan alone, then Twin.\n",
        },
    )
    assert places(found) == [("a.md", 1, 1, "Kahan Summation")]
    assert places(found, "Kahan.md") == [("a.md", 1, 23, "Kahan")]
    assert not any("Twin" in target for target in found)


def test_suggestions_are_info_diagnostics_with_a_link_to_write(tmp_path):
    kb, found = mentions_of(tmp_path, {"a.md": "# A\n\nUse Kahan summation.\n"})
    (suggestion,) = mention_suggestions(kb, found)
    assert suggestion.code is Code.UNLINKED_MENTION and suggestion.level is Level.INFO
    assert not suggestion.is_error
    assert (suggestion.line, suggestion.col) == (3, 5)
    assert suggestion.path.endswith("a.md")
    assert "[[Kahan Summation|Kahan summation]]" in suggestion.message


def test_a_thousand_notes_are_read_in_one_pass_each(tmp_path):
    """Every note names ten others: each mention is found, none twice (the index, not n² scans)."""
    files = {
        f"n/Topic {i:04d}.md": f"# Topic {i:04d}\n\n"
        + " ".join(f"About topic {(i + k) % 1000:04d}." for k in range(1, 11))
        + "\n"
        for i in range(1000)
    }
    write_tree(tmp_path / "content", files)
    kb = load(tmp_path / "content", root=tmp_path)
    found = unlinked_mentions(kb)
    assert sum(len(v) for v in found.values()) == 10_000
    expected = {f"n/Topic {(5 - k) % 1000:04d}.md" for k in range(1, 11)}
    assert {m.source for m in found["n/Topic 0005.md"]} == expected


def test_names_sharing_their_first_word_are_told_apart_by_length_then_text(tmp_path):
    """Names starting with the same word ("Note", "Note 12", "Note 123", "Note ab1"): each place
    names the longest that fits it as whole words, any case, a line break standing for a space."""
    _, found = mentions_of(
        tmp_path,
        {
            "Note.md": "# Note\n",
            "Note 12.md": "# Note 12\n",
            "Note 123.md": "# Note 123\n",
            "Note ab1.md": "# Note ab1\n",
            "a.md": "note 123, NOTE 12x, Note 12. Note\nab1 and note 1234 and a note.\n",
        },
    )
    assert places(found, "Note 123.md") == [("a.md", 1, 1, "note 123")]
    assert places(found, "Note 12.md") == [("a.md", 1, 21, "Note 12")]
    assert places(found, "Note ab1.md") == [("a.md", 1, 30, "Note\nab1")]
    assert places(found, "Note.md") == [
        ("a.md", 1, 11, "NOTE"),
        ("a.md", 2, 9, "note"),
        ("a.md", 2, 25, "note"),
    ]


def test_a_long_line_is_cut_around_the_name_after_its_markup_is_made_plain(tmp_path):
    """The context of a mention on a long line: plain text (links by their label), cut to about
    160 characters around the name, never through a link's markup."""
    before = " ".join(f"[[Note {i}|label {i}]] and *more*" for i in range(12))
    _, found = mentions_of(
        tmp_path,
        {
            "a.md": f"# A\n\n- {before} then Kahan summation, {before}.\n",
            "b.md": "# B\n\n- **Seen**: Kahan summation, *twice* [@kahan1965, p. 40].\n",
        },
    )
    mention, short = found["numerics/Kahan Summation.md"]
    # the list marker out, the emphasis read, the bracketed citation left out as backlinks quote it
    assert short.context == "Seen: Kahan summation, twice."
    assert mention.text == "Kahan summation"
    assert "[[" not in mention.context and "]]" not in mention.context and "*" not in mention.context
    assert mention.context.startswith("…") and mention.context.endswith("…")
    assert "then Kahan summation, label 0 and more" in mention.context
    assert len(mention.context) <= 162
