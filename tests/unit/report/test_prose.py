"""The site's Markdown read into the report's model: math and citations set aside as the site
finds them, the page's HTML reduced to its text, pymdownx blocks opened."""

from __future__ import annotations

from cortex.report import document as d
from cortex.report.prose import html_inlines, read_markdown


def no_cite(items):
    return None


def numbered(items):
    return "[" + ", ".join(str(len(i.key)) for i in items) + "]"


def test_math_is_not_read_as_emphasis_and_display_math_stands_alone():
    blocks = read_markdown(
        "Let $a_i * b_i$ and *c*, then\n$$\n\\sum_i a_i\n$$\nand `$x$` stays code.", no_cite
    )
    first = blocks[0]
    assert isinstance(first, d.Paragraph)
    assert d.Math("a_i * b_i") in first.content and d.Styled("emph", (d.Text("c"),)) in first.content
    assert blocks[1] == d.MathBlock("\\sum_i a_i")
    assert isinstance(blocks[2], d.Paragraph) and d.Code("$x$") in blocks[2].content


def test_citations_become_their_text_outside_code():
    blocks = read_markdown("As shown [@knuth1997, p. 3] and `[@not]`.", numbered)
    assert blocks == [d.Paragraph((d.Text("As shown [9] and "), d.Code("[@not]"), d.Text(".")))]


def test_quoted_numbers_keep_their_text_and_links_between_pages_are_dropped():
    rendered = (
        'It took [<span class="cortex-quote" title="squares: time at n=3&#10;fresh">3.2 µs</span>]'
        "(../experiments/squares.md), see [the docs](https://example.org/a_b)."
    )
    (para,) = read_markdown(rendered, no_cite)
    assert para == d.Paragraph(
        (
            d.Text("It took 3.2 µs, see "),
            d.Link("https://example.org/a_b", (d.Text("the docs"),)),
            d.Text("."),
        )
    )


def test_tabs_and_folded_blocks_are_opened_and_tables_read():
    markdown = (
        '<section class="cortex-results" data-search-exclude="true" markdown>\n\n'
        '=== "Time"\n\n    | n | time (µs) |\n    | --- | ---: |\n    | 1 | <span title="x">1.0</span> |\n\n'
        '??? abstract "Every other metric (1)"\n\n    - item\n\n</section>\n{: .cortex-quote-source }\n'
    )
    blocks = read_markdown(markdown, no_cite)
    assert blocks[0] == d.Paragraph((d.Styled("strong", (d.Text("Time"),)),))
    table = blocks[1]
    assert isinstance(table, d.Table) and table.numeric == (False, True)
    assert table.rows == (((d.Text("1"),), (d.Text("1.0"),)),)
    assert blocks[2] == d.Paragraph((d.Styled("strong", (d.Text("Every other metric (1)"),)),))
    assert isinstance(blocks[3], d.ListBlock) and len(blocks) == 4


def test_an_embedded_figure_is_handed_to_the_callback_and_problems_shown():
    figure = d.Figure("e-f", (d.Text("caption"),), lambda fmt: b"")
    markdown = (
        '<div class="cortex-figure" id="fig-e-f" data-search-exclude><template>{"data":[]}</template></div>\n\n'
        '<div class="cortex-problem cortex-quote--missing">Cannot quote x: no &lt;such&gt; thing</div>\n\n'
        "## Heading\n\nA<br>B"
    )
    blocks = read_markdown(markdown, no_cite, {"fig-e-f": figure}.get, shift_headings=1)
    assert blocks[0] is figure
    assert blocks[1] == d.Paragraph((d.Styled("emph", (d.Text("⚠ Cannot quote x: no <such> thing"),)),))
    assert blocks[2] == d.Heading(1, (d.Text("Heading"),))
    assert blocks[3] == d.Paragraph((d.Text("A"), d.Break(), d.Text("B")))


def test_a_formatted_reference_keeps_emphasis_and_outside_links():
    html = (
        'A. Author. <em>A &amp; B</em>. <a href="https://doi.org/1">doi:1</a>. <a href="javascript:x">x</a>'
    )
    assert html_inlines(html) == (
        d.Text("A. Author. "),
        d.Styled("emph", (d.Text("A & B"),)),
        d.Text(". "),
        d.Link("https://doi.org/1", (d.Text("doi:1"),)),
        d.Text(". x"),
    )


def test_an_obsidian_callout_shows_its_title_in_bold():
    blocks = read_markdown("> [!warning]- Fast-math\n> deletes *it*.\n\n> [!tip]\n> body", no_cite)
    assert blocks[0] == d.BlockQuote(
        (
            d.Paragraph((d.Styled("strong", (d.Text("Fast-math"),)),)),
            d.Paragraph((d.Text("deletes "), d.Styled("emph", (d.Text("it"),)), d.Text("."))),
        )
    )
    assert blocks[1] == d.BlockQuote(
        (d.Paragraph((d.Styled("strong", (d.Text("Tip"),)),)), d.Paragraph((d.Text("body"),)))
    )
