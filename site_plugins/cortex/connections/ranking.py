"""Each note's best-scoring documents, kept between the rebuilds of a preview and scored again
only where a document's vector changed.

A row's ranking is its documents ordered by score (highest first, then by position), with the
documents it leaves out (itself, what it links to) left out, cut to a size: the related notes
shown, and a reserve. On a rebuild with the same documents, the vectors that changed are found
(an edited text; for TF-IDF also a text whose words gained or lost a document elsewhere), each
row is scored against those alone and merged with what it kept: every document not scored
again still ranks below the lowest kept one that did not change, so the merge is exact down to
it. A row whose vector or exclusions changed, or whose reserve ran short, is scored in full;
so is every row when many vectors changed.

This is exact only for vectors whose scores are sums in an order that depends on the pair alone
(``Similarity.exact_vectors``): then a pair scored alone scores what it scores among all the
others, to the last bit, and the rankings are those of a clean build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cortex.connections.similarity import BLOCK_ROWS, Vectors

RESERVE = 16  # each ranking keeps this many documents beyond those shown, for the next rebuild
MANY_CHANGED = 50  # when more than one in this many vectors changed, every row is scored in full


@dataclass(frozen=True)
class Ranking:
    order: np.ndarray  # document positions, best first: by score descending, then by position
    scores: np.ndarray  # their scores
    complete: bool  # every document not left out is in it

    def best(self, count: int, cutoff: float) -> list[tuple[int, float]]:
        """The first ``count``, those scoring at least ``cutoff``."""
        return [
            (int(j), float(s))
            for j, s in zip(self.order[:count], self.scores[:count], strict=True)
            if s >= cutoff
        ]


def rank(row: np.ndarray, exclude: Sequence[int], size: int) -> Ranking:
    """The ``size`` best documents of a row of scores, ``exclude`` left out."""
    row = row.copy()
    left_out = set(exclude)
    row[list(left_out)] = -np.inf
    if size <= 0:
        return Ranking(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=row.dtype), len(row) == len(left_out))
    candidates = np.arange(len(row))
    if size < len(row):  # the size-th highest score and every score tied with it or above
        kth = np.partition(-row, size - 1)[size - 1]
        candidates = np.flatnonzero(-row <= kth)
    # in position order, so a stable sort breaks ties as a stable sort of the whole row would
    order = candidates[np.argsort(-row[candidates], kind="stable")][:size]
    order = order[row[order] != -np.inf]
    return Ranking(order, row[order], len(order) == len(row) - len(left_out))


@dataclass(frozen=True)
class KeptRankings:
    """The rankings of one build, with what they were worked out from."""

    keys: list[str]  # each document's key, by position
    sources: list[int]  # the positions of the rows
    excludes: list[list[int]]  # what each row leaves out, sorted
    vectors: Vectors
    rankings: list[Ranking]


def rankings(
    vectors: Vectors,
    keys: list[str],
    sources: list[int],
    excludes: list[list[int]],
    size: int,
    shown: int,
    kept: KeptRankings | None = None,
) -> list[Ranking]:
    """Each source row's ranking of ``size`` documents; from ``kept`` where it still holds for
    the first ``shown`` of them."""
    result: list[Ranking | None] = [None] * len(sources)
    if kept is not None and kept.keys == keys and kept.sources == sources:
        changed = changed_rows(kept.vectors, vectors)
        moved = np.flatnonzero(changed)
        if len(moved) * MANY_CHANGED <= len(keys):
            rows = [r for r, i in enumerate(sources) if not changed[i] and excludes[r] == kept.excludes[r]]
            against = (
                vectors.scores([sources[r] for r in rows], vectors.columns(moved)) if len(moved) else None
            )
            for k, r in enumerate(rows):
                scores = against[k] if against is not None else np.zeros(0, dtype=np.float32)
                result[r] = _merged(kept.rankings[r], moved, scores, changed, excludes[r], size, shown)
    again = [r for r, found in enumerate(result) if found is None]
    if again:
        everything = vectors.columns(slice(None))
        for start in range(0, len(again), BLOCK_ROWS):
            block = again[start : start + BLOCK_ROWS]
            scores = vectors.scores([sources[r] for r in block], everything)
            for k, r in enumerate(block):
                result[r] = rank(scores[k], excludes[r], size)
    return [found for found in result if found is not None]


def _merged(
    old: Ranking,
    moved: np.ndarray,
    scores: np.ndarray,
    changed: np.ndarray,
    exclude: list[int],
    size: int,
    shown: int,
) -> Ranking | None:
    """``old`` with the documents whose vectors changed scored again (``scores``, against
    ``moved``); None when what is certain of it is shorter than ``shown``."""
    stays = ~changed[old.order]
    kept_order, kept_scores = old.order[stays], old.scores[stays]
    moving, left_out = moved.tolist(), set(exclude)  # a few, against a few dozen: numpy's isin costs more
    if not left_out.isdisjoint(moving):
        allowed = np.array([m not in left_out for m in moving], dtype=bool)
        moved, scores = moved[allowed], scores[allowed]
    order = np.concatenate([kept_order, moved])
    merged = np.concatenate([kept_scores, scores])
    ranked = np.lexsort((order, -merged))
    order, merged = order[ranked], merged[ranked]
    if not old.complete:  # a document it never scored ranks below its lowest unchanged one
        if not len(kept_order):
            return None
        certain = int(np.flatnonzero(order == kept_order[-1])[0]) + 1
        order, merged = order[:certain], merged[:certain]
        if len(order) < shown:
            return None
    return Ranking(order[:size], merged[:size], old.complete and len(order) <= size)


def changed_rows(old: Vectors, new: Vectors) -> np.ndarray:
    """Which rows differ between two fits of the same documents, word by word and bit by bit
    (a word the new fit lacks changes every row that had it)."""
    a, b = old.matrix, new.matrix
    terms = np.asarray(new.terms, dtype=object)
    where = np.minimum(np.searchsorted(terms, old.terms), max(len(terms) - 1, 0))
    same_word = terms[where] == old.terms if len(terms) else np.zeros(len(old.terms), dtype=bool)
    column = np.where(same_word, where, -1)  # each old column's place in the new fit
    a_len, b_len = np.diff(a.indptr), np.diff(b.indptr)
    changed = a_len != b_len
    same = np.flatnonzero(~changed)
    lengths = a_len[same]
    total = int(lengths.sum())
    if total:
        within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        at_a = np.repeat(a.indptr[same], lengths) + within
        at_b = np.repeat(b.indptr[same], lengths) + within
        differs = (column[a.indices[at_a]] != b.indices[at_b]) | (a.data[at_a] != b.data[at_b])
        changed[np.repeat(same, lengths)[differs]] = True
    return changed
