"""Persistent homology of point clouds: first on shapes whose topology is known, then on the
hidden activations of a digit classifier, layer by layer.

The Vietoris–Rips filtration of a point cloud adds, at scale ε, every simplex whose vertices
are pairwise at most ε apart. Its barcode lists, for each dimension, when a feature is born
and when it dies as ε grows: H0 bars are connected components, H1 bars are loops. The
barcodes are computed with ripser (Z/2 coefficients), which needs only the pairwise
distances, so a rotation of the cloud cannot change them.

A bar is *long-lived* when its persistence (death − birth) exceeds ``THRESHOLD`` times the
cloud's diameter (its largest pairwise distance); the one H0 bar that never dies always is.
Measuring in units of the diameter makes clouds of different size and spread comparable: a
shape and its blown-up copy, or one class's activations at two layers. Totals (the sum of
the finite persistences of a dimension) are divided by the diameter for the same reason.

Two kinds of parameter point, told apart by their parameters:

- ``cloud``, ``noise``, ``samples``: a shape (a circle, two coaxial circles, the flat torus)
  sampled uniformly with ``samples`` points, plus Gaussian noise of standard deviation
  ``noise`` in every coordinate; the counts of long-lived bars are checked against the
  shape's Betti numbers.
- ``layer``, ``epochs``: a 64-wide, four-hidden-layer tanh MLP trained for ``epochs`` on the
  digits (0: the untrained network, the control); each class's test images are a cloud at
  every layer (0 the pixels, 1–4 the hidden layers, 5 the logits), and their barcodes are
  summarised per layer, averaged over the ten classes.

Every point runs the five seeds of ``digits.SEEDS``: a seed draws a shape's sample and noise,
or a network's initialisation and minibatch order. Metrics that do not apply to a kind of
point are None there.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from digits import CLASSES, SEEDS, accuracy, digits, minibatches, mlp, over_seeds
from ripser import ripser
from scipy.spatial.distance import pdist, squareform

THRESHOLD = 0.25  # τ: a bar is long-lived when its persistence exceeds τ × the cloud's diameter
RADIUS = 1.0  # every circle, and both circles of the flat torus
SEPARATION = 2.5  # the distance between the planes of the two coaxial circles (> √3 · RADIUS)
HIDDEN = 64  # the MLP's width: every hidden layer is 64-dimensional, like the pixels
LAYERS = 4  # hidden tanh layers
BATCH = 64
LEARNING_RATE = 1e-3  # Adam's, constant


# -- barcodes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Barcode:
    """A cloud's H0 and H1 persistences (death − birth, sorted longest first; the H0 bar that
    never dies is ``inf``) and its diameter, the unit every summary is measured in."""

    h0: np.ndarray
    h1: np.ndarray
    diameter: float

    def bars(self, dim: int) -> np.ndarray:
        return self.h0 if dim == 0 else self.h1

    def long_lived(self, dim: int) -> int:
        """How many bars of dimension ``dim`` persist longer than τ × the diameter."""
        return int((self.bars(dim) > THRESHOLD * self.diameter).sum())

    def relative(self, dim: int, rank: int) -> float:
        """The ``rank``-th longest bar (1 the longest) over the diameter; 0 when there are
        fewer bars, inf for the H0 bar that never dies."""
        bars = self.bars(dim)
        return float(bars[rank - 1] / self.diameter) if rank <= len(bars) else 0.0

    def total(self, dim: int) -> float:
        """The sum of the finite persistences of dimension ``dim``, over the diameter."""
        bars = self.bars(dim)
        return float(bars[np.isfinite(bars)].sum() / self.diameter)


def barcode(cloud: np.ndarray) -> Barcode:
    """The Vietoris–Rips barcode of an (n, d) cloud in dimensions 0 and 1, on the whole
    filtration (no distance cap, so every finite bar has its true death)."""
    distances = pdist(np.asarray(cloud, dtype=np.float64))
    diagrams = ripser(squareform(distances), maxdim=1, distance_matrix=True)["dgms"]
    return Barcode(_persistences(diagrams[0]), _persistences(diagrams[1]), float(distances.max()))


def _persistences(diagram: np.ndarray) -> np.ndarray:
    return np.sort(diagram[:, 1] - diagram[:, 0])[::-1]


# -- part 1: shapes of known topology -----------------------------------------------------------


def _angles(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.0, 2 * math.pi, n)


def circle(n: int, rng: np.random.Generator) -> np.ndarray:
    """n points uniform on the circle of radius RADIUS in the plane."""
    t = _angles(n, rng)
    return RADIUS * np.column_stack([np.cos(t), np.sin(t)])


def two_circles(n: int, rng: np.random.Generator) -> np.ndarray:
    """n points, half on each of two coaxial circles of radius RADIUS in R³, in the planes
    z = 0 and z = SEPARATION. No two points of different circles are closer than SEPARATION,
    which exceeds √3 · RADIUS, where each circle's own loop is filled in."""
    t = _angles(n, rng)
    height = np.where(np.arange(n) < n // 2, 0.0, SEPARATION)
    return np.column_stack([RADIUS * np.cos(t), RADIUS * np.sin(t), height])


def flat_torus(n: int, rng: np.random.Generator) -> np.ndarray:
    """n points uniform on the flat torus (cos θ, sin θ, cos φ, sin φ) in R⁴ (times RADIUS):
    the product of two circles, with no curvature to make one of its loops shorter."""
    theta, phi = _angles(n, rng), _angles(n, rng)
    return RADIUS * np.column_stack([np.cos(theta), np.sin(theta), np.cos(phi), np.sin(phi)])


@dataclass(frozen=True)
class Shape:
    sample: Callable[[int, np.random.Generator], np.ndarray]
    betti: tuple[int, int]  # (β0, β1), the truth the long-lived bars are checked against


SHAPES = {
    "circle": Shape(circle, (1, 1)),
    "two_circles": Shape(two_circles, (2, 2)),
    "torus": Shape(flat_torus, (1, 2)),
}


def noisy_sample(cloud: str, samples: int, noise: float, seed: int) -> np.ndarray:
    """The shape's sample plus N(0, noise²) in every coordinate. The generator draws the
    positions first and then standard normals, so one seed gives the same positions and the
    same noise directions at every noise level: the levels differ only in the noise's size."""
    rng = np.random.default_rng(seed)
    clean = SHAPES[cloud].sample(samples, rng)
    return clean + noise * rng.standard_normal(clean.shape)


def shape_summary(code: Barcode, betti: tuple[int, int]) -> dict[str, float]:
    """One seed's numbers for a shape: the counts of long-lived bars, whether both match the
    Betti numbers, the weakest true loop against the strongest spurious bars, and totals."""
    b0, b1 = betti
    return {
        "betti_correct": float((code.long_lived(0), code.long_lived(1)) == betti),
        "h0_bars": code.long_lived(0),
        "h1_bars": code.long_lived(1),
        "h1_top": code.relative(1, 1),
        "h1_weakest_true": code.relative(1, b1),
        "h1_strongest_false": code.relative(1, b1 + 1),
        "h0_strongest_false": code.relative(0, b0 + 1),
        "h0_total": code.total(0),
        "h1_total": code.total(1),
    }


def shape_point(cloud: str, noise: float, samples: int) -> dict:
    betti = SHAPES[cloud].betti
    per_seed = [shape_summary(barcode(noisy_sample(cloud, samples, noise, seed)), betti) for seed in SEEDS]
    metrics: dict = {name: over_seeds(row[name] for row in per_seed) for name in per_seed[0]}
    # the share of seeds, not a median: "3 of 5 seeds right" is the finding
    metrics["betti_correct"] = sum(row["betti_correct"] for row in per_seed) / len(per_seed)
    return metrics | {"test_accuracy": None}


# -- part 2: a classifier's hidden layers -------------------------------------------------------


def train(seed: int, epochs: int) -> torch.nn.Sequential:
    """Adam on the mean cross-entropy of the 1257 training images, minibatches of BATCH.
    Zero epochs is the network as initialised, the untrained control."""
    data = digits()
    model = mlp(HIDDEN, seed, LAYERS)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for rows in minibatches(len(data.train_y), BATCH, order):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(model(data.train_x[rows]), data.train_y[rows]).backward()
            optimiser.step()
    return model


@torch.no_grad()
def layer_outputs(model: torch.nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """The representations of ``x`` a reader would call the network's layers: the input
    (layer 0), the output of every tanh (layers 1 to LAYERS) and the logits (the last)."""
    outputs, h = [x], x
    for module in model:
        h = module(h)
        if isinstance(module, torch.nn.Tanh):
            outputs.append(h)
    outputs.append(h)  # the last module is the output Linear: the logits
    return outputs


@dataclass(frozen=True)
class TrainedRun:
    test_accuracy: float
    barcodes: list[list[Barcode]]  # [layer][class]: each class's test images at that layer


@functools.lru_cache(maxsize=16)
def trained_run(seed: int, epochs: int) -> TrainedRun:
    """One seed's network and every barcode of its layers, computed once and shared by the
    layer points (a class's test cloud has 53 to 55 points, so ripser needs no subsampling)."""
    data = digits()
    model = train(seed, epochs)
    outputs = layer_outputs(model, data.test_x)
    barcodes = [
        [barcode(out[data.test_y == label].double().numpy()) for label in range(CLASSES)] for out in outputs
    ]
    return TrainedRun(accuracy(model, data.test_x, data.test_y), barcodes)


def layer_summary(codes: list[Barcode]) -> dict[str, float]:
    """One seed's numbers for a layer: each summary averaged over the classes' clouds."""

    def mean(summary: Callable[[Barcode], float]) -> float:
        return sum(summary(code) for code in codes) / len(codes)

    return {
        "h0_bars": mean(lambda c: c.long_lived(0)),
        "h1_bars": mean(lambda c: c.long_lived(1)),
        "h1_top": mean(lambda c: c.relative(1, 1)),
        "h0_total": mean(lambda c: c.total(0)),
        "h1_total": mean(lambda c: c.total(1)),
    }


def layer_point(layer: int, epochs: int) -> dict:
    if not 0 <= layer <= LAYERS + 1:  # the pixels, the hidden layers, the logits
        raise ValueError(f"layer {layer} does not exist: the network has layers 0 to {LAYERS + 1}")
    runs = [trained_run(seed, epochs) for seed in SEEDS]
    per_seed = [layer_summary(run.barcodes[layer]) for run in runs]
    metrics: dict = {name: over_seeds(row[name] for row in per_seed) for name in per_seed[0]}
    metrics["test_accuracy"] = over_seeds(run.test_accuracy for run in runs)
    return metrics | dict.fromkeys(SHAPE_ONLY)


SHAPE_ONLY = ("betti_correct", "h1_weakest_true", "h1_strongest_false", "h0_strongest_false")


def run(point: dict, bench) -> dict:
    """Entry point: a shape at one noise level, or one layer of the trained networks."""
    if "cloud" in point:
        return shape_point(point["cloud"], float(point["noise"]), int(point["samples"]))
    return layer_point(int(point["layer"]), int(point["epochs"]))
