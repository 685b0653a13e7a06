"""Math typeset to MathML when the site is built, and formulas that cannot be typeset."""

from __future__ import annotations

import pytest

from cortex.text.math import (
    find_formulas,
    formula_problem,
    to_mathml,
    typeset_notebook,
    typeset_page,
    typeset_text,
)


def test_inline_and_display_formulas_become_mathml():
    page = (
        '<p>Energy <span class="arithmatex">\\(E = mc^2\\)</span> and</p>\n'
        '<div class="arithmatex">\\[\\sum_{i=1}^{n} x_i\\]</div>'
    )
    html, problems = typeset_page(page)
    assert problems == []
    assert "arithmatex" not in html
    assert '<span class="cortex-math"><math' in html
    assert '<div class="cortex-math cortex-math--display"><math' in html
    assert 'display="block"' in html
    assert "&#x02211;" in html  # the summation sign


def test_entities_from_markdown_are_unescaped_before_typesetting():
    html, problems = typeset_page('<span class="arithmatex">\\(a &lt; b\\)</span>')
    assert problems == []
    assert "<mo>&#x0003C;</mo>" in html  # a less-than sign, not the text "&lt;"


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        ("\\frac{a}{", "cannot be read"),
        ("\\notacommand x", "unknown command \\notacommand"),
    ],
)
def test_a_formula_that_cannot_be_typeset_is_shown_as_its_source(latex, reason):
    html, problems = typeset_page(f'<span class="arithmatex">\\({latex}\\)</span>')
    assert [p.latex for p in problems] == [latex]
    assert reason in problems[0].reason
    assert 'class="cortex-math-error"' in html
    assert f"<code>${latex}$</code>" in html
    assert formula_problem(latex, display=False) == problems[0].reason


def test_source_formulas_are_found_with_every_delimiter_and_prices_are_not_math():
    text = "Cost $5 and $10. Inline $x$ and \\(y\\); $$z$$ and \\[w\\]."
    assert [(latex, display) for _, latex, display in find_formulas(text)] == [
        ("x", False),
        ("y", False),
        ("z", True),
        ("w", True),
    ]


def test_mathml_is_cached_per_formula():
    assert to_mathml("x^2", False) is to_mathml("x^2", False)


def test_notebook_markdown_cells_are_typeset_and_code_outputs_are_not():
    page = (
        '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput">'
        "<p>Loss $\\mathcal{L} = -\\log p$ costs $5 a run.</p><p>$$\\int_0^1 x\\,dx$$</p></div>"
        '<div class="jp-OutputArea-output"><pre>$not math$</pre></div>'
    )
    html, problems = typeset_notebook(page)
    assert problems == []
    assert html.count("<math") == 2
    assert "costs $5 a run" in html
    assert "<pre>$not math$</pre>" in html


def test_the_reason_a_formula_failed_is_safe_in_a_tooltip(monkeypatch):
    import cortex.text.math as math_module

    def refuse(latex, display):
        raise math_module.MathError("<b>no</b>")

    monkeypatch.setattr(math_module, "to_mathml", refuse)
    page, _ = typeset_page('<span class="arithmatex">\\(x\\)</span>')
    assert 'title="&lt;b&gt;no&lt;/b&gt;"' in page  # the sanitizer, run next, makes it tooltip-safe
    notebook = '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown"><p>$x$</p></div>'
    html, _ = typeset_notebook(notebook)
    assert 'title="&amp;lt;b&amp;gt;no&amp;lt;/b&amp;gt;"' in html  # no sanitizer runs on a notebook


def test_a_quoted_line_is_escaped_with_its_formulas_typeset():
    html = typeset_text('Let $u_1$ be < 1 & "see" $$v^2$$, \\(w\\).')
    assert html.count('<span class="cortex-math"><math') == 3 and "$" not in html
    assert "be &lt; 1 &amp; &#34;see&#34; " in html
    # a formula that cannot be typeset, or one a quote's cut left open, stays as written
    assert typeset_text(r"…x^2$ and $\nosuchcommand y$ stay") == r"…x^2$ and $\nosuchcommand y$ stay"
    assert typeset_text("costs \\$5, or 6") == "costs \\$5, or 6"


def test_a_quoted_formula_cannot_carry_markup_into_the_page():
    html = typeset_text(r"$\text{<script>alert(1)</script><img src=x onerror=alert(2)>}$ <b>x</b>")
    assert "<script" not in html and "<img" not in html and "onerror" not in html
    assert "<math" in html and html.endswith(" &lt;b&gt;x&lt;/b&gt;")
