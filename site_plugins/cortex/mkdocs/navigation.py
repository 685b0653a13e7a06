"""The automatic navigation, tidied with what the notes say about themselves: a folder's section
takes the title of its index note, ``order:`` in front matter sorts a section, and the many
generated tag pages collapse into one "Tags" entry."""

from __future__ import annotations

from markupsafe import escape
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from cortex.model import KnowledgeBase

DEFAULT_ORDER = 1000


def tidy_navigation(nav: Navigation, kb: KnowledgeBase, tags_dir: str) -> Navigation:
    hidden = [
        p
        for p in nav.pages
        if p.file.src_uri.startswith(f"{tags_dir}/") and p.file.src_uri != f"{tags_dir}/index.md"
    ]
    nav.items = _tidy(nav.items, kb, {id(p) for p in hidden}, tags_dir)
    nav.items.sort(key=lambda item: isinstance(item, Page) and item.file.src_uri == f"{tags_dir}/index.md")
    nav.pages = [p for p in nav.pages if id(p) not in {id(h) for h in hidden}]
    return nav


def _tidy(items: list, kb: KnowledgeBase, hidden: set[int], tags_dir: str) -> list:
    kept = []
    for item in items:
        if id(item) in hidden:
            continue
        if isinstance(item, Section):
            item.children = _tidy(item.children, kb, hidden, tags_dir)
            index = _index_page(item)
            if index is not None and index.file.src_uri == f"{tags_dir}/index.md":
                kept.append(index)  # the tag section becomes its index page alone
                index.parent = item.parent
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
