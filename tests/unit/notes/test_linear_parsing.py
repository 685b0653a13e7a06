"""Parsing a note takes time linear in its size: no step is repeated for every pair of links,
tags, headings or block ids. Nothing here is timed: the Python-level steps are counted at two
sizes, and a pattern that could backtrack is given an input no quadratic scan would finish."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from support.fuzz import steps as count_steps
from support.paths import REPO

from cortex.notes.vault import default_slugify, parse_note


def note(n: int) -> str:
    """A note of ``n`` lines, each with a link, a tag, a heading, a block id and front matter links."""
    front = "---\ntitle: Big\nrelated:\n" + "".join(f'  - "[[p{i}]]"\n' for i in range(n)) + "---\n"
    body = "".join(
        f"## H{i} *em {i}*\n\nSee [[n{i}]] and #t{i} in [x](https://e.org/{i}) ^b{i}\n" for i in range(n)
    )
    return front + body


def steps(text: str) -> int:
    """Python function calls, C ones included, made while parsing ``text`` as a note."""
    parsed = []
    count = count_steps(lambda t: parsed.append(parse_note("big.md", t, default_slugify, "big.md")), text)
    assert len(parsed[0].links) > 0 and parsed[0].tags and parsed[0].headings and parsed[0].blocks
    return count


def test_parsing_a_note_grows_linearly_with_its_size():
    small, large = steps(note(1000)), steps(note(4000))
    assert large < 4.5 * small, (small, large)  # quadratic growth would give 16x


def test_emphasis_in_a_long_heading_cannot_backtrack_without_end():
    # 100,000 unmatched openers: an unbounded lazy match would scan 5e9 characters
    code = textwrap.dedent(
        """
        from cortex.notes.vault import default_slugify, parse_note
        note = parse_note("h.md", "# " + "*a " * 100_000 + "\\n", default_slugify, "h.md")
        print(len(note.headings))
        """
    )
    env = {"PYTHONPATH": str(REPO / "site_plugins")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "1", done.stderr


def test_block_ids_name_their_paragraph_their_list_item_or_the_block_above():
    text = "# T\n\nFirst line\nsecond line ^para\n\n- one\n- two ^item\n\nAbove\nit\n^alone\n"
    blocks = parse_note("b.md", text, default_slugify, "b.md").blocks
    quoted = {name: text[b.start : b.end] for name, b in blocks.items()}
    assert quoted["para"].startswith("First line\nsecond line")
    assert quoted["item"] == "- two ^item"
    assert quoted["alone"].startswith("Above\nit")
    assert (blocks["para"].line, blocks["item"].line, blocks["alone"].line) == (4, 7, 11)
