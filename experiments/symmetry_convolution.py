"""Symmetry-aware convolution on the digits: four ways to handle 90° rotations of the input.

One parameter point is one model, trained on the upright training images from the five
seeds and judged on the fixed test set rotated by several angles. The four models share one
trunk (3×3 convolution, ReLU, 2×2 max-pool, twice; then an average over the remaining
positions and a linear layer) and have about the same number of weights:

- ``plain``: the trunk as it is, trained on upright images;
- ``augmented``: the same network, each training image rotated by a random multiple of 90°
  every time it is drawn;
- ``averaged``: the same network with its logits averaged over the four 90° rotations of the
  input. The output is then *invariant* to those rotations (the cyclic group C4); the
  features inside are not equivariant, each copy of the trunk sees a differently rotated
  image and only the logits are pooled;
- ``p4``: a group-equivariant network in the manner of Cohen and Welling: a lifting layer
  correlates the image with the four rotations of each filter, and a group convolution layer
  rotates its filters spatially *and* shifts them cyclically along the orientation axis the
  lifting layer created. Rotating the input by 90° then rotates every feature map and shifts
  the orientation axis by one; a maximum over orientations followed by the average over
  positions makes the logits invariant.

Rotations by multiples of 90° map the 8×8 pixel grid onto itself, so they are exact; every
other angle needs interpolation (bilinear, zero outside the image), which also blurs the
image and cuts off its corners.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from digits import CLASSES, SEEDS, Split, accuracy, digits, images, minibatches, over_seeds
from torch import nn

from cortex.timing import Measurement

MODELS = ("plain", "augmented", "averaged", "p4")
QUARTER_TURNS = 4  # the group C4: rotations by 0°, 90°, 180° and 270°
KERNEL = 3
PLAIN_CHANNELS = (16, 32)  # the plain trunk: 160 + 4,640 + 330 = 5,130 weights
P4_CHANNELS = (8, 16)  # per orientation: 80 + 4,624 + 170 = 4,874 weights, 4× the feature maps
BATCH = 32
LEARNING_RATE = 3e-3  # Adam, torch's other defaults
SUBSET_SEED = 0  # which training images a reduced size keeps: the same for every seed
ROTATION_SEED = 0  # the per-image random angles of the `random` test set, the same for every run
AUGMENT_SEED_OFFSET = 1000  # the augmentation's generator is seeded with the run's seed plus this
OFF_GRID_ANGLE = 45.0  # degrees; halfway between two quarter turns
SIX, NINE = 6, 9  # the pair that a half turn maps onto each other


# -- rotating images ----------------------------------------------------------------------------


def rotate(x: torch.Tensor, degrees: float | torch.Tensor) -> torch.Tensor:
    """(n, c, h, w) images rotated counter-clockwise (as displayed, row 0 at the top) about
    their centre, by one angle or by one angle per image, with bilinear interpolation and zeros
    outside the image.

    ``affine_grid`` maps each output pixel centre to the input position it samples, in
    coordinates normalised to [−1, 1] over the image's outer edges (``align_corners=False``);
    on a square image the pixel centres are symmetric about 0, so a quarter turn maps centres
    onto centres and reproduces ``torch.rot90`` up to the rounding of cos 90°.
    """
    angle = torch.deg2rad(torch.as_tensor(degrees, dtype=x.dtype)).expand(x.shape[0])
    cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def quarter_turn(x: torch.Tensor, turns: int) -> torch.Tensor:
    """Exact rotation by ``turns`` × 90° counter-clockwise over the last two (spatial) axes."""
    return torch.rot90(x, turns, dims=(-2, -1))


def random_quarter_turns(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image rotated by its own random multiple of 90° (the augmentation)."""
    turns = torch.randint(0, QUARTER_TURNS, (x.shape[0],), generator=generator)
    all_turns = torch.stack([quarter_turn(x, k) for k in range(QUARTER_TURNS)])
    return all_turns[turns, torch.arange(x.shape[0])]


# -- the models ---------------------------------------------------------------------------------


def plain_cnn(channels: tuple[int, int] = PLAIN_CHANNELS) -> nn.Sequential:
    """The shared trunk: conv-ReLU-pool twice (8×8 → 4×4 → 2×2), mean over positions, linear."""
    first, second = channels
    return nn.Sequential(
        nn.Conv2d(1, first, KERNEL, padding=KERNEL // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(first, second, KERNEL, padding=KERNEL // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(second, CLASSES),
    )


class RotationAveraged(nn.Module):
    """Logits averaged over the four quarter turns of the input: invariant to them, because a
    quarter turn of the input only permutes the four terms of the average."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        turned = torch.cat([quarter_turn(x, k) for k in range(QUARTER_TURNS)])  # one batch, one call
        return self.network(turned).unflatten(0, (QUARTER_TURNS, -1)).mean(0)


def _uniform(shape: tuple[int, ...], fan_in: int) -> nn.Parameter:
    """U(−1/√fan_in, 1/√fan_in), the initialisation torch gives Conv2d's weights and biases."""
    bound = 1 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class LiftingConv(nn.Module):
    """Image (n, c_in, h, w) → p4 feature maps (n, c_out·4, h, w), orientation the fast index.

    Output (o, r) is the correlation of the image with filter o turned r quarter turns. Turning
    the input by s quarter turns turns every map by s and moves orientation r to r + s (mod 4).
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        fan_in = c_in * KERNEL * KERNEL
        self.weight = _uniform((c_out, c_in, KERNEL, KERNEL), fan_in)
        self.bias = _uniform((c_out,), fan_in)

    def filters(self) -> torch.Tensor:
        turned = torch.stack([quarter_turn(self.weight, r) for r in range(QUARTER_TURNS)], 1)
        return turned.flatten(0, 1)  # (c_out·4, c_in, k, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias.repeat_interleave(QUARTER_TURNS)  # one bias per filter, shared by its turns
        return F.conv2d(x, self.filters(), bias, padding=KERNEL // 2)


class GroupConv(nn.Module):
    """p4 feature maps (n, c_in·4, h, w) → p4 feature maps (n, c_out·4, h, w).

    A filter has an orientation axis of its own, W[o, i, q]. The filter for output orientation
    r is W turned r quarter turns in space with its orientation axis shifted by r:
    W_r[o, i, q] = rot_r(W[o, i, q − r]). Substituting shows that an input turned by s (maps
    turned, orientations shifted by s) gives an output turned by s with orientations shifted
    by s: the layer is equivariant, and so is any stack of such layers, ReLUs and max-pools.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        fan_in = c_in * QUARTER_TURNS * KERNEL * KERNEL
        self.weight = _uniform((c_out, c_in, QUARTER_TURNS, KERNEL, KERNEL), fan_in)
        self.bias = _uniform((c_out,), fan_in)

    def filters(self) -> torch.Tensor:
        turned = [quarter_turn(torch.roll(self.weight, r, dims=2), r) for r in range(QUARTER_TURNS)]
        return torch.stack(turned, 1).flatten(0, 1).flatten(1, 2)  # (c_out·4, c_in·4, k, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias.repeat_interleave(QUARTER_TURNS)
        return F.conv2d(x, self.filters(), bias, padding=KERNEL // 2)


class P4Network(nn.Module):
    """Lifting layer and one group convolution (each followed by ReLU and a 2×2 max-pool, which
    act on every map alike and so keep the equivariance), then the maximum over the four
    orientations, the mean over positions and a linear layer: invariant logits."""

    def __init__(self, channels: tuple[int, int] = P4_CHANNELS):
        super().__init__()
        first, second = channels
        self.lift = LiftingConv(1, first)
        self.group = GroupConv(first, second)
        self.head = nn.Linear(second, CLASSES)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The two equivariant stages' outputs, (n, c·4, h, w) each."""
        lifted = F.max_pool2d(F.relu(self.lift(x)), 2)
        return [lifted, F.max_pool2d(F.relu(self.group(lifted)), 2)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.features(x)[-1]
        by_orientation = maps.unflatten(1, (-1, QUARTER_TURNS))  # (n, c, 4, h, w)
        return self.head(by_orientation.amax(2).mean((-2, -1)))


def build(model: str, seed: int) -> nn.Module:
    """A freshly initialised ``model``; the seed fixes the initial weights."""
    torch.manual_seed(seed)
    if model == "p4":
        return P4Network()
    if model == "averaged":
        return RotationAveraged(plain_cnn())
    if model in ("plain", "augmented"):
        return plain_cnn()
    raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")


def parameter_count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


# -- training and testing -----------------------------------------------------------------------


def train(model: str, seed: int, epochs: int, data: Split) -> nn.Module:
    """Adam on minibatches of upright training images; only ``augmented`` turns them."""
    network = build(model, seed)
    optimiser = torch.optim.Adam(network.parameters(), lr=LEARNING_RATE)
    order = torch.Generator().manual_seed(seed)
    augment = torch.Generator().manual_seed(seed + AUGMENT_SEED_OFFSET)
    x, y = images(data.train_x), data.train_y
    network.train()
    for _ in range(epochs):
        for rows in minibatches(len(y), BATCH, order):
            batch = random_quarter_turns(x[rows], augment) if model == "augmented" else x[rows]
            loss = F.cross_entropy(network(batch), y[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return network.eval()


@lru_cache(maxsize=1)
def rotated_test_sets() -> dict[str, torch.Tensor]:
    """The fixed test images under each rotation the metrics name (the same for every run)."""
    x = images(digits().test_x)
    random_angles = 360 * torch.rand(x.shape[0], generator=torch.Generator().manual_seed(ROTATION_SEED))
    sets = {f"{90 * k}": rotate(x, 90.0 * k) for k in range(QUARTER_TURNS)}
    sets["45"] = rotate(x, OFF_GRID_ANGLE)
    sets["random"] = rotate(x, random_angles)
    sets["blurred"] = rotate(rotate(x, OFF_GRID_ANGLE), -OFF_GRID_ANGLE)  # upright, interpolated twice
    return sets


@torch.no_grad()
def predictions(network: nn.Module) -> dict[str, torch.Tensor]:
    """The predicted class of every test image, per rotated test set."""
    return {name: network(x).argmax(1) for name, x in rotated_test_sets().items()}


def c4_consistency(predicted: dict[str, torch.Tensor]) -> float:
    """Fraction of test images given the same class under all four quarter turns."""
    turns = torch.stack([predicted[f"{90 * k}"] for k in range(QUARTER_TURNS)])
    return (turns == turns[0]).all(0).float().mean().item()


def six_nine_confusion(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Among upright test 6s and 9s, the fraction called the other one of the pair."""
    pair = (labels == SIX) | (labels == NINE)
    swapped = torch.where(labels[pair] == SIX, NINE, SIX)
    return (predicted[pair] == swapped).float().mean().item()


@dataclass(frozen=True)
class SeedRun:
    """One trained network's scores, and the seconds its training took."""

    accuracy: dict[str, float]  # per test set
    train_accuracy: float  # on the upright images it trained on
    consistency: float
    confusion: float
    train_seconds: float


def seed_run(model: str, seed: int, epochs: int, train_fraction: float = 1.0) -> tuple[SeedRun, nn.Module]:
    """Train one seed on the (possibly reduced) training set and score it on every test set."""
    data = digits().subset(train_fraction, SUBSET_SEED)
    start = time.perf_counter()
    network = train(model, seed, epochs, data)
    seconds = time.perf_counter() - start
    predicted = predictions(network)
    labels = data.test_y
    scores = SeedRun(
        accuracy={name: (p == labels).float().mean().item() for name, p in predicted.items()},
        train_accuracy=accuracy(network, images(data.train_x), data.train_y),
        consistency=c4_consistency(predicted),
        confusion=six_nine_confusion(predicted["0"], labels),
        train_seconds=seconds,
    )
    return scores, network


def per_image_microseconds(network: nn.Module, bench) -> Measurement:
    """Forward pass over the whole upright test set, per image, in µs (a Measurement)."""
    x = rotated_test_sets()["0"]

    @torch.no_grad()
    def forward():
        network(x)

    return bench.time(forward, warmup=3, min_time_s=0.2).measurement(1e6 / x.shape[0])


def run(point: dict, bench) -> dict:
    """Entry point: one model, trained from each seed for ``epochs`` epochs and tested on the
    upright and rotated test sets; ``train_fraction`` below 1 (the CI size) trains on a
    stratified share of the training images."""
    model, epochs, fraction = point["model"], int(point["epochs"]), float(point["train_fraction"])
    runs, networks = zip(*(seed_run(model, seed, epochs, fraction) for seed in SEEDS), strict=True)
    test_accuracy = {name: over_seeds(r.accuracy[name] for r in runs) for name in rotated_test_sets()}
    c4_mean = [sum(r.accuracy[f"{90 * k}"] for k in range(QUARTER_TURNS)) / QUARTER_TURNS for r in runs]
    return {
        "accuracy_0": test_accuracy["0"],
        "accuracy_90": test_accuracy["90"],
        "accuracy_180": test_accuracy["180"],
        "accuracy_270": test_accuracy["270"],
        "accuracy_c4": over_seeds(c4_mean),
        "accuracy_45": test_accuracy["45"],
        "accuracy_random": test_accuracy["random"],
        "accuracy_blurred": test_accuracy["blurred"],
        "train_accuracy": over_seeds(r.train_accuracy for r in runs),
        "c4_consistency": over_seeds(r.consistency for r in runs),
        "six_nine_confusion": over_seeds(r.confusion for r in runs),
        "parameters": parameter_count(networks[0]),
        "train_time": over_seeds(r.train_seconds for r in runs),
        "inference_time": per_image_microseconds(networks[0], bench),
    }
