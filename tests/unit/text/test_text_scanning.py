"""The fast text scanners find exactly what their plain definitions find.

Wikilinks, block ids, inline tags, the openers of code and comments, and the Markdown-literal
escaper are written for speed (each search starts from a literal character the regex engine
can skip to). Each is checked here against the plain definition it replaces, on random texts
made of the characters that matter to it.
"""

from __future__ import annotations

import random
import re

import pytest
from markupsafe import escape

from cortex.notes import vault as notes
from cortex.text import markdown as markdown_text

ATOMS = [
    "[[",
    "]]",
    "[",
    "]",
    "!",
    "![[",
    "|",
    "\\|",
    "#",
    "^",
    "a",
    "B",
    "7",
    "_",
    "-",
    "/",
    " ",
    "\t",
    "\n",
    "`",
    "```",
    "~~~",
    "<!--",
    "-->",
    "%%",
    "é",
    "<",
    ">",
    "&",
    "'",
    '"',
    "*",
    "$",
    "{",
    "}",
    "(",
    ")",
    "http://x.y/z",
    "[t](u)",
    "#tag",
    "^id",
    "\n```\n",
    "\n---\n",
]
PLAIN = {
    "wikilink": re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]"),
    "block_id": re.compile(r"(?:(?<=\s)|^)\^([A-Za-z0-9-]+)[ \t]*$", re.M),
    "inline_tag": re.compile(r"(?:(?<=\s)|^)#([^\W\d][\w/-]*|[\d_/-]+[^\W\d][\w/-]*)", re.M),
}


def texts(seed: int, count: int = 3000):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 30)))


def found(matches) -> list[tuple]:
    return [(m.span(), m.groups()) for m in matches]


def test_find_wikilinks_is_the_wikilink_pattern():
    for text in texts(1):
        start = len(text) // 3
        assert found(notes.find_wikilinks(text)) == found(PLAIN["wikilink"].finditer(text)), text
        assert found(notes.find_wikilinks(text, start)) == found(PLAIN["wikilink"].finditer(text, start)), (
            text
        )


@pytest.mark.parametrize("name", ["block_id", "inline_tag"])
def test_marker_first_patterns_match_their_plain_definitions(name: str):
    fast = {"block_id": notes.BLOCK_ID, "inline_tag": notes.INLINE_TAG}[name]
    for text in texts(2):
        assert found(fast.finditer(text)) == found(PLAIN[name].finditer(text)), text


def test_the_next_opener_is_the_openers_pattern():
    for text in texts(3):
        marks = {mark: text.find(mark) for mark in markdown_text._OPENER_MARKS}
        for pos in range(0, len(text) + 1, 3):  # pos only grows, as in a scan
            ours = markdown_text._next_opener(text, pos, marks)
            plain = markdown_text._OPENERS.search(text, pos)
            assert (ours and ours.span()) == (plain and plain.span()), (text, pos)


def test_md_text_escapes_html_and_writes_markdown_syntax_as_entities():
    for text in texts(4, 500):
        expected = "".join(f"&#{ord(c)};" if c in "\\`*_[]{}|~$" else str(escape(c)) for c in text)
        assert markdown_text.md_text(text) == expected, text
