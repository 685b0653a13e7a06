"""Real MkDocs builds of small vaults: links land, embeds transclude, backlinks and tags show,
and bad input is reported while the build goes on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.builds import Build, build_site
from support.html import article, lands, parse
from support.paths import REPO, write_tree

HOME = """---
title: Home page
tags: [project]
---
# Welcome

Plain [[Target]] and [[Target|shown text]] and [[Target#Second section]] and [[Target#Second section#Sub part]].
A block link [[Target#^key-fact]], a folder link [[Café & Crème/日本語 ノート]], a [[#Local heading]] link.
A [[Missing note]] stays visible. Tagged #research/numerics inline. A [[paper.pdf]] link.
In a table:

| link | note |
| --- | --- |
| [[Target\\|alias in table]] | works |

`[[NotInCode]]`

```
[[NotInFence]]
```

%%[[HiddenComment]] secret%%

## Local heading

![[Target#Second section]]

![[Target#^key-fact]]

![[diagram.png|120]]

![[paper.pdf]]

![[Whole]]
"""

TARGET = """# Target

Intro line.

## Second section

Section body text.

### Sub part

Deeper text.

The key fact is here. ^key-fact

## Third

Not embedded.
"""

FILES = {
    "index.md": HOME,
    "Target.md": TARGET,
    "Whole.md": "# Whole\n\nWhole note body, which links back to [[index|home]].\n",
    "Café & Crème/日本語 ノート.md": "# 日本語\n\n## 見出し\n\nLinks to [[Target]].\n",
    "Loop A.md": "# Loop A\n\n![[Loop B]]\n",
    "Loop B.md": "# Loop B\n\n![[Loop A]]\n",
    "Broken.md": "---\ntitle: {{date}}\ntags: [x]\n---\n# Broken\n\nThe body still shows, with [[Target]].\n",
    "Escape.md": "# Escape\n\n[[../../etc/passwd]]\n",
    "assets/diagram.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
    "assets/paper.pdf": b"%PDF-1.4\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("features")
    vault = root / "vault"
    write_tree(vault, FILES)
    (vault / "Latin1.md").write_bytes("# Latin-1\n\nCaf\xe9 au lait, see [[Target]].\n".encode("latin-1"))
    return build_site(vault, root / "work")


def test_build_goes_on_despite_problems(built):
    assert built.returncode == 0, built.output
    assert (built.site / "Broken" / "index.html").is_file()
    assert (built.site / "Latin1" / "index.html").is_file()


def test_every_wikilink_lands(built):
    html = article(built.page(""))
    hrefs = parse(html).hrefs
    wanted = {
        "Target/": None,
        "Target/#second-section": None,
        "Target/#sub-part": None,
        "Target/#^key-fact": None,
        "Caf%C3%A9%20%26%20Cr%C3%A8me/%E6%97%A5%E6%9C%AC%E8%AA%9E%20%E3%83%8E%E3%83%BC%E3%83%88/": None,
        "#local-heading": None,
        "assets/paper.pdf": None,
    }
    for href in wanted:
        assert href in hrefs, (href, hrefs)
        assert lands(built, "", href), href
    assert "alias in table" in html and "shown text" in html


def test_unresolved_link_is_visible_not_a_404(built):
    html = article(built.page(""))
    assert re.search(
        r'<span class="cortex-unresolved" title="[^"]*Missing note[^"]*">Missing note</span>', html
    )


def test_code_and_comments_untouched(built):
    html = article(built.page(""))
    assert "<code>[[NotInCode]]</code>" in html
    assert "[[NotInFence]]" in html
    assert "HiddenComment" not in html and "secret" not in html


def test_embeds(built):
    html = article(built.page(""))
    embeds = re.findall(r'<div class="cortex-embed">(.*?)</div>', html, re.S)
    assert len(embeds) == 3, embeds
    section, block, whole = embeds
    assert "Section body text." in section and "Deeper text." in section and "Not embedded." not in section
    assert "The key fact is here." in block and "Intro line." not in block
    assert "Whole note body" in whole
    # links inside an embedded note are rewritten for the page that embeds it
    assert lands(built, "", parse(whole).hrefs[-1])
    img = re.search(r'<img[^>]*src="([^"]+)"[^>]*>', html)
    assert img and 'width="120"' in img.group(0) and lands(built, "", img.group(1))


def test_embed_loop_is_cut(built):
    html = article(built.page("Loop A/"))
    assert "embed loop" in html
    assert "Loop B" in html


def test_backlinks_with_context(built):
    html = built.page("Target/")
    section = html[html.index('class="cortex-backlinks"') :]
    names = re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a><span class="cortex-context">([^<]*)'
        r'(?:<span class="cortex-more">([^<]*)</span>)?</span>',
        section,
    )
    titles = [title for _, title, _, _ in names]
    assert {"Home page", "日本語", "Broken", "Latin-1"} <= set(titles), names
    assert len(titles) == len(set(titles))  # each linking note once
    context = {title: (ctx, more) for _, title, ctx, more in names}
    assert context["日本語"] == ("Links to Target.", "")
    # the home page links from several sentences: the first is shown, as text, and the rest counted
    first, more = context["Home page"]
    assert first.startswith("Plain Target and shown text and Target") and "[[" not in first
    assert re.fullmatch(r"and \d+ more", more.strip()), more
    for href, _, _, _ in names:
        assert lands(built, "Target/", href)


def test_tag_pages(built):
    tags = built.page("tags/")
    assert "#research/numerics" in tags and "#research" in tags and "#project" in tags
    page = built.page("tags/research/numerics/")
    assert "Home page" in page
    home = article(built.page(""))
    inline = re.search(r'<a class="cortex-tag" href="([^"]+)">#research/numerics</a>', home)
    assert inline and lands(built, "", inline.group(1))


def test_broken_front_matter_shows_body_and_notice(built):
    html = article(built.page("Broken/"))
    assert "The body still shows" in html
    assert "front matter could not be read" in html
    assert "{{date}}" not in html


def test_diagnostics_name_file_and_line(built):
    out = built.output
    assert re.search(r"Broken\.md:2:9: error: front matter is not valid YAML", out)
    assert re.search(r"Latin1\.md:3:4: error: file is not valid UTF-8", out)
    assert re.search(r"index\.md:9:3: error: unresolved \[\[Missing note\]\]", out)
    assert re.search(r"Loop (A|B)\.md:3:1: error: embed loop", out)
    assert re.search(
        r"Escape\.md:3:1: error: unresolved \[\[\.\./\.\./etc/passwd\]\]: link .* outside the content folder",
        out,
    )


def test_strict_build_fails_on_the_errors_cortex_check_reports(built, tmp_path):
    vault = Path(built.site).parent.parent / "vault"
    strict = build_site(vault, tmp_path / "strict", strict=True)
    assert strict.returncode != 0
    check = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check", str(vault)], capture_output=True, text=True, cwd=REPO
    )
    assert check.returncode == 1
    errors = [line for line in check.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 5  # front matter, encoding, missing note, escape, embed loop
    for line in errors:
        message = line.split(": error: ", 1)[1]
        assert message in strict.output, message


def test_clean_vault_builds_strict_and_checks_clean(write_vault, tmp_path):
    vault = write_vault(
        {"index.md": "# Home\n\nSee [[Other#Part]].\n", "Other.md": "# Other\n\n## Part\n\ntext\n"}
    )
    assert build_site(vault, tmp_path / "w", strict=True).returncode == 0
    check = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check", str(vault)], capture_output=True, text=True, cwd=REPO
    )
    assert check.returncode == 0, check.stdout
    assert check.stdout == ""


def test_no_user_file_is_modified(built):
    vault = Path(built.site).parent.parent / "vault"
    for rel, content in FILES.items():
        data = (vault / rel).read_bytes()
        assert data == (content if isinstance(content, bytes) else content.encode("utf-8"))


def test_a_symlink_out_of_the_content_folder_is_never_read(write_vault, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nTOP-SECRET-TEXT\n", "utf-8")
    vault = write_vault({"index.md": "# Home\n\n![[Leak]]\n"})
    (vault / "Leak.md").symlink_to(secret)
    check = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "check", str(vault)], capture_output=True, text=True, cwd=REPO
    )
    assert check.returncode == 1
    assert "Leak.md:1:1: error: a link to a file outside the content folder" in check.stdout
    assert "index.md:3:1: error: unresolved ![[Leak]]" in check.stdout
    build = build_site(vault, tmp_path / "w")
    assert build.returncode == 0
    assert "Leak.md:1:1: error: a link to a file outside the content folder" in build.output
    assert "TOP-SECRET-TEXT" not in article(build.page(""))
    assert not (build.site / "Leak").exists()  # not published either


def test_backlinks_stay_out_of_the_search_index(built):
    import json

    index = json.loads((built.site / "search" / "search_index.json").read_text("utf-8"))
    target = [doc for doc in index["docs"] if doc["location"].startswith("Target/")]
    assert target and not any(
        "Linked from" in doc["text"] or "Links to Target" in doc["text"] for doc in target
    )
    assert any("Section body text." in doc["text"] for doc in target)  # the page's own text is indexed


def test_a_notebook_that_cannot_be_read_is_reported_and_left_out(write_vault, tmp_path):
    notebook = (REPO / "content" / "notebooks" / "Floating-point formats explored.ipynb").read_text("utf-8")
    vault = write_vault({
        "index.md": "# Home\n",
        "good.ipynb": notebook,
        "broken.ipynb": '{"cells": [\n  oops]}',
        "latin.ipynb": b"\xff\xfe not text",
        "other.ipynb": '{"a": 1}',
    })  # fmt: skip
    build = build_site(vault, tmp_path / "site")
    assert build.returncode == 0, build.output[-3000:]
    assert "broken.ipynb:2:3: error: notebook is not valid JSON" in build.output
    assert "latin.ipynb:1:1: error: notebook is not valid UTF-8" in build.output
    assert "other.ipynb:1:1: error: this .ipynb file is not a Jupyter notebook" in build.output
    assert (build.site / "good" / "index.html").is_file()
    assert not (build.site / "broken").exists() and not (build.site / "broken.ipynb").exists()
