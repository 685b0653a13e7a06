"""Related notes and unlinked mentions on a real MkDocs build: shown at the end of a note, escaped,
linked, and computed from the embedding cache on a second build."""

from __future__ import annotations

import re

import pytest
from support.builds import build_site
from support.related_vault import related_project

from cortex.connections.similarity import minilm_installed

HOSTILE = (
    '---\ntitle: "<img src=x onerror=alert(1)> Rounding"\n---\n'
    "A compensated sum <script>alert(2)</script> keeps the rounding error of each floating-point "
    "addition, so the error of a long running sum stays bounded however many numbers are summed.\n"
)


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section class="[^"]*"[^>]*><h2 id="{heading_id}">.*?</section>', html, re.S)
    assert found, f"no #{heading_id} section"
    return found.group(0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = related_project(tmp_path_factory.mktemp("related"), {"content/numerics/Hostile.md": HOSTILE})
    first = build_site(root / "content", root / "work")
    assert first.returncode == 0, first.output
    return root, first


def test_related_notes_close_a_note_linked_and_scored(built):
    _, site = built
    related = section(site.page("numerics/Compensated Sums/"), "related-notes")
    assert "data-search-exclude" in related
    assert '<a href="../Kahan%20Summation/">Kahan Summation</a>' in related
    assert '<a href="../Error%20Bounds/">Error Bounds</a>' in related
    assert "Tomatoes" not in related
    kinds = re.findall(r'class="cortex-related-kind">(\w+)<', related)
    scores = [float(s) for s in re.findall(r'class="cortex-related-score"[^>]*>([\d.]+)<', related)]
    assert set(kinds) <= {"note", "experiment", "paper"} and "note" in kinds
    assert scores == sorted(scores, reverse=True) and len(scores) <= 5
    assert 'id="related-notes"' not in site.page("garden/Tomatoes/")  # nothing alike enough


def test_linked_notes_are_not_related_and_the_footer_is_escaped(built):
    _, site = built
    kahan = site.page("numerics/Kahan Summation/")
    assert "Error Bounds" not in section(kahan, "related-notes")  # it links Kahan Summation already
    assert "Error Bounds" in section(kahan, "linked-from")
    for page in ("numerics/Compensated Sums/", "numerics/Kahan Summation/"):
        html = site.page(page)
        assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; Rounding" in section(kahan, "related-notes")


def test_unlinked_mentions_are_listed_on_the_named_note(built):
    _, site = built
    mentions = section(site.page("numerics/Kahan Summation/"), "unlinked-mentions")
    assert '<a href="../Compensated%20Sums/">Compensated Sums</a>' in mentions
    assert "A compensated sum carries a second variable" in mentions
    assert "A compensated sum alert(2) keeps" in mentions  # the hostile note's line, as plain text
    assert "<script" not in mentions
    assert "Error Bounds" not in mentions  # it links the note


@pytest.mark.skipif(not minilm_installed(), reason="TF-IDF is not cached: only embeddings are")
def test_a_second_build_reads_the_embeddings_and_writes_no_cache(built):
    root, first = built
    cache = root / "work" / ".cache" / "cortex" / "embeddings" / "all-MiniLM-L6-v2.npz"
    stamp = cache.stat().st_mtime_ns, cache.stat().st_ino
    page = "numerics/Compensated Sums/"
    before = section(first.page(page), "related-notes")
    again = build_site(root / "content", root / "work")
    assert again.returncode == 0, again.output
    assert (cache.stat().st_mtime_ns, cache.stat().st_ino) == stamp  # every note was in it
    assert section(again.page(page), "related-notes") == before
