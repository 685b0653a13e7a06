"""The wikilink resolver, one row per link form and edge case."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest

from cortex.notes.checks import check_vault
from cortex.notes.links import Status, resolve_wikilink
from cortex.notes.rendering import render_note
from cortex.notes.vault import WIKILINK, default_slugify, load_vault, parse_wikilink

VAULT = {
    "Home.md": "# Home\n\nSee below.\n\n## Intro\n\nText ^intro-block\n\n## Details\n\n### Deep Part\n\nx\n",
    "notes/Alpha.md": "---\naliases: [First Letter]\ntags: [greek]\n---\n# Alpha\n\n## Usage\n\n- item ^li\n",
    "notes/Beta.md": "# Beta\n\n## Overview\n\n### Usage\n\nNested usage.\n\n## Usage\n\nTop usage.\n",
    "archive/Beta.md": "# Old beta\n",
    "archive/deep/Gamma.md": "# Gamma\n",
    "other/Gamma.md": "# Gamma too\n",
    "papers/attention.pdf": "%PDF",
    "img/Diagram.png": "png",
    "Café & Crème/Ünïcode 日本語.md": "# 日本語の見出し\n\n## Ça va\n",
    "notes/Version 1.2.md": "# Version\n",
    "notes/Code.md": "# Code\n\n## `move` and **copy**\n\nText.\n",
}


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> object:
    root = tmp_path_factory.mktemp("vault")
    for rel, text in VAULT.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, "utf-8")
    return load_vault(root)


def resolve(vault, raw: str, source: str = "Home.md"):
    m = WIKILINK.search(raw)
    return resolve_wikilink(vault, parse_wikilink(m, raw), vault.notes[source])


# (link as written, linking note, status, landing file, anchor)
CASES = [
    ("[[Alpha]]", "Home.md", Status.OK, "notes/Alpha.md", None),
    ("[[alpha]]", "Home.md", Status.OK, "notes/Alpha.md", None),  # case-insensitive
    ("[[Alpha.md]]", "Home.md", Status.OK, "notes/Alpha.md", None),
    ("[[Alpha|the first]]", "Home.md", Status.OK, "notes/Alpha.md", None),
    ("[[Alpha\\|in a table]]", "Home.md", Status.OK, "notes/Alpha.md", None),
    ("[[Alpha#Usage]]", "Home.md", Status.OK, "notes/Alpha.md", "usage"),
    ("[[Alpha#usage]]", "Home.md", Status.OK, "notes/Alpha.md", "usage"),
    ("[[Beta#Overview#Usage]]", "notes/Alpha.md", Status.AMBIGUOUS, "notes/Beta.md", "usage"),
    ("[[Beta#Usage]]", "notes/Alpha.md", Status.AMBIGUOUS, "notes/Beta.md", "usage"),
    ("[[#Intro]]", "Home.md", Status.OK, "Home.md", "intro"),
    ("[[#Details#Deep Part]]", "Home.md", Status.OK, "Home.md", "deep-part"),
    ("[[Home#^intro-block]]", "notes/Alpha.md", Status.OK, "Home.md", "^intro-block"),
    ("[[Alpha#^li]]", "Home.md", Status.OK, "notes/Alpha.md", "^li"),
    ("[[notes/Alpha]]", "Home.md", Status.OK, "notes/Alpha.md", None),
    ("[[archive/Beta]]", "Home.md", Status.OK, "archive/Beta.md", None),
    ("[[deep/Gamma]]", "Home.md", Status.OK, "archive/deep/Gamma.md", None),  # folder suffix
    ("[[../archive/Beta]]", "notes/Alpha.md", Status.OK, "archive/Beta.md", None),  # relative
    ("[[./Beta]]", "notes/Alpha.md", Status.OK, "notes/Beta.md", None),
    # a bare name fitting two files: the one in the linking note's folder wins, silently
    ("[[Beta]]", "notes/Alpha.md", Status.AMBIGUOUS, "notes/Beta.md", None),  # own folder wins, and warns
    ("[[Beta]]", "Home.md", Status.AMBIGUOUS, "notes/Beta.md", None),  # same depth: alphabetical
    ("[[Code#`move` and **copy**]]", "Home.md", Status.OK, "notes/Code.md", "move-and-copy"),  # as written
    ("[[Code#move and copy]]", "Home.md", Status.OK, "notes/Code.md", "move-and-copy"),  # as read
    # from elsewhere, the shortest path wins, with a warning
    ("[[Gamma]]", "Home.md", Status.AMBIGUOUS, "other/Gamma.md", None),
    ("[[First Letter]]", "Home.md", Status.OK, "notes/Alpha.md", None),  # alias
    ("[[attention.pdf]]", "Home.md", Status.OK, "papers/attention.pdf", None),  # attachment
    ("[[Diagram.png]]", "Home.md", Status.OK, "img/Diagram.png", None),
    ("[[Version 1.2]]", "Home.md", Status.OK, "notes/Version 1.2.md", None),  # a dot is not an extension
    ("[[Ünïcode 日本語]]", "Home.md", Status.OK, "Café & Crème/Ünïcode 日本語.md", None),
    ("[[Ünïcode 日本語#Ça va]]", "Home.md", Status.OK, "Café & Crème/Ünïcode 日本語.md", "ça-va"),
    ("[[Missing note]]", "Home.md", Status.MISSING, None, None),
    ("[[Alpha#No such heading]]", "Home.md", Status.MISSING_HEADING, "notes/Alpha.md", None),
    ("[[Alpha#^nope]]", "Home.md", Status.MISSING_BLOCK, "notes/Alpha.md", None),
    ("[[../../etc/passwd]]", "notes/Alpha.md", Status.ESCAPES, None, None),
    ("[[../Home]]", "Home.md", Status.ESCAPES, None, None),
    ("[[missing.pdf]]", "Home.md", Status.MISSING, None, None),
]


@pytest.mark.parametrize(
    ("raw", "source", "status", "path", "anchor"), CASES, ids=[c[0] + " from " + c[1] for c in CASES]
)
def test_resolve(vault, raw, source, status, path, anchor):
    r = resolve(vault, raw, source)
    assert r.status is status, r.message
    assert r.path == path
    assert r.anchor == anchor


def test_ambiguity_names_the_other_candidates(vault):
    r = resolve(vault, "[[Gamma]]", "Home.md")
    assert r.candidates == ("archive/deep/Gamma.md",)
    assert "ambiguous" in r.message and "archive/deep/Gamma.md" in r.message


@pytest.mark.parametrize(
    ("raw", "target", "fragments", "display", "embed"),
    [
        ("[[Note]]", "Note", (), None, False),
        ("[[Note|Shown]]", "Note", (), "Shown", False),
        ("[[Note\\|Shown]]", "Note", (), "Shown", False),
        ("[[Note#H1#H2|x]]", "Note", ("H1", "H2"), "x", False),
        ("![[Note#^blk]]", "Note", ("^blk",), None, True),
        ("![[img.png|300]]", "img.png", (), "300", True),
        ("[[#Heading]]", "", ("Heading",), None, False),
    ],
)
def test_parse_forms(raw, target, fragments, display, embed):
    link = parse_wikilink(WIKILINK.search(raw), raw)
    assert (link.target, link.fragments, link.display, link.embed) == (target, fragments, display, embed)


def test_links_in_code_and_comments_are_not_links(tmp_path: Path):
    text = (
        "# N\n\n`[[InSpan]]` and ``[[Double `tick`]]``\n\n```\n[[InFence]]\n```\n\n"
        "~~~md\n[[InTilde]]\n~~~\n\n%%[[InComment]]%%\n\n<!-- [[InHtmlComment]] -->\n\n[[Real]]\n"
    )
    (tmp_path / "N.md").write_text(text, "utf-8")
    (tmp_path / "Real.md").write_text("# Real\n", "utf-8")
    vault = load_vault(tmp_path)
    assert [link.target for link in vault.notes["N.md"].links] == ["Real"]
    assert check_vault(vault) == []


def test_front_matter_properties_hold_links(tmp_path: Path):
    (tmp_path / "Book.md").write_text(
        '---\ncategories:\n  - "[[Books]]"\nauthor: "[[Nobody]]"\n---\nbody\n', "utf-8"
    )
    (tmp_path / "Books.md").write_text("# Books\n", "utf-8")
    vault = load_vault(tmp_path)
    links = vault.notes["Book.md"].links
    assert [(link.target, link.prop, link.line) for link in links] == [
        ("Books", "categories", 3),
        ("Nobody", "author", 4),
    ]
    [d] = check_vault(vault)  # a property naming a note not yet written is a warning
    assert (d.line, d.col, str(d.level)) == (4, 10, "warning")


def test_headings_get_the_anchors_toc_gives(tmp_path: Path):
    (tmp_path / "H.md").write_text(
        "# Title\n\n## Same\n\n## Same\n\n## With `code` and **bold** [[Link|text]]\n\nSetext\n------\n",
        "utf-8",
    )
    note = load_vault(tmp_path).notes["H.md"]
    assert [(h.level, h.anchor) for h in note.headings] == [
        (1, "title"),
        (2, "same"),
        (2, "same_1"),
        (2, "with-code-and-bold-text"),
        (2, "setext"),
    ]


def test_a_heading_holding_a_heading_link_gets_the_anchor_of_its_rendered_text(tmp_path: Path):
    """``[[Other#Part]]`` reads "Other > Part" on the page (as in Obsidian), so toc's anchor for the
    heading is made from that text; the vault's anchor must be the same for links to it to land."""
    (tmp_path / "H.md").write_text("# Title\n\n## See [[Other#Part]] and [[#Title]]\n", "utf-8")
    (tmp_path / "Other.md").write_text("# Other\n\n## Part\n", "utf-8")
    vault = load_vault(tmp_path)
    note = vault.notes["H.md"]
    rendered = markdown.markdown(  # the page, with the slugify the project's mkdocs.yml gives toc
        render_note(vault, note),
        extensions=["toc"],
        extension_configs={"toc": {"slugify": default_slugify}},
    )
    assert f'<h2 id="{note.headings[1].anchor}">' in rendered
