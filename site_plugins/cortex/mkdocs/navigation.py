"""The automatic navigation, tidied with what the notes say about themselves: a folder's section
takes the title of its index note, ``order:`` in front matter sorts a section, and the many
generated tag pages collapse into one "Tags" entry.

Then it is grouped for a reader, one top-level entry per tab (material's navigation.tabs):
the home page, "Notes" (every folder and loose note written by hand, the graph, and the tags), each
folder the configuration gives a tab of its own (``tabs:``), the curriculum, the experiments
and the bibliography. A section below the top level stays folded until opened.

A folder too large for the navigation (``cortex.notes.folder_pages``) keeps its index page and
its first entries, in the order above, then the generated page that lists all its notes; the
pages left out are still built, keep their previous and next links, and open their folder."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from cortex.citations.index import BIBLIOGRAPHY_PAGE
from cortex.connections.graph_page import GRAPH_PAGE
from cortex.model import KnowledgeBase
from cortex.notes.folder_pages import large_folders, listing_page
from cortex.notes.notebooks import NOTEBOOK_SUFFIX

DEFAULT_ORDER = 1000


GENERATED_TABS = ("curriculum/index.md", "experiments/index.md", BIBLIOGRAPHY_PAGE)


def tidy_navigation(
    nav: Navigation,
    kb: KnowledgeBase,
    tags_dir: str,
    tabs: dict[str, str] | None = None,
    notes_tab: str = "Notes",
    bounded: Bounded | None = None,
) -> Navigation:
    """``bounded``: the listing pages of the folders to cut, and how many entries each keeps."""
    bounded = bounded or Bounded(frozenset(), 0)
    hidden = [
        p
        for p in nav.pages
        if p.file.src_uri.startswith(f"{tags_dir}/") and p.file.src_uri != f"{tags_dir}/index.md"
    ]
    nav.items = _tidy(nav.items, kb, {id(p) for p in hidden}, tags_dir, bounded)
    last = (GRAPH_PAGE, f"{tags_dir}/index.md")  # the graph, then the tags, close the notes
    nav.items.sort(key=lambda item: last.index(src) + 1 if (src := _src(item)) in last else 0)
    nav.pages = [p for p in nav.pages if id(p) not in {id(h) for h in hidden}]
    nav.items = _tabs(nav.items, tabs or {}, notes_tab, bounded, last)
    return nav


@dataclass(frozen=True)
class Bounded:
    """The folders whose navigation is cut, by their listing pages' source paths, and how many
    entries (besides the folder's index page and its listing) each keeps."""

    listings: frozenset[str]
    max_entries: int

    def cut(self, items: list, last: tuple[str, ...] = ()) -> list:
        """The items of one folder, cut to the first ``max_entries`` and the folder's listing,
        where the folder has one; otherwise as they are. Listings (a spliced folder's too) and
        the items whose page is one of ``last`` are never cut, and stay at the end."""
        listings = [i for i in items if isinstance(i, Page) and i.file.src_uri in self.listings]
        if not listings:
            return items
        closing = [i for i in items if _src(i) in last]
        kept = {id(i) for i in listings + closing}
        rest = [i for i in items if id(i) not in kept]
        index = [i for i in rest if isinstance(i, Page) and i.file.name == "index"][:1]
        others = [i for i in rest if not index or i is not index[0]]
        return [*index, *others[: self.max_entries], *listings, *closing]


def _tabs(items: list, tabs: dict[str, str], notes_tab: str, bounded: Bounded, last: tuple[str, ...]) -> list:
    """Home first, then the notes, the folders with tabs of their own, and what is generated."""
    home, notes, own, generated = [], [], [], []
    for item in items:
        src = _src(item)
        folder = src.split("/", 1)[0] if src and "/" in src else None
        if isinstance(item, Page) and src == "index.md":
            home.append(item)
        elif src in GENERATED_TABS:
            generated.append(item)
        elif folder in tabs and isinstance(item, Section):
            item.title = str(escape(tabs[folder])) if tabs[folder] else item.title
            own.append(item)
        else:
            notes.append(item)
    if not notes:
        return home + own + generated
    # a folder called what the tab is called (notes/ under "Notes") is not a level of its own
    notes = [
        child
        for item in notes
        for child in (
            item.children
            if isinstance(item, Section) and item.title.casefold() == notes_tab.casefold()
            else [item]
        )
    ]
    section = Section(notes_tab, bounded.cut(notes, last))  # the top of the content folder is a folder too
    for child in notes:  # those cut from the navigation too: their page opens the tab
        child.parent = section
    return [*home, section, *own, *sorted(generated, key=lambda item: GENERATED_TABS.index(_src(item) or ""))]


def _src(item) -> str | None:
    page = _index_page(item) if isinstance(item, Section) else item
    return page.file.src_uri if isinstance(page, Page) else None


def _tidy(items: list, kb: KnowledgeBase, hidden: set[int], tags_dir: str, bounded: Bounded) -> list:
    kept = []
    for item in items:
        if id(item) in hidden:
            continue
        if isinstance(item, Section):
            item.children = bounded.cut(_tidy(item.children, kb, hidden, tags_dir, bounded))
            index = _index_page(item)
            if index is not None and index.file.src_uri == f"{tags_dir}/index.md":
                item.children = [index]  # the tag section keeps its index page alone: one link
                item.title = "Tags"
                kept.append(item)
                continue
            note = kb.vault.notes.get(index.file.src_uri) if index is not None else None
            if note is not None and isinstance(note.meta.get("title") or note.title, str):
                item.title = str(escape(note.title))  # the theme writes titles into HTML as they are
            if not item.children:
                continue
        kept.append(item)
    return sorted(kept, key=lambda item: _order(item, kb))


def _index_page(section: Section) -> Page | None:
    for child in section.children:
        if isinstance(child, Page) and child.file.name == "index":
            return child
    return None


def _order(item, kb: KnowledgeBase) -> tuple[int, int]:
    page = _index_page(item) if isinstance(item, Section) else item
    src = page.file.src_uri if isinstance(page, Page) else None
    note = kb.vault.notes.get(src) if src else None
    order = note.meta.get("order") if note is not None and not note.virtual else kb.nav_order.get(src or "")
    is_index = isinstance(item, Page) and item.file.name == "index"
    return (0 if is_index else 1, order if isinstance(order, int) else DEFAULT_ORDER)


def folder_listings(
    files: Files, config: MkDocsConfig, kb: KnowledgeBase, tags_dir: str, max_entries: int
) -> Bounded:
    """Adds to ``files`` the listing page of every folder with more than ``max_entries`` entries
    (none when it is 0), and says which folders the navigation cuts. The tag pages are not
    counted: the navigation shows them as one entry."""
    if max_entries <= 0:
        return Bounded(frozenset(), 0)
    pages = [
        f.src_uri
        for f in files
        if (f.is_documentation_page() or f.src_uri.endswith(NOTEBOOK_SUFFIX))
        and not f.inclusion.is_excluded()
        and not f.src_uri.startswith(f"{tags_dir}/")
    ]
    listings = large_folders(pages, max_entries, taken=[f.src_uri for f in files])
    titles = {path: note.title for path, note in kb.vault.notes.items()}
    for listing in listings:
        files.append(File.generated(config, listing.src_uri, content=listing_page(listing, titles)))
    return Bounded(frozenset(listing.src_uri for listing in listings), max_entries)
