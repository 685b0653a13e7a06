"""A real build of a vault written in every form of Obsidian's Markdown the site renders: what
the reader gets is what Obsidian shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from support.builds import Build, build_site
from support.forms_vault import BROKEN_FORMULA_LINE, FORMS_FILES
from support.paths import write_tree

from cortex.mkdocs.scripts import DIAGRAMS, MATH_FONT, math_font_path, mermaid_js_path
from cortex.model import load


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("forms") / "vault", FORMS_FILES)


@pytest.fixture(scope="module")
def built(vault, tmp_path_factory) -> Build:
    build = build_site(vault, tmp_path_factory.mktemp("work"))
    assert build.returncode == 0, build.output[-4000:]
    return build


@pytest.fixture(scope="module")
def article(built) -> str:
    html = built.page("Every%20form/")
    return html.split('<article class="md-content__inner', 1)[1].split("</article>", 1)[0]


def test_the_only_diagnostic_is_the_formula_that_cannot_be_read(vault):
    found = [(d.path.rsplit("/", 1)[-1], d.line, d.code.value) for d in load(vault).diagnostics]
    assert found == [("Every form.md", BROKEN_FORMULA_LINE, "bad-math")]


def test_every_formula_is_mathml_and_the_broken_one_shows_its_source(article):
    assert article.count("<math ") == 6  # 2 inline, 2 display, 1 in a callout, 1 embedded
    assert article.count('display="block"') == 2
    assert "arithmatex" not in article
    assert "\\(" not in article and "$$" not in article
    assert '<span class="cortex-math-error" title="the formula cannot be read' in article
    assert "<code>$\\frac{a}{$</code>" in article
    assert "a price of $5 and $10." in article


def test_the_math_font_is_the_sites_own(built):
    assert (built.site / MATH_FONT).read_bytes() == math_font_path().read_bytes()
    css = (built.site / "assets" / "cortex" / "cortex.css").read_text("utf-8")
    assert 'url("STIXTwoMath-Regular.ttf")' in css


def test_callouts_are_admonitions_with_their_list_and_embed_inside(article):
    note = article.split('<div class="admonition note">', 1)[1]
    assert note.startswith('\n<p class="admonition-title">A note with a <em>title</em></p>')
    assert "<mark>highlighted words</mark>" in note
    assert note.index("nested two") < note.index("Embedded section text")
    assert '<details class="tip">\n<summary>Folded tip</summary>' in article
    assert '<details class="warning" open="open">' in article
    inner = article.split('<details class="warning" open="open">', 1)[1]
    assert inner.index('<div class="admonition question">') < inner.index("</details>")
    assert "[!" not in article


def test_lists_nest_as_in_obsidian(article):
    body = article.split("<ol>", 1)[1]
    ol = ET.fromstring("<ol>" + body.split("</ol>\n<ul>", 1)[0] + "</ol>")
    assert [li.text.strip() for li in ol.findall("li")] == ["Step one", "Step two", "Step three", "Step four"]
    assert [len(li.findall("ul/li")) + len(li.findall("ol/li")) for li in ol.findall("li")] == [2, 2, 0, 0]
    tabs = ET.fromstring("<ul>" + body.split("</ol>\n<ul>", 1)[1].split("</ul>\n<div", 1)[0] + "</ul>")
    assert tabs.find("li/ul/li/ul/li").text.strip() == "grandchild"


def test_mermaid_ships_its_source_and_the_sites_own_mermaid_js(article, built):
    assert (
        '<div class="cortex-diagram" data-language="mermaid"><pre class="cortex-diagram-source">' in article
    )
    assert "graph LR\n  A --&gt; B" in article
    assert (built.site / DIAGRAMS.library).read_bytes() == mermaid_js_path().read_bytes()
    page = built.page("Every%20form/")
    assert page.count(DIAGRAMS.loader) == 1 and "unpkg.com" not in page and "cdn.jsdelivr" not in page


def test_audio_and_video_are_players(article, built):
    assert '<audio class="cortex-audio" controls="" preload="metadata" src="../media/talk.mp3">' in article
    assert '<video class="cortex-video" controls="" preload="metadata" src="../media/demo.mp4">' in article
    assert (built.site / "media" / "talk.mp3").is_file()
