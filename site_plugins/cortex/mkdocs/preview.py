"""Incremental rebuilds for the preview: MkDocs' dirty build, told which pages changed.

Under ``mkdocs serve --dirty`` (what ``cortex serve`` runs) MkDocs renders only the pages whose
file says it is modified. Left to itself that means a source newer than its output: it misses
every page whose backlinks, embeds, quotes, citations or navigation changed, renders every
generated page each time, and the pages it does render get a navigation without the titles of
those it skipped.

So the plugin keeps, between the rebuilds of one server, each page's signature: a hash of all
its HTML is made of (its final Markdown, what the plugin adds once the theme rendered it, the
references when it cites, the navigation and the site's files). A page is rendered again when
its signature changed or its output is missing; any other page is skipped and given back the
title, metadata and table of contents it had, so that the pages rendered get the navigation a
clean build writes. The outputs of pages and files that are gone are deleted.

A build that is not dirty, or the first one of a process, renders every page."""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.structure.files import Files
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents

from cortex.notes.kept import same_items


@dataclass
class Kept:
    """What a page skipped by a rebuild needs to stand in the navigation as a clean build has it."""

    signature: str
    markdown: str | None
    meta: MutableMapping[str, Any]
    title_from_render: str | None
    toc: TableOfContents
    anchors: set[str] | None

    @classmethod
    def of(cls, page: Page, signature: str) -> Kept:
        return cls(
            signature, page.markdown, page.meta, page._title_from_render, page.toc, page.present_anchor_ids
        )

    def restore(self, page: Page) -> None:
        page.markdown, page.meta, page.toc = self.markdown, self.meta, self.toc
        page._title_from_render = self.title_from_render
        page.present_anchor_ids = self.anchors


class Preview:
    """What one server keeps from its last build to decide what the next renders."""

    def __init__(self) -> None:
        self.site_dir: str | None = None
        self.kept: dict[str, Kept] = {}  # page source path -> its state after the last build
        self.outputs: set[str] = set()  # every file the last build wrote, by its path
        self.signatures: dict[str, str] = {}  # this build's
        self.rendered: set[str] = set()  # the pages this build renders
        self.search: dict[str, list[dict]] = {}  # page URL -> its search entries, from its last rendering
        self.hashed: dict[str, tuple[tuple, str]] = {}  # page source path -> its signature's parts, and it

    def signature(self, src_uri: str, parts: tuple[object, ...]) -> str:
        """The digest of a page's ``parts``, hashed again only when they differ from what its
        last signature was made of: a rebuild hands over the same objects for what did not
        change (compared by identity first, else by value, far cheaper than hashing them)."""
        last = self.hashed.get(src_uri)
        if last is not None and same_items(last[0], parts):
            return last[1]
        found = digest(*parts).hex()
        self.hashed[src_uri] = (parts, found)
        return found

    def plan(
        self, pages: Iterable[Page], files: Files, signature: Callable[[Page], str], site_dir: str
    ) -> None:
        """Mark each page for MkDocs' dirty build: rendered again, or skipped and restored."""
        if site_dir != self.site_dir:  # another folder: nothing there is known
            self.kept, self.outputs = {}, set()
        self.site_dir = site_dir
        self.signatures, self.rendered = {}, set()
        for page in pages:
            src = page.file.src_uri
            self.signatures[src] = signature(page)
            kept = self.kept.get(src)
            again = (
                kept is None
                or kept.signature != self.signatures[src]
                or not Path(page.file.abs_dest_path).is_file()
            )
            # MkDocs asks the file, before reading the page and before rendering it
            page.file.is_modified = _answer(again)  # type: ignore[method-assign]
            if again:
                self.rendered.add(src)
            else:
                kept.restore(page)  # type: ignore[union-attr]  # kept is set when not again
        self._delete_gone({f.abs_dest_path for f in files})

    def remember(self, pages: Iterable[Page], files: Files) -> None:
        """After a build: each page's signature and state, and what the site folder holds."""
        self.kept = {
            p.file.src_uri: Kept.of(p, self.signatures[p.file.src_uri])
            for p in pages
            if p.markdown is not None and p.file.src_uri in self.signatures
        }
        self.hashed = {src: hashed for src, hashed in self.hashed.items() if src in self.signatures}
        self.outputs = {f.abs_dest_path for f in files}

    def complete_search(self, search_plugin: object, pages: Iterable[Page]) -> None:
        """Give material's search plugin the entries of every page, not only of those this build
        rendered (its own dirty merge trusts the first rendered page's address only), in the
        order a clean build adds them; call it before that plugin writes its index."""
        index = getattr(search_plugin, "search_index", None)
        if index is None or not isinstance(getattr(index, "entries", None), list):
            return  # another search plugin, or another version of it: its index as it makes it
        current: dict[str, list[dict]] = {}
        for entry in index.entries:
            current.setdefault(str(entry["location"]).split("#")[0], []).append(entry)
        self.search = {
            p.url: current.get(p.url, []) if p.file.src_uri in self.rendered else self.search.get(p.url, [])
            for p in pages
        }
        index.entries = [entry for entries in self.search.values() for entry in entries]
        search_plugin.search_index_prev = None  # type: ignore[attr-defined]  # nothing to merge

    def forget(self) -> None:
        """A build that failed may have left any page half done: the next renders them all."""
        self.kept = {}

    def _delete_gone(self, outputs: set[str]) -> None:
        """Delete what the last build wrote for a page or file this one does not have (deleted
        or renamed), and the folders that leaves empty, as a clean build would not have them."""
        assert self.site_dir is not None
        site = Path(self.site_dir).resolve()
        for gone in sorted(self.outputs - outputs):
            path = Path(gone)
            path.unlink(missing_ok=True)
            folder = path.parent.resolve()
            while folder != site and site in folder.parents and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent


IDLE_DELAY = 1.0  # seconds after a build: the reader's browser has reloaded the page by then
MAX_UNCOLLECTED = 3  # builds in a row without an idle moment: the next collects first


class IdleCollector:
    """A preview's garbage collections, made while it waits for the next save rather than during
    a rebuild. At ten thousand notes a full collection walks what the preview keeps and what a
    rebuild reads (millions of objects: 2 s of a rebuild's 7), and Python set one off every
    other rebuild; the young generations' collections took another 0.65 s of each rebuild,
    mostly walking what the rebuild had just made and keeps. Once a build is done, the collector
    is switched off, and one full collection is made ``delay`` seconds later, after which it is
    switched on again until the next build begins, unless that build began first; after
    MAX_UNCOLLECTED builds without one (saves that follow each other closely), the next build
    begins with it, so garbage never piles up. ``stop`` switches the collector back on."""

    def __init__(self, delay: float = IDLE_DELAY) -> None:
        self.delay = delay
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()  # the timer's thread against a build that begins
        self.active = False  # the collector is ours to switch: a build was done
        self.uncollected = 0  # builds since the last full collection

    def build_done(self) -> None:
        with self.lock:
            self._cancel()
            self.active = True
            gc.disable()
            self.uncollected += 1
            timer = threading.Timer(self.delay, self._when_idle)
            timer.daemon = True  # a server that stops does not wait for it
            self.timer = timer
            timer.start()

    def build_starts(self) -> None:
        """No collection during the build, but the one that waits for too many builds."""
        with self.lock:
            self._cancel()
            if not self.active:
                return
            gc.disable()
            if self.uncollected >= MAX_UNCOLLECTED:
                self._collect()

    def stop(self) -> None:
        with self.lock:
            self._cancel()
            if self.active:
                gc.enable()
                self.active = False

    def _when_idle(self) -> None:
        with self.lock:
            if self.timer is not threading.current_thread():
                return  # cancelled while it waited for the lock: a build has begun
            self.timer = None
            self._collect()
            gc.enable()

    def _collect(self) -> None:
        gc.collect()
        self.uncollected = 0

    def _cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def _answer(modified: bool) -> Callable[[], bool]:
    return lambda: modified


def navigation_key(nav: Navigation, title_key: Callable[[Page], object]) -> list:
    """The navigation as every page renders it: its sections, links and pages in order, with
    what each page's entry shows (``title_key``)."""

    def item(entry) -> object:
        if isinstance(entry, Section):
            return ["section", entry.title, [item(child) for child in entry.children]]
        if isinstance(entry, Link):
            return ["link", entry.title, entry.url]
        return ["page", entry.url, title_key(entry)]

    return [[item(entry) for entry in nav.items], [p.url for p in nav.pages]]


def digest(*parts: object) -> bytes:
    """A hash of text, bytes and anything with a stable ``repr``."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


def theme_overrides(custom_dir: str | None) -> list[tuple[str, int, int]]:
    """The theme's overrides (``custom_dir``), each by path, size and modification time: an
    edited template changes every page."""
    if not custom_dir or not Path(custom_dir).is_dir():
        return []
    found = []
    for path in sorted(p for p in Path(custom_dir).rglob("*") if p.is_file()):
        stat = path.stat()
        found.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    return found


def config_files(name: str | None) -> list[bytes]:
    """The configuration file and the ones it inherits from (``INHERIT:``), as bytes."""
    found: list[bytes] = []
    path = Path(name) if name else None
    while path is not None and path.is_file() and len(found) < 8:
        data = path.read_bytes()
        found.append(data)
        parent = next(
            (line.split(b":", 1)[1].strip() for line in data.splitlines() if line.startswith(b"INHERIT:")),
            None,
        )
        path = path.parent / parent.decode("utf-8", "replace") if parent else None
    return found
