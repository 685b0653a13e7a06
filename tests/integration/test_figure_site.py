"""Figures on real builds: plotly.js shipped from the plotly package, figures drawn where pages
ask, notebooks rendered by mkdocs-jupyter with their figures."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from support.builds import Build
from support.figure_site import JUPYTEXT_NOTE, NOTEBOOK, build_figure_site
from support.html import parse_html
from support.paths import REPO

from cortex.experiments.figures import PLOTLY_MIMETYPE, figure_html
from cortex.mkdocs.scripts import FIGURES, plotly_js_path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Build:
    build = build_figure_site(tmp_path_factory.mktemp("figures"))
    assert build.returncode == 0, build.output[-4000:]
    return build


def test_figure_pages_hold_their_figures(site):
    home = parse_html(site.page(""))
    divs = [a for t, a in home.tags if t == "div" and "cortex-figure" in a.get("class", "").split()]
    assert [d["id"] for d in divs] == ["fig-first"]
    assert 'id="fig-second"' in site.page("second/")


def test_plotly_js_is_shipped_once_from_the_package_and_loaded_from_the_site(site):
    shipped = site.site / FIGURES.library
    assert shipped.read_bytes() == plotly_js_path().read_bytes()
    assert (site.site / FIGURES.loader).is_file()
    assert len(list(site.site.rglob("plotly*.js"))) == 1
    for page in site.site.rglob("*.html"):
        html = page.read_text("utf-8")
        assert not re.search(r"cdn\.plot\.ly|plotly-latest|cdn\.jsdelivr\.net/npm/plotly", html), page
        scripts = [a.get("src", "") for t, a in parse_html(html).tags if t == "script"]
        assert sum(s.endswith(FIGURES.loader) for s in scripts) == 1, (
            page
        )  # the loader fetches plotly.js lazily
        assert not any("plotly" in s for s in scripts), page


def test_figures_stay_out_of_the_search_index(site):
    index = (site.site / "search" / "search_index.json").read_text("utf-8")
    assert "Xylophonic" not in index  # a figure title
    assert "histogram2dcontour" not in index  # in plotly's template, which every spec carries
    assert "zanzibarite" in index and "The first figure." in index


def test_builds_are_deterministic(site, tmp_path):
    again = build_figure_site(tmp_path)
    assert again.returncode == 0, again.output[-4000:]
    for rel in ("index.html", "second/index.html", "notebooks/Floating-point formats explored/index.html"):
        assert (again.site / rel).read_text("utf-8") == (site.site / rel).read_text("utf-8"), rel


def test_notebook_renders_with_its_figures(site):
    html = site.page("notebooks/Floating-point%20formats%20explored/")
    assert "jp-Notebook" in html and "<h1" in html and "Floating-point formats explored" in html
    ids = [a["id"] for t, a in parse_html(html).tags if t == "div" and "cortex-figure" in a.get("class", "")]
    assert ids == ["fig-nb-fp-formats-magnitudes", "fig-nb-fp-formats-trade"]
    assert "require.js" not in html and "cdn.plot.ly" not in html


def test_a_notebooks_plotly_output_and_latex_are_drawn_by_the_site(site):
    html = site.page("notebooks/Plotly%20and%20LaTeX/")
    ids = [a["id"] for t, a in parse_html(html).tags if t == "div" and "cortex-figure" in a.get("class", "")]
    assert ids == ["fig-nb-Plotly-and-LaTeX-1"]
    assert "Quokka curve" in html
    assert html.count("<math ") == 2  # the Markdown cell's formula and the Math output
    assert "$" not in html.split('class="jp-Notebook', 1)[1].split("</article>", 1)[0].replace("$5", "")
    assert "require.js" not in html and "require([" not in html


def test_a_notebooks_read_of_a_result_this_project_lacks_is_stale(site):
    html = site.page("notebooks/Floating-point%20formats%20explored/")
    assert (
        '<span class="cortex-quote cortex-quote--stale" title="stale: fp_formats has no result now">' in html
    )


def test_markdown_with_notebook_metadata_stays_markdown(site):
    html = site.page("notes/Jupytext/")
    assert "It stays a Markdown page." in html and "jp-Notebook" not in html


# -- the shipped notebook and the project's configuration -------------------------------------------


def test_shipped_notebook_is_executed_and_offline():
    text = NOTEBOOK.read_text("utf-8")
    notebook = json.loads(text)
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code)
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    figures = [o for o in outputs if PLOTLY_MIMETYPE in o.get("data", {})]
    assert len(figures) == 2
    for output in figures:  # the HTML is what figure_html makes of the spec today
        html = "".join(output["data"]["text/html"])
        div_id = re.search(r'id="([^"]+)"', html).group(1)
        assert html == figure_html(output["data"][PLOTLY_MIMETYPE], div_id)
    assert str(REPO) not in text and "https://" not in text


def test_project_config_keeps_mkdocs_jupyter_off_markdown(tmp_path):
    """mkdocs-jupyter opens every .md with jupytext unless told not to, which doubles build time."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File

    config = load_config(str(REPO / "mkdocs.yml"))
    assert "mkdocs-jupyter" in config.plugins, "mkdocs.yml does not configure mkdocs-jupyter"
    notebooks = config.plugins["mkdocs-jupyter"]
    (tmp_path / "Jupytext.md").write_text(JUPYTEXT_NOTE, "utf-8")
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    as_file = lambda name: File(name, str(tmp_path), str(tmp_path / "site"), False)  # noqa: E731
    assert notebooks.should_include(as_file(NOTEBOOK.name))
    assert not notebooks.should_include(as_file("Jupytext.md"))
    assert not notebooks.should_include(as_file("script.py"))


def test_citations_join_each_page_once_it_is_clean_in_text_headings_and_titles(site):
    """The plugin sets a page's citations aside while the page is sanitized and writes them in
    after: in the text and in a heading (whose entry in the table of contents reads its label),
    while one in a link's title reads as text. No page keeps a stand-in for one."""
    cited = site.page("forms/Cited/")
    assert cited.count('<a class="citation-link" href="#ref-fastsum2020">1</a>') == 2
    assert '<h2 id="where-it-comes-from-1">Where it comes from <span class="citation-group">[<span' in cited
    toc_entry = (
        r'href="#where-it-comes-from-1" class="md-nav__link">\s*<span class="md-ellipsis">\s*(.*?)\s*</span>'
    )
    assert re.search(toc_entry, cited).group(1) == "Where it comes from [1]"
    assert 'title="counted after [1]"' in cited
    for page in site.site.rglob("*.html"):
        assert "cortexcitation" not in page.read_text("utf-8"), page
