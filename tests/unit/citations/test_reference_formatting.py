"""The direct HTML of pybtex's plain, unsrt and alpha styles is pybtex's own, byte for byte.

Every entry of ``refs/``, of the BibTeX test fixtures, of the benchmark's synthetic
bibliography, of hand-written edge cases and of randomly assembled entries is formatted
by :mod:`cortex.citations.unsrt_html` and by pybtex, for each style, and compared.
"""

from __future__ import annotations

import importlib.util
import random
from collections import Counter
from pathlib import Path

import pytest
from pybtex.richtext import Text
from pybtex.style.formatting import alpha, plain, unsrt
from pybtex.textutils import is_terminated
from support.paths import REPO

from cortex.citations import unsrt_html
from cortex.citations.bibliography import Bibliography, Reference, load_bibliography
from cortex.citations.latex import HTML_BACKEND
from cortex.citations.references import BIB_STYLES, ReferenceFormatter

COMMON_TYPES = {
    "article",
    "inproceedings",
    "book",
    "incollection",
    "inbook",
    "misc",
    "techreport",
    "phdthesis",
    "mastersthesis",
    "manual",
    "proceedings",
    "booklet",
    "unpublished",
}

EDGE_CASES = r"""
@string{pub = "Edge \& Sons"}
@article{minimal, author = {Solo, Han}, title = {Just a journal}, journal = {J}, year = 2001}
@article{singlepage, author = {One, Al and Two, Bo}, title = {Pages without a volume.}, journal = {J},
  pages = {42}, year = 2002}
@article{volumenumber, author = {Aa, B and Cc, D and Ee, F}, title = {Why?}, journal = {J}, volume = {3},
  number = {4}, pages = {7-9}, month = jan, year = 2003, note = {A note}, doi = {10.1/x.}}
@article{others, author = {Smith, Ann and others}, title = {{BERT} and $x^2$ in \emph{practice}},
  journal = {J. {ML}}, volume = {{}}, pages = {5--}, year = 2004}
@article{manyauthors, author = {Aa, A and Bb, B and Cc, C and Dd, D and Ee, E and Ff, F},
  title = {ΑΣ{}Β and \"{o} and {\'E}cole}, journal = {J}, year = 2005, pages = {{12-14}}}
@article{script, author = {Mallory, Eve}, title = {<script>alert("x")</script> & 'quotes'},
  journal = {J \& <b>}, year = 2006, url = {javascript:alert(1)}}
@inproceedings{vonjr, author = {van Beethoven, Jr., Ludwig and de la Vall{\'e}e Poussin, Charles Louis
  Xavier Joseph and Jean de La Fontaine}, title = {von and jr}, booktitle = {Proc}, editor = {Ed, One},
  volume = {2}, series = {LNCS}, pages = {1--10}, address = {Paris}, organization = {Org},
  publisher = {Pub}, month = {May}, year = 2007}
@inproceedings{numberseries, author = {Xu, Y}, title = {Number and series}, booktitle = {Proc},
  number = {12}, series = {Ser}, organization = {Org}, year = 2008}
@proceedings{proceedings, editor = {Ed, One and Ed, Two}, title = {The Proceedings}, year = 2009,
  publisher = {Pub}, address = {Rome}}
@proceedings{organizedproceedings, title = {Org Proceedings}, organization = {The Org}, year = 2010,
  series = {series only}}
@inproceedings{crossed, author = {Child, C}, title = {Crossed}, crossref = {proceedings}, pages = {3}}
@book{editedbook, editor = {Editor, Ed}, title = {Edited Book}, publisher = pub, year = 2011,
  edition = {Second}, isbn = {978-3}, volume = {5}, series = {Series}}
@book{twoeditors, editor = {Editor, Ed and Other, Ann}, title = {Two editors}, publisher = {P}, year = 2012,
  number = {7}, series = {{lower} series}}
@book{seriesonly, author = {Writer, W}, title = {Series only}, publisher = {P}, year = 2013,
  series = {lower-case series}, address = "City " # "Name"}
@inbook{chapter, author = {In, Book}, title = {Inbook}, chapter = {3}, pages = {100--120}, publisher = {P},
  edition = {Third}, year = 2014}
@incollection{collection, author = {Part, Of}, title = {In a collection}, booktitle = {The Collection},
  editor = {Big, Ed}, chapter = {12}, pages = {9}, publisher = {P}, address = {A}, edition = {FIRST},
  year = 2015}
@phdthesis{phd, author = {Doc, Tor}, title = {A thesis}, school = {Uni}, year = 2016, type = {Habilitation}}
@phdthesis{phdaddress, author = {Doc, Tor}, title = {Another thesis}, school = {Uni}, address = {Town},
  year = 2016}
@mastersthesis{masters, author = {Mas, Ter}, title = {Masters}, school = {Uni}, year = 2017,
  url = {https://example.org/a?b=1&c=2}, urldate = {2020-01-01}}
@techreport{report, author = {Tech, Rep}, title = {Report}, institution = {Inst}, number = {TR-1}, year = 2018}
@techreport{memo, author = {Tech, Rep}, title = {Typed report}, institution = {Inst}, type = {Memo},
  year = 2018, pubmed = {12345}}
@manual{manual, title = {Manual}, organization = {Org}, edition = {2nd}}
@manual{authoredmanual, author = {Man, U}, title = {Manual 2}, year = 2019, address = {Here}}
@misc{onlytitle, title = {Only a title}}
@misc{howpublished, author = {Hu, P}, howpublished = {\url{https://x.org}}, year = 2020, eprint = {2001.00001}}
@booklet{booklet, author = {Book, Let}, title = {Booklet}, howpublished = {Handed out}, year = 2021}
@unpublished{unpublished, author = {Un, Pub}, title = {Unpublished}, note = {In preparation}}
@online{online, author = {On, Line}, title = {Online}, url = {https://example.org}, year = 2022}
@software{software, author = {Soft, Ware}, title = {Software}, year = 2023}
@weirdtype{weird, author = {Odd, Type}, title = {Unknown type}, year = 2024}
@thesis{thesis, author = {The, Sis}, title = {Thesis fallback}, school = {U}, year = 2024}
"""

RANDOM_VALUES = [
    "Plain words",
    "{Protected} start",
    "lower start",
    "ends with a period.",
    "Why?",
    "Wow!",
    "{\\'E}cole",
    'M{\\"u}ller \\& Sons',
    "$O(n^2)$ math",
    "\\emph{Font} command",
    "\\textbf{bold} and \\url{x}",
    "a--b",
    "a-b-c",
    "3",
    "12",
    "{}",
    "x~y",
    "``quoted''",
    "ΑΣ{}Β",
    "ß{ß}",
    "<b>&</b>",
    "-",
    "5--",
    "{{nested} braces}",
    "{A}{B}c",
    "1--5",
    "ii",
    "https://example.org/?a=1&b=2",
    "javascript:alert(1)",
    "10.1000/x.",
    "2001.00001",
]
RANDOM_NAMES = [
    "Smith, Ann",
    "Ann Smith",
    "van der Berg, Jan",
    "van Beethoven, Jr., Ludwig",
    "{Barack Obama}",
    "others",
    "A. B. C. Doe",
    "Jean-Paul Sartre",
    "de la Vall{\\'e}e Poussin, Charles Louis Xavier Joseph",
    "Ng, Al",
    "Li, X",
    "{\\relax Ch}ristopher Lee",
    'M{\\"u}ller, J{\\"o}rg',
    "O'Brien, Pat",
    "jean de la fontaine",
]
RANDOM_FIELDS = [
    "title",
    "journal",
    "booktitle",
    "volume",
    "number",
    "pages",
    "series",
    "chapter",
    "edition",
    "publisher",
    "address",
    "organization",
    "institution",
    "school",
    "type",
    "month",
    "year",
    "note",
    "howpublished",
    "isbn",
    "url",
    "urldate",
    "doi",
    "eprint",
    "pubmed",
]


def _bench():
    """bench/bibliography.py, whose generator writes the benchmark's synthetic bibliography."""
    spec = importlib.util.spec_from_file_location("bench_bibliography", REPO / "bench" / "bibliography.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(folder: Path) -> Bibliography:
    bibliography, _ = load_bibliography(folder)
    return bibliography


def _random_entries(count: int, seed: int = 11) -> Bibliography:
    """Entries of every kind with random fields and names, many of them missing what their kind needs."""
    rng = random.Random(seed)
    kinds = [*sorted(unsrt_html.TEMPLATES), "weirdtype", "thesis", "conference"]
    references = {}
    for n in range(count):
        fields = {
            name: rng.choice(RANDOM_VALUES)
            for name in rng.sample(RANDOM_FIELDS, rng.randint(6, len(RANDOM_FIELDS)))
        }
        persons = {
            role: tuple(rng.sample(RANDOM_NAMES, rng.randint(1, 5)))
            for role in ("author", "editor")
            if rng.random() < 0.6
        }
        references[f"r{n}"] = Reference(
            f"r{n}", rng.choice(kinds), fields, persons, "random.bib", n + 1
        ).with_digest()
    return Bibliography(references)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Bibliography]:
    tmp = tmp_path_factory.mktemp("bib")
    synthetic, _ = _bench().write_corpus(tmp / "synthetic", entries=3000, files=3, pages=0)
    (tmp / "edge").mkdir()
    (tmp / "edge" / "edge.bib").write_text(EDGE_CASES, encoding="utf-8")
    fixtures = {}
    for folder in sorted({path.parent for path in (REPO / "tests" / "fixtures" / "bib").rglob("*.bib")}):
        fixtures.update({ref.key: ref for ref in _load(folder).values()})
    return {
        "refs": _load(REPO / "refs"),
        "fixtures": Bibliography(fixtures),
        "synthetic": _load(synthetic),
        "edge cases": _load(tmp / "edge"),
        "random": _random_entries(600),
    }


def _formatted_directly(bibliography: Bibliography, style: str) -> Counter:
    """Entry types formatted directly; fails at the first entry whose HTML differs from pybtex's."""
    formatter = ReferenceFormatter(bibliography, style)
    direct_types: Counter = Counter()
    for ref in bibliography.values():
        direct, expected = formatter.format_directly(ref), formatter.format_with_pybtex(ref)
        if direct is not None:
            direct_types[ref.type] += 1
            assert direct == expected, (
                f"'{ref.key}' ({style}) differs:\ndirect: {direct[0]!r}\npybtex: {expected[0]!r}"
            )
        # Only what pybtex has a problem with (a missing field, a bad name) is left to it.
        assert (direct is None) == (expected[1] is not None), (ref.key, style, expected[1])
    return direct_types


@pytest.mark.parametrize("style", BIB_STYLES)
@pytest.mark.parametrize("source", ["refs", "fixtures", "synthetic", "edge cases"])
def test_every_entry_reads_as_pybtex_writes_it(sources, source, style):
    bibliography = sources[source]
    direct_types = _formatted_directly(bibliography, style)
    assert sum(direct_types.values()) == len(bibliography)  # every entry here is well-formed
    if source == "edge cases":
        assert set(direct_types) >= COMMON_TYPES


@pytest.mark.parametrize("style", BIB_STYLES)
def test_random_entries_read_as_pybtex_writes_them(sources, style):
    direct_types = _formatted_directly(sources["random"], style)
    assert set(direct_types) >= COMMON_TYPES
    assert (
        0.2 * len(sources["random"]) < sum(direct_types.values()) < len(sources["random"])
    )  # both paths taken


def test_edge_cases_read_as_bibtex_styles_write_them(sources):
    html = {
        key: ReferenceFormatter(sources["edge cases"], "plain").html(key) for key in sources["edge cases"]
    }
    assert html["minimal"] == "Han Solo.\nJust a journal.\n<em>J</em>, 2001."
    # Names shorter than three letters are tied; a title ending in . or ? gets no second period.
    assert (
        html["singlepage"]
        == "Al&nbsp;One and Bo&nbsp;Two.\nPages without a volume.\n<em>J</em>, pages 42, 2002."
    )
    assert html["volumenumber"].startswith(
        "B&nbsp;Aa, D&nbsp;Cc, and F&nbsp;Ee.\nWhy?\n<em>J</em>, 3(4):7&ndash;9, January 2003.\nA note."
    )
    assert html["others"].startswith(
        'Ann Smith and others.\nBERT and <span class="arithmatex">\\(x^2\\)</span> in <em>practice</em>.'
    )
    assert html["manyauthors"].split("\n")[1] == "Ασβ and ö and École."
    assert (
        "Ludwig van Beethoven, Jr., Charles Louis Xavier&nbsp;Joseph de&nbsp;la Vallée&nbsp;Poussin, "
        "and Jean de&nbsp;La&nbsp;Fontaine."
    ) in html["vonjr"]
    assert "chapter&nbsp;12, pages&nbsp;9.\nP, A, first edition" in html["collection"]
    assert html["editedbook"].startswith(
        "Ed&nbsp;Editor, editor.\n<em>Edited Book</em>.\nVolume&nbsp;5 of Series."
    )
    assert html["twoeditors"].startswith("Ed&nbsp;Editor and Ann Other, editors.")
    assert "\nLower-case series.\n" in html["seriesonly"]
    assert "In One Ed and Two Ed, editors, <em>The Proceedings</em>, 3. Rome, 2009. Pub." in html["crossed"]


def test_dangerous_text_is_escaped(sources):
    html = ReferenceFormatter(sources["edge cases"], "plain").html("script")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;" in html
    assert "<em>J &amp; &lt;b&gt;</em>" in html
    assert "<script" not in html and "href" not in html and html.endswith("URL: javascript:alert(1).")


def test_what_it_cannot_be_sure_of_is_left_to_pybtex():
    article = {"title": "T", "journal": "J", "year": "2000"}
    cases = {
        "nojournal": ({"title": "T", "year": "2000"}, "Doe, J"),
        "unbalanced": ({**article, "title": "a \\} b"}, "Doe, J"),
        "backslash": ({**article, "title": "ends with \\"}, "Doe, J"),
        "commas": (article, "Doe, J., Jr., X"),
    }
    bibliography = Bibliography(
        {
            key: Reference(key, "article", fields, {"author": (name,)}, "a.bib", 1).with_digest()
            for key, (fields, name) in cases.items()
        }
    )
    formatter = ReferenceFormatter(bibliography, "plain")
    assert all(formatter.format_directly(ref) is None for ref in bibliography.values())
    shown = ["nojournal", "unbalanced", "backslash", "commas"]
    assert [str(formatter.html(key)) for key in shown] == [
        formatter.format_with_pybtex(bibliography[key])[0] for key in shown
    ]
    assert [problem.message.split("'")[1] for problem in formatter.problems] == shown
    assert "missing journal" in formatter.problems[0].message
    assert "Too many commas" in formatter.problems[-1].message


def test_only_pybtex_own_styles_are_reproduced():
    class Custom(plain.Style):
        pass

    assert all(unsrt_html.reproduces(style()) for style in (plain.Style, unsrt.Style, alpha.Style))
    assert not unsrt_html.reproduces(Custom())
    assert not unsrt_html.reproduces(plain.Style(abbreviate_names=True))
    assert not unsrt_html.reproduces(plain.Style(name_style="lastfirst"))


def test_every_unsrt_template_is_reproduced():
    templates = {
        name[4:-9] for name in dir(unsrt.Style) if name.startswith("get_") and name.endswith("_template")
    }
    assert set(unsrt_html.TEMPLATES) == templates


def _pybtex_piece(text: Text) -> unsrt_html.Piece:
    return unsrt_html.Piece(text.render(HTML_BACKEND), len(text), is_terminated(text))


def test_latex_text_reads_as_pybtex_reads_it():
    """Random LaTeX through each conversion the templates apply, against pybtex's rich text."""
    atoms = [
        "a",
        "B",
        "z",
        " ",
        "  ",
        "-",
        "--",
        "---",
        "{",
        "}",
        "{}",
        "\\'e",
        '{\\"u}',
        "\\&",
        "~",
        ",",
        ",,",
        "``",
        "''",
        "?",
        ".",
        "!",
        "!`",
        "$",
        "%",
        "\t",
        "#",
        "ß",
        "Σ",
        "ǆ",
        "\\emph",
        "x\\ y",
        "<",
        "&",
    ]
    conversions = [
        (unsrt_html.as_piece, lambda t: t),
        (unsrt_html.capitalized, Text.capitalize),
        (unsrt_html.capfirst, Text.capfirst),
        (unsrt_html.lowered, Text.lower),
        (unsrt_html.dashed, unsrt.dashify),
    ]
    rng = random.Random(5)
    read = 0
    for _ in range(3000):
        value = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 8)))
        try:
            expected = Text.from_latex(value)
        except Exception:  # unbalanced braces, a stray backslash
            with pytest.raises(unsrt_html.Unsupported):
                unsrt_html.latex_segments(value)
            continue
        segments = unsrt_html.latex_segments(value)
        read += 1
        for convert, pybtex_convert in conversions:
            assert convert(segments) == _pybtex_piece(pybtex_convert(expected)), (value, convert.__name__)
    assert read > 1000
