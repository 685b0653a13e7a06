"""Figures: plotly specs as deterministic, script-safe HTML; plotly.js shipped from the plotly
package; notebooks rendered by mkdocs-jupyter with their figures; all checked on real builds."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import plotly
import plotly.express as px
import pytest
import yaml
from conftest import REPO, Build, build_site

from cortex.experiments.figures import (
    PLOTLY_MIMETYPE,
    figure_div_id,
    figure_html,
    figure_json,
    figure_mimebundle,
    figure_placeholder,
)
from cortex.mkdocs.figures import LOADER, PLOTLY, plotly_js_path

NOTEBOOK = REPO / "content" / "notebooks" / "Floating-point formats explored.ipynb"
# What mkdocs.yml should say for mkdocs-jupyter (used here until the project's config has it):
# only .ipynb files are notebooks, and Markdown is never opened by jupytext.
NOTEBOOK_PLUGIN = {"mkdocs-jupyter": {"include": ["*.ipynb"], "ignore": ["*.md", "*.py"]}}

# Test-only hooks: a page says <!-- figure: NAME --> and gets figures/NAME.json drawn there.
FIGURE_HOOKS = '''"""Test-only MkDocs hooks: figure assets, and figures/NAME.json where a page says
<!-- figure: NAME -->."""
import json
import re
from pathlib import Path

from cortex.experiments.figures import figure_div_id, figure_html, figure_placeholder

MARKER = re.compile(r"<!-- figure: ([A-Za-z0-9_-]+) -->")
FIGURES = Path(__file__).parent / "figures"


def on_page_content(html, page, config, files):
    def figure(match):
        div_id = figure_div_id(match.group(1))
        try:
            return figure_html(json.loads((FIGURES / f"{match.group(1)}.json").read_text("utf-8")), div_id)
        except ValueError as exc:
            return figure_placeholder(div_id, str(exc))

    return MARKER.sub(figure, html)
'''

JUPYTEXT_NOTE = """---
jupyter:
  jupytext:
    text_representation: {extension: .md, format_name: markdown}
  kernelspec: {display_name: Python 3, language: python, name: python3}
---

# A Markdown note with notebook metadata

It stays a Markdown page.
"""


def trace_figure(title: str):
    return px.line(x=[1, 2, 4, 8], y=[1.0, 1.5, 1.2, 2.5], markers=True, title=title)


def written_spec(fig) -> dict:
    """The spec as the runner writes it to results/<id>/figures/<name>.json."""
    return json.loads(fig.to_json())


class _Elements(HTMLParser):
    """The elements of an HTML fragment and the text of its templates, as a browser's tokenizer
    sees them."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.templates: list[str] = []
        self._in_template = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_template = tag == "template"
        if self._in_template:
            self.templates.append("")

    def handle_endtag(self, tag):
        self._in_template = False

    def handle_data(self, data):
        if self._in_template:
            self.templates[-1] += data


def parse_html(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


# -- the core: spec -> HTML -----------------------------------------------------------------------


def test_figure_html_is_a_search_excluded_div_with_the_spec():
    html = figure_html(written_spec(trace_figure("Throughput")), "fig-demo")
    parsed = parse_html(html)
    assert parsed.tags[0] == (
        "div",
        {"class": "cortex-figure", "id": "fig-demo", "data-search-exclude": None},
    )
    assert parsed.tags[1] == ("template", {})
    spec = json.loads(parsed.templates[0])
    assert spec["data"][0]["type"] == "scatter" and spec["layout"]["title"]["text"] == "Throughput"


def test_same_input_gives_the_same_bytes():
    first = figure_html(written_spec(trace_figure("A")), "fig-a")
    again = figure_html(written_spec(trace_figure("A")), "fig-a")
    assert first == again
    assert figure_html(trace_figure("A").to_plotly_json(), "fig-a") == first  # numpy arrays or bdata


def test_spec_text_cannot_break_out():
    hostile = "</template></div><script>alert('x')</script><!-- &amp; </SCRIPT >"
    html = figure_html(written_spec(trace_figure(hostile)), "fig-x")
    parsed = parse_html(html)
    assert [t for t, _ in parsed.tags] == ["div", "template"]
    assert not re.search(r"[<>&']", parsed.templates[0])  # plain text in any HTML context
    assert json.loads(parsed.templates[0])["layout"]["title"]["text"] == hostile


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"data": [{"type": "scatter", "bogus": 1}]}, "bogus"),
        ({"data": [{"type": "no-such-trace"}]}, "no-such-trace"),
        ({"layout": {"xaxis": {"type": "weird"}}}, "weird"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_spec_plotly_rejects_is_a_value_error_with_the_reason(spec, reason):
    with pytest.raises(ValueError, match="figure") as caught:
        figure_html(spec, "fig-bad")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("div_id", ["", "1abc", "a b", 'x"onload="y', None])
def test_invalid_div_ids_are_refused(div_id):
    with pytest.raises(ValueError, match="id"):
        figure_html(written_spec(trace_figure("t")), div_id)


def test_plotly_config_is_kept():
    spec = {**written_spec(trace_figure("t")), "config": {"displayModeBar": False}}
    assert json.loads(figure_json(spec))["config"] == {"displayModeBar": False}


def test_div_ids_are_fixed_and_valid():
    assert figure_div_id("gemm_throughput", "tflops vs size") == "fig-gemm_throughput-tflops-vs-size"
    assert re.fullmatch(r"[A-Za-z][\w-]*", figure_div_id("état/2", "ü"))


def test_placeholder_is_visible_and_escaped():
    html = figure_placeholder("fig-x", "plotly rejects <b>this</b>")
    assert "cortex-problem" in html and "&lt;b&gt;" in html and "<b>" not in html


def test_notebook_mimebundle_carries_both_renderings():
    fig = trace_figure("nb")
    bundle = figure_mimebundle(fig.to_plotly_json(), "fig-nb")
    assert set(bundle) == {PLOTLY_MIMETYPE, "text/html"}
    assert bundle["text/html"] == figure_html(fig.to_plotly_json(), "fig-nb")
    assert bundle[PLOTLY_MIMETYPE]["data"][0]["type"] == "scatter"


# -- a real site with figures and a notebook ------------------------------------------------------


def notebook_plugins() -> str:
    """``plugins:`` for a test config: the project's own list, with mkdocs-jupyter added when the
    project's mkdocs.yml does not configure it yet."""
    from mkdocs.utils.yaml import yaml_load

    with (REPO / "mkdocs.yml").open("rb") as f:
        plugins = yaml_load(f).get("plugins", [])
    if isinstance(plugins, dict):
        plugins = [{name: options} for name, options in plugins.items()]
    names = [p if isinstance(p, str) else next(iter(p)) for p in plugins]
    if "mkdocs-jupyter" in names:
        return ""
    return yaml.safe_dump({"plugins": [*plugins, NOTEBOOK_PLUGIN]}, sort_keys=False)


def write_figure_site(root: Path) -> Path:
    """A vault with two figure pages, a note to search for, the shipped notebook and a Markdown
    file with jupytext metadata; plus the hooks that put the figures in. Returns the docs folder."""
    docs = root / "docs"
    pages = {
        "index.md": "# Figures home\n\nThe first figure.\n\n<!-- figure: first -->\n\n[Second](second.md)\n",
        "second.md": "# Second figures page\n\nThe second figure.\n\n<!-- figure: second -->\n",
        "notes/Quokka.md": "# Quokka census\n\nThe zanzibarite count of quokkas on the island.\n",
        "notes/Jupytext.md": JUPYTEXT_NOTE,
    }
    for rel, text in pages.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, "utf-8")
    (docs / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, docs / "notebooks" / NOTEBOOK.name)
    figures = root / "figures"
    figures.mkdir()
    for name, title in (("first", "Xylophonic first figure"), ("second", "Xylophonic second figure")):
        (figures / f"{name}.json").write_text(trace_figure(title).to_json(), "utf-8")
    (root / "figure_hooks.py").write_text(FIGURE_HOOKS, "utf-8")
    return docs


def build_figure_site(root: Path, site_url: str = "https://cortex.invalid/") -> Build:
    docs = write_figure_site(root)
    extra = f"site_url: {site_url}\nhooks:\n  - figure_hooks.py\n{notebook_plugins()}"
    return build_site(docs, root, extra=extra)


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
    shipped = site.site / PLOTLY
    assert shipped.read_bytes() == plotly_js_path().read_bytes()
    assert (site.site / LOADER).is_file()
    assert len(list(site.site.rglob("plotly*.js"))) == 1
    for page in site.site.rglob("*.html"):
        html = page.read_text("utf-8")
        assert not re.search(r"cdn\.plot\.ly|plotly-latest|cdn\.jsdelivr\.net/npm/plotly", html), page
        scripts = [a.get("src", "") for t, a in parse_html(html).tags if t == "script"]
        assert sum(s.endswith(LOADER) for s in scripts) == 1, page  # the loader fetches plotly.js lazily
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


def test_plotly_js_comes_from_the_installed_package():
    assert plotly_js_path().parent.parent == Path(plotly.__file__).parent
    assert plotly_js_path().stat().st_size > 1_000_000
