"""Manifold learning: Isomap against PCA, spectral embedding and t-SNE, on the swiss roll and
on the digits.

Two kinds of truth make the comparison possible:

- The swiss roll is a rectangle rolled up without stretching: a point is (t cos t, h, t sin t)
  with angle t and height h. Rolling up a flat sheet keeps lengths on it, so the distance
  between two points *along the roll* (the geodesic distance) is their Euclidean distance in
  the unrolled plane (s(t), h), where s(t) is the arc length of the spiral r = t. An embedding
  that unrolls the roll reproduces these distances, up to scale; one that projects it keeps
  the turns on top of one another.
- The digits carry labels the embeddings never see, so a k-nearest-neighbour classifier in the
  two-dimensional embedding measures how well each method keeps the classes apart.

Every method gets the same data and the same neighbourhood measures. Isomap and spectral
embedding build a k-nearest-neighbour graph with ``neighbors`` neighbours; PCA has no graph and
t-SNE keeps its own locality knob (the perplexity) at scikit-learn's default, so their rows do
not depend on ``neighbors`` and are computed once and reused across it.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from digits import SEEDS, Split, digits, over_seeds
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr
from sklearn.datasets import make_swiss_roll
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, Isomap, SpectralEmbedding, trustworthiness
from sklearn.neighbors import KNeighborsClassifier, kneighbors_graph
from threadpoolctl import threadpool_limits

ROLL_NOISE = 0.5  # standard deviation of the Gaussian noise added to each of the three coordinates
QUALITY_NEIGHBOURS = 10  # k of trustworthiness and continuity
CLASSIFIER_NEIGHBOURS = 5  # k of the k-NN classifier on the digits
TSNE_PERPLEXITY = 30.0  # scikit-learn's default
THREADS = 1  # see over_all_seeds()
# an edge of the neighbourhood graph is a short circuit when it is this much longer along the
# roll than through space: noise changes a same-layer edge by about one unit, while an edge
# between two turns skips at least a whole turn, some 5π² ≈ 49 units along the roll
SHORT_CIRCUIT_EXCESS = 10.0
GRAPH_METHODS = ("isomap", "spectral")  # the methods that use the ``neighbors`` graph
INDUCTIVE_METHODS = ("pca", "isomap")  # the methods scikit-learn can apply to unseen points


# -- the swiss roll and its geodesic distances ---------------------------------------------------


def spiral_arc_length(t: np.ndarray) -> np.ndarray:
    """Arc length of the spiral (t cos t, t sin t) from angle 0 to t.

    Its speed is |d/dt (t cos t, t sin t)| = √(1 + t²), whose integral is
    ½ (t √(1 + t²) + asinh t). Only differences of it are used, so the origin does not matter.
    """
    return 0.5 * (t * np.sqrt(1.0 + t * t) + np.arcsinh(t))


def unrolled(t: np.ndarray, height: np.ndarray) -> np.ndarray:
    """The roll's intrinsic coordinates: the sheet laid flat, (arc length, height), shape (n, 2)."""
    return np.column_stack([spiral_arc_length(t), height])


def geodesic_distances(t: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Distances along the roll between every pair of points, in ``pdist``'s condensed order.

    The roll is a developable surface (a cylinder over a plane curve), isometric to a
    rectangle in the unrolled plane; the rectangle is convex, so the shortest path on the
    surface is the straight segment there, and its length is the Euclidean distance of the
    unrolled coordinates.
    """
    return pdist(unrolled(t, height))


@dataclass(frozen=True)
class Roll:
    """A noisy swiss roll and the clean parameters of each of its points."""

    points: np.ndarray  # (n, 3), with noise
    angle: np.ndarray  # t, the position along the spiral
    height: np.ndarray  # h, the position along the roll's axis


def swiss_roll(samples: int, seed: int, noise: float = ROLL_NOISE) -> Roll:
    """scikit-learn's swiss roll, with the height it does not return.

    ``make_swiss_roll`` draws the angles and heights first and the noise last, so the same
    seed without noise gives the same roll, noise-free: its second coordinate is the height.
    """
    noisy, angle = make_swiss_roll(samples, noise=noise, random_state=seed)
    clean, clean_angle = make_swiss_roll(samples, noise=0.0, random_state=seed)
    if not np.array_equal(angle, clean_angle):
        raise RuntimeError("make_swiss_roll no longer draws the angles before the noise")
    return Roll(noisy, angle, clean[:, 1])


def short_circuits(roll: Roll, neighbours: int) -> int:
    """Edges of the k-nearest-neighbour graph that join points far apart along the roll.

    Isomap and spectral embedding build this graph (each point joined to its ``neighbours``
    nearest in space; an edge is counted once even when both ends chose it). One edge across
    a gap between two turns is enough to make the shortest paths skip the turn.
    """
    graph = kneighbors_graph(roll.points, neighbours, mode="distance")
    graph = graph.maximum(graph.T).tocoo()
    upper = graph.row < graph.col
    i, j, through_space = graph.row[upper], graph.col[upper], graph.data[upper]
    flat = unrolled(roll.angle, roll.height)
    along_roll = np.linalg.norm(flat[i] - flat[j], axis=1)
    return int(np.sum(along_roll - through_space > SHORT_CIRCUIT_EXCESS))


# -- the methods -----------------------------------------------------------------------------------


def embedder(method: str, neighbours: int, seed: int, tsne_iterations: int):
    """A scikit-learn estimator that maps the data to two dimensions, with the experiment's settings."""
    if method == "pca":
        return PCA(n_components=2, random_state=seed)
    if method == "isomap":
        return Isomap(n_neighbors=neighbours, n_components=2)
    if method == "spectral":
        return SpectralEmbedding(
            n_components=2, affinity="nearest_neighbors", n_neighbors=neighbours, random_state=seed
        )
    if method == "tsne":
        return TSNE(
            n_components=2,
            perplexity=TSNE_PERPLEXITY,
            max_iter=tsne_iterations,
            init="pca",
            learning_rate="auto",
            random_state=seed,
        )
    raise ValueError(f"unknown method {method!r}")


def embed(
    method: str, x: np.ndarray, neighbours: int, seed: int, tsne_iterations: int
) -> tuple[np.ndarray, float]:
    """The 2-D embedding of every row of ``x`` and the wall time of computing it, in seconds.

    A neighbourhood graph in several pieces (possible at small ``neighbors``) is what the
    experiment measures, not a failure: scikit-learn then joins the pieces (Isomap) or embeds
    them as they are (spectral embedding), and warns, which is silenced here.
    """
    model = embedder(method, neighbours, seed, tsne_iterations)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        embedded = model.fit_transform(x)
    return np.asarray(embedded, dtype=np.float64), time.perf_counter() - start


def continuity(x: np.ndarray, embedded: np.ndarray, neighbours: int = QUALITY_NEIGHBOURS) -> float:
    """Venna and Kaski's continuity: trustworthiness with the two spaces' roles swapped.

    Trustworthiness penalises points that are among a point's k nearest in the embedding but
    not in the data, by how far down the data's ranking they are; continuity penalises the
    points among its k nearest in the data that the embedding moved out of its k nearest, by
    how far down the embedding's ranking they are. Both are 1 when the neighbourhoods agree.
    """
    return float(trustworthiness(embedded, x, n_neighbors=neighbours))


def neighbourhood_quality(x: np.ndarray, embedded: np.ndarray) -> dict[str, float]:
    return {
        "trustworthiness": float(trustworthiness(x, embedded, n_neighbors=QUALITY_NEIGHBOURS)),
        "continuity": continuity(x, embedded),
    }


def distance_agreement(embedded: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Spearman's and Pearson's correlation between all pairwise embedding distances and ``truth``.

    Spearman's asks only that the order of the distances be kept, which a method that bends
    distances monotonically (t-SNE, spectral embedding) can do; Pearson's asks that they be
    kept in proportion, which is what Isomap's multidimensional scaling aims for.
    """
    distances = pdist(embedded)
    return {
        "geodesic_spearman": float(spearmanr(distances, truth).statistic),
        "geodesic_pearson": float(np.corrcoef(distances, truth)[0, 1]),
    }


def knn_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Test accuracy of a k-nearest-neighbour classifier (Euclidean, majority vote) fitted on the training rows."""
    classifier = KNeighborsClassifier(n_neighbors=CLASSIFIER_NEIGHBOURS).fit(train_x, train_y)
    return float(np.mean(classifier.predict(test_x) == test_y))


# -- one seed on each data set -----------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """The parts of a point one seed's embedding depends on."""

    method: str
    neighbours: int
    roll_points: int
    digit_share: float
    tsne_iterations: int

    def without_unused_neighbours(self) -> Setting:
        """PCA and t-SNE ignore ``neighbors``: one cache entry serves all its values."""
        if self.method in GRAPH_METHODS:
            return self
        return Setting(self.method, 0, self.roll_points, self.digit_share, self.tsne_iterations)


def roll_seed(setting: Setting, seed: int) -> dict[str, float]:
    roll = swiss_roll(setting.roll_points, seed)
    embedded, seconds = embed(setting.method, roll.points, setting.neighbours, seed, setting.tsne_iterations)
    metrics = {"embed_seconds": seconds}
    metrics |= neighbourhood_quality(roll.points, embedded)
    metrics |= distance_agreement(embedded, geodesic_distances(roll.angle, roll.height))
    if setting.method in GRAPH_METHODS:
        metrics["short_circuit_edges"] = short_circuits(roll, setting.neighbours)
    return metrics


@functools.cache
def digit_rows(share: float) -> Split:
    """The fixed split, or for a share below 1 a stratified share of both its halves (the
    same rows for every seed): the digits module subsets only the training half, so the test
    half is subset the same way by passing it in as a training half."""
    split = digits()
    if share >= 1.0:
        return split
    train = split.subset(share, seed=0)
    test = Split(split.test_x, split.test_y, split.test_x, split.test_y).subset(share, seed=0)
    return Split(train.train_x, train.train_y, test.train_x, test.train_y)


def digits_seed(setting: Setting, seed: int) -> dict[str, float]:
    """Train and test images are embedded together, without their labels: t-SNE and spectral
    embedding have no map for points they were not fitted on, and one protocol for every
    method keeps the comparison fair. Where the method has such a map (PCA, Isomap), the
    inductive protocol (fit on the training images, map the test images) is reported as well."""
    split = digit_rows(setting.digit_share)
    train_x, test_x = split.train_x.numpy().astype(np.float64), split.test_x.numpy().astype(np.float64)
    train_y, test_y = split.train_y.numpy(), split.test_y.numpy()
    both = np.concatenate([train_x, test_x])
    embedded, seconds = embed(setting.method, both, setting.neighbours, seed, setting.tsne_iterations)
    n = len(train_x)
    metrics = {
        "embed_seconds": seconds,
        "knn_accuracy": knn_accuracy(embedded[:n], train_y, embedded[n:], test_y),
    }
    metrics |= neighbourhood_quality(both, embedded)
    if setting.method in INDUCTIVE_METHODS:
        model = embedder(setting.method, setting.neighbours, seed, setting.tsne_iterations).fit(train_x)
        metrics["knn_accuracy_inductive"] = knn_accuracy(
            model.transform(train_x), train_y, model.transform(test_x), test_y
        )
    return metrics


SEED_RUNNERS: dict[str, Callable[[Setting, int], dict[str, float]]] = {
    "swiss_roll": roll_seed,
    "digits": digits_seed,
}
METRICS = (
    "trustworthiness",
    "continuity",
    "geodesic_spearman",
    "geodesic_pearson",
    "short_circuit_edges",
    "knn_accuracy",
    "knn_accuracy_inductive",
    "knn_accuracy_pixels",
    "embed_seconds",
)


@functools.cache
def pixel_knn_accuracy(share: float) -> float:
    """The same classifier on the 64 pixels themselves: what two dimensions are measured against."""
    split = digit_rows(share)
    return knn_accuracy(
        split.train_x.numpy(), split.train_y.numpy(), split.test_x.numpy(), split.test_y.numpy()
    )


@functools.cache
def over_all_seeds(dataset: str, setting: Setting) -> dict:
    """Every metric of one setting on one data set, as the median over the seeds with quartiles;
    None where a metric does not apply.

    The seeds run on one thread (OpenMP and BLAS alike, restored afterwards): on at most
    1797 points every step (a t-SNE iteration, a shortest-path sweep, a ranking) is too little
    work to gain from a second thread, and on a shared CPU the threads' synchronisation,
    repeated at every step, can cost many times more than it saves. One thread also makes
    the wall times compare the algorithms rather than how well each parallelises.
    """
    with threadpool_limits(limits=THREADS):
        per_seed = [SEED_RUNNERS[dataset](setting, seed) for seed in SEEDS]
    metrics: dict = dict.fromkeys(METRICS)
    for name in per_seed[0]:
        values = [seed_metrics[name] for seed_metrics in per_seed]
        if not all(math.isfinite(v) for v in values):
            raise FloatingPointError(f"{dataset}, {setting}: {name} is not finite ({values})")
        metrics[name] = over_seeds(values)
    if dataset == "digits":
        metrics["knn_accuracy_pixels"] = pixel_knn_accuracy(setting.digit_share)
    return metrics


def run(point: dict, bench) -> dict:
    """Entry point: one method on one data set at one neighbourhood size, over the five seeds."""
    setting = Setting(
        point["method"],
        int(point["neighbors"]),
        int(point["roll_points"]),
        float(point["digit_share"]),
        int(point["tsne_iterations"]),
    )
    return dict(over_all_seeds(point["dataset"], setting.without_unused_neighbours()))
