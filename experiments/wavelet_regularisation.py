"""Wavelet regularisation of first-layer filters, against L2 weight decay and none, on small
training sets of the digits.

The MLP's first layer has one weight row per hidden unit, and each row, read as an 8 × 8
image, is a filter the unit correlates with the input. The wavelet penalty is the sum of
squares of each filter's level-1 detail coefficients under the orthonormal 2D Haar
transform: the part of the filter that changes inside 2 × 2 pixel blocks. The coarse part
(the 2 × 2 block averages, a 4 × 4 image) is free. L2 weight decay is the same
quadratic penalty on every coefficient of the same layer, because an orthonormal transform
preserves the sum of squares; so the two penalties differ only in which subspace they shrink.

One parameter point is one training fraction and one method. For each seed, the training
subset is drawn, a stratified validation share is carved from it, the method's penalty
strengths are each trained on the rest and judged on the validation images, and the best
strength is retrained on the whole subset. The test set is only used for the final model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from digits import CLASSES, SEEDS, SIDE, Split, accuracy, digits, mean_loss, mlp, over_seeds

HIDDEN = 64  # the MLP's hidden width: 64 first-layer filters of 8 × 8
LEARNING_RATE = 0.5  # full-batch gradient descent, constant
MOMENTUM = 0.9  # heavy-ball momentum
STRENGTHS = (1e-4, 1e-3, 1e-2, 1e-1)  # λ, the penalty strengths each regularised method tries
VALIDATION_SHARE = 0.2  # of each class in the training subset, held out to choose λ
SIGMAS = (0.1, 0.2, 0.4)  # standard deviations of the Gaussian test-time pixel noise
NOISE_SEED = 1234  # one fixed noise draw, shared by every model, method and seed
NOISE_DRAWS = 5  # noisy copies of the test set per σ; accuracy is their mean


# -- the 2D Haar transform --------------------------------------------------------------------


def haar2d(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One level of the orthonormal 2D Haar transform over the last two dimensions.

    Each 2 × 2 block (p q / r s) becomes its approximation (p + q + r + s) / 2 and three
    details: horizontal (p − q + r − s) / 2 (left minus right), vertical (p + q − r − s) / 2
    (top minus bottom) and diagonal (p − q − r + s) / 2. The four rows are orthonormal, so
    the transform preserves the sum of squares. Returns the approximation, of half the side,
    and the details stacked along a new third-to-last dimension.
    """
    p, q = x[..., 0::2, 0::2], x[..., 0::2, 1::2]
    r, s = x[..., 1::2, 0::2], x[..., 1::2, 1::2]
    approximation = (p + q + r + s) / 2
    details = torch.stack([(p - q + r - s) / 2, (p + q - r - s) / 2, (p - q - r + s) / 2], dim=-3)
    return approximation, details


def inverse_haar2d(approximation: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`haar2d`: the transpose of its orthonormal 4 × 4 block matrix."""
    a = approximation
    h, v, d = details.unbind(dim=-3)
    blocks = torch.stack([(a + h + v + d) / 2, (a - h + v - d) / 2, (a + h - v - d) / 2, (a - h - v + d) / 2])
    *lead, rows, cols = a.shape
    x = blocks.reshape(2, 2, *lead, rows, cols).movedim((0, 1), (-3, -1))  # (..., rows, 2, cols, 2)
    return x.reshape(*lead, 2 * rows, 2 * cols)


def wavelet_decompose(x: torch.Tensor, levels: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """``levels`` levels of :func:`haar2d`, each applied to the previous approximation.
    Returns the coarsest approximation and the details, finest (level 1) first."""
    details = []
    for _ in range(levels):
        x, level_details = haar2d(x)
        details.append(level_details)
    return x, details


# -- the penalties ----------------------------------------------------------------------------
# Each takes first-layer weights of shape (..., hidden, 64), one row per filter, and returns the
# penalty of each model in the leading dimensions, so that a stack of models is penalised
# model by model.


def as_images(weights: torch.Tensor) -> torch.Tensor:
    """(..., hidden, 64) weight rows as (..., hidden, 8, 8) filters."""
    return weights.unflatten(-1, (SIDE, SIDE))


def wavelet_penalty(weights: torch.Tensor) -> torch.Tensor:
    """Sum of squares of every filter's level-1 Haar detail coefficients.

    Squares rather than absolute values: a quadratic penalty is the exact counterpart of L2
    weight decay restricted to the fine-scale subspace, so the comparison changes one thing,
    which coefficients are shrunk, and not also how (an L1 penalty would add sparsity)."""
    _, details = haar2d(as_images(weights))  # (..., hidden, 3, 4, 4)
    return details.pow(2).sum(dim=(-4, -3, -2, -1))


def l2_penalty(weights: torch.Tensor) -> torch.Tensor:
    """Sum of squares of every first-layer weight (equal to that of all its Haar coefficients)."""
    return weights.pow(2).sum(dim=(-2, -1))


def no_penalty(weights: torch.Tensor) -> torch.Tensor:
    return weights.new_zeros(weights.shape[:-2])


PENALTIES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "none": no_penalty,
    "l2": l2_penalty,
    "wavelet": wavelet_penalty,
}


def fine_energy_fraction(weights: torch.Tensor) -> float:
    """Share of the filters' total sum of squares held by their level-1 detail coefficients.

    For filters with independent, identically distributed pixels (as at initialisation) it is
    48/64 = 0.75 in expectation, since each of the 64 orthonormal coefficients then has the
    same variance; for filters constant on 2 × 2 blocks it is zero."""
    weights = weights.detach()
    return (wavelet_penalty(weights).sum() / l2_penalty(weights).sum()).item()


# -- data: the validation share --------------------------------------------------------------


@dataclass(frozen=True)
class Carve:
    """A training subset split into the images that fit and the images that judge λ."""

    fit_x: torch.Tensor
    fit_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor


def carve_validation(x: torch.Tensor, y: torch.Tensor, share: float, seed: int) -> Carve:
    """Hold out ``share`` of each class (at least one image, and never the class's last one),
    drawn with ``seed``. Stratified, so that the small subsets keep every digit on both sides."""
    generator = torch.Generator().manual_seed(seed)
    held = []
    for label in range(CLASSES):
        rows = torch.nonzero(y == label).flatten()
        count = min(max(1, round(share * len(rows))), len(rows) - 1)
        held.append(rows[torch.randperm(len(rows), generator=generator)[:count]])
    is_held = torch.zeros(len(y), dtype=torch.bool)
    is_held[torch.cat(held)] = True
    return Carve(x[~is_held], y[~is_held], x[is_held], y[is_held])


# -- training ---------------------------------------------------------------------------------


def stacked_start(seed: int, copies: int) -> list[torch.Tensor]:
    """``copies`` identical copies of :func:`digits.mlp`'s initial weights for ``seed``
    (first-layer weight and bias, output weight and bias), stacked along a new first dimension."""
    return [
        p.detach().expand(copies, *p.shape).clone().requires_grad_() for p in mlp(HIDDEN, seed).parameters()
    ]


def stacked_logits(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The stacked MLPs' logits, (copies, n, classes): 64 → tanh(hidden) → 10, as digits.mlp."""
    w1, b1, w2, b2 = params
    hidden = torch.tanh(x @ w1.transpose(1, 2) + b1.unsqueeze(1))
    return hidden @ w2.transpose(1, 2) + b2.unsqueeze(1)


def unstack(params: list[torch.Tensor], index: int, seed: int) -> torch.nn.Sequential:
    """Copy ``index`` of the stack as an ordinary digits.mlp model."""
    model = mlp(HIDDEN, seed)
    with torch.no_grad():
        for mine, stacked in zip(model.parameters(), params, strict=True):
            mine.copy_(stacked[index])
    return model.eval()


def train(
    x: torch.Tensor, y: torch.Tensor, method: str, strengths: tuple[float, ...], steps: int, seed: int
) -> list[torch.nn.Sequential]:
    """One model per penalty strength λ, trained side by side from the same initial weights.

    Each model minimises its mean cross-entropy plus λ times the method's penalty on its
    first-layer filters (the biases and the output layer are never penalised), by full-batch
    gradient descent with heavy-ball momentum. Full batch, so the optimiser adds no noise of
    its own: models with the same seed differ only in the penalty's gradient. The stack's
    loss is the sum of the models' losses and momentum SGD acts elementwise, so each copy
    follows the path it would follow alone (up to rounding); stacking only saves interpreter
    overhead.
    """
    params = stacked_start(seed, len(strengths))
    lam = torch.tensor(strengths)
    penalty = PENALTIES[method]
    optimiser = torch.optim.SGD(params, lr=LEARNING_RATE, momentum=MOMENTUM)
    targets = y.expand(len(strengths), -1)
    for _ in range(steps):
        optimiser.zero_grad()
        logits = stacked_logits(params, x)
        fit = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(dim=1)
        (fit + lam * penalty(params[0])).sum().backward()
        optimiser.step()
    return [unstack(params, i, seed) for i in range(len(strengths))]


def candidates(method: str) -> tuple[float, ...]:
    """The strengths a method tries: none has only λ = 0."""
    return (0.0,) if method == "none" else STRENGTHS


def choose_strength(subset: Split, method: str, steps: int, seed: int) -> float:
    """The λ with the best validation accuracy (ties: the lower validation cross-entropy, then
    the smaller λ), every candidate trained on the subset less its validation share."""
    options = candidates(method)
    if len(options) == 1:
        return options[0]
    carve = carve_validation(subset.train_x, subset.train_y, VALIDATION_SHARE, seed)
    models = train(carve.fit_x, carve.fit_y, method, options, steps, seed)
    scores = [
        (accuracy(model, carve.val_x, carve.val_y), -mean_loss(model, carve.val_x, carve.val_y))
        for model in models
    ]
    return options[max(range(len(options)), key=scores.__getitem__)]


# -- evaluation -------------------------------------------------------------------------------


@functools.cache
def pixel_noise() -> torch.Tensor:
    """Standard normal pixel noise, (draws, test images, 64), from one fixed seed: every model
    sees the same noisy images, so the methods are compared on identical inputs."""
    test_x = digits().test_x
    generator = torch.Generator().manual_seed(NOISE_SEED)
    return torch.randn((NOISE_DRAWS, *test_x.shape), generator=generator)


def noisy_accuracy(model, sigma: float) -> float:
    """Test accuracy with σ times the fixed noise added to every pixel (not clipped to [0, 1],
    so the noise stays Gaussian), averaged over the draws."""
    split = digits()
    return (
        sum(accuracy(model, split.test_x + sigma * eps, split.test_y) for eps in pixel_noise()) / NOISE_DRAWS
    )


def image_fine_energy(x: torch.Tensor) -> float:
    """The fine-scale share of the training images' variance: the same fraction as for the
    filters, of the images less their mean image. It is where a filter has to look to tell
    the training images apart, the yardstick for how smooth a useful filter can be."""
    return fine_energy_fraction(x - x.mean(dim=0))


def noise_metric(sigma: float) -> str:
    """The metric name of the accuracy under noise σ: 0.4 → ``noisy_accuracy_04``."""
    return f"noisy_accuracy_{round(10 * sigma):02d}"


def evaluate(model, subset: Split) -> dict[str, float]:
    """One seed's final model: accuracies, robustness to noise and how smooth its filters are."""
    split = digits()
    row = {
        "test_accuracy": accuracy(model, split.test_x, split.test_y),
        "train_accuracy": accuracy(model, subset.train_x, subset.train_y),
    }
    for sigma in SIGMAS:
        row[noise_metric(sigma)] = noisy_accuracy(model, sigma)
    row["noise_drop"] = row["test_accuracy"] - row[noise_metric(max(SIGMAS))]
    weights = model[0].weight.detach()
    row["fine_energy"] = fine_energy_fraction(weights)
    row["filter_norm"] = weights.norm(dim=1).mean().item()
    row["image_fine_energy"] = image_fine_energy(subset.train_x)
    return row


def run(point: dict, bench) -> dict:
    """Entry point: one method on one training fraction, five seeds."""
    fraction, method, steps = float(point["fraction"]), point["method"], int(point["steps"])
    rows, chosen = [], []
    for seed in SEEDS:
        subset = digits().subset(fraction, seed)
        strength = choose_strength(subset, method, steps, seed)
        chosen.append(strength)
        (model,) = train(subset.train_x, subset.train_y, method, (strength,), steps, seed)
        rows.append(evaluate(model, subset))
    metrics = {name: over_seeds(row[name] for row in rows) for name in rows[0]}
    metrics["strength"] = over_seeds(chosen) if method != "none" else None
    return metrics
