"""The handwritten digits every training experiment here learns, and what they share.

scikit-learn ships the data (1,797 greyscale 8×8 images of the digits 0–9, pixel values 0–16,
from the UCI "Optical Recognition of Handwritten Digits" set), so nothing is downloaded at run
time. One fixed, stratified split puts 30% of each class in the test set; the seed of a run
changes the initialisation, the minibatch order and any noise, never the test set, so runs
with different seeds are judged on the same images.

Results over seeds are reported as a :class:`~cortex.timing.Measurement`: the median of the
seeds with the first and third quartiles as its spread, so tables show the spread, figures
draw it as error bars, and run comparisons treat a change inside it as noise.
"""

from __future__ import annotations

import functools
import itertools
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch

from cortex.timing import Measurement

SEEDS = (0, 1, 2, 3, 4)  # every point is trained once per seed
SPLIT_SEED = 0  # the one train/test split
TEST_FRACTION = 0.3
PIXEL_MAX = 16.0  # the data's pixel values run from 0 to 16
CLASSES = 10
SIDE = 8  # images are SIDE × SIDE


@dataclass(frozen=True)
class Split:
    """Train and test images as float32 tensors of shape (n, 64) scaled to [0, 1], labels int64."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def subset(self, fraction: float, seed: int) -> Split:
        """The same test set, with a stratified ``fraction`` of the training images drawn with
        ``seed`` (every class keeps at least one image)."""
        if fraction >= 1.0:
            return self
        generator = torch.Generator().manual_seed(seed)
        keep = []
        for label in range(CLASSES):
            rows = torch.nonzero(self.train_y == label).flatten()
            count = max(1, round(fraction * len(rows)))
            keep.append(rows[torch.randperm(len(rows), generator=generator)[:count]])
        rows = torch.sort(torch.cat(keep)).values
        return Split(self.train_x[rows], self.train_y[rows], self.test_x, self.test_y)


@functools.cache
def digits() -> Split:
    """The fixed split (loaded once per process)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    train_x, test_x, train_y, test_y = train_test_split(
        data.data, data.target, test_size=TEST_FRACTION, stratify=data.target, random_state=SPLIT_SEED
    )
    return Split(_pixels(train_x), _labels(train_y), _pixels(test_x), _labels(test_y))


def _pixels(x) -> torch.Tensor:
    return torch.tensor(x / PIXEL_MAX, dtype=torch.float32)


def _labels(y) -> torch.Tensor:
    return torch.tensor(y, dtype=torch.int64)


def images(x: torch.Tensor) -> torch.Tensor:
    """(n, 64) rows as (n, 1, 8, 8) images, for convolutions and wavelets."""
    return x.reshape(-1, 1, SIDE, SIDE)


def mlp(hidden: int, seed: int, layers: int = 1) -> torch.nn.Sequential:
    """A fully connected classifier 64 → hidden (× layers, tanh) → 10, initialised from ``seed``."""
    torch.manual_seed(seed)
    widths = [SIDE * SIDE] + [hidden] * layers
    parts: list[torch.nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(widths):
        parts += [torch.nn.Linear(fan_in, fan_out), torch.nn.Tanh()]
    parts.append(torch.nn.Linear(widths[-1], CLASSES))
    return torch.nn.Sequential(*parts)


def minibatches(n: int, batch: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """The row indices of one epoch, shuffled by ``generator``, ``batch`` at a time."""
    order = torch.randperm(n, generator=generator)
    yield from order.split(batch)


@torch.no_grad()
def accuracy(model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose largest logit is the label."""
    return (model(x).argmax(dim=1) == y).float().mean().item()


@torch.no_grad()
def mean_loss(model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean cross-entropy over the rows."""
    return torch.nn.functional.cross_entropy(model(x), y).item()


def over_seeds(values: Iterable[float]) -> Measurement:
    """Median of the per-seed values, with the quartiles as its spread."""
    xs = sorted(float(v) for v in values)
    if not xs:
        raise ValueError("no seeds")
    if len(xs) == 1:
        return Measurement(xs[0], xs[0], xs[0], 1)
    q1, _median, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return Measurement(statistics.median(xs), q1, q3, len(xs))
