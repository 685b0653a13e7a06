"""The automatic navigation, tidied with what the notes say about themselves: a folder's section
takes the title of its index note, ``order:`` in front matter sorts a section, and the many
generated tag pages collapse into one "Tags" entry.

Then it is grouped for a reader, one top-level entry per tab (material's navigation.tabs):
the home page, "Notes" (every folder and loose note written by hand, and the tags), each
folder the configuration gives a tab of its own (``tabs:``), the curriculum, the experiments
and the bibliography. A section below the top level stays folded until opened."""

from __future__ import annotations

from markupsafe import escape
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from cortex.model import KnowledgeBase

DEFAULT_ORDER = 1000


GENERATED_TABS = ("curriculum/index.md", "experiments/index.md", "bibliography.md")


def tidy_navigation(
    nav: Navigation,
    kb: KnowledgeBase,
    tags_dir: str,
    tabs: dict[str, str] | None = None,
    notes_tab: str = "Notes",
) -> Navigation:
    hidden = [
        p
        for p in nav.pages
        if p.file.src_uri.startswith(f"{tags_dir}/") and p.file.src_uri != f"{tags_dir}/index.md"
    ]
    nav.items = _tidy(nav.items, kb, {id(p) for p in hidden}, tags_dir)
    nav.items.sort(key=lambda item: _src(item) == f"{tags_dir}/index.md")  # the tags come last
    nav.pages = [p for p in nav.pages if id(p) not in {id(h) for h in hidden}]
    nav.items = _tabs(nav.items, tabs or {}, notes_tab)
    return nav


def _tabs(items: list, tabs: dict[str, str], notes_tab: str) -> list:
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
    section = Section(notes_tab, notes)
    for child in notes:
        child.parent = section
    return [*home, section, *own, *sorted(generated, key=lambda item: GENERATED_TABS.index(_src(item) or ""))]


def _src(item) -> str | None:
    page = _index_page(item) if isinstance(item, Section) else item
    return page.file.src_uri if isinstance(page, Page) else None


def _tidy(items: list, kb: KnowledgeBase, hidden: set[int], tags_dir: str) -> list:
    kept = []
    for item in items:
        if id(item) in hidden:
            continue
        if isinstance(item, Section):
            item.children = _tidy(item.children, kb, hidden, tags_dir)
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
