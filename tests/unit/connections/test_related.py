"""Related notes on a vault with known near-duplicates."""

from __future__ import annotations

import pytest
from support.related_vault import related_project

from cortex.connections.related import (
    Related,
    RelatedMemo,
    documents,
    related_notes,
    relevance,
    unread_papers,
)
from cortex.connections.similarity import EmbeddingSimilarity, Similarity, minilm_installed, similarity
from cortex.model import load

NEEDS_MINILM = pytest.mark.skipif(not minilm_installed(), reason="the `related` extra is not installed")
METHODS = ["tfidf", pytest.param("minilm", marks=NEEDS_MINILM)]


@pytest.fixture
def project(tmp_path):
    return related_project(tmp_path / "kb")


def kb_of(root):
    kb = load(root / "content", root=root)
    assert kb.errors == []
    return kb


def keys(items: list[Related]) -> list[str]:
    return [r.key for r in items]


@pytest.mark.parametrize("method", METHODS)
def test_near_duplicates_rank_first(project, method):
    found = related_notes(kb_of(project), similarity(method, project / ".cache"))
    summation = {"numerics/Kahan Summation.md", "numerics/Error Bounds.md", "higham1993accuracy"}
    assert set(keys(found["numerics/Compensated Sums.md"])[:3]) == summation
    assert set(keys(found["gpu/Attention Kernels.md"])[:2]) == {
        "gpu/Tiled Softmax.md",
        "dao2022flashattention",
    }
    papers = [r for r in found["gpu/Tiled Softmax.md"] if r.kind == "paper"]
    assert [p.key for p in papers] == ["dao2022flashattention"]
    assert papers[0].listed is False  # nothing cites it: the bibliography page does not list it
    for items in found.values():
        assert [r.score for r in items] == sorted((r.score for r in items), reverse=True)


@pytest.mark.parametrize("method", METHODS)
def test_weak_matches_are_cut_off(project, method):
    chosen = similarity(method, project / ".cache")
    found = related_notes(kb_of(project), chosen)
    assert "garden/Tomatoes.md" not in found  # resembles nothing
    assert all(r.score >= chosen.cutoff for items in found.values() for r in items)
    assert all(r.key != "garden/Tomatoes.md" for items in found.values() for r in items)


class Strict(Similarity):
    """TF-IDF scores with a cut-off no pair reaches."""

    name = "strict"
    cutoff = 1.01

    def similarities(self, rows, columns):
        return similarity("tfidf").similarities(rows, columns)


def test_a_cutoff_above_every_score_proposes_nothing(project):
    assert related_notes(kb_of(project), Strict()) == {}


@pytest.mark.parametrize("method", METHODS)
def test_linked_notes_are_not_proposed_either_way(project, method):
    found = related_notes(kb_of(project), similarity(method, project / ".cache"))
    # Error Bounds links Kahan Summation: neither is proposed to the other, though they are alike
    assert "numerics/Kahan Summation.md" not in keys(found.get("numerics/Error Bounds.md", []))
    assert "numerics/Error Bounds.md" not in keys(found.get("numerics/Kahan Summation.md", []))
    assert "numerics/Error Bounds.md" in keys(found["numerics/Compensated Sums.md"])


def test_cited_papers_are_not_proposed(tmp_path):
    root = related_project(
        tmp_path,
        {
            "content/numerics/Compensated Sums.md": (
                "# Compensated Sums\n\nA compensated sum carries the rounding error of each "
                "floating-point addition [@higham1993accuracy].\n"
            )
        },
    )
    found = related_notes(kb_of(root), similarity("tfidf"))
    assert "higham1993accuracy" not in keys(found.get("numerics/Compensated Sums.md", []))
    assert "higham1993accuracy" in keys(found["numerics/Kahan Summation.md"])
    listed = next(r for r in found["numerics/Kahan Summation.md"] if r.key == "higham1993accuracy")
    assert listed.listed  # cited somewhere: the bibliography page has it


def test_a_reading_note_stands_for_its_paper(tmp_path):
    root = related_project(
        tmp_path,
        {
            "content/papers/Higham.md": "---\ncite: higham1993accuracy\n---\n# On Higham's paper\n\nSummation.\n"
        },
    )
    docs = documents(kb_of(root))
    assert "bib:higham1993accuracy" not in {d.key for d in docs}
    assert {"bib:dao2022flashattention", "papers/Higham.md"} <= {d.key for d in docs}


@NEEDS_MINILM
def test_a_second_build_of_an_unchanged_vault_embeds_nothing(project):
    cache = project / ".cache"
    first = EmbeddingSimilarity(cache)
    before = related_notes(kb_of(project), first)
    assert first.computed == len(documents(kb_of(project)))
    second = EmbeddingSimilarity(cache)
    assert related_notes(kb_of(project), second) == before
    assert second.computed == 0
    note = project / "content" / "garden" / "Tomatoes.md"
    note.write_text(note.read_text("utf-8") + "\nAlso basil.\n", "utf-8")
    third = EmbeddingSimilarity(cache)
    related_notes(kb_of(project), third)
    assert third.computed == 1  # only the changed note


def test_relevance_is_to_the_nearest_notes(project):
    notes = [d for d in documents(kb_of(project)) if d.kind == "note"]
    kahan = next(i for i, d in enumerate(notes) if d.key == "numerics/Kahan Summation.md")
    (score_sum, closest_sum), (score_garden, _) = relevance(
        ["Kahan summation bounds the rounding error of a floating-point sum", "quantum chromodynamics"],
        notes,
        similarity("tfidf"),
    )
    assert notes[closest_sum].key in {
        "numerics/Kahan Summation.md",
        "numerics/Compensated Sums.md",
        "numerics/Error Bounds.md",
    }
    assert score_sum > score_garden == 0.0
    assert relevance(["x"], [], similarity("tfidf")) == [(0.0, 0)]
    assert kahan >= 0


def test_review_proposes_uncited_papers_most_alike_first(tmp_path):
    root = related_project(
        tmp_path,
        {
            "content/gpu/Attention Kernels.md": "# Attention Kernels\n\nTiles in shared memory [@dao2022flashattention].\n"
        },
    )
    kb = kb_of(root)
    proposals = unread_papers(kb, "numerics/Kahan Summation.md", similarity("tfidf"))
    assert keys(proposals)[0] == "higham1993accuracy"
    assert len(proposals) == 3 and proposals[0].score > proposals[-1].score
    assert "dao2022flashattention" not in keys(
        unread_papers(kb, "gpu/Attention Kernels.md", similarity("tfidf"))
    )


class Counted(Similarity):
    """TF-IDF, counting the comparisons it is asked for."""

    name = "counted"
    cutoff = similarity("tfidf").cutoff

    def __init__(self) -> None:
        self.asked = 0

    def similarities(self, rows, columns):
        self.asked += 1
        return similarity("tfidf").similarities(rows, columns)


def test_a_memo_answers_again_only_while_nothing_compared_changed(project):
    memo, counted = RelatedMemo(), Counted()
    first = related_notes(kb_of(project), counted, memo=memo)
    assert counted.asked == 1 and first
    assert related_notes(kb_of(project), counted, memo=memo) == first
    assert counted.asked == 1  # the same documents and links: nothing compared again
    note = project / "content" / "garden" / "Tomatoes.md"
    note.write_text(note.read_text("utf-8") + "\nSee [[Kahan Summation]].\n", "utf-8")  # a new link
    kb = kb_of(project)
    again = related_notes(kb, counted, memo=memo)
    assert counted.asked == 2
    assert again == related_notes(kb, Counted())  # what it finds without the memo


def test_a_tfidf_memo_keeps_the_words_of_the_documents_it_compared(project):
    """With TF-IDF a preview keeps each document's words and counts between rebuilds: what it
    finds after an edit is what a build finds, and it keeps this build's documents only."""
    memo = RelatedMemo()
    related_notes(kb_of(project), similarity("tfidf"), memo=memo)
    kept = dict(memo.counts.texts)
    assert kept
    note = project / "content" / "garden" / "Tomatoes.md"
    note.write_text(note.read_text("utf-8") + "\nKahan summation keeps the lost low bits.\n", "utf-8")
    kb = kb_of(project)
    assert related_notes(kb, similarity("tfidf"), memo=memo) == related_notes(kb, similarity("tfidf"))
    assert len(memo.counts.texts) == len(kept)  # the edited note's old text is let go
    assert memo.counts.texts.keys() != kept.keys()
    unchanged = kept.keys() & memo.counts.texts.keys()
    assert unchanged and all(memo.counts.texts[text] is kept[text] for text in unchanged)  # not counted again
