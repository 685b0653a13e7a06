"""Folders too large for the navigation, and the generated page that lists their notes.

mkdocs-material writes the navigation into every page, and with ``navigation.prune`` it still
writes every entry of the folders the page sits in: a folder of 5,000 notes puts 5,000 links
into each of its 5,000 pages, so the build grows with the square of the folder. A folder with
more entries (pages and subfolders) than the limit shows only its first entries in the
navigation, and one generated page lists every page under it, so each page's navigation stays
the same size however large the vault grows. Small folders keep their full navigation."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cortex.notes.rendering import relative_link
from cortex.notes.tag_pages import front_matter
from cortex.text.markdown import md_text

NAV_MAX_ENTRIES = 100
"""A folder shows at most this many entries in the navigation. Measured (bench/build.py, 1,000
notes in one folder): each entry of an open folder costs every page 0.02-0.05 ms, against about
12 ms for the rest of the page; the whole folder of 1,000 more than doubled the build."""
LISTING_NAME = "all-notes.md"
"""The generated page of a large folder, in the folder."""


@dataclass(frozen=True)
class FolderListing:
    """A folder whose navigation is cut, and the page that lists everything under it."""

    folder: str  # posix path relative to the content root; "" for the content root itself
    src_uri: str  # the generated listing page
    pages: tuple[str, ...]  # every page under the folder, subfolders included, listing order


def large_folders(pages: Iterable[str], max_entries: int, taken: Iterable[str] = ()) -> list[FolderListing]:
    """The folders of ``pages`` (source paths) with more than ``max_entries`` entries in the
    navigation: their pages other than ``index.md``, and their subfolders. A folder whose
    listing path is ``taken`` (a file of the content folder already has it) keeps its full
    navigation: without a listing, the pages it would leave out would have no way in."""
    pages = sorted(set(pages))
    entries: dict[str, set[str]] = defaultdict(set)
    under: dict[str, list[str]] = defaultdict(list)
    for path in pages:
        folder = posixpath.dirname(path)
        if posixpath.basename(path) != "index.md":
            entries[folder].add(path)
        while True:  # the page is under its folder and every folder above it
            under[folder].append(path)
            if not folder:
                break
            parent = posixpath.dirname(folder)
            entries[parent].add(folder + "/")
            folder = parent
    taken = {p.lower() for p in taken}
    out = []
    for folder in sorted(entries):
        src = posixpath.join(folder, LISTING_NAME)
        if len(entries[folder]) > max_entries and src.lower() not in taken:
            listed = tuple(p for p in under[folder] if p != src)
            out.append(FolderListing(folder, src, tuple(sorted(listed, key=_listing_order))))
    return out


def _listing_order(path: str) -> tuple[str, int, str]:
    """A folder's own pages first, then each subfolder's, in the order of their paths."""
    folder = posixpath.dirname(path)
    return (folder.lower(), posixpath.basename(path) != "index.md", path.lower())


def listing_page(listing: FolderListing, titles: Mapping[str, str]) -> str:
    """The Markdown of a listing: every page under the folder as a link, grouped by folder.
    Titles and folder names are the user's text: they reach the page as literal text."""
    src = listing.src_uri
    name = listing.folder.rsplit("/", 1)[-1] if listing.folder else ""
    count = len(listing.pages)
    title = f"All {count} notes"
    heading = f"{md_text(name)}: all {count} notes" if name else f"All {count} notes"
    lines = [front_matter({"title": title, "search": {"exclude": True}}), f"# {heading}", ""]
    current = listing.folder
    for path in listing.pages:
        folder = posixpath.dirname(path)
        if folder != current:
            current = folder
            rel = folder[len(listing.folder) :].lstrip("/") if listing.folder else folder
            lines += ["", f"## {md_text(rel)}", ""]
        shown = titles.get(path) or posixpath.splitext(posixpath.basename(path))[0]
        lines.append(f"- [{md_text(shown)}]({relative_link(src, path)})")
    return "\n".join(lines) + "\n"
