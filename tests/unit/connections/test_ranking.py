"""Related notes kept between a preview's rebuilds: after each kind of edit, what a memo gives
is what scoring every pair again gives, and only the changed documents are scored again."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from cortex.connections import ranking, related
from cortex.connections.ranking import rank
from cortex.connections.related import RelatedMemo, related_notes
from cortex.connections.similarity import similarity
from cortex.model import load

WORDS = ["loss", "step", "warmup", "decay", "shard", "cache", "tile", "warp", "fusion", "scale"]


def write_notes(root: Path, n: int, seed: int = 3) -> list[Path]:
    """``n`` notes of a few shared words (so scores tie often), some linking others."""
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        link = f" See [[Note {rng.randrange(n)}]]." if i % 3 == 0 else ""
        path = root / f"folder {i % 4}" / f"Note {i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Note {i}\n\n{words}.{link}\n", "utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("reserve", [1, 16])
def test_kept_rankings_give_what_scoring_everything_gives(tmp_path, monkeypatch, reserve):
    monkeypatch.setattr(related, "RESERVE", reserve)
    content = tmp_path / "content"
    notes = write_notes(content, 120)
    tfidf = similarity("tfidf")
    ranked: list[int] = []  # rows scored in full, per build
    real_rank = ranking.rank
    monkeypatch.setattr(ranking, "rank", lambda *args: ranked.append(1) or real_rank(*args))
    memo = RelatedMemo()

    def build() -> int:
        ranked.clear()
        kb = load(content, root=tmp_path)
        assert related_notes(kb, tfidf, memo=memo) == related_notes(kb, tfidf)
        return len(ranked)

    def append(path: Path, text: str) -> None:
        path.write_text(path.read_text("utf-8") + text, "utf-8")

    assert build() == 120  # the first build scores every row
    memo.inputs = None  # the same vault again, past the memo of whole results: nothing changed
    assert build() == 0
    append(notes[5], "\nA zymurgy aside.\n")  # a word no other note has: one vector changes
    assert build() <= 1 + 120 // 10  # its row, and rows whose kept candidates ran short
    append(notes[7], "\nSee [[Note 9]].\n")  # a new link: two rows leave out one more
    assert build() <= 3 + 120 // 10
    append(notes[11], " ".join(WORDS) + "\n")  # words every note has: most vectors change
    build()
    for step in range(6):  # edits in a row, which wear the reserves down
        append(notes[20 + step], f"\nNow about quokka{step} and {WORDS[step]}.\n")
        build()
    # a row's best candidates drift away one by one: what it kept is certain only above them
    kb = load(content, root=tmp_path)
    row = next(items for items in related_notes(kb, tfidf).values() if len(items) == related.RELATED_COUNT)
    for n, item in enumerate(row[:2]):
        rare = " ".join(f"xyst{n}w{k}" for k in range(10))
        append(content / item.key, f"\n{rare}.\n")
        build()
    notes[30].rename(notes[30].with_name("Renamed.md"))  # other documents: everything scored again
    assert build() == 120


def test_a_ranking_is_the_best_documents_in_order_with_ties_by_position():
    row = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.0], dtype=np.float32)
    found = rank(row, [4], 3)
    assert found.order.tolist() == [1, 0, 2]
    assert found.scores.tolist() == [pytest.approx(0.9), 0.5, 0.5]
    assert not found.complete
    whole = rank(row, [4], 10)
    assert whole.order.tolist() == [1, 0, 2, 3, 5] and whole.complete
    assert whole.best(2, 0.6) == [(1, pytest.approx(0.9))]
