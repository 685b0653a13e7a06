"""Real MkDocs builds of a small site whose test-only hooks drive CitationsAdapter."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from support.paths import TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "bib"

HOME = """# Home

Kahan's trick [@kahan1965, p. 40] and later work [see @after2022; -@child2020].
As @kahan1965 showed; write to me@example.com, use `@kahan1965` in code, cite [@missing2000].

```python
@kahan1965
def f(): pass
```

<!-- [@evil2023] is only in a comment -->
"""

EVIL = """---
cite: evil2023
---
# Evil note

This is the reading note for [@evil2023], which has a hostile title.
"""

DEEP = """# Deep page

Only cites [@twice2019] and @after2022.
"""


def make_site(root: Path, **extra) -> Path:
    (root / "docs" / "notes" / "deep").mkdir(parents=True)
    shutil.copytree(FIXTURES / "messy", root / "refs")
    shutil.copy(FIXTURES / "site" / "hooks.py", root / "hooks.py")
    (root / "mkdocs.yml").write_text(
        yaml.safe_dump(
            {
                "site_name": "Citations test",
                "theme": "mkdocs",
                "hooks": ["hooks.py"],
                "extra": extra,
            }
        ),
        encoding="utf-8",
    )
    (root / "docs" / "index.md").write_text(HOME, encoding="utf-8")
    (root / "docs" / "notes" / "evil.md").write_text(EVIL, encoding="utf-8")
    (root / "docs" / "notes" / "deep" / "page.md").write_text(DEEP, encoding="utf-8")
    return root


def build_site(root: Path) -> dict[str, str]:
    build(load_config(str(root / "mkdocs.yml")))
    site = root / "site"
    return {
        "home": (site / "index.html").read_text(encoding="utf-8"),
        "evil": (site / "notes" / "evil" / "index.html").read_text(encoding="utf-8"),
        "deep": (site / "notes" / "deep" / "page" / "index.html").read_text(encoding="utf-8"),
        "bib": (site / "bibliography" / "index.html").read_text(encoding="utf-8"),
        "diagnostics": (root / "diagnostics.txt").read_text(encoding="utf-8"),
    }


def without_build_date(html: str) -> str:
    return re.sub(r"<!--\s*MkDocs version.*?-->", "", html, flags=re.S)


def entry_ids(html: str) -> list[str]:
    return re.findall(r'<li class="reference" id="(ref-[^"]+)"', html)


@pytest.fixture(scope="module")
def numeric(tmp_path_factory):
    return build_site(make_site(tmp_path_factory.mktemp("numeric")))


def test_citations_link_to_page_entries_which_hold_each_reference_once(numeric):
    home = numeric["home"]
    # plain style sorts the page's references: Doe and Roe, Kahan, Müller.
    assert re.search(
        r'\[<span class="citation"><a class="citation-link" href="#ref-kahan1965">2</a></span>, p\. 40\]',
        home,
    )
    # the entry a citation's hover card shows (cortex-citations.js takes it from the page's references)
    entry = home[home.index('id="ref-kahan1965"') :].split("</li>")[0]
    assert re.search(
        r'<span class="reference-body">W.&nbsp;Kahan\.\s*Pracniques: further remarks on '
        r"reducing truncation errors\.\s*<em>Communications of the ACM</em>, 8\(1\):40, 1965\.\s*"
        r'<a href="https://doi.org/10.1145/363707.363723" rel="noopener">doi:10.1145/363707.363723</a>'
        r"\.</span>",
        entry,
    )
    assert home.count("Pracniques: further remarks") == 1 and "citation-card" not in home
    assert re.search(
        r'\[see <span class="citation"><a class="citation-link" href="#ref-after2022">1</a>', home
    )
    assert 'href="https://arxiv.org/abs/2201.00001" rel="noopener">arXiv:2201.00001</a>' in home
    assert re.search(
        r'As Kahan \[<span class="citation"><a class="citation-link" href="#ref-kahan1965">2</a>', home
    )


def test_code_emails_and_comments_are_untouched(numeric):
    home = numeric["home"]
    assert "me@example.com" in home and "<code>@kahan1965</code>" in home
    assert re.search(r"<code>.*@kahan1965\s*def f\(\): pass", home, re.S)
    assert "ref-evil2023" not in home


def test_each_citing_page_ends_with_its_bibliography(numeric):
    home = numeric["home"]
    section = home[home.index('<section class="references">') :]
    assert entry_ids(section) == ["ref-after2022", "ref-kahan1965", "ref-child2020"]
    assert '<span class="reference-label">[3]</span>' in section
    assert 'href="bibliography/#ref-kahan1965"' in section
    deep = numeric["deep"]
    assert entry_ids(deep) == ["ref-after2022", "ref-twice2019"]
    assert 'href="../../../bibliography/#ref-twice2019"' in deep


def test_unknown_key_is_a_diagnostic_with_file_and_line(numeric):
    assert "citation-unknown" in numeric["home"] and "@missing2000?" in numeric["home"]
    assert "index.md:4:80: error: unknown citation key 'missing2000'" in numeric["diagnostics"]
    assert "a_entries.bib:23:3: error: BibTeX syntax error" in numeric["diagnostics"]


def test_global_bibliography_lists_cited_entries_with_cited_by(numeric):
    bib = numeric["bib"]
    assert sorted(entry_ids(bib)) == [
        "ref-after2022",
        "ref-child2020",
        "ref-evil2023",
        "ref-kahan1965",
        "ref-twice2019",
    ]
    after = bib[bib.index('id="ref-after2022"') :].split("</li>")[0]
    assert 'Cited by: <a href="../">Home</a>, <a href="../notes/deep/page/">Deep page</a>' in after


def test_reading_note_shows_reference_and_is_linked_from_entries(numeric):
    evil = numeric["evil"]
    assert '<div class="reading-note-reference" id="reading-note-evil2023">' in evil
    assert evil.index("</h1>") < evil.index("reading-note-reference") < evil.index("This is the reading note")
    bib = numeric["bib"]
    entry = bib[bib.index('id="ref-evil2023"') :].split("</li>")[0]
    assert '<a class="reading-note-link" href="../notes/evil/">Reading note</a>' in entry


def test_hostile_title_renders_as_text(numeric):
    for page in ("evil", "bib"):
        html = numeric[page]
        # escaped by markupsafe (&#34;) or serialized by the sanitizer (a quote in text stays one)
        assert re.search(r'&lt;script&gt;alert\((&#34;|")x(&#34;|")\)&lt;/script&gt;', html)
        assert '<script>alert("x")' not in html and "<img src=x onerror" not in html
        assert 'href="javascript:' not in html


def test_author_year_and_list_all(tmp_path):
    out = build_site(make_site(tmp_path, cite_style="author-year", list_all=True))
    home = out["home"]
    assert re.search(
        r'\(<span class="citation"><a class="citation-link" href="#ref-kahan1965">Kahan, 1965</a>', home
    )
    assert re.search(
        r'\(see <span class="citation"><a [^>]*>Doe and Roe, 2022</a>.*?; <span class="citation">'
        r'<a class="citation-link" href="#ref-child2020">2020</a>',
        home,
        re.S,
    )
    assert re.search(
        r'As Kahan \(<span class="citation"><a class="citation-link" href="#ref-kahan1965">1965</a>', home
    )
    assert '<ul class="bibliography bibliography-author-year">' in home
    assert {"ref-latin1book", "ref-conf2020", "ref-dangling2024"} <= set(entry_ids(out["bib"]))


def test_alpha_labels_and_warm_rebuild(tmp_path):
    root = make_site(tmp_path, bib_style="alpha")
    first = build_site(root)
    assert '<a class="citation-link" href="#ref-kahan1965">Kah65</a>' in first["home"]
    assert '<span class="reference-label">[DR22]</span>' in first["home"]
    assert len(list((root / ".cache" / "parsed").glob("*.pickle"))) == 4
    assert (root / ".cache" / "formatted" / "html-alpha.pickle").is_file()
    second = build_site(root)
    for page in ("home", "bib", "evil"):
        assert without_build_date(second[page]) == without_build_date(first[page])


def test_links_without_directory_urls():
    from cortex.citations.bibliography import Bibliography
    from cortex.mkdocs.citations import CitationsAdapter

    adapter = CitationsAdapter(Bibliography({}), url_for=lambda src: src[:-3] + ".html")
    link = adapter._link_from("notes/deep/page.html")
    assert link("bibliography.md", "ref-x") == "../../bibliography.html#ref-x"
    assert link("notes/deep/page.md", "") == "page.html"
    assert CitationsAdapter(Bibliography({}))._link_from("notes/a/")("index.md", "") == "../../"
