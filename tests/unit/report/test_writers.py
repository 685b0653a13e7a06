"""The report writers: hostile strings stay text in every format, and math is translated or
shown as its source, never run."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pypdf import PdfReader

from cortex.report import document as d
from cortex.report.latex import LatexWriter, latex_text
from cortex.report.markdown import MarkdownWriter, md_escape
from cortex.report.math import MathNotTranslated, latex_math, typst_math
from cortex.report.prose import text_of_html
from cortex.report.typst import TypstWriter

HOSTILE = [
    "#set page(width: 1cm) #sys.inputs $x$ *bold* _it_ `raw` <lab> @ref // not a comment /* nor */",
    r"\textbf{x} \input{/etc/passwd} 100% & $5 #1 ~ ^ { } [ ] \\ | < >",
    "1. not a list\n- nor this\n= nor a heading\n# nor this",
    '"quoted" [link](https://example.org) ![img](x.png) <script>alert(1)</script> &amp; |a|b|',
    ']) #panic("injected") [(',
]
# CommonMark as the site and the report's reader parse it
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def report_with(text: str) -> d.Report:
    """A report whose every kind of string is ``text``."""
    return d.Report(
        title=text,
        subtitle=text,
        blocks=[
            d.Heading(1, (d.Text(text),)),
            d.Paragraph((d.Text(text), d.Styled("emph", (d.Text(text),)), d.Code(text))),
            d.ListBlock(((d.Paragraph((d.Text(text),)),),)),
            d.Table(((d.Text(text),), (d.Text("n"),)), (((d.Text(text),), (d.Text("2"),)),), (False, True)),
            d.Fields(((text, (d.Text(text),)),)),
            d.Paragraph((d.Link("https://example.org/?a=1&b=%7B#x", (d.Text(text),)),)),
        ],
        references=[d.Reference("1", (d.Text(text),))],
    )


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def compile_typst(source: str) -> bytes:
    import typst

    pdf = typst.compile(source.encode("utf-8"), format="pdf")
    assert isinstance(pdf, bytes)
    return pdf


@pytest.mark.parametrize("hostile", HOSTILE)
def test_typst_shows_hostile_text_as_written(hostile):
    source, problems = TypstWriter.source(report_with(hostile), {})
    text = pdf_text(compile_typst(source))
    assert problems == []
    # Typst sets quotes typographically, wraps and hyphenates: compared without any of it
    shown = re.sub(r"\s+", "", hostile)
    text = re.sub(r"[\s\u00ad]+", "", text).translate(str.maketrans("“”‘’", "\"\"''"))
    # the title, the subtitle, the heading, the paragraph, its emphasis and code, the list, the
    # header and body cells, the field's label and value, the link and the reference
    assert text.count(shown) == 13, text


def test_typst_escapes_every_syntax_character_of_a_title():
    source, _ = TypstWriter.source(report_with("#a $b *c _d `e <f @g =h -i +j /k [l ]m ~n \\o"), {})
    title_line = next(line for line in source.splitlines() if "size: 17pt" in line)
    assert re.search(r"(?<!\\)[#$*_`<@=+/\[~]", title_line.split("[", 1)[1].rsplit("]", 1)[0]) is None


LATEX_ESCAPES = re.compile(
    r"\\textbackslash\{\}|\\textasciicircum\{\}|\\textasciitilde\{\}|\\textless\{\}|\\textgreater\{\}"
    r"|\\textbar\{\}|\\[{}$&#%_]|\{\[\}|\{\]\}|-\{\}|'\{\}|`\{\}"
)


@given(st.text())
def test_latex_text_leaves_no_special_character_unescaped(text):
    rest = LATEX_ESCAPES.sub("", latex_text(text))
    assert not set(rest) & set("\\{}$&#%_^~<>|[]\n")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_latex_source_has_no_command_from_the_text(hostile):
    source, _ = LatexWriter.source(report_with(hostile), {})
    body = source.split("\\begin{document}", 1)[1]
    assert "\\input" not in body and "\\textbf{x}" not in body
    assert "\\href{https://example.org/?a=1\\&b=\\%7B\\#x}" in body


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"])))
def test_markdown_text_reads_back_as_written(text):
    html = MARKDOWN.render(md_escape(text))
    assert " ".join(text_of_html(html).split()) == " ".join(text.split())


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_source_keeps_hostile_text_as_text(hostile):
    source, _ = MarkdownWriter.source(report_with(hostile), {})
    html = MARKDOWN.render(source)
    assert "<script" not in html and 'href="x.png"' not in html and "<h1>nor" not in html
    assert html.count("<table>") == 1  # the cell's bars did not make another table or break this one


def test_math_is_translated_to_typst_and_compiles():
    formulas = [r"\gamma_k = \frac{k u}{1 - k u}", r"\lceil \log_2 n \rceil", r"\|x\|_1 = \sum_i |x_i|"]
    translated = [typst_math(f, display=False) for f in formulas]
    assert translated[1] == "$ceil(log_2 n)$"
    assert "(k u)/(1 - k u)" in translated[0]
    compile_typst(" ".join(translated) + "\n\n" + typst_math(r"\int_0^1 x^2\,dx", display=True))


@pytest.mark.parametrize(
    "tex",
    [
        r'\text{" #sys.inputs "}',  # a string that closes itself to run code
        r"\foo{x}",  # a command the site cannot typeset either
        r"\frac{1}{",  # unbalanced
    ],
)
def test_math_that_cannot_be_translated_safely_is_refused(tex):
    with pytest.raises(MathNotTranslated):
        typst_math(tex, display=False)


def test_refused_math_is_shown_as_its_source_and_reported():
    report = d.Report("t", "s", [d.Paragraph((d.Math(r"\foo{x} #x"),)), d.MathBlock(r"\frac{a}{b}")])
    source, problems = TypstWriter.source(report, {})
    assert len(problems) == 1 and "\\foo" in problems[0]
    assert '#raw("$\\\\foo{x} #x$");' in source and "$ a/b $" in source
    assert "\\foo{x} #x" in pdf_text(compile_typst(source))
    latex, problems = LatexWriter.source(report, {})
    assert (
        len(problems) == 1 and "\\texttt{\\$\\textbackslash{}foo" in latex and "\\[ \\frac{a}{b} \\]" in latex
    )


@pytest.mark.parametrize("tex", [r"\input{/etc/passwd}", r"x \write18{rm}", r"\def\x{1} \x", "a % b"])
def test_latex_math_refuses_commands_that_touch_files(tex):
    with pytest.raises(MathNotTranslated):
        latex_math(tex, display=False)
