"""A small site of figure pages, a search target, the shipped notebook, a notebook with a plotly
figure and LaTeX, a jupytext-tagged note, and the vault of every Obsidian form (under forms/),
one of whose pages cites a reference with math in its title."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly.express as px
import yaml

from support.builds import Build, build_site
from support.forms_vault import FORMS_FILES
from support.paths import REPO, write_tree

NOTEBOOK = REPO / "content" / "notebooks" / "Floating-point formats explored.ipynb"


WRITTEN = 1_764_000_000  # the time every file of the figure site is dated (late 2025)
NOTEBOOK_PLUGIN = {"mkdocs-jupyter": {"include": ["*.ipynb"], "ignore": ["*.md", "*.py"]}}


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


MATH_BIB = """@article{fastsum2020,
  author = {Ada Lovelace and Alan Turing},
  title = {Summation in $O(\\log n)$ depth with error $\\gamma_{\\log_2 n}$},
  journal = {Journal of Quokka Numerics},
  year = {2020},
}
"""
CITING_NOTE = (
    "# Cited\n\nA tree of additions is shallow [@fastsum2020].\n\n## Where it comes from [@fastsum2020]\n\n"
    'See [the census](../notes/Quokka.md "counted after [@fastsum2020]").\n'
)

PLOTLY_LATEX_CELLS = (
    ("markdown", "# Plotly and LaTeX\n\nEuler's identity, $e^{i\\pi} + 1 = 0$, in a Markdown cell."),
    (
        "code",
        "import plotly.express as px\npx.line(x=[1, 2, 4, 8], y=[1.0, 1.5, 1.2, 2.5], title='Quokka curve')",
    ),
    ("code", "from IPython.display import Math\nMath(r'\\int_0^1 x\\,dx = \\frac{1}{2}')"),
)


def write_plotly_latex_notebook(path: Path) -> None:
    """A notebook, run here, whose outputs are a plotly figure as Jupyter saves it (the plotly
    mimetype alone) and LaTeX from IPython's ``Math``."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    notebook.cells = [make[kind](source) for kind, source in PLOTLY_LATEX_CELLS]
    NotebookClient(notebook, timeout=300, kernel_name="python3", record_timing=False).execute()
    nbformat.write(notebook, str(path))


def trace_figure(title: str):
    return px.line(x=[1, 2, 4, 8], y=[1.0, 1.5, 1.2, 2.5], markers=True, title=title)


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
        "second.md": (
            "# Second figures page\n\nThe second figure.\n\n<!-- figure: second -->\n\n"
            "[The notebook](notebooks/Floating-point%20formats%20explored.ipynb)\n"
        ),
        "notes/Quokka.md": "# Quokka census\n\nThe zanzibarite count of quokkas on the island.\n",
        "notes/Jupytext.md": JUPYTEXT_NOTE,
    }
    for rel, text in pages.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, "utf-8")
    (docs / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, docs / "notebooks" / NOTEBOOK.name)
    write_plotly_latex_notebook(docs / "notebooks" / "Plotly and LaTeX.ipynb")
    write_tree(docs / "forms", FORMS_FILES)
    (docs / "forms" / "Cited.md").write_text(CITING_NOTE, "utf-8")
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "math.bib").write_text(MATH_BIB, "utf-8")
    figures = root / "figures"
    figures.mkdir()
    for name, title in (("first", "Xylophonic first figure"), ("second", "Xylophonic second figure")):
        (figures / f"{name}.json").write_text(trace_figure(title).to_json(), "utf-8")
    (root / "figure_hooks.py").write_text(FIGURE_HOOKS, "utf-8")
    for path in root.rglob("*"):  # outside git, pages are dated by their files' times: one for all
        os.utime(path, (WRITTEN, WRITTEN))
    return docs


def build_figure_site(root: Path, site_url: str = "https://cortex.invalid/") -> Build:
    docs = write_figure_site(root)
    extra = f"site_url: {site_url}\nhooks:\n  - figure_hooks.py\n{notebook_plugins()}"
    return build_site(docs, root, extra=extra)
