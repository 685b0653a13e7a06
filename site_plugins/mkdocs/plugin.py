"""The MkDocs adapter: each event hands one small job to the core."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from ..core.errors import Diagnostic
from ..core.listings import tag_pages
from ..core.model import KnowledgeBase, load
from ..core.rendering import RenderOptions, render_note
from . import pages
from .navigation import tidy_navigation

log = get_plugin_logger("cortex")
ASSETS = Path(__file__).parent / "assets"
CSS = "assets/cortex/cortex.css"
REQUIRED_EXTENSIONS = ("attr_list", "md_in_html", "toc")


class CortexConfig(base.Config):
    tags_dir = c.Type(str, default="tags")
    """Folder (inside the site) of the generated tag pages."""
    backlinks = c.Type(bool, default=True)
    """Add a "Linked from" section to every note that others link to."""
    max_embed_depth = c.Type(int, default=4)
    """How deep ``![[Note]]`` transclusions may nest before they are cut."""
    strict_warnings = c.Type(bool, default=False)
    """Let warnings (e.g. ambiguous links) fail ``mkdocs build --strict`` too, not only errors."""


class CortexPlugin(BasePlugin[CortexConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.kb: KnowledgeBase | None = None
        self.slugify = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        for name in REQUIRED_EXTENSIONS:
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
        self.slugify = config.mdx_configs.get("toc", {}).get("slugify")
        if CSS not in config.extra_css:
            config.extra_css.append(CSS)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        docs_dir = Path(config.docs_dir)
        paths = [f.src_uri for f in files if not f.generated_by and not f.inclusion.is_excluded()]
        self.kb = load(docs_dir, root=Path(config.config_file_path or docs_dir).parent, paths=paths,
                       slugify=self.slugify)
        report(self.kb.diagnostics, self.config.strict_warnings)
        for src_uri, content in tag_pages(self.kb, self.config.tags_dir):
            files.append(File.generated(config, src_uri, content=content))
        files.append(File.generated(config, CSS, abs_src_path=str(ASSETS / "cortex.css")))
        return files

    def on_nav(self, nav, config: MkDocsConfig, files: Files):
        return tidy_navigation(nav, self.kb, self.config.tags_dir) if self.kb else nav

    def on_page_read_source(self, page: Page, config: MkDocsConfig) -> str | None:
        note = self._note(page)
        if note is None:
            return None
        # a broken front matter is dropped so the body still renders
        return note.body if note.front_matter_broken else note.source

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        note = self._note(page)
        if note is None:
            return markdown
        pages.drop_foreign_meta(page, config)
        options = RenderOptions(tags_dir=self.config.tags_dir, max_embed_depth=self.config.max_embed_depth)
        rendered = render_note(self.kb.vault, note, markdown, options)
        if note.front_matter_broken:
            rendered = pages.broken_front_matter_notice(note) + rendered
        return rendered

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        note = self._note(page)
        if note is None:
            return html
        return html + pages.note_footer(self.kb, note, page, files, self.config.tags_dir, self.config.backlinks)

    def _note(self, page: Page):
        if self.kb is None or page.file.generated_by:
            return None
        return self.kb.vault.notes.get(page.file.src_uri)


def report(diagnostics: list[Diagnostic], strict_warnings: bool) -> None:
    """Errors fail ``mkdocs build --strict``; warnings do only when asked to."""
    for d in diagnostics:
        if d.is_error:
            log.error(str(d))
        elif strict_warnings:
            log.warning(str(d))
        else:
            log.info(str(d))
