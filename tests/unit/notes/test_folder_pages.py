"""Which folders are too large for the navigation, and what their listing pages say."""

from __future__ import annotations

import markdown

from cortex.notes.folder_pages import LISTING_NAME, large_folders, listing_page


def notes(folder: str, count: int) -> list[str]:
    return [f"{folder}/Note {i:03d}.md" for i in range(count)]


def test_a_folder_is_large_when_its_pages_and_subfolders_pass_the_limit():
    pages = [*notes("big", 9), "big/index.md", "big/sub/Inner.md", *notes("small", 5)]
    (listing,) = large_folders(pages, 9)  # 9 notes and a subfolder: 10 entries; the index is not one
    assert listing.folder == "big" and listing.src_uri == f"big/{LISTING_NAME}"
    assert listing.pages[0] == "big/index.md" and listing.pages[-1] == "big/sub/Inner.md"
    assert len(listing.pages) == 11
    assert large_folders(pages, 10) == []


def test_the_top_of_the_content_folder_counts_too():
    pages = [f"Loose {i}.md" for i in range(5)] + ["index.md"]
    (listing,) = large_folders(pages, 4)
    assert listing.folder == "" and listing.src_uri == LISTING_NAME


def test_a_folder_whose_listing_path_is_taken_keeps_its_navigation():
    pages = notes("big", 30)
    assert large_folders(pages, 5, taken=[f"BIG/{LISTING_NAME.upper()}"]) == []


def test_the_listing_links_every_page_with_its_title_as_literal_text():
    hostile = "<img src=x onerror=alert(1)> [link](javascript:alert(1)) *em* `code`"
    pages = [*notes("a b", 3), "a b/deeper/Inner.md"]
    (listing,) = large_folders(pages, 2)
    text = listing_page(listing, {"a b/Note 001.md": hostile})
    html = markdown.Markdown().convert(text.split("---\n", 2)[2])
    assert "<img" not in html and 'href="javascript' not in html and "<em>" not in html
    assert '<a href="Note%20000.md">Note 000</a>' in html
    assert '<a href="deeper/Inner.md">Inner</a>' in html
    assert "<h2>deeper</h2>" in html
    assert "All 4 notes" in text.split("---\n", 2)[1]  # the title the navigation shows
