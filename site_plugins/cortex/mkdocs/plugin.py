"""The MkDocs adapter: each event hands one small job to the core."""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache
from markdown import Markdown
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_markdown_title
from mkdocs.utils.meta import get_data

from cortex.citations.markdown_extension import CitationExtension, HeldCitations, RenderCitation
from cortex.citations.references import CitationStyle
from cortex.connections.dates import Dates, page_dates
from cortex.connections.feed import FEED_PATH, site_feed
from cortex.connections.graph_page import DATA_FILE, GRAPH_PAGE, PublishedGraph, publish_graph
from cortex.connections.mentions import Mention, unlinked_mentions
from cortex.connections.related import Related, RelatedMemo, related_notes
from cortex.connections.similarity import METHODS, similarity
from cortex.diagnostics import Diagnostic
from cortex.experiments.pages import PagesMemo
from cortex.files import atomic_write_bytes, atomic_write_text
from cortex.mkdocs import pages
from cortex.mkdocs.citations import CitationsAdapter
from cortex.mkdocs.navigation import Bounded, folder_listings, tidy_navigation
from cortex.mkdocs.navigation_memo import remember_navigation
from cortex.mkdocs.preview import (
    IdleCollector,
    Preview,
    config_files,
    digest,
    navigation_key,
    theme_overrides,
)
from cortex.mkdocs.scripts import SHIPPED_SCRIPTS, add_math_font
from cortex.mkdocs.watcher import watch_by_notices
from cortex.model import CACHE_DIR, REFS_DIR, KnowledgeBase, load, mkdocs_body
from cortex.notes.folder_pages import NAV_MAX_ENTRIES
from cortex.notes.kept import save_kept
from cortex.notes.notebooks import NOTEBOOK_SUFFIX, prepare_notebook
from cortex.notes.rendering import RenderMemo, RenderOptions, render_note
from cortex.notes.tag_pages import tag_pages
from cortex.notes.vault import Note, root_guard
from cortex.text.math import typeset_notebook, typeset_page
from cortex.text.sanitize import sanitize_html

log = get_plugin_logger("cortex")
ASSETS = Path(__file__).parent / "assets"
STYLES = ("cortex.css", "cortex-results.css", "citations.css", "cortex-citable.css", "cortex-graph.css")
SCRIPTS = ("cortex-tables.js", "cortex-citations.js")
# the project's folders the site is made of, besides the content folder and mkdocs.yml
PROJECT_INPUTS = (REFS_DIR, "experiments", "results")
IDLE_COLLECTION_PAGES = 2000  # a site this large collects its garbage between a preview's rebuilds
# what the pages the plugin writes use: admonitions and folds (callouts, the folded parts of
# experiment pages) and tabs (results)
# front-matter keys the theme shows in a page's navigation entry
NAV_META = ("title", "icon", "status")
REQUIRED_EXTENSIONS = ("attr_list", "md_in_html", "toc", "admonition", "pymdownx.details", "pymdownx.tabbed")


class CortexConfig(base.Config):
    tags_dir = c.Type(str, default="tags")
    """Folder (inside the site) of the generated tag pages."""
    backlinks = c.Type(bool, default=True)
    """Add a "Linked from" section to every note that others link to."""
    max_embed_depth = c.Type(int, default=4)
    """How deep ``![[Note]]`` transclusions may nest before they are cut."""
    strict_warnings = c.Type(bool, default=False)
    """Let warnings (e.g. ambiguous links) fail ``mkdocs build --strict`` too, not only errors."""
    citation_style = c.Choice(("numeric", "author-year"), default="numeric")
    """How a citation reads in the text: ``[1]`` or ``(Vaswani et al., 2017)``."""
    bibliography_style = c.Choice(("plain", "unsrt", "alpha"), default="plain")
    """The pybtex style that formats references."""
    bibliography_all = c.Type(bool, default=False)
    """List every entry of refs/*.bib on the bibliography page, not only the cited ones."""
    tabs = c.Type(dict, default={})
    """Top-level folders with a navigation tab of their own, as {folder: tab title} (an empty
    title keeps the folder's); every other folder and note is under the notes tab."""
    notes_tab = c.Type(str, default="Notes")
    """The title of the tab that holds the notes."""
    graph = c.Type(bool, default=True)
    """Publish the graph of notes, experiments, papers, topics and tags: a page of its own and
    a folded local graph on every note and experiment page."""
    related = c.Type(bool, default=True)
    """Add a "Similar in content" section: the notes, experiments and papers most alike that a note does not link."""
    related_method = c.Choice(METHODS, default="auto")
    """How likeness is measured: ``minilm`` (the ``related`` extra), ``tfidf``, or ``auto`` (MiniLM where installed)."""
    mentions = c.Type(bool, default=True)
    """Add an "Unlinked mentions" section: the notes that name a note without linking to it."""
    nav_max_entries = c.Type(int, default=NAV_MAX_ENTRIES)
    """A folder with more entries shows only its first this many in the navigation, and a
    generated page lists all its notes (0: every folder shows all)."""
    watch_method = c.Choice(("auto", "polling"), default="auto")
    """How the preview sees a change: ``auto``, by the kernel's notices (inotify) on Linux where
    every folder it watches is on a local file system and holds no symbolic link, else by
    MkDocs' polling; ``polling``, by MkDocs' polling every half second wherever the files are."""


class CortexPlugin(BasePlugin[CortexConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.kb: KnowledgeBase | None = None
        self.slugify = None
        self.citations: CitationsAdapter | None = None
        self.urls: dict[str, str] = {}  # source path -> site URL of every file, once the files are final
        self.bounded: Bounded | None = None  # the folders the navigation cuts, once the files are final
        self.froze_model = False
        self.cache_dir = Path(CACHE_DIR)  # under the project's folder, once on_files knows it
        self.rendering: Page | None = None  # the page between its final Markdown and its HTML
        self.related: dict[str, list[Related]] = {}  # note path -> related documents, once per build
        self.mentions: dict[str, list[Mention]] = {}  # note path -> unlinked mentions of it
        self.dates: dict[str, Dates] = {}  # page path -> created and updated, from git, once per build
        self.graph: PublishedGraph | None = None  # the graph's data and page, once per build
        self.serving = False  # under mkdocs serve
        self.dirty = False  # a dirty build: only the pages that changed are rendered (see preview)
        self.preview = Preview()  # what a dirty rebuild keeps from the last build of this process
        self.renders = RenderMemo()  # and each note's Markdown, with what it was rendered from
        self.related_memo = RelatedMemo()  # and the related documents, with what they were found from
        self.experiment_memo = PagesMemo()  # and the experiment pages, with what they were made from
        self.idle = IdleCollector()  # and makes its full garbage collections between rebuilds
        self.shown: set[Diagnostic] = set()  # and the warnings its last build showed (the model's)
        self.shown_citations: set[Diagnostic] = set()  # (and rendering's citations')
        self.pages: list[Page] = []  # this build's pages, once the navigation is made
        self.files = Files([])  # and its files
        # this build's work per page, done once whether the preview or the page's events ask first
        self.markdown: dict[str, tuple[str, str]] = {}  # note path -> (Markdown read, Markdown rendered)
        # note path -> what on_post_page adds to its article: its footer and its local graph
        self.footers: dict[str, tuple[str, str]] = {}
        # and its HTML, by what it shows (kept between the rebuilds of a preview)
        self.kept_footers: dict[str, pages.KeptFooter] = {}
        self.footer_context = b""  # what every footer reads of the site, as a digest (in dirty builds)
        self.titles: dict[str, str] = {}  # and each note's title, by path

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """MkDocs keeps a plugin with this event between the rebuilds of ``mkdocs serve``, which
        is what lets the preview remember the last build."""
        self.serving = command == "serve"
        self.dirty = dirty
        if dirty and DIRTY_WARNING not in BUILD_LOG.filters:
            BUILD_LOG.addFilter(DIRTY_WARNING)

    def on_pre_build(self, config: MkDocsConfig) -> None:
        self.idle.build_starts()

    def on_shutdown(self) -> None:
        self.idle.stop()
        save_kept()  # a preview's, written once as it ends: a rebuild does not wait for it

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        for name in REQUIRED_EXTENSIONS:
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
        config.mdx_configs.setdefault("pymdownx.tabbed", {}).setdefault("alternate_style", True)
        self.slugify = config.mdx_configs.get("toc", {}).get("slugify")
        # the extension is needed before the references are loaded: it calls through
        citations = CitationsIfCited(
            lambda items: self.cited.render(items), lambda: self.cited.held, lambda: self.rendering
        )
        config.markdown_extensions.append(citations)  # type: ignore[arg-type]  # MkDocs takes Extension objects too
        for name in STYLES:
            if f"assets/cortex/{name}" not in config.extra_css:
                config.extra_css.append(f"assets/cortex/{name}")
        for name in SCRIPTS:
            if f"assets/cortex/{name}" not in map(str, config.extra_javascript):
                config.extra_javascript.append(f"assets/cortex/{name}")
        for script in SHIPPED_SCRIPTS:
            script.on_config(config)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        if not (self.dirty and self.preview.kept):
            return self._read_files(files, config)
        # a preview's rebuild (see collector_paused)
        with collector_paused():
            return self._read_files(files, config)

    def _read_files(self, files: Files, config: MkDocsConfig) -> Files:
        """The model read, and the pages and connections made from it."""
        self.markdown, self.footers, self.footer_context, self.titles = {}, {}, b"", {}
        self.renders.next_build()
        docs_dir = Path(config.docs_dir)
        paths = [f.src_uri for f in files if not f.generated_by and not f.inclusion.is_excluded()]
        leaves = root_guard(docs_dir)
        for f in [f for f in files if not f.generated_by and leaves(f.src_uri)]:
            files.remove(f)  # a link out of the content folder is neither read nor published (load says so)
        style = CitationStyle(self.config.citation_style, self.config.bibliography_style)
        project_root = Path(config.config_file_path or docs_dir).parent
        self.cache_dir = project_root / CACHE_DIR
        with collector_paused():
            kb = self.kb = load(
                docs_dir,
                root=project_root,
                paths=paths,
                slugify=self.slugify,
                citation_style=style,
                list_all_references=self.config.bibliography_all,
                max_embed_depth=self.config.max_embed_depth,
                cache_dir=self.cache_dir,
                experiment_memo=self.experiment_memo if self.dirty else None,
            )
            self._freeze_model()
        self.shown = report(kb.diagnostics, self.config.strict_warnings, self.shown)
        self._connect(kb)
        if not self.serving:  # now, while the build holds no page yet (a preview's, as it stops)
            save_kept()
        self.dates = page_dates(kb)
        for f in [f for f in files if f.src_uri in kb.bad_notebooks]:
            files.remove(f)  # a notebook that cannot be read is reported, and left out
        if kb.citations is None:
            raise PluginError("cortex: the knowledge base was loaded without its citation index")
        self.citations = CitationsAdapter.from_index(
            kb.citations,
            url_for=lambda src_uri: page_url(src_uri, config.use_directory_urls),
            path_for=lambda src_uri: str(docs_dir / src_uri),
        )
        taken = {f.src_uri for f in files}
        generated = [*tag_pages(kb, self.config.tags_dir), *kb.pages.items()]
        if kb.bibliography:
            generated.append(self.citations.bibliography_page())
        for src_uri, content in generated:
            if src_uri in taken:
                log.warning(
                    f"{src_uri}: a file in the content folder has the path of a generated page; "
                    "the file is used"
                )
                continue
            files.append(File.generated(config, src_uri, content=content))
        self.graph = self._publish_graph(kb, files, config)
        self.bounded = folder_listings(files, config, kb, self.config.tags_dir, self.config.nav_max_entries)
        for name in STYLES + SCRIPTS:
            files.append(File.generated(config, f"assets/cortex/{name}", abs_src_path=str(ASSETS / name)))
        for script in SHIPPED_SCRIPTS:
            files = script.on_files(files, config)
        return add_math_font(files, config)

    def on_nav(self, nav, config: MkDocsConfig, files: Files):
        self.urls = pages.site_urls(files)
        if self.kb is None:
            return nav
        nav = tidy_navigation(
            nav, self.kb, self.config.tags_dir, self.config.tabs, self.config.notes_tab, self.bounded
        )
        inclusion = InclusionLevel.is_in_serve if self.serving else InclusionLevel.is_included
        self.pages, self.files = [], files
        for file in files.documentation_pages(inclusion=inclusion):
            # a page outside the navigation gets its object here rather than in MkDocs' loop
            self.pages.append(file.page or Page(None, file, config))
        if self.dirty:
            with collector_paused():
                self._plan(nav, files, config)
        return nav

    def _plan(self, nav: Navigation, files: Files, config: MkDocsConfig) -> None:
        """Tell MkDocs' dirty build which pages changed (``cortex.mkdocs.preview``): a page's
        signature is everything its HTML is made of; what all pages share goes in each."""
        settings, urls = sorted(self.config.items()), digest(sorted(self.urls.items()))
        self.footer_context = digest(settings, urls, config.site_name, config.site_url, config.site_author)
        self.titles = {path: note.title for path, note in self.model.vault.notes.items()}
        shared = digest(
            *config_files(config.config_file_path),
            theme_overrides(config.theme.custom_dir),
            settings,
            urls,
            navigation_key(nav, lambda page: self._title_key(page, config)),
        )
        citing = self._citation_context()

        def signature(page: Page) -> str:
            note = self._note(page)
            if note is not None:
                parts: tuple[object, ...] = (
                    note.source,
                    self._rendered(note, page, config),
                    *self._footer(note, page, config),
                )
            else:
                parts = (page.file.content_bytes,)
                if page.file.src_uri == self.cited.page_uri:  # its list is filled in after Markdown
                    parts += (self.cited.body,)
                if page.file.src_uri.endswith(NOTEBOOK_SUFFIX) and page.file.abs_src_path:
                    parts += (self._prepared_notebook(page) or "",)
            cites = any(b"@" in p if isinstance(p, bytes) else "@" in str(p) for p in parts)
            key = (shared, page.file.src_uri, page.url, *parts, citing if cites else b"")
            return self.preview.signature(page.file.src_uri, key)

        self.preview.plan(self.pages, files, signature, config.site_dir)

    def _title_key(self, page: Page, config: MkDocsConfig) -> object:
        """What a page's entry in the navigation shows, known before the page is read."""
        note = self._note(page)
        if page.file.src_uri.endswith(NOTEBOOK_SUFFIX):  # its title is in one of its cells
            return (page.title, hashlib.sha256(page.file.content_bytes).hexdigest())
        if note is not None:
            markdown, meta = self._rendered(note, page, config), note.meta
        else:
            markdown, meta = get_data(page.file.content_string)
        return (page.title, get_markdown_title(markdown), *(str(meta.get(k)) for k in NAV_META))

    def _citation_context(self) -> bytes:
        """What a citing page's references depend on besides its own text: the entries in
        refs/, the citation style, the reading notes, and for alpha labels every cited key."""
        index = self.model.citations
        return digest(
            index.bibliography.sources if index else "",
            self.config.citation_style,
            self.config.bibliography_style,
            self.config.bibliography_all,
            sorted(index.reading_notes.items()) if index else "",
            index.cited_keys() if index and self.config.bibliography_style == "alpha" else "",
        )

    def on_page_read_source(self, page: Page, config: MkDocsConfig) -> str | None:
        note = self._note(page)
        if note is None or note.virtual:
            return None
        # a broken front matter is dropped so the body still renders
        return note.body if note.front_matter_broken else note.source

    def on_env(self, env: Environment, config: MkDocsConfig, files: Files) -> Environment:
        """The theme's templates, compiled once per process: each rebuild of a preview gets a
        new environment, which would otherwise compile them all again. And the navigation's
        entries, each rendered once per build (``cortex.mkdocs.navigation_memo``)."""
        env.bytecode_cache = COMPILED_TEMPLATES
        remember_navigation(env, config.theme.dirs, config.theme.custom_dir)
        return env

    def on_pre_page(self, page: Page, config: MkDocsConfig, files: Files) -> Page:
        """A notebook with plotly outputs or reads of results is rendered (by mkdocs-jupyter,
        which comes after this plugin) from a copy made ready for the site; the notebook in
        the content folder is never written."""
        if not page.file.src_uri.endswith(NOTEBOOK_SUFFIX) or not page.file.abs_src_path:
            return page
        source = Path(page.file.abs_src_path)
        prepared = self._prepared_notebook(page)
        if prepared is not None:
            # one copy per notebook, rewritten when it changes (mkdocs-jupyter caches by content)
            folder = hashlib.sha256(page.file.src_uri.encode("utf-8")).hexdigest()[:16]
            copy = self.cache_dir / "notebooks" / folder / source.name
            if not copy.is_file() or copy.read_text("utf-8") != prepared:
                copy.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(copy, prepared)
            page.file.abs_src_path = str(copy)  # the same name: the page's download link is unchanged
        return page

    def _prepared_notebook(self, page: Page) -> str | None:
        """The notebook's copy made ready for the site, None when it needs none."""
        assert page.file.abs_src_path
        source = Path(page.file.abs_src_path)
        return prepare_notebook(source.read_text("utf-8"), source.stem, self.model.results)

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        self.cited.start_page(page.file.src_uri, page.url)
        self.rendering = page
        pages.escape_theme_meta(page)
        note = self._note(page)
        if note is None:
            return markdown
        pages.drop_foreign_meta(page, config)
        done = self.markdown.get(note.path)
        return done[1] if done and done[0] == markdown else self._render_markdown(note, markdown, config)

    def _rendered(self, note: Note, page: Page, config: MkDocsConfig) -> str:
        """The Markdown ``on_page_markdown`` will give the note's page, worked out ahead."""
        if note.path not in self.markdown:
            read = _body(self.on_page_read_source(page, config) or page.file.content_string)
            self.markdown[note.path] = (read, self._render_markdown(note, read, config))
        return self.markdown[note.path][1]

    def _render_markdown(self, note: Note, markdown: str, config: MkDocsConfig) -> str:
        kb = self.model
        if note.path in kb.quoted and markdown == mkdocs_body(note):
            markdown = kb.quoted[note.path]
        options = RenderOptions(
            tags_dir=self.config.tags_dir,
            max_embed_depth=self.config.max_embed_depth,
            directory_urls=config.use_directory_urls,
        )
        if self.dirty:  # a preview: notes whose rendering read the same as last time are not rendered again
            rendered = self.renders.render(kb.vault, note, markdown, options)
        else:
            rendered = render_note(kb.vault, note, markdown, options)
        if note.front_matter_broken:
            rendered = pages.broken_front_matter_notice(note) + rendered
        return rendered

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        self.rendering = None
        if "title" not in page.meta and page.title:  # the title from the page's first heading, as HTML
            page.meta["title"] = page.title  # the theme writes meta titles as they are, and others unescaped
        if page.file.src_uri.endswith(".ipynb"):
            # a notebook's outputs are what its code printed when it ran: they are shown as they are
            return self.cited.finish_page(typeset_notebook(html)[0])
        html, _ = typeset_page(html)  # a formula that fails is reported by the model, at its line
        # references join the page once it is clean: they were typeset and sanitized once per entry
        return self.cited.finish_page(sanitize_html(html))

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        """Tags and backlinks go in after the search index has read the page: other notes'
        sentences should not make this page a search hit (and are not parsed twice)."""
        head = output.find("</head>")
        if head >= 0:  # every page names the site's feed
            output = output[:head] + pages.feed_link(page, config) + output[head:]
        note = self._note(page)
        if note is None:
            return output
        footer = "".join(self._footer(note, page, config))
        end = output.rfind("</article>")
        return output if not footer or end < 0 else output[:end] + footer + output[end:]

    def _footer(self, note: Note, page: Page, config: MkDocsConfig) -> tuple[str, str]:
        """What closes the note's article: tags, backlinks, related notes, mentions, dates,
        the citation block and the local graph."""
        if note.path not in self.footers:
            related, mentions = self.related.get(note.path, ()), self.mentions.get(note.path, ())
            kept = self.kept_footers.get(note.path)
            reads = None
            if self.dirty and self.footer_context:
                reads = pages.footer_reads(
                    self.model, note, page, self.footer_context, related, mentions, self.dates, self.titles
                )
            if kept is not None and kept.reads is not None and reads is not None and reads.same(kept.reads):
                inputs, footer = kept.inputs, kept.html  # nothing it is made of changed
            else:
                inputs = (
                    pages.footer_of(
                        self.model,
                        note,
                        page,
                        self.urls,
                        self.config.tags_dir,
                        self.config.backlinks,
                        related,
                        mentions,
                    ),
                    pages.dates_and_citation(self.model, note, page, self.dates, config),
                )
                if kept is not None and kept.inputs == inputs:
                    footer = kept.html
                else:
                    footer = pages.footer_html(inputs[0]) + pages.page_meta_html(*inputs[1])
            if self.dirty:  # a preview: the next rebuild writes again only the footers whose inputs changed
                self.kept_footers[note.path] = pages.KeptFooter(reads, inputs, footer)
            parts = (footer, self.graph.local(note.path) if self.graph else "")
            if not self.dirty:  # asked once, by on_post_page: not kept through the build
                return parts
            self.footers[note.path] = parts
        return self.footers[note.path]

    def _publish_graph(self, kb: KnowledgeBase, files: Files, config: MkDocsConfig) -> PublishedGraph | None:
        """The graph's page and data file (``cortex.connections.graph_page``), laid out once per
        change of the graph's structure."""
        if not self.config.graph:
            return None
        taken = {f.src_uri for f in files}
        published = publish_graph(
            kb,
            lambda src: (
                page_url(src, config.use_directory_urls) if src in taken or src == GRAPH_PAGE else None
            ),
            self.config.tags_dir,
            self.cited.page_uri,
            self.cache_dir,
        )
        for src_uri, content in ((GRAPH_PAGE, published.page), (DATA_FILE, published.data)):
            if src_uri in taken:
                log.warning(
                    f"{src_uri}: a file in the content folder has the path of the graph's; the file is used"
                )
            else:
                files.append(File.generated(config, src_uri, content=content))
        return published

    def _connect(self, kb: KnowledgeBase) -> None:
        """Related notes and unlinked mentions, computed once for the whole build."""
        self.related, self.mentions = {}, {}
        if self.config.related:
            try:
                method = similarity(self.config.related_method, self.cache_dir)
            except ValueError as exc:
                raise PluginError(f"cortex: related_method: {exc}") from exc
            self.related = related_notes(kb, method, memo=self.related_memo if self.dirty else None)
        if self.config.mentions:
            self.mentions = unlinked_mentions(kb)

    @property
    def model(self) -> KnowledgeBase:
        """The knowledge base, read in ``on_files``."""
        if self.kb is None:
            raise PluginError("cortex: an event came before on_files, where the knowledge base is read")
        return self.kb

    @property
    def cited(self) -> CitationsAdapter:
        """The citations of this build, indexed in ``on_files``."""
        if self.citations is None:
            raise PluginError("cortex: an event came before on_files, where citations are indexed")
        return self.citations

    def _note(self, page: Page) -> Note | None:
        """The note behind a page: a content file, or the declaration of a generated experiment page."""
        if self.kb is None:
            return None
        note = self.kb.vault.notes.get(page.file.src_uri)
        if note is None or (page.file.generated_by and not note.virtual):
            return None
        return note

    @event_priority(50)  # before the search plugin writes its index
    def on_post_build(self, config: MkDocsConfig) -> None:
        if self.dirty:  # before the collector is let loose on what the build made
            self.preview.remember(self.pages, self.files)
            self.kept_footers = {p: kept for p, kept in self.kept_footers.items() if p in self.footers}
            for plugin in config.plugins.values():
                self.preview.complete_search(plugin, self.pages)
        self._thaw_model()
        if self.citations is not None:
            self.shown_citations = report(
                self.citations.diagnostics,
                self.config.strict_warnings,
                self.shown_citations,
            )
            self.citations.save_cache()
        if self.kb is not None:
            feed = site_feed(
                self.kb,
                self.dates,
                self.urls,
                site_name=config.site_name,
                site_url=config.site_url,
                description=config.site_description,
                author=config.site_author,
            )
            atomic_write_bytes(Path(config.site_dir) / FEED_PATH, feed)
        self._idle_after_build()
        self._release()

    def on_build_error(self, error: Exception) -> None:
        self._thaw_model()
        self.preview.forget()
        self._idle_after_build()
        self._release()

    def _idle_after_build(self) -> None:
        """Under serve, a large site's garbage collections wait for the preview to be idle
        (``preview.IdleCollector``), after a build that failed too; a small site's take a
        fraction of a second and are left to Python, as a collection made after a build could
        meet the next save."""
        if self.serving and self.dirty and (len(self.pages) >= IDLE_COLLECTION_PAGES or self.idle.active):
            self.idle.build_done()

    def _release(self) -> None:
        """Let go of this build's model and pages: MkDocs keeps the plugin between a preview's
        rebuilds, and the next build reads its own (what it reuses, the caches keep)."""
        self.kb = self.citations = self.graph = self.bounded = None
        self.related, self.mentions, self.dates, self.urls = {}, {}, {}, {}
        self.markdown, self.footers, self.titles = {}, {}, {}
        self.pages, self.files = [], Files([])

    def on_serve(self, server: LiveReloadServer, config: MkDocsConfig, builder: Callable) -> LiveReloadServer:
        """Rebuild on a change to anything the site is made of, not only the content folder
        (which holds the curriculum) and mkdocs.yml: refs/, experiments/ and results/, so a run
        that lands shows in the open page. A folder that does not exist yet is not watched.
        All of them are watched by the kernel's change notices where it can (``watcher``)."""
        project_root = Path(config.config_file_path or config.docs_dir).parent
        for name in PROJECT_INPUTS:
            if (project_root / name).is_dir():
                server.watch(str(project_root / name))
        if self.config.watch_method == "auto":
            watch_by_notices(server)
        return server

    def _freeze_model(self) -> None:
        """The model's hundred thousand objects live through the whole build and are never
        garbage, yet every full collection would walk them again: they wait out the build in
        the collector's permanent generation (along with what MkDocs has made so far).
        A process that froze objects of its own is left alone."""
        if gc.get_freeze_count() == 0:
            gc.freeze()
            self.froze_model = True

    def _thaw_model(self) -> None:
        if self.froze_model:
            gc.unfreeze()
            self.froze_model = False


@lru_cache(maxsize=1 << 16)  # asked for every page, by the graph and the citations, on every rebuild
def page_url(src_uri: str, use_directory_urls: bool) -> str:
    """The URL MkDocs gives the page of a source path."""
    return File(src_uri, None, "", use_directory_urls).url


@lru_cache(maxsize=1 << 15)  # a preview asks for every note's on each rebuild
def _body(source: str) -> str:
    """A page's Markdown as MkDocs hands it to plugins: its front matter taken off."""
    return get_data(source)[0]


def _not_the_dirty_warning(record: logging.LogRecord) -> bool:
    """MkDocs warns on each dirty build that its navigation and links may be wrong: with this
    plugin they are what a clean build writes (``cortex.mkdocs.preview``), so it is not shown."""
    return not str(record.msg).startswith("A 'dirty' build is being performed")


DIRTY_WARNING = _not_the_dirty_warning
BUILD_LOG = logging.getLogger("mkdocs.commands.build")


class CompiledTemplates(BytecodeCache):
    """Compiled templates in memory, by template and source (Jinja checks the source's hash)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection for a while: while the model is read (its hundreds of thousands
    of allocations are kept, and what it drops goes by reference counting), and through a
    preview's rebuild of the model, the graph, the connections and the signatures, where the
    collections cost seconds at ten thousand notes (a large site's rebuilds make none at all:
    ``preview.IdleCollector``). A first build collects through its graph
    and connections: they leave cyclic garbage, which at ten thousand notes would raise its
    peak memory from 0.93 to 1.17 GB."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class CitationsIfCited(CitationExtension):
    """The citation extension, left out of the Markdown pass of a page whose final Markdown has
    no "@": no citation can stand there, and its two inline patterns would otherwise be tried on
    every run of the page's text. Outside a page's pass, it is always in, and citations are
    written in place; in a page's pass, they join the page once it is sanitized (``HeldCitations``)."""

    def __init__(
        self, render: RenderCitation, held: Callable[[], HeldCitations], rendering: Callable[[], Page | None]
    ) -> None:
        super().__init__(render)
        self.held_now = held
        self.rendering = rendering

    def extendMarkdown(self, md: Markdown) -> None:
        page = self.rendering()
        if page is None or page.markdown is None:
            self.register(md, None)
        elif "@" in page.markdown:
            self.register(md, self.held_now())


def report(
    diagnostics: list[Diagnostic], strict_warnings: bool, shown: Collection[Diagnostic] | None = None
) -> set[Diagnostic]:
    """Errors fail ``mkdocs build --strict``; warnings do only when asked to. ``shown``: the
    warnings and suggestions the last build of a preview showed, which are counted, not shown
    again (a save should not scroll ten thousand unchanged lines by); returns this build's."""
    now, again = set(), 0
    for d in diagnostics:
        if d.is_error:
            log.error(str(d))
        elif strict_warnings:
            log.warning(str(d))
        else:
            now.add(d)
            if shown is not None and d in shown:
                again += 1
            else:
                log.info(str(d))
    if again:
        log.info(f"{again} more problem{'s' if again != 1 else ''} as before (`cortex check` lists them all)")
    return now
