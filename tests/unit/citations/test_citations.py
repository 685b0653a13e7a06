"""The citation syntax: what is a citation, what is not, and how it renders in Markdown."""

from __future__ import annotations

import random
import re

import markdown
import pytest
from support.paths import TEST_FIXTURES

from cortex.citations import syntax
from cortex.citations.bibliography import load_bibliography
from cortex.citations.index import CitationIndex, render_citation
from cortex.citations.markdown_extension import CitationExtension, HeldCitations
from cortex.citations.references import CitationStyle
from cortex.citations.syntax import find_citations

MESSY = TEST_FIXTURES / "bib" / "messy"


def keys_of(text, known=None):
    return [(c.key, c.prefix, c.locator, c.suppress_author, c.in_text) for c in find_citations(text, known)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[@doe99]", [("doe99", "", "", False, False)]),
        ("[@doe99, p. 3]", [("doe99", "", "p. 3", False, False)]),
        ("[@doe99 p. 3]", [("doe99", "", "p. 3", False, False)]),
        ("[see @doe99, pp. 33--35]", [("doe99", "see", "pp. 33--35", False, False)]),
        ("[@a; @b]", [("a", "", "", False, False), ("b", "", "", False, False)]),
        ("[see @a, ch. 1; also @b]", [("a", "see", "ch. 1", False, False), ("b", "also", "", False, False)]),
        ("[-@doe99]", [("doe99", "", "", True, False)]),
        ("Smith says [-@smith04, p. 2].", [("smith04", "", "p. 2", True, False)]),
        ("As @doe99 shows.", [("doe99", "", "", False, True)]),
        ("As @doe99 [p. 33] shows.", [("doe99", "", "p. 33", False, True)]),
        ("End of sentence @doe99.", [("doe99", "", "", False, True)]),
        ("Keys with punctuation [@Doe:2020.x-y_z]", [("Doe:2020.x-y_z", "", "", False, False)]),
        ("(@doe99)", [("doe99", "", "", False, True)]),
    ],
)
def test_citation_forms(text, expected):
    assert keys_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "write to me@example.com",
        "`[@incode]` and `@doe99`",
        "``a `[@nested]` span``",
        "```python\n@doe99\n[@doe99]\n```",
        "~~~\n[@doe99]\n~~~",
        "<!-- [@doe99] in a comment -->",
        "---\ntitle: '[@doe99]'\n---\ntext",
        "https://mastodon.social/@doe99 is a URL",
        "[text](https://example.org/@doe99)",
        "\\@doe99 escaped",
        "[no key here]",
        "[email me@example.com]",
    ],
)
def test_things_that_are_not_citations(text):
    assert find_citations(text, known={"doe99"}) == []


# The patterns as first written, each opening with what may not come before it; the shipped ones
# open with the character they are about instead (the engine then leaps to it) and must match
# exactly where these do.
LOOKBEHIND_FIRST = {
    "GROUP": r"(?<![\[\\])\[([^\[\]\n]*?(?<![\w@\\])-?@" + syntax.KEY + r"[^\[\]]*?)\](?![(\[\]])",
    "BARE": r"(?<![\w@\\/.:\-+\]`])@(" + syntax.KEY + r")(?:[ \t]?\[([^\[\]@\n]*)\](?![(\[]))?",
    "_CODE_SPAN": r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)",
}


@pytest.mark.parametrize("name", sorted(LOOKBEHIND_FIRST))
def test_patterns_match_where_their_lookbehind_first_forms_do(name):
    shipped = getattr(syntax, name)
    reference = re.compile(LOOKBEHIND_FIRST[name], shipped.flags)

    def found(pattern, text):  # a code span's groups differ (its run is split in two): its span counts
        return [m.span() + (m.groups() if name != "_CODE_SPAN" else ()) for m in pattern.finditer(text)]

    rng = random.Random(name)
    pieces = [
        "@",
        "[",
        "]",
        "`",
        "``",
        "\\",
        "-",
        ";",
        ".",
        ":",
        "/",
        "(",
        " ",
        "\n",
        "a",
        "k1",
        "x@",
        "[@k1",
        "p. 3",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(20_000)]
    differ = [t for t in texts if found(shipped, t) != found(reference, t)]
    assert not differ, differ[:5]
    # the texts are not all misses: each pattern finds something in many of them
    assert sum(bool(reference.search(t)) for t in texts) > 1_000


def test_bare_keys_only_count_when_known():
    text = "@property is a decorator; @doe99 is a paper."
    assert [c.key for c in find_citations(text, known={"doe99"})] == ["doe99"]


def test_positions_are_file_lines_and_columns():
    text = "---\ntitle: x\n---\n\nFirst line.\nSecond [@a; see @b] line.\n"
    found = find_citations(text)
    assert [(c.key, c.line, c.col) for c in found] == [("a", 6, 9), ("b", 6, 17)]


@pytest.fixture(scope="module")
def bibliography():
    bib, _ = load_bibliography(MESSY)
    return bib


def render(text, bibliography, style=None):
    index = CitationIndex(bibliography, style or CitationStyle())
    index.add_page("page.md", text, "Page")
    index.prepare()
    ext = CitationExtension(lambda items: render_citation(items, index, "page.md"))
    return markdown.markdown(text, extensions=[ext, "fenced_code"])


def test_markdown_extension_renders_citations_and_leaves_code(bibliography):
    html = render(
        "Text [@kahan1965, p. 40] and @after2022.\n\n`[@kahan1965]` @decorator me@x.org\n\n"
        "```\n@kahan1965\n```\n",
        bibliography,
    )
    assert html.count('class="citation-link"') == 2
    assert '<a class="citation-link" href="#ref-kahan1965">2</a>' in html
    assert 'Doe and Roe [<span class="citation">' in html
    assert "<code>[@kahan1965]</code>" in html
    assert "@decorator me@x.org" in html
    assert "<code>@kahan1965\n</code>" in html


def test_held_citations_join_the_page_later_as_the_same_html(bibliography):
    """Held, a citation is a token in the page's text until ``restore`` swaps its HTML back:
    the result is what the extension writes in place. In a heading it is written in place (the
    table of contents reads the heading), in an attribute it reads as its text, and in code it
    is no citation at all."""
    text = (
        "# Sums [@kahan1965]\n\nText [@kahan1965, p. 40] and @after2022.\n\n"
        '![A plot [@after2022] here](plot.png "From [see @kahan1965] too")\n\n`[@kahan1965]`\n'
    )
    index = CitationIndex(bibliography, CitationStyle())
    index.add_page("page.md", text, "Page")
    index.prepare()
    rendered = lambda items: render_citation(items, index, "page.md")  # noqa: E731
    in_place = markdown.Markdown(extensions=[CitationExtension(rendered), "toc"])
    expected = in_place.convert(text)
    held = HeldCitations()
    md = markdown.Markdown(extensions=[CitationExtension(rendered, held), "toc"])
    html = md.convert(text)
    body = html.split("</h1>", 1)[1]
    assert "citation-link" not in body and len(held.pattern.findall(body)) == 2  # two in the text
    assert 'alt="A plot [1] here"' in html and 'title="From [see 2] too"' in html
    assert md.toc_tokens[0]["name"] == in_place.toc_tokens[0]["name"] == "Sums [2]"
    assert "<code>[@kahan1965]</code>" in html
    restored = held.restore(html)
    assert restored.split("</h1>", 1)[1].replace('"From [see 2] too"', "").count("citation-link") == 2
    assert restored.split("<p><img")[0] == expected.split("<p><img")[0]  # the heading, the text
    token = HeldCitations().hold("<b>x</b>")  # each draws its own tokens: no note can write one
    assert held.restore(f"a {token} b") == f"a {token} b"


def test_author_year_style(bibliography):
    html = render(
        "[see @kahan1965, p. 40; -@after2022] and @child2020",
        bibliography,
        CitationStyle("author-year", "plain"),
    )
    assert ">Kahan, 1965</a>" in html
    assert ">2022</a>" in html and ", p. 40" in html and "(see " in html
    assert 'Müller et al. (<span class="citation">' in html


def test_unknown_bracketed_key_is_marked(bibliography):
    html = render("[@nobody2000]", bibliography)
    assert "citation-unknown" in html and "@nobody2000?" in html


def test_a_generated_page_that_cites_is_listed_by_its_title(tmp_path):
    """The global bibliography's "Cited by" names a generated page (the board, a curriculum
    page) by its title, as a note is named, not by its path."""
    from support.paths import write_tree

    from cortex.model import index_citations, load

    write_tree(tmp_path, {"content/a.md": "# A\n", "refs/r.bib": "@misc{key, title={T}, year=2020}\n"})
    kb = load(tmp_path / "content", root=tmp_path)
    kb.pages["method/board.md"] = "---\nhide: [toc]\n---\n\n# Research board\n\nAs in [@key].\n"
    index_citations(kb, CitationStyle("numeric", "plain"), list_all=False)
    assert kb.citations is not None
    assert kb.citations.pages["method/board.md"].title == "Research board"
    assert kb.citations.cited_by("key") == ["method/board.md"]


def test_a_link_to_a_page_named_like_a_url_scheme_stays_a_path(bibliography):
    """References join a page after it was sanitized: a link to a page whose name reads as a
    scheme ("javascript:...") must not become one."""
    from cortex.mkdocs.citations import CitationsAdapter

    adapter = CitationsAdapter(bibliography, url_for=lambda src_uri: src_uri[:-3] + "/")
    link = adapter._link_from("")
    assert link("javascript:alert(1).md", "") == "./javascript:alert(1)/"
    assert link("notes/a.md", "ref-x") == "notes/a/#ref-x"
