"""Ships what figures need as site assets: plotly.js from the installed plotly package (never a
CDN) and the small loader that draws ``div.cortex-figure`` (see ``core.figures``)."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ASSETS = Path(__file__).parent / "assets"
LOADER = "assets/cortex/cortex-figures.js"
# The loader finds plotly.js beside itself, so both live in the same folder.
PLOTLY = "assets/cortex/plotly.min.js"


def plotly_js_path() -> Path:
    """plotly.min.js as the installed plotly package ships it."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly.js not found at {path}: reinstall the plotly package")
    return path


class FiguresAdapter:
    """Called from the plugin's events of the same names; calling it twice adds nothing twice."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if LOADER not in map(str, config.extra_javascript):
            config.extra_javascript.append(LOADER)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        for src_uri, source in ((LOADER, ASSETS / "cortex-figures.js"), (PLOTLY, plotly_js_path())):
            if files.get_file_from_path(src_uri) is None:
                files.append(File.generated(config, src_uri, abs_src_path=str(source)))
        return files
