"""Obsidian's Markdown turned into what Python-Markdown reads: display math inside paragraphs,
list nesting by 2, 3 or 4 spaces or tabs, callouts, and embeds and media inside them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown
import pytest

from cortex.model import load
from cortex.notes.obsidian import callouts, isolate_display_math, nest_lists, obsidian_to_markdown
from cortex.notes.rendering import RenderOptions, render_note

EXTENSIONS = ["admonition", "pymdownx.details", "pymdownx.superfences", "pymdownx.mark", "sane_lists"]


def to_html(obsidian: str) -> str:
    return markdown.markdown(obsidian_to_markdown(obsidian), extensions=EXTENSIONS)


def test_display_math_starting_and_ending_inside_a_paragraph_is_a_block():
    text = "A line\n$$\nx\n$$\nafter. Inline $$y$$ here.\n"
    out = isolate_display_math(text)
    assert re.search(r"A line\n\n+\$\$\nx\n\$\$\n\nafter\.", out)
    assert "Inline \n\n$$y$$\n\n here." in out


def test_display_math_in_a_blockquote_stays_in_it():
    out = isolate_display_math("> quoted $$z$$ end\n")
    assert out == "> quoted \n>\n> $$z$$\n>\n>  end\n"


def test_display_math_in_a_list_item_stays_in_it():
    html = to_html("- by\n  $$\n  x\n  $$\n  and more\n\n- next\n")
    first, second = html.split("<li>")[1:]
    assert "<p>$$\nx\n$$</p>" in first and "<p>and more</p>" in first  # its own block, in the item
    assert "next" in second


def test_display_math_in_code_is_left_alone():
    text = "```\nA line\n$$\nx\n$$\n```\n`$$y$$` in a span\n"
    assert isolate_display_math(text) == text


@pytest.mark.parametrize("step", ["  ", "   ", "    ", "\t"])
def test_lists_nested_by_any_obsidian_indent_nest(step):
    text = f"1. One\n{step}- a\n{step}- b\n2. Two\n{step}{step}- deeper\n3. Three\n"
    html = to_html(text)
    assert html.count("<li>") == 6
    top = html.split("<ol>", 1)[1].rsplit("</ol>", 1)[0]
    assert top.count("<ul>") == 2  # the sub-lists are inside the numbered list, not new items of it


def test_the_transformer_pipeline_has_four_steps_not_seven():
    # the shipped Transformer Architecture note nests its list by three spaces
    text = "1. Tokens.\n2. Embedding.\n3. Blocks. Each has:\n   - attention;\n   - an MLP;\n   - residuals.\n4. Output.\n"
    root = ET.fromstring(f"<root>{to_html(text)}</root>")
    (ol,) = root.findall("ol")
    steps = ol.findall("li")
    assert len(steps) == 4
    assert [len(step.findall("ul/li")) for step in steps] == [0, 0, 3, 0]


def test_a_code_fence_in_a_list_item_moves_with_it():
    out = nest_lists("1. Step\n   ```py\n   x = 1\n   ```\n2. Next\n")
    assert out == "1. Step\n    ```py\n    x = 1\n    ```\n2. Next\n"


def test_a_fence_indented_by_up_to_three_spaces_is_a_fence():
    html = to_html("> [!warning]-\n>  ```md\n>  > quoted\n> ```\n")
    assert "```" not in html
    assert "quoted" in html.split("<code>", 1)[1].split("</code>", 1)[0]


def test_a_paragraph_after_a_list_ends_it():
    html = to_html("- a\n  - b\n\nAfter the list.\n")
    assert "<p>After the list.</p>" in html
    assert html.index("</ul>") < html.index("After the list.")


@pytest.mark.parametrize(
    ("header", "css", "title"),
    [
        ("[!note]", "note", "Note"),
        ("[!tip] Own *title*", "tip", "Own <em>title</em>"),
        ("[!caution]", "warning", "Caution"),  # an alias keeps its own name as title
        ("[!FAQ]", "question", "Faq"),
        ("[!error]", "danger", "Error"),
        ("[!cite]", "quote", "Cite"),
    ],
)
def test_callouts_are_admonitions_of_their_type(header, css, title):
    html = to_html(f"Paragraph line\n> {header}\n> Body with ==marked== text.\n")
    assert f'<div class="admonition {css}">' in html
    assert f'<p class="admonition-title">{title}</p>' in html
    assert "<mark>marked</mark>" in html
    assert "[!" not in html


def test_folding_callouts_are_details_open_or_closed():
    html = to_html("> [!tip]- Folded\n> Hidden.\n\n> [!tip]+ Open\n> Shown.\n")
    assert '<details class="tip">\n<summary>Folded</summary>' in html
    assert '<details class="tip" open="open">\n<summary>Open</summary>' in html


def test_nested_callouts_and_lists_stay_inside():
    html = to_html("> [!warning] Outer\n> - item\n>   - nested\n> > [!faq] Inner\n> > Inside.\n")
    outer = html.split('<div class="admonition warning">', 1)[1]
    assert outer.index("<li>item") < outer.index('<div class="admonition question">')
    assert "<li>nested</li>" in outer
    assert "Inside." in outer.split('<div class="admonition question">', 1)[1]


def test_plain_text_mentioning_a_callout_is_untouched():
    text = "Write `> [!note]` to make one.\n"
    assert callouts(text) == text


def test_an_embed_inside_a_callout_stays_inside(write_vault):
    vault = write_vault(
        {
            "Host.md": "# Host\n\n> [!note] Holds an embed\n> Before.\n> ![[Other#Part]]\n> After.\n",
            "Other.md": "# Other\n\n## Part\n\nEmbedded words.\n",
        }
    )
    kb = load(vault)
    html = markdown.markdown(
        render_note(kb.vault, kb.notes["Host.md"]), extensions=[*EXTENSIONS, "attr_list", "md_in_html"]
    )
    inside = html.split('<div class="admonition note">', 1)[1]
    for words in ("Before.", "Embedded words.", "After."):
        assert words in inside
    assert inside.count("<div") <= inside.count("</div>")  # the callout closes after the embed


def test_audio_and_video_embeds_are_players_with_a_link_to_fall_back_on(write_vault):
    vault = write_vault({"Talk.md": "# Talk\n\n![[talk.mp3]]\n\n![[demo clip.mp4|The demo]]\n"})
    (vault / "talk.mp3").write_bytes(b"ID3")
    (vault / "demo clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42")
    kb = load(vault)
    out = render_note(kb.vault, kb.notes["Talk.md"])
    assert '<audio class="cortex-audio" controls preload="metadata" src="../talk.mp3">' in out
    assert '<a href="../talk.mp3">talk.mp3</a></audio>' in out
    assert '<video class="cortex-video" controls preload="metadata" src="../demo%20clip.mp4">' in out
    assert ">The demo</a></video>" in out
    flat = render_note(kb.vault, kb.notes["Talk.md"], options=RenderOptions(directory_urls=False))
    assert 'src="talk.mp3"' in flat
