"""Loading messy .bib files with pybtex, LaTeX to HTML, escaping, and the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import REPO, TEST_FIXTURES

from cortex.citations import bibliography as bibliography_module
from cortex.citations.bibliography import load_bibliography
from cortex.citations.index import render_bibliography
from cortex.citations.latex import latex_to_html, latex_to_text
from cortex.citations.references import CitationStyle, formatter_for
from cortex.citations.syntax import citations_in

FIXTURES = TEST_FIXTURES / "bib"
MESSY = FIXTURES / "messy"
REFS = REPO / "refs"


@pytest.fixture(scope="module")
def messy():
    return load_bibliography(MESSY)


def messages(diagnostics):
    return [(Path(d.path).name, d.line, d.col, str(d.level), d.message) for d in diagnostics]


def test_macros_from_another_file_and_concatenation(messy):
    bib, _ = messy
    assert bib["kahan1965"].fields["journal"] == "Communications of the ACM"
    assert bib["after2022"].fields["title"] == "Survives the broken entry before it"
    assert bib["after2022"].persons["author"] == ("Doe, Jane", "Roe, Richard")


def test_keys_are_case_insensitive(messy):
    bib, _ = messy
    assert "KAHAN1965" in bib and bib["Kahan1965"].key == "kahan1965"


def test_parse_error_skips_only_that_entry(messy):
    bib, diagnostics = messy
    assert "broken2021" not in bib
    assert {"after2022", "evil2023", "twice2019"} <= set(bib)
    assert (
        "a_entries.bib",
        23,
        3,
        "error",
        "BibTeX syntax error: '}' expected in entry 'broken2021'; this entry is skipped",
    ) in messages(diagnostics)


def test_duplicate_key_names_both_places(messy):
    bib, diagnostics = messy
    (dup,) = [d for d in diagnostics if "duplicate key" in d.message]
    assert Path(dup.path).name == "m_duplicates.bib" and dup.line == 1 and dup.is_error
    assert "a_entries.bib:2" in dup.message
    assert bib["kahan1965"].fields["title"].startswith("Pracniques")


def test_undefined_macro_duplicate_field_and_dangling_crossref_are_warnings(messy):
    _, diagnostics = messy
    found = messages(diagnostics)
    assert (
        "a_entries.bib",
        30,
        26,
        "warning",
        "undefined @string macro 'undefinedmacro' in entry 'after2022'; it is read as empty text",
    ) in found
    assert any(name == "a_entries.bib" and "second 'title'" in msg for name, _, _, _, msg in found)
    assert any(name == "m_duplicates.bib" and "crossref 'nowhere'" in msg for name, _, _, _, msg in found)


def test_non_utf8_file_is_read_with_a_warning(messy):
    bib, diagnostics = messy
    assert bib["latin1book"].fields["title"] == "Café naïveté"
    assert bib["latin1book"].fields["publisher"] == "Éditions"
    (enc,) = [d for d in diagnostics if "UTF-8" in d.message]
    assert Path(enc.path).name == "n_latin1.bib" and enc.line == 3 and not enc.is_error


def test_crossref_fills_missing_fields(messy):
    bib, _ = messy
    child = bib["child2020"]
    assert child.fields["booktitle"] == "Proceedings of the Conference on Tests"
    assert child.fields["year"] == "2020" and child.fields["publisher"] == "Test Press"
    assert child.fields["title"].startswith("Protected")
    html = formatter_for(bib, "plain").html("child2020")
    assert "<em>Proceedings of the Conference on Tests</em>" in html


@pytest.mark.parametrize(
    ("latex", "html"),
    [
        (r"M{\"u}ller", "Müller"),
        (r"Garc{\'\i}a and \'Eric", "García and Éric"),
        (r"The {BERT} model", "The BERT model"),
        (r"Cost is $O(n^2)$", r'Cost is <span class="arithmatex">\(O(n^2)\)</span>'),
        (r"An \emph{important} \textbf{bold} word", "An <em>important</em> <strong>bold</strong> word"),
        (r"1--10 and A \& B", "1–10 and A &amp; B"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (r"$<b>$", r'<span class="arithmatex">\(&lt;b&gt;\)</span>'),
        ("unbalanced {brace", "unbalanced {brace"),
    ],
)
def test_latex_to_html(latex, html):
    assert latex_to_html(latex) == html


def test_latex_to_text():
    assert latex_to_text(r"R{\'e} {\L}ukasz") == "Ré Łukasz"


def test_case_protection_survives_title_case_change(messy):
    bib, _ = messy
    html = formatter_for(bib, "plain").html("child2020")
    assert "Protected BERT case and" in html
    assert r'<span class="arithmatex">\(O(n^2)\)</span> attention in <em>Practice</em>' in html
    assert "Jörg Müller, Ana García, and Pat O&#39;Neil" in html


def test_hostile_fields_render_as_text(messy):
    bib, _ = messy
    html = formatter_for(bib, "plain").html("evil2023")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript' not in html


@pytest.mark.parametrize("style", ["plain", "unsrt", "alpha"])
def test_render_bibliography_in_each_pybtex_style(messy, style):
    bib, _ = messy
    html = render_bibliography(["twice2019", "kahan1965", "after2022"], bib, CitationStyle("numeric", style))
    ids = [part.split('"')[0] for part in html.split('id="')[1:]]
    if style == "unsrt":
        assert ids == ["ref-twice2019", "ref-kahan1965", "ref-after2022"]
    else:
        assert ids == ["ref-after2022", "ref-twice2019", "ref-kahan1965"]
    label = {"plain": "[1]", "unsrt": "[1]", "alpha": "[DR22]"}[style]
    assert f'<span class="reference-label">{label}</span>' in html


def test_unknown_entry_type_falls_back_to_misc(tmp_path):
    (tmp_path / "a.bib").write_text(
        "@online{site, author = {Org, The}, title = {A Site}, url = {https://x.org},"
        " year = 2024}\n@software{tool, title = {Tool}, year = 2023}\n",
        encoding="utf-8",
    )
    bib, diagnostics = load_bibliography(tmp_path)
    formatter = formatter_for(bib, "plain")
    assert "A site" in formatter.html("site") and "Tool" in formatter.html("tool")
    assert diagnostics == [] and formatter.problems == []


def test_cache_reuses_parsed_files_and_sees_changes(tmp_path, monkeypatch):
    refs, cache = tmp_path / "refs", tmp_path / "cache"
    shutil.copytree(MESSY, refs)
    cold, cold_diags = load_bibliography(refs, cache)
    formatter_for(cold, "plain").html("kahan1965")
    cold.cache.save({r.digest for r in cold.values()})
    assert len(list((cache / "parsed").glob("*.pickle"))) == 4
    assert [p.name for p in (cache / "formatted").iterdir()] == ["html-plain.pickle"]

    monkeypatch.setattr(bibliography_module._ParseCache, "_memory", {})
    monkeypatch.setattr(bibliography_module.FormatCache, "_memory", {})
    calls = []
    original = bibliography_module._FileParser.parse
    monkeypatch.setattr(
        bibliography_module._FileParser, "parse", lambda self: calls.append(self.path) or original(self)
    )
    warm, warm_diags = load_bibliography(refs, cache)
    assert calls == [] and warm_diags == cold_diags
    assert {k: warm[k] for k in warm} == {k: cold[k] for k in cold}
    assert warm.cache.get(warm["kahan1965"].digest, "html-plain") is not None

    (refs / "m_duplicates.bib").write_text("@misc{fresh, title = {New}, year = 2025}\n", encoding="utf-8")
    changed, changed_diags = load_bibliography(refs, cache)
    assert [Path(p).name for p in calls] == ["m_duplicates.bib"]
    assert "fresh" in changed and not any("duplicate key" in d.message for d in changed_diags)
    assert len(list((cache / "parsed").glob("*.pickle"))) == 4


def test_page_citations_are_looked_for_again_only_where_the_text_changed(tmp_path, monkeypatch):
    """A new build reads each page's citations from the disk, looks again in a changed page,
    drops the pages gone; a cache written by other code is not read."""
    cache = tmp_path / "cache"
    pages = {
        "a": "See [@kahan1965, p. 3] and @knuth, not me@example.org.\n",
        "b": "`[@code]` stays code; [see @x; -@y].\n",
        "c": "Nothing cited.\n",
    }

    def read(text: str) -> tuple:
        return tuple((c.key, c.line, c.col, bare is not None) for c, bare in citations_in(text))

    first = bibliography_module.PageCitations(cache)
    assert {name: first.of(text) for name, text in pages.items()} == {
        name: read(text) for name, text in pages.items()
    }
    first.save()
    assert (cache / "citations.pickle").is_file()

    looked: list[str] = []
    monkeypatch.setattr(
        bibliography_module, "citations_in", lambda text: looked.append(text) or citations_in(text)
    )

    def new_process() -> bibliography_module.PageCitations:
        monkeypatch.setattr(bibliography_module.PageCitations, "_memory", {})
        looked.clear()
        return bibliography_module.PageCitations(cache)

    second = new_process()
    pages["a"] += "And [@goldberg1991].\n"
    found = {name: second.of(text) for name, text in pages.items()}
    assert found == {name: read(text) for name, text in pages.items()}
    assert [key for key, *_ in found["a"]] == ["kahan1965", "knuth", "goldberg1991"]
    assert looked == [pages["a"]]  # "b" from the disk, "c" has no @ to look for
    second.save()
    assert len(new_process().pages) == 2  # the old text of "a" is gone
    monkeypatch.setattr(bibliography_module, "_finder_version", lambda: "other code")
    new_process().of(pages["b"])
    assert looked == [pages["b"]]


def test_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    refs, cache = tmp_path / "refs", tmp_path / "cache"
    shutil.copytree(MESSY, refs)
    load_bibliography(refs, cache)
    for path in (cache / "parsed").glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    monkeypatch.setattr(bibliography_module._ParseCache, "_memory", {})
    bib, _ = load_bibliography(refs, cache)
    assert "kahan1965" in bib


def test_project_refs_load_cleanly_with_the_keys_the_notes_cite():
    bib, diagnostics = load_bibliography(REFS)
    assert diagnostics == []
    wanted = [
        "vaswani2017attention",
        "brown2020language",
        "hu2021lora",
        "dao2022flashattention",
        "dao2023flashattention2",
        "shah2024flashattention3",
        "ouyang2022training",
        "bai2022constitutional",
        "lewis2020retrieval",
        "mikolov2013efficient",
        "wang2018glue",
        "lin2022truthfulqa",
        "kahan1965pracniques",
        "higham2002accuracy",
        "micikevicius2018mixed",
        "micikevicius2022fp8",
        "kalamkar2019bfloat16",
        "ieee2019floating",
        "goodfellow2016deep",
        "sutton2018reinforcement",
        "zhang2023dive",
        "jurafsky2024speech",
        "touvron2023llama",
        "jiang2023mistral",
        "devlin2019bert",
        "kaplan2020scaling",
        "hoffmann2022training",
        "kingma2015adam",
        "loshchilov2019decoupled",
        "bender2021dangers",
        "buolamwini2018gender",
        "cover2006elements",
        "nvidia2022h100",
        "gupta2015deep",
        "zamirai2020revisiting",
        # the training and structure experiments
        "rosenbrock1960automatic",
        "liu1989limited",
        "loshchilov2017sgdr",
        "welling2011bayesian",
        "neelakantan2015adding",
        "li2017stochastic",
        "keskar2017large",
        "goodfellow2015explaining",
        "madry2018towards",
        "alpaydin1998optical",
        "dinh2017sharp",
        "cohen2016group",
        "naitzat2020topology",
        "bauer2021ripser",
        "tenenbaum2000global",
        "vandermaaten2008visualizing",
        "venna2001neighborhood",
        "kolda2009tensor",
        "lebedev2015speeding",
        "kossaifi2019tensorly",
        "katharopoulos2020transformers",
        "hochreiter1997long",
        "graves2013generating",
        "belkin2003laplacian",
        "nocedal2006numerical",
        "astrom2008feedback",
        "daubechies1992ten",
        "edelsbrunner2010computational",
        "tillet2019triton",
    ]
    assert sorted(bib) == sorted(wanted)
    formatter = formatter_for(bib, "plain")
    for key in wanted:
        formatter.html(key)
    assert formatter.problems == []
    assert (
        bib["vaswani2017attention"].fields["booktitle"] == "Advances in Neural Information Processing Systems"
    )


def test_entry_pybtex_cannot_format_is_shown_simply_and_reported_every_build(tmp_path, monkeypatch):
    refs, cache = tmp_path / "refs", tmp_path / "cache"
    refs.mkdir()
    (refs / "a.bib").write_text(
        "@article{nojournal,\n  author = {Doe, Jane},\n  title = {No Journal},\n  year = 2020,\n}\n",
        encoding="utf-8",
    )
    for _ in range(2):  # the second load reads the formatted entry back from the cache
        bib, _ = load_bibliography(refs, cache)
        formatter = formatter_for(bib, "plain")
        assert formatter.site_html("nojournal") == "Doe. No Journal. 2020."  # all a build reads of it
        assert formatter.html("nojournal") == "Doe. No Journal. 2020."
        (problem,) = formatter.problems  # reported once
        assert problem.line == 1 and "missing journal" in problem.message
        bib.cache.save({r.digest for r in bib.values()})
        monkeypatch.setattr(bibliography_module.FormatCache, "_memory", {})


def test_the_plain_text_fast_path_reads_text_exactly_as_pybtex_does():
    """``rich_text`` skips pybtex's LaTeX parser only where that parser would change nothing."""
    from pybtex.richtext import Text

    from cortex.citations.references import _PLAIN_LATEX, rich_text

    samples = set()
    for folder in (REPO / "refs", REPO / "tests" / "fixtures" / "bib" / "messy"):
        bib, _ = load_bibliography(folder)
        for ref in bib.values():
            samples.update(ref.fields.values())
            samples.update(part for names in ref.persons.values() for name in names for part in name.split())
    samples.update(["plain words", "O'Neil", "x--y", "A~B", "{Case}", "$x^2$", "50%", "R&D", "a_b", "#1", ""])
    fast = [s for s in samples if _PLAIN_LATEX.fullmatch(s)]
    assert 50 < len(fast) < len(samples)  # both paths are taken
    for s in samples:
        assert rich_text(s) == Text.from_latex(s), s
        assert rich_text(s).render_as("html") == Text.from_latex(s).render_as("html"), s


def test_entries_and_fields_carry_their_lines_and_columns_deep_in_a_file(tmp_path):
    """Every entry's line, each field's line and a repeated field's line and column, in a file
    of many entries (each counted from one index of the file's lines, not from its start)."""
    refs = tmp_path / "refs"
    refs.mkdir()
    entries = [f"@misc{{k{i},\n  title = {{T{i}}},\n  year = 2020,\n}}\n" for i in range(300)]
    entries.append("@misc{dup,\n  title = {First},\n    title = {Second},\n  note = {x},\n}\n")
    (refs / "many.bib").write_text("\n".join(entries), encoding="utf-8")
    bib, diagnostics = load_bibliography(refs)
    assert [(r.key, r.line) for r in (bib["k0"], bib["k1"], bib["k299"])] == [
        ("k0", 1),
        ("k1", 6),
        ("k299", 1496),
    ]
    assert bib["k299"].field_lines == {"title": 1497, "year": 1498}
    assert bib["dup"].line == 1501 and bib["dup"].field_lines == {"title": 1502, "note": 1504}
    assert [(d.line, d.col) for d in diagnostics] == [(1503, 5)]
    assert "second 'title'" in diagnostics[0].message


def test_site_html_is_typeset_and_sanitized_once_and_kept_with_the_formatted_entries(tmp_path, monkeypatch):
    """What a page's bibliography shows of an entry: its formulas as MathML and the whole
    sanitized, as a page is, made once and read from the cache by a new build."""
    from cortex.citations import references
    from cortex.text.math import typeset_page
    from cortex.text.sanitize import sanitize_html

    refs, cache = tmp_path / "refs", tmp_path / "cache"
    shutil.copytree(MESSY, refs)
    (refs / "math.bib").write_text(
        "@article{bounds, author = {Higham, Nick}, title = {Error of $O(n^2)$ sums}, journal = {J},"
        " year = 1993}\n",
        encoding="utf-8",
    )
    bib, _ = load_bibliography(refs, cache)
    formatter = formatter_for(bib, "plain")
    for key in ("bounds", "evil2023", "kahan1965"):
        html = formatter.html(key)
        assert formatter.site_html(key) == sanitize_html(typeset_page(html)[0])
    assert "arithmatex" in formatter.html("bounds") and "<math" in formatter.site_html("bounds")
    evil = formatter.site_html("evil2023")
    assert "<script" not in evil and "&lt;script&gt;" in evil and 'href="javascript' not in evil
    bib.cache.save({ref.digest for ref in bib.values()})

    def fails(fragment: str) -> str:
        raise AssertionError("sanitized again")

    monkeypatch.setattr(references, "sanitize_html", fails)
    monkeypatch.setattr(bibliography_module.FormatCache, "_memory", {})
    again, _ = load_bibliography(refs, cache)
    assert "<math" in formatter_for(again, "plain").site_html("bounds")
    monkeypatch.setattr(references, "_site_code", lambda: "other code")
    with pytest.raises(AssertionError, match="sanitized again"):
        formatter_for(load_bibliography(refs, cache)[0], "plain").site_html("bounds")
    monkeypatch.setattr(references, "sanitize_html", sanitize_html)
    other, _ = load_bibliography(refs, cache)
    assert "<math" in formatter_for(other, "plain").site_html("bounds")
    other.cache.save({ref.digest for ref in other.values()})  # the other code's entries replace the first's
    assert [p.name for p in (cache / "formatted").glob("site-*")] == ["site-html-plain@2-other code.pickle"]
