"""What the site ships instead of fetching from a CDN, copied from the Python packages that
ship it: a small loader of ours per feature and the library it loads (a loader is on every
page; it fetches its library, from beside itself, only once a page needs it), and the math font.

- figures (``div.cortex-figure``, see ``cortex.experiments.figures``): plotly.js, from plotly;
- diagrams (``div.cortex-diagram``, see ``cortex.notes.diagrams``): mermaid.js, from mermaidx;
- the graph (``div.cortex-graph`` and the local graphs, see ``cortex.connections.graph_page``):
  the same plotly.js;
- math (MathML, see ``cortex.text.math``): STIX Two Math, from ziamath. Browsers draw MathML
  with the fonts they have, and stretch brackets and set large operators well only with a
  font that has OpenType math tables; cortex.css declares it, so only pages with math fetch it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ASSETS = Path(__file__).parent / "assets"
SITE_FOLDER = "assets/cortex"
SHARED_LOADER = f"{SITE_FOLDER}/cortex-loader.js"  # what every loader uses: script loading, page events


def plotly_js_path() -> Path:
    """plotly.min.js as the installed plotly package ships it."""
    return _shipped(_folder("plotly") / "package_data" / "plotly.min.js", "plotly")


def mermaid_js_path() -> Path:
    """mermaid's browser bundle as the installed mermaidx package ships it."""
    return _shipped(_folder("mermaidx") / "assets" / "mermaid.js", "mermaidx")


def math_font_path() -> Path:
    """STIX Two Math (SIL Open Font License) as the installed ziamath package ships it."""
    return _shipped(_folder("ziamath") / "fonts" / "STIXTwoMath-Regular.ttf", "ziamath")


def _folder(package: str) -> Path:
    """Where an installed package lives, found but not imported: only its files are wanted (importing
    mermaidx starts a JavaScript engine's thread)."""
    from importlib.util import find_spec

    spec = find_spec(package)
    return Path(spec.origin).parent if spec and spec.origin else Path(f"{package}-is-not-installed")


def _shipped(path: Path, package: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} not found at {path}: reinstall the {package} package")
    return path


@dataclass(frozen=True)
class ShippedScript:
    """A loader from this package's assets and the library it loads, both put in the site.
    Called from the plugin's events of the same names; calling them twice adds nothing twice."""

    loader_name: str
    library_name: str
    library_path: Callable[[], Path]

    @property
    def loader(self) -> str:
        return f"{SITE_FOLDER}/{self.loader_name}"

    @property
    def library(self) -> str:
        return f"{SITE_FOLDER}/{self.library_name}"  # the loader finds it beside itself

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        for script in (SHARED_LOADER, self.loader):  # the shared part first: the loader uses it
            if script not in map(str, config.extra_javascript):
                config.extra_javascript.append(script)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        for src_uri, source in (
            (SHARED_LOADER, ASSETS / posixpath.basename(SHARED_LOADER)),
            (self.loader, ASSETS / self.loader_name),
            (self.library, self.library_path()),
        ):
            if files.get_file_from_path(src_uri) is None:
                files.append(File.generated(config, src_uri, abs_src_path=str(source)))
        return files


FIGURES = ShippedScript("cortex-figures.js", "plotly.min.js", plotly_js_path)
DIAGRAMS = ShippedScript("cortex-diagrams.js", "mermaid.min.js", mermaid_js_path)
GRAPH = ShippedScript("cortex-graph.js", "plotly.min.js", plotly_js_path)
SHIPPED_SCRIPTS = (FIGURES, DIAGRAMS, GRAPH)
MATH_FONT = f"{SITE_FOLDER}/STIXTwoMath-Regular.ttf"  # beside cortex.css, which names it


def add_math_font(files: Files, config: MkDocsConfig) -> Files:
    if files.get_file_from_path(MATH_FONT) is None:
        files.append(File.generated(config, MATH_FONT, abs_src_path=str(math_font_path())))
    return files
